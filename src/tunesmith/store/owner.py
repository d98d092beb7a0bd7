"""One driver per study: an owner row per study, kept alive by a heartbeat.

A tuner that runs a study first takes its ownership (:meth:`Store.acquire_study`): a row in
``tunesmith_owners`` with a random token, the host, the process id and a heartbeat time that a
background thread renews every :data:`HEARTBEAT_INTERVAL` seconds. Another driver is refused at
once (:class:`StudyLockedError`, naming the holder) unless the holder is gone:

* on the same machine (same host name, boot id and process namespace), as soon as its process
  no longer exists (or its pid now belongs to a process started later), so a driver killed and
  started again takes its study over at once; a holder whose process lives is never taken over
  (a driver stopped with Ctrl-Z holds its study until it ends);
* on another machine, once its heartbeat is older than ``stale_after`` seconds (default
  :data:`STALE_AFTER`). Heartbeats are stamped with the database server's clock on PostgreSQL
  (so machines' clocks need not agree), with the local clock on SQLite (one machine).

Appends made on behalf of an owner are fenced: the update that numbers a batch's events only
matches while the owner row still holds the appender's token, in the same transaction, so a
driver whose ownership was taken over (it stalled past the timeout) cannot write another event;
it gets :class:`OwnershipLostError`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tunesmith.store.db import Connection, Database

logger = logging.getLogger("tunesmith")

__all__ = [
    "HEARTBEAT_INTERVAL",
    "STALE_AFTER",
    "Lease",
    "OwnershipLostError",
    "StudyLockedError",
    "identity",
    "process_alive",
]

#: seconds between two heartbeats of a study's owner
HEARTBEAT_INTERVAL = 5.0
#: seconds after its last heartbeat at which an owner on another machine counts as gone
STALE_AFTER = 30.0


class StudyLockedError(RuntimeError):
    """Another driver runs this study (it is named in the message)."""


class OwnershipLostError(RuntimeError):
    """This driver's ownership of the study was taken over by another driver."""


def _machine() -> str:
    """The boot id and the pid namespace: processes that can see each other's pids share
    both (containers on one kernel have the boot id but not the namespace)."""
    parts = []
    with contextlib.suppress(OSError):
        parts.append(Path("/proc/sys/kernel/random/boot_id").read_text().strip())
    with contextlib.suppress(OSError):
        parts.append(os.readlink("/proc/self/ns/pid"))
    return " ".join(parts)


def _process_start(pid: int) -> str | None:
    """The start time of process ``pid`` (Linux; clock ticks since boot), None if unknown;
    ``""`` when it is gone or a zombie."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return ""
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return "" if fields[0] in ("Z", "X") else fields[19]


def identity() -> tuple[str, str, int, str | None]:
    """This process's host name, boot id, pid and start time, as an owner row records them."""
    pid = os.getpid()
    return socket.gethostname(), _machine(), pid, _process_start(pid) or None


def process_alive(pid: int, start: str | None = None) -> bool:
    """Whether process ``pid`` of this machine still runs, not a zombie (and, with ``start``,
    is the one that started then: not a later process given the same pid)."""
    now_start = _process_start(pid)
    if now_start == "":
        return False
    if now_start is not None and start and now_start != start:
        return False  # the pid was reused
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


#: the tokens of the leases this process holds
_HELD: set[str] = set()

#: the advisory locks of studies' drivers (PostgreSQL): this base plus the study's id
_TURNS_KEY = 0x7473 << 48


def take_turns(conn: Connection, study_id: int) -> None:
    """In a write transaction: wait for the other drivers taking or joining the study (a
    PostgreSQL advisory lock until the transaction ends; SQLite's write lock already does it).
    Appends never take it, so it adds no deadlock with them."""
    if conn.dialect.schema_lock is not None:
        conn.execute(conn.dialect.schema_lock, {"key": _TURNS_KEY + int(study_id)})


def _now(conn: Connection) -> float:
    """Seconds since the epoch by the database server's clock (PostgreSQL), else this
    machine's (SQLite lives on this machine)."""
    if conn.dialect.now is not None:
        return float(conn.scalar(conn.dialect.now))
    return time.time()


_COLUMNS = "token, host, machine, pid, pid_start, since, heartbeat"
_HOLDER = f"SELECT {_COLUMNS} FROM tunesmith_owners WHERE study_id = :k_study"
_INSERT = (
    f"INSERT INTO tunesmith_owners (study_id, {_COLUMNS}) VALUES (:k_study, :token, :host, "
    ":machine, :pid, :pid_start, :since, :heartbeat)"
)
_TAKE = (
    "UPDATE tunesmith_owners SET token = :token, host = :host, machine = :machine, pid = :pid, "
    "pid_start = :pid_start, since = :since, heartbeat = :heartbeat WHERE study_id = :k_study"
)
_MINE = "WHERE study_id = :k_study AND token = :k_token"
_BEAT = f"UPDATE tunesmith_owners SET heartbeat = :now {_MINE}"
_RELEASE = f"DELETE FROM tunesmith_owners {_MINE}"


@dataclass(frozen=True)
class _Holder:
    token: str
    host: str
    machine: str
    pid: int
    pid_start: str | None
    since: float
    heartbeat: float

    def describe(self, now: float) -> str:
        since = datetime.fromtimestamp(self.since).isoformat(sep=" ", timespec="seconds")
        return (
            f"host {self.host!r}, pid {self.pid}, since {since} (last heartbeat "
            f"{max(0.0, now - self.heartbeat):.0f} s ago)"
        )


