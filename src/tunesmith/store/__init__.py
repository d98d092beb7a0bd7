"""Durable studies: an append-only journal of events per study, on SQLite or PostgreSQL.

::

    from tunesmith.store import Event, Store

    store = Store()  # sqlite:///./tunesmith-results/tunesmith.db
    study = store.create_study(
        "mnist-asha", config_space_json=space_to_json(space), scheduler_spec=spec_of(scheduler),
        metric="loss", mode="min", seed=0,
    )
    store.append(study, [Event("trial_created", trial_id=0, payload=config, time=0.0)])
    store.records("mnist-asha")  # readable from any process, also while a run appends

SQLite (default, one machine; the standard library's :mod:`sqlite3` alone) and PostgreSQL
(several machines; psycopg 3, connections pooled by SQLAlchemy) are supported; see
``docs/store.md``.

The names are imported on first use (PEP 562): ``tunesmith.store.study`` or
``tunesmith.store.home`` alone do not load the database drivers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tunesmith._lazy import lazy_exports

#: public name -> the module of this package that defines it
_EXPORTS = {
    "SCHEMA_VERSION": ".schema",
    "Event": ".events",
    "EventKind": ".events",
    "Lease": ".owner",
    "OwnershipLostError": ".owner",
    "SchemaVersionError": ".schema",
    "Store": ".core",
    "StoreCorruptedError": ".errors",
    "StoreFullError": ".errors",
    "StoreOpenError": ".errors",
    "Study": ".study",
    "StudyExistsError": ".study",
    "StudyLockedError": ".owner",
    "StudyNotFoundError": ".study",
    "default_url": ".engine",
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:  # for type checkers and IDEs
    from tunesmith.store.core import Store
    from tunesmith.store.engine import default_url
    from tunesmith.store.errors import StoreCorruptedError, StoreFullError, StoreOpenError
    from tunesmith.store.events import Event, EventKind
    from tunesmith.store.owner import Lease, OwnershipLostError, StudyLockedError
    from tunesmith.store.schema import SCHEMA_VERSION, SchemaVersionError
    from tunesmith.store.study import Study, StudyExistsError, StudyNotFoundError

__all__ = [
    "SCHEMA_VERSION",
    "Event",
    "EventKind",
    "Lease",
    "OwnershipLostError",
    "SchemaVersionError",
    "Store",
    "StoreCorruptedError",
    "StoreFullError",
    "StoreOpenError",
    "Study",
    "StudyExistsError",
    "StudyLockedError",
    "StudyNotFoundError",
    "default_url",
]
