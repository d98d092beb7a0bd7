"""Several drivers on one study (``Tuner(..., shared=True)``): a row per driver, kept alive by a
heartbeat, and a claim row per trial saying which driver runs it.

* **Drivers** (``tunesmith_drivers``): a driver joins a study with a row of its own (a random
  token, host, boot id, pid, a number counted from 0 in the order drivers joined, and a heartbeat
  that a background thread renews every :data:`~tunesmith.store.owner.HEARTBEAT_INTERVAL` s). A
  driver is gone as an exclusive owner is (:mod:`tunesmith.store.owner`): at once on its own
  machine when its process ended, after ``stale_after`` seconds without a heartbeat elsewhere.
  Any driver may delete the row of one that is gone (:meth:`SharedLease.reap`); every append of a
  driver is fenced by its row (``append(..., owner=lease)`` numbers its events only while the row
  is there, in the same transaction), so a driver declared dead cannot write again.
* **Trials** (``tunesmith_claims``): a trial id is allocated by inserting its claim row (the
  next id of the study, under the study's row lock: ids are unique, and never reused), with the
  allocating driver's token. A new config is claimed by its key (a hash of its JSON) on the same
  row: a unique index refuses a config another trial of the study claimed, atomically.
  The trials of a driver that is gone are claimed by one live driver: the update of the claim
  row only matches while it still names the gone driver's token, so exactly one claimer wins.

A study is run either by one exclusive owner (:class:`~tunesmith.store.owner.Lease`) or by
shared drivers, never both at once: each refuses while the other kind holds the study.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from tunesmith.store.db import Connection, Database
from tunesmith.store.owner import (
    HEARTBEAT_INTERVAL,
    STALE_AFTER,
    Lease,
    StudyLockedError,
    _Holder,
    _now,
    take_turns,
)

logger = logging.getLogger("tunesmith")

__all__ = ["SharedLease", "config_key", "live_drivers"]

_COLUMNS = "token, host, machine, pid, pid_start, since, heartbeat"
_ROWS = f"SELECT {_COLUMNS} FROM tunesmith_drivers WHERE study_id = :k_study"
_LOCK_STUDY = "SELECT id FROM tunesmith_studies WHERE id = :k_study"
_MINE = "WHERE study_id = :k_study AND token = :k_token"


def config_key(config: Mapping[str, Any]) -> str:
    """A fixed-size key of a config (its JSON with sorted keys, hashed)."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def live_drivers(conn: Connection, lease: Lease, study_id: int, stale_after: float) -> list[str]:
    """In ``conn``'s transaction: descriptions of the shared drivers of a study that are not
    gone (by ``lease``'s rules of who is gone)."""
    now = _now(conn)
    out = []
    for row in conn.all(_ROWS, {"k_study": study_id}):
        holder = _Holder(*row)
        if not lease._gone(holder, now, stale_after):
            out.append(holder.describe(now))
    return out


