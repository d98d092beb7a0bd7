"""The library logger. tunesmith never configures the host program's logging; use
:func:`set_verbosity` for a quick console handler."""

from __future__ import annotations

import logging

logger = logging.getLogger("tunesmith")
logger.addHandler(logging.NullHandler())

__all__ = ["logger", "set_verbosity"]

_handler: logging.Handler | None = None


def set_verbosity(level: int | str = logging.INFO) -> None:
    """Show tunesmith's messages at ``level`` and above on stderr (idempotent)."""
    global _handler
    if _handler is None:
        _handler = logging.StreamHandler()
        _handler.setFormatter(logging.Formatter("[tunesmith %(levelname)s] %(message)s"))
        logger.addHandler(_handler)
    logger.setLevel(level)
