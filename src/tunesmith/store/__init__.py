"""Durable studies: an append-only journal of events per study, behind SQLAlchemy.

::

    from tunesmith.store import Event, Store

    store = Store()  # sqlite:///./tunesmith-results/tunesmith.db
    study = store.create_study(
        "mnist-asha", config_space_json=space_to_json(space), scheduler_spec=spec_of(scheduler),
        metric="loss", mode="min", seed=0,
    )
    store.append(study, [Event("trial_created", trial_id=0, payload=config, time=0.0)])
    store.records("mnist-asha")  # readable from any process, also while a run appends

SQLite (default, one machine) and PostgreSQL (several machines) are supported; see
``docs/store.md``.
"""

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
