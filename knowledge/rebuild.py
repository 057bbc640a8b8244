"""Build the index in a process of its own.

``python -m knowledge.rebuild`` reads what to build on stdin (a ``knowledge.updates.Recipe``
as JSON: the index path, the managed corpus directory, the taught questions) and builds
it if it is out of date, exactly as the bot's own load would. The bot runs it after /teach or an
SOP update: the build is ten seconds or so of pure-Python work, which in a thread of the
bot would hold the GIL its event loop needs to answer everyone else.
"""

from __future__ import annotations

import sys

from knowledge.updates import Recipe


def main() -> int:
    Recipe.from_json(sys.stdin.read()).open()
    return 0


if __name__ == "__main__":
    sys.exit(main())
