"""The store's errors for a database that can not be opened, is full, or is damaged.

Each message names the store (its URL without the password, or the SQLite file's path) and, where
one is concerned, the study and the journal row, and says what to do.
"""

from __future__ import annotations

__all__ = ["StoreCorruptedError", "StoreFullError", "StoreOpenError"]


class StoreCorruptedError(RuntimeError):
    """The store's data is damaged: a journal row that can not be read, a gap in a study's
    sequence numbers, a missing table. Nothing is written into a damaged study."""


class StoreOpenError(OSError):
    """A SQLite store's file can not be opened or created (a missing folder that can not be
    made, a path that is a folder, a folder or file that is not writable, not a database)."""


class StoreFullError(OSError):
    """The disk (or database) holding the store is full; the batch being written was not
    stored."""
