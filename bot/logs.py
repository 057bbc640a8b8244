"""The log format of every sopbot process (the bot, its search worker, the CLI)."""

from __future__ import annotations

import logging

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class OneLineFormatter(logging.Formatter):
    """One event per line, tracebacks included, so `docker logs | grep` and log shippers
    never split an error from its traceback. Newlines are written as a literal ``\\n``."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r", "").replace("\n", "\\n")


def configure_logging(level: int) -> None:
    """Log to stderr: time, level, logger, message; one line per event."""
    handler = logging.StreamHandler()
    handler.setFormatter(OneLineFormatter(LOG_FORMAT))
    logging.basicConfig(level=level, handlers=[handler])