class Lease:
    """A driver's ownership of one study; renewed by a daemon thread until :meth:`release`."""

    #: whether it is a shared driver's (:class:`~tunesmith.store.drivers.SharedLease`)
    shared = False
    _beat_sql = _BEAT
    _release_sql = _RELEASE

    def __init__(self, db: Database, study_id: int, study_name: str, where: str):
        self._db = db
        self.study_id, self.study_name, self._where = study_id, study_name, where
        self.token = os.urandom(16).hex()  # as secrets.token_hex, without its imports
        self.host, self.machine, self.pid, self.pid_start = identity()
        self.lost = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- taking it ----------------------------------------------------------------------------
    def acquire(self, stale_after: float = STALE_AFTER) -> None:
        """Take the study, or raise :class:`StudyLockedError` naming its live owner."""
        for attempt in range(2):  # a concurrent first insert loses on the primary key: retry
            try:
                with self._db.transaction(write=True) as conn:
                    self._take(conn, stale_after)
                break
            except self._db.integrity_error:
                if attempt:
                    raise
        _HELD.add(self.token)
        self._thread = threading.Thread(
            target=self._beat, name=f"tunesmith-heartbeat-{self.study_name}", daemon=True
        )
        self._thread.start()

    def check_free(self, conn: Connection, stale_after: float = STALE_AFTER) -> str | None:
        """In ``conn``'s write transaction: raise :class:`StudyLockedError` if another live
        driver holds the study (its row stays locked until the transaction ends); else return
        why a holder is gone, or None when there is none (or it is this lease)."""
        return self._check(conn, stale_after)[1]

    def _check(self, conn: Connection, stale_after: float) -> tuple[bool, str | None]:
        """:meth:`check_free`, and whether the study has an owner row at all."""
        row = conn.first(_HOLDER + conn.dialect.for_update, {"k_study": self.study_id})
        self._check_no_shared_drivers(conn, stale_after)
        if row is None:
            return False, None
        if row[0] == self.token:
            return True, None
        holder, now = _Holder(*row), _now(conn)
        gone = self._gone(holder, now, stale_after)
        if not gone:
            raise StudyLockedError(
                f"the study {self.study_name!r} in {self._where} is being run by another "
                f"driver: {holder.describe(now)}. Only one driver may run a study: wait for it "
                "to end, stop it, or use another name. A driver that died is taken over at "
                f"once on its own machine, or {stale_after:.0f} s after its last heartbeat "
                "elsewhere"
            )
        return True, gone

    def _check_no_shared_drivers(self, conn: Connection, stale_after: float) -> None:
        """:class:`StudyLockedError` if drivers with ``shared=True`` run the study."""
        from tunesmith.store.drivers import live_drivers

        live = live_drivers(conn, self, self.study_id, stale_after)
        if live:
            raise StudyLockedError(
                f"the study {self.study_name!r} in {self._where} is being run by {len(live)} "
                f"shared driver(s) (Tuner(..., shared=True)): {'; '.join(live[:3])}. Run this "
                "one with shared=True too to join them, or wait for them to end"
            )

    def _take(self, conn: Connection, stale_after: float) -> None:
        take_turns(conn, self.study_id)  # with shared drivers joining: one of the two kinds wins
        exists, gone = self._check(conn, stale_after)
        now = _now(conn)
        values = {
            "k_study": self.study_id,
            "token": self.token,
            "host": self.host,
            "machine": self.machine,
            "pid": self.pid,
            "pid_start": self.pid_start,
            "since": now,
            "heartbeat": now,
        }
        if not exists:
            conn.execute(_INSERT, values)
            return
        logger.info("taking over study %r from a driver that is gone (%s)", self.study_name, gone)
        conn.execute(_TAKE, values)

    def _gone(self, holder: _Holder, now: float, stale_after: float) -> str:
        """Why ``holder`` no longer runs the study, or ``""`` if it may."""
        same_machine = holder.host == self.host and holder.machine == self.machine
        if same_machine:
            if holder.pid == self.pid:  # this process: a lease of it that is no longer held?
                return "" if holder.token in _HELD else "this process no longer holds it"
            if not process_alive(holder.pid, holder.pid_start):
                return f"its process {holder.pid} on this machine has ended"
            return ""  # alive here: it holds the study, heartbeat or not
        if now - holder.heartbeat > stale_after:
            return f"no heartbeat for {now - holder.heartbeat:.0f} s"
        return ""

    # -- keeping it ---------------------------------------------------------------------------
    def _beat(self) -> None:
        mine = {"k_study": self.study_id, "k_token": self.token}
        while not self._stop.wait(HEARTBEAT_INTERVAL):
            try:
                with self._db.transaction(write=True) as conn:
                    matched = conn.execute(self._beat_sql, {**mine, "now": _now(conn)}).rowcount
            except Exception as err:  # the store is unreachable for now: try again later
                logger.warning("heartbeat of study %r failed: %s", self.study_name, err)
                continue
            if matched == 0:
                self.lost = True
                logger.error(
                    "another driver took over study %r; this one can no longer write to it",
                    self.study_name,
                )
                return

    def release(self) -> None:
        """Stop the heartbeat and give the study up (if this driver still holds it)."""
        self._stop.set()
        _HELD.discard(self.token)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        self._thread = None
        try:
            with self._db.transaction(write=True) as conn:
                conn.execute(self._release_sql, {"k_study": self.study_id, "k_token": self.token})
        except Exception as err:  # a stale row is taken over by the next driver anyway
            logger.warning("could not release study %r: %s", self.study_name, err)

    def lost_error(self) -> OwnershipLostError:
        return OwnershipLostError(
            f"another driver took over the study {self.study_name!r} in {self._where} (this "
            f"driver, pid {self.pid}, sent no heartbeat for longer than the timeout); nothing "
            "more was written by this driver"
        )
