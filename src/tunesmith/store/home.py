"""Where the default store lives: ``$TUNESMITH_HOME``, else ``./tunesmith-results``.

Kept apart from :mod:`tunesmith.store.engine` so that building a tuner (which names its run
folder from it) does not import SQLAlchemy; the store is opened when the run starts.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DB_FILENAME", "DEFAULT_DIRECTORY", "HOME_VARIABLE", "home_directory"]

#: where ``Store()`` without a URL keeps its SQLite file
DEFAULT_DIRECTORY = "tunesmith-results"
DB_FILENAME = "tunesmith.db"

#: environment variable naming the folder of the default store (and of studies' trial folders)
HOME_VARIABLE = "TUNESMITH_HOME"


def home_directory() -> Path:
    """``$TUNESMITH_HOME``, else ``./tunesmith-results``."""
    return Path(os.environ.get(HOME_VARIABLE) or DEFAULT_DIRECTORY)
