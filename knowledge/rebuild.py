"""Build the index in a process of its own.

``python -m knowledge.rebuild`` reads what to build as JSON on stdin (the index path, the
managed corpus directory, the taught questions) and builds it if it is out of date,
exactly as ``knowledge.updates.open_knowledge`` would. The bot runs it after /teach or an
SOP update: the build is ten seconds or so of pure-Python work, which in a thread of the
bot would hold the GIL its event loop needs to answer everyone else.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from knowledge.updates import open_knowledge


def main() -> int:
    recipe = json.loads(sys.stdin.read())
    corpus = recipe.get("corpus")
    open_knowledge(Path(recipe["index"]), Path(corpus) if corpus else None, recipe["taught"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