class SharedLease(Lease):
    """One driver's membership in a shared study (a ``tunesmith_drivers`` row), renewed by a
    daemon thread until :meth:`release`; pass it as ``append(..., owner=lease)``."""

    shared = True
    _beat_sql = f"UPDATE tunesmith_drivers SET heartbeat = :now {_MINE}"
    _release_sql = f"DELETE FROM tunesmith_drivers {_MINE}"

    def __init__(self, db: Database, study_id: int, study_name: str, where: str):
        super().__init__(db, study_id, study_name, where)
        #: this driver's number in the study: 0 for the first that joined, then 1, 2, ...
        self.number = 0
        self.stale_after = STALE_AFTER

    # -- joining -------------------------------------------------------------------------------
    def acquire(self, stale_after: float = STALE_AFTER) -> None:
        """Join the study; :class:`StudyLockedError` if an exclusive owner runs it."""
        self.stale_after = stale_after
        values = {"k_study": self.study_id}
        owner = (
            "SELECT token, host, machine, pid, pid_start, since, heartbeat "
            "FROM tunesmith_owners WHERE study_id = :k_study"
        )
        with self._db.transaction(write=True) as conn:
            take_turns(conn, self.study_id)  # with other joins, and exclusive drivers' takeovers
            row = conn.first(owner + conn.dialect.for_update, values)
            if row is not None:
                holder, now = _Holder(*row), _now(conn)
                gone = self._gone(holder, now, stale_after)
                if not gone:
                    raise StudyLockedError(
                        f"the study {self.study_name!r} in {self._where} is being run by a "
                        f"driver that owns it alone: {holder.describe(now)}. Drivers with "
                        "shared=True join a study only while no exclusive driver runs it: "
                        "wait for it to end, or run every driver with shared=True"
                    )
                conn.execute("DELETE FROM tunesmith_owners WHERE study_id = :k_study", values)
            now = _now(conn)
            number = conn.scalar(
                "SELECT coalesce(max(number), -1) + 1 FROM tunesmith_drivers "
                "WHERE study_id = :k_study",
                values,
            )
            # drivers that run at the same time have distinct numbers (one that left may
            # see its number again: the searchers' streams also mix in the token)
            self.number = int(number)
            conn.execute(
                f"INSERT INTO tunesmith_drivers (study_id, number, {_COLUMNS}) VALUES "
                "(:k_study, :number, :token, :host, :machine, :pid, :pid_start, :now, :now)",
                {
                    **values,
                    "number": self.number,
                    "token": self.token,
                    "host": self.host,
                    "machine": self.machine,
                    "pid": self.pid,
                    "pid_start": self.pid_start,
                    "now": now,
                },
            )
        self._start_heartbeat()

    def _start_heartbeat(self) -> None:
        from tunesmith.store.owner import _HELD

        _HELD.add(self.token)
        self._thread = threading.Thread(
            target=self._beat, name=f"tunesmith-heartbeat-{self.study_name}", daemon=True
        )
        self._thread.start()

    def lost_error(self):
        error = super().lost_error()
        error.args = (
            f"this driver (pid {self.pid}) was declared gone by another driver of the shared "
            f"study {self.study_name!r} in {self._where} (no heartbeat for longer than "
            f"{self.stale_after:.0f} s); its trials were handed to a live driver, and nothing "
            "more was written by this one",
        )
        return error

    # -- other drivers -------------------------------------------------------------------------
    def reap(self) -> list[str]:
        """Delete the rows of the drivers that are gone (fencing their appends); returns why
        each was gone."""
        values = {"k_study": self.study_id}
        with self._db.transaction() as conn:
            rows = [_Holder(*row) for row in conn.all(_ROWS, values)]
            now = _now(conn)
        gone = [h for h in rows if h.token != self.token and self._gone(h, now, self.stale_after)]
        reasons = []
        for holder in gone:
            with self._db.transaction(write=True) as conn:
                # lock the row first (an append of that driver under way holds it FOR SHARE and
                # ends first), check again with its current heartbeat, then delete it
                row = conn.first(
                    f"SELECT {_COLUMNS} FROM tunesmith_drivers {_MINE}{conn.dialect.for_update}",
                    {**values, "k_token": holder.token},
                )
                if row is None:
                    continue
                why = self._gone(_Holder(*row), _now(conn), self.stale_after)
                if not why:
                    continue
                conn.execute(
                    f"DELETE FROM tunesmith_drivers {_MINE}", {**values, "k_token": holder.token}
                )
            logger.warning(
                "driver pid %d on %r of study %r is gone (%s); its trials are re-queued",
                holder.pid,
                holder.host,
                self.study_name,
                why,
            )
            reasons.append(why)
        return reasons

    # -- trials --------------------------------------------------------------------------------
    def allocate(self, limit: int | None = None) -> int | None:
        """A new trial id for this driver; None when ``limit`` trials exist already (created,
        or allocated by a live driver)."""
        values = {"k_study": self.study_id, "k_token": self.token}
        for attempt in range(5):  # PostgreSQL: a concurrent insert of the same id: again
            try:
                with self._db.transaction(write=True) as conn:
                    conn.execute(_LOCK_STUDY + conn.dialect.for_update, values)
                    top = conn.scalar(
                        "SELECT coalesce(max(trial_id), -1) FROM tunesmith_claims "
                        "WHERE study_id = :k_study",
                        values,
                    )
                    made = conn.first(
                        "SELECT coalesce(max(trial_id), -1), count(*) FROM tunesmith_trials "
                        "WHERE study_id = :k_study",
                        values,
                    )
                    if limit is not None and made[1] + self._reserved(conn) >= limit:
                        return None
                    trial_id = max(top, made[0]) + 1
                    conn.execute(
                        "INSERT INTO tunesmith_claims (study_id, trial_id, token) VALUES "
                        "(:k_study, :k_trial, :k_token)",
                        {**values, "k_trial": trial_id},
                    )
                return trial_id
            except self._db.integrity_error:
                if attempt == 4:
                    raise
        return None  # pragma: no cover

    def _reserved(self, conn: Connection) -> int:
        """Ids allocated by live drivers whose trial is not created yet (those of drivers that
        are gone do not count: they will not be created)."""
        return conn.scalar(
            "SELECT count(*) FROM tunesmith_claims c WHERE c.study_id = :k_study AND NOT EXISTS "
            "(SELECT trial_id FROM tunesmith_trials t WHERE t.study_id = :k_study AND "
            "t.trial_id = c.trial_id) AND EXISTS (SELECT token FROM tunesmith_drivers d WHERE "
            "d.study_id = :k_study AND d.token = c.token)",
            {"k_study": self.study_id},
        )

    def claim_config(self, trial_id: int, config: Mapping[str, Any]) -> bool:
        """Record ``config`` as trial ``trial_id``'s (an id this driver allocated); False if
        another trial of the study has it."""
        values = {
            "k_study": self.study_id,
            "k_trial": trial_id,
            "k_token": self.token,
            "key": config_key(config),
        }
        try:
            with self._db.transaction(write=True) as conn:
                conn.execute(
                    "UPDATE tunesmith_claims SET config_key = :key WHERE study_id = :k_study "
                    "AND trial_id = :k_trial AND token = :k_token",
                    values,
                )
        except self._db.integrity_error:
            return False
        return True

    def orphans(self, candidates: Iterable[int]) -> list[int]:
        """Those of ``candidates`` (trials the journal leaves running or interrupted) that no
        live driver holds: claimed by a driver whose row is gone, or by none."""
        wanted = sorted(set(candidates))
        if not wanted:
            return []
        with self._db.transaction() as conn:
            held = {
                row[0]
                for row in conn.all(
                    "SELECT c.trial_id FROM tunesmith_claims c JOIN tunesmith_drivers d ON "
                    "d.study_id = c.study_id AND d.token = c.token WHERE c.study_id = :k_study",
                    {"k_study": self.study_id},
                )
            }
        return [tid for tid in wanted if tid not in held]

    def claim(self, trial_id: int) -> bool:
        """Take trial ``trial_id`` for this driver if no live driver holds it; True for exactly
        one of the drivers that try at once."""
        values = {"k_study": self.study_id, "k_trial": trial_id, "k_token": self.token}
        with self._db.transaction(write=True) as conn:
            # the claim row locked first, then its holder looked up in a statement of its own:
            # a driver that waited for another's claim reads the new holder, alive. (One UPDATE
            # ... WHERE NOT EXISTS (the holder's row) let PostgreSQL recheck only the claim row
            # after the wait, so two or three drivers took the same trial.)
            row = conn.first(
                "SELECT token FROM tunesmith_claims WHERE study_id = :k_study "
                "AND trial_id = :k_trial" + conn.dialect.for_update,
                values,
            )
            if row is not None:
                holder = row[0]
                if holder == self.token or conn.first(
                    "SELECT token FROM tunesmith_drivers WHERE study_id = :k_study "
                    "AND token = :k_holder",
                    {**values, "k_holder": holder},
                ):
                    return False  # this driver's, or a live driver's
                conn.execute(
                    "UPDATE tunesmith_claims SET token = :k_token WHERE study_id = :k_study "
                    "AND trial_id = :k_trial",
                    values,
                )
                return True
            # a trial of an exclusive driver's run: no claim row yet
            return bool(
                conn.execute(
                    "INSERT INTO tunesmith_claims (study_id, trial_id, token) VALUES "
                    "(:k_study, :k_trial, :k_token) ON CONFLICT DO NOTHING",
                    values,
                ).rowcount
            )


#: how often a shared driver looks for drivers that are gone (seconds)
REAP_INTERVAL = HEARTBEAT_INTERVAL / 2
