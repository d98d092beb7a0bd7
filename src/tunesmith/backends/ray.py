"""RayBackend: run trials on a Ray cluster, in workers that stay up between trials.

Each of the tuner's ``n_workers`` workers is a long-lived Ray actor (:mod:`._ray_host`) placed
by Ray on a node with the resources one trial needs (``num_cpus``, ``num_gpus``, fractional
ones allowed, and custom resources). An actor runs one trial at a time through a one-worker
:class:`~tunesmith.backends.local.LocalBackend` (or a
:class:`~tunesmith.backends.script.ScriptBackend` for a command) on its node, so trials behave
exactly as on this machine: ``report()`` returns once the result is stored, stop and pause are
the same cooperative protocol, a trial that crashes fails with its reason and its actor stays.

Events come back without polling: one thread per actor waits in a Ray call that returns with
the actor's next events. Ray's own retries are off (``max_restarts=0``,
``max_task_retries=0``): an actor that is killed, or whose node is lost, makes its running
trial a FAILED event with reason ``worker_lost``, once, and a new actor is started in its
place (Ray places it where resources are free).

Ray is imported when the backend is prepared, not when this module is.
"""

from __future__ import annotations

import contextlib
import logging
import math
import numbers
import os
import secrets
import shlex
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tunesmith.backends._logs import DEFAULT_MAX_LOG_BYTES, check_max_log_bytes
from tunesmith.backends._procs import Run, decision_request
from tunesmith.backends._ray_cluster import (
    actor_pids_here,
    check_fits,
    check_nodes,
    check_ray_installed,
    check_ray_resources,
    describe_loss,
    import_ray,
    wait_gone,
)
from tunesmith.backends._ray_host import MARKER, TrialHost, pack_folder, unpack_folder
from tunesmith.backends.base import Backend, EventKind, FailureReason, TrialEvent
from tunesmith.trial import Decision, Trial

__all__ = ["RayBackend"]

logger = logging.getLogger("tunesmith")

_PYTHONS = ("python", "python3")
_CREATION_WAIT = 10.0  # seconds shutdown() waits for actors still being created


@dataclass(eq=False)
class _RayRun(Run):
    config: dict[str, Any] | None = None
    resume: bool = False
    host: _Host | None = None
    dispatched: float | None = None  # when an actor got it (time.time())


@dataclass(eq=False)
class _Host:
    index: int
    actor: Any
    state: str = "starting"  # starting -> idle <-> busy; lost
    run: _RayRun | None = None
    info: dict[str, Any] | None = None
    thread: threading.Thread | None = None
    created: Any = None  # ready once the actor is placed and constructed


class RayBackend(Backend):
    """Run trials on a Ray cluster (or on a Ray instance it starts on this machine).

    ``fn_or_command`` is a trial function ``fn(config)``, as for
    :class:`~tunesmith.backends.local.LocalBackend`, or a command (a string or a list of
    strings), as for :class:`~tunesmith.backends.script.ScriptBackend`. Functions reach the
    nodes with Ray's pickling (cloudpickle): by reference where their module is importable
    there (install your package on the nodes, or use ``runtime_env``), else by value.

    Args:
        fn_or_command: the trial function or the command.
        address: where this process is not connected to Ray yet (if it is, that connection
            is used): None: the cluster at ``RAY_ADDRESS`` if set, else a Ray instance started
            on this machine; ``"auto"``: the cluster started on this machine with ``ray
            start``; ``"ray://host:10001"``: a remote cluster through Ray Client;
            ``"host:6379"``: the cluster at that address. A connection the backend made is
            closed by :meth:`shutdown` (an instance it started is stopped).
        resources_per_trial: what one trial needs, reserved by its actor: ``{"cpus": 1,
            "gpus": 0}`` by default; ``gpus`` may be a fraction (0.5: two trials share a
            device), ``memory`` is in bytes, other keys are custom resources (as given to
            ``ray start --resources``).
        runtime_env: Ray's runtime environment of the actors (``working_dir``, ``pip``,
            ``env_vars``, ...).
        init_kwargs: more arguments of ``ray.init`` (when this backend calls it).
        env: extra environment variables of a command's trials.
        cwd: the working folder of a command's trials (default: the tuner's, where the node
            has it).
        stop_grace_period: seconds a stopped or paused trial has to end before it is killed.
        start_timeout: seconds :meth:`setup` waits for the actors to be ready; after it, the
            run starts with those that are (none: an error), the others join when placed.
        max_log_bytes: the cap of each trial's ``stdout.log`` and ``stderr.log``.
        copy_checkpoints: None: where a node does not see the tuner's run folder, its trials
            keep their folders on the node, and checkpoints are copied back to the tuner when
            a trial ends and to the node when it resumes; True: always copy; False: never
            (the run folder is on a file system every node shares).
        nodes: machines (IP addresses or host names) that must be nodes of the cluster:
            :meth:`prepare` raises, naming those that are not and how to join them.
        script_backend: for a command, what makes the ScriptBackend running it on a node
            (default :class:`~tunesmith.backends.script.ScriptBackend`; a subclass that
            overrides ``arguments(config)``, or a ``functools.partial`` of one); called with
            the command and ScriptBackend's keyword arguments, on the node, so it must be
            importable or picklable there.
    """

    def __init__(
        self,
        fn_or_command: Callable[[dict[str, Any]], Any] | str | Sequence[str],
        *,
        address: str | None = None,
        resources_per_trial: Mapping[str, Any] | None = None,
        runtime_env: Mapping[str, Any] | None = None,
        init_kwargs: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        stop_grace_period: float = 5.0,
        start_timeout: float = 120.0,
        max_log_bytes: int | None = DEFAULT_MAX_LOG_BYTES,
        copy_checkpoints: bool | None = None,
        nodes: Sequence[str] | None = None,
        script_backend: Callable[..., Any] | None = None,
    ) -> None:
        super().__init__()
        check_ray_installed()
        if callable(fn_or_command):
            self._kind, self._target = "function", fn_or_command
            if env is not None or cwd is not None or script_backend is not None:
                raise ValueError(
                    "`env`, `cwd` and `script_backend` are for commands; a trial function gets "
                    f"none of them (got env={env!r}, cwd={cwd!r}, "
                    f"script_backend={script_backend!r})"
                )
        else:
            command = fn_or_command
            if isinstance(command, str):
                command = shlex.split(command)
            elif not isinstance(command, Sequence) or not all(isinstance(a, str) for a in command):
                raise TypeError(
                    "`fn_or_command` must be a function fn(config), a command string or a list "
                    f"of strings, but got {fn_or_command!r}"
                )
            if not command:
                raise ValueError(
                    "`fn_or_command` is an empty command; give the program to run, e.g. "
                    "'python train.py'"
                )
            self._kind, self._target = "command", list(command)
        if address is not None and (not isinstance(address, str) or not address):
            raise ValueError(
                "`address` must be None (this machine), 'auto', 'ray://host:port' or "
                f"'host:port', but got {address!r}"
            )
        self.address = address
        self.resources = check_ray_resources(resources_per_trial)
        self.runtime_env = None if runtime_env is None else dict(runtime_env)
        self.init_kwargs = dict(init_kwargs or {})
        for name, value in (
            ("stop_grace_period", stop_grace_period),
            ("start_timeout", start_timeout),
        ):
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or value < 0:
                raise ValueError(f"`{name}` must be a number of seconds >= 0, but got {value!r}")
        self.stop_grace_period = float(stop_grace_period)
        self.start_timeout = float(start_timeout)
        if copy_checkpoints not in (None, True, False):
            raise TypeError(
                f"`copy_checkpoints` must be None, True or False, but got {copy_checkpoints!r}"
            )
        self.copy_checkpoints = copy_checkpoints
        if nodes is not None and (
            isinstance(nodes, str)
            or not isinstance(nodes, Sequence)
            or not all(isinstance(n, str) and n for n in nodes)
        ):
            raise TypeError(
                "`nodes` must be a list of IP addresses or host names such as ['10.0.0.2'], "
                f"but got {nodes!r}"
            )
        self.nodes = None if nodes is None else list(nodes)
        options: dict[str, Any] = {
            "stop_grace_period": self.stop_grace_period,
            "max_log_bytes": check_max_log_bytes(max_log_bytes),
        }
        if self._kind == "function":
            cpus = max(1, math.ceil(self.resources["cpus"]))
            options["resources"] = {"cpus": cpus, "gpus": 0}  # Ray gives the devices
        else:
            options["env"] = dict(env or {})
            options["cwd"] = str(Path(cwd).resolve()) if cwd is not None else os.getcwd()
            if self._target[0] in _PYTHONS:
                self._target[0] = sys.executable
            if script_backend is not None:
                if not callable(script_backend):
                    raise TypeError(
                        "`script_backend` must be a ScriptBackend class (or a callable making "
                        f"one), but got {script_backend!r}"
                    )
                options["factory"] = script_backend
        self._options = options
        self._ray: Any = None
        self._started_ray = False
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._hosts: list[_Host] = []
        self._runs: dict[int, _RayRun] = {}
        self._queue: deque[_RayRun] = deque()
        self._token = secrets.token_hex(8)
        self._setup_done = False
        self._setup_error: str | None = None
        self._closed = False

    # -- setup ---------------------------------------------------------------------------------
    def prepare(self, n_workers: int, *, metric: str | list[str] | None = None) -> None:
        """Connect to Ray (or start it) and start the actors; :meth:`setup` waits for them."""
        if self._ray is not None:
            raise RuntimeError("RayBackend.prepare() or setup() was already called")
        if isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1:
            raise ValueError(f"`n_workers` must be an integer >= 1, but got {n_workers!r}")
        ray = import_ray()
        self.n_workers, self.metric = n_workers, metric
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"include_dashboard": False, "logging_level": logging.WARNING}
            kwargs.update(self.init_kwargs)
            ray.init(address=self.address, **kwargs)
            self._started_ray = True  # disconnected (a local instance: stopped) at shutdown
        elif self.address is not None:
            logger.info("RayBackend: Ray is already initialized here; address= is not used")
        self._ray = ray
        check_nodes(ray, self.nodes)
        check_fits(ray, self.resources)
        self._actor_class = ray.remote(
            num_cpus=self.resources["cpus"],
            num_gpus=self.resources["gpus"],
            max_restarts=0,
            max_task_retries=0,
            concurrency_groups={"events": 1, "control": 1},
        )(TrialHost)
        for index in range(n_workers):
            self._add_host(index)

    def _actor_options(self) -> dict[str, Any]:
        # spread over the nodes: a lost node takes fewer trials with it
        options: dict[str, Any] = {"scheduling_strategy": "SPREAD"}
        custom = {k: v for k, v in self.resources.items() if k not in ("cpus", "gpus", "memory")}
        if custom:
            options["resources"] = custom
        if "memory" in self.resources:
            options["memory"] = self.resources["memory"]
        if self.runtime_env is not None:
            options["runtime_env"] = self.runtime_env
        return options

    def _add_host(self, index: int) -> None:
        actor = self._actor_class.options(**self._actor_options()).remote(
            self._kind, self._target, self._options, self.metric
        )
        host = _Host(index, actor, created=actor.__ray_ready__.remote())
        with self._lock:
            if index < len(self._hosts):
                self._hosts[index] = host
            else:
                self._hosts.append(host)
        if self.run_dir is not None:  # a replacement: set it up as setup() did the others
            self._setup_host(host)

    def _setup_host(self, host: _Host) -> None:
        """Send the actor its run folder, and start the thread that reads its events."""
        ready = host.actor.setup.remote(str(self.run_dir), self._token, self.copy_checkpoints)
        host.thread = threading.Thread(
            target=self._read, args=(host, ready), name=f"tunesmith-ray-{host.index}", daemon=True
        )
        host.thread.start()

    def setup(
        self, run_dir: Path, n_workers: int, *, metric: str | list[str] | None = None
    ) -> None:
        if self._ray is None:
            self.prepare(n_workers, metric=metric)
        elif self._setup_done:
            raise RuntimeError("RayBackend.setup() was already called")
        elif (n_workers, metric) != (self.n_workers, self.metric):
            raise ValueError(
                f"RayBackend.setup() got n_workers={n_workers!r}, metric={metric!r}, but "
                f"prepare() started the actors for n_workers={self.n_workers!r}, "
                f"metric={self.metric!r}"
            )
        try:
            super().setup(run_dir, n_workers, metric=metric)
            self.run_dir = Path(run_dir).resolve()
            marker = self.run_dir / MARKER
            marker.write_text(self._token)
        except BaseException:
            self.shutdown()
            raise
        with self._lock:
            hosts = list(self._hosts)
        for host in hosts:
            self._setup_host(host)
        self._setup_done = True
        try:
            with self._changed:
                ready = self._changed.wait_for(
                    lambda: self._setup_error is not None
                    or all(h.state != "starting" for h in self._hosts),
                    timeout=self.start_timeout,
                )
                error = self._setup_error
                up = sum(h.state in ("idle", "busy") for h in self._hosts)
        except BaseException:  # Ctrl-C while the actors start
            self.shutdown()
            raise
        if not ready and up:
            logger.warning(
                "RayBackend: %d of %d actors were ready after start_timeout=%s s; the others "
                "join when the cluster has room for them (resources_per_trial=%r)",
                up,
                self.n_workers,
                self.start_timeout,
                self.resources,
            )
        elif not ready or error is not None:
            self.shutdown()
            raise RuntimeError(
                "RayBackend could not start its actors: "
                + (
                    error
                    or f"none was ready after start_timeout={self.start_timeout} s (does the "
                    f"cluster have the free resources {self.resources!r}?)"
                )
            )

    # -- the reader thread of each actor -----------------------------------------------------------
    def _read(self, host: _Host, ready: Any) -> None:
        ray = self._ray
        try:
            host.info = ray.get(ready)
            with self._lock:
                if host.state == "starting":
                    host.state = "idle"
                self._changed.notify_all()
                self._dispatch()
            waiting = host.actor.next_events.remote()
            while not self._closed:
                events = ray.get(waiting)
                waiting = host.actor.next_events.remote()  # asked before these are handled
                for event in events:
                    self._on_event(host, event)
        except Exception as exc:  # the actor is gone (or could not start)
            self._lost(host, exc)

    def _on_event(self, host: _Host, event: tuple) -> None:
        kind, trial_id, result, reason, detail, when, checkpoint = event
        kind = EventKind(kind)
        reason = None if reason is None else FailureReason(reason)
        with self._lock:
            run = host.run
            if run is None or run.trial_id != trial_id or run.finished:
                return
            if kind is EventKind.RESULT:
                forced = run.forced_decision()
                run.pending.append("ack" if forced is None else "done")
                self.events.put(TrialEvent(kind, trial_id, result=result, time=when))
                if forced is not None:
                    self._call(host.actor.reply, trial_id, forced.value)
                return
            host.run = None
            if host.state == "busy":
                host.state = "idle"
        if checkpoint is not None and self.run_dir is not None:
            try:
                unpack_folder(checkpoint, self.trial_dir(trial_id) / "checkpoint")
            except Exception as exc:
                logger.warning(
                    "RayBackend: the checkpoint of trial %s could not be copied back: %s",
                    trial_id,
                    exc,
                )
        with self._lock:
            self._finish(run, kind, reason, detail, ended_at=when)
            self._dispatch()

    def _lost(self, host: _Host, exc: BaseException) -> None:
        with self._lock:
            was_ready = host.state != "starting"
            host.state = "lost"
            run, host.run = host.run, None
            if self._closed:
                return
            why = describe_loss(exc)
            if run is not None:
                detail = f"its Ray actor on {_where(host)} was lost: {why}"
                self._finish(run, EventKind.FAILED, FailureReason.WORKER_LOST, detail)
            if not was_ready and not any(h.state in ("idle", "busy") for h in self._hosts):
                self._setup_error = f"an actor could not start: {why}"
                self._changed.notify_all()
                if self._setup_done and not any(h.state == "starting" for h in self._hosts):
                    self._fail_queue(self._setup_error)
                return
            if not was_ready:
                logger.error("RayBackend: an actor could not start: %s", why)
                return
            logger.warning("RayBackend: worker %d lost (%s); starting another", host.index, why)
        with contextlib.suppress(Exception):
            self._ray.kill(host.actor, no_restart=True)
        self._add_host(host.index)

    def _fail_queue(self, why: str) -> None:  # with the lock held
        while self._queue:
            run = self._queue.popleft()
            self._finish(run, EventKind.FAILED, FailureReason.START_FAILED, why)

    # -- tuner side ------------------------------------------------------------------------------
    def _call(self, method: Any, *args: Any) -> None:
        """Send a call to an actor without waiting (a lost actor is seen by its reader)."""
        with contextlib.suppress(Exception):
            method.remote(*args)

    def _dispatch(self) -> None:  # with the lock held
        while self._queue and not self._closed:
            host = next((h for h in self._hosts if h.state == "idle"), None)
            if host is None:
                return
            run = self._queue.popleft()
            checkpoint = None
            if run.resume and host.info is not None and host.info.get("copy"):
                checkpoint = pack_folder(self.trial_dir(run.trial_id) / "checkpoint")
            try:
                host.actor.start.remote(run.trial_id, run.config, run.resume, checkpoint)
            except Exception as exc:  # the config cannot be sent (not picklable)
                detail = f"the config cannot be sent to a Ray actor: {exc}"
                self._finish(run, EventKind.FAILED, FailureReason.START_FAILED, detail)
                continue
            host.state, host.run, run.host = "busy", run, host
            run.dispatched = time.time()
            if run.request is not None:  # stopped while it waited: pass the request on
                kind, reason, _ = run.request
                if kind is EventKind.PAUSED:
                    self._call(host.actor.pause, run.trial_id)
                else:
                    self._call(host.actor.stop, run.trial_id, _value(reason))

    def _finish(
        self,
        run: _RayRun,
        kind: EventKind,
        reason: FailureReason | None = None,
        detail: str | None = None,
        ended_at: float | None = None,
    ) -> None:  # with the lock held
        if run.finished:
            return
        self._runs.pop(run.trial_id, None)
        event = run.end_event(kind, reason, detail)
        if ended_at is not None:
            event.time = ended_at
        self.events.put(event)

    def start(self, trial: Trial, *, resume: bool = False) -> None:
        if self.run_dir is None or self._ray is None:
            raise RuntimeError("call RayBackend.setup() before start()")
        run = _RayRun(trial.trial_id, config=dict(trial.config), resume=resume)
        with self._lock:
            if self._closed:
                raise RuntimeError("the backend was shut down")
            if trial.trial_id in self._runs:
                raise ValueError(f"trial {trial.trial_id} is already running")
            self._runs[trial.trial_id] = run
            if self._setup_error is not None and not any(
                h.state in ("idle", "busy", "starting") for h in self._hosts
            ):
                self._finish(run, EventKind.FAILED, FailureReason.START_FAILED, self._setup_error)
                return
            self._queue.append(run)
            self._dispatch()

    def running_since(self, trial_id: int) -> float | None:
        """When an actor got the trial; ``math.inf`` while it waits for one."""
        with self._lock:
            run = self._runs.get(trial_id)
            if run is None:
                return None
            return math.inf if run.dispatched is None else run.dispatched

    def stop(self, trial_id: int, *, reason: FailureReason | None = None) -> None:
        kind = EventKind.STOPPED if reason is None else EventKind.FAILED
        self._end(trial_id, kind, None if reason is None else FailureReason(reason))

    def pause(self, trial_id: int) -> None:
        self._end(trial_id, EventKind.PAUSED, None)

    def _end(self, trial_id: int, kind: EventKind, reason: FailureReason | None) -> None:
        with self._lock:
            run = self._runs.get(trial_id)
            if run is None or run.finished or not run.add_request(kind, reason):
                return
            if run.host is None:  # still waiting for an actor
                self._queue.remove(run)
                self._finish(run, kind, reason)
                return
            if "ack" in run.pending:  # answered here: the actor passes the answer on
                run.pending[run.pending.index("ack")] = "done"
            if kind is EventKind.PAUSED:
                self._call(run.host.actor.pause, trial_id)
            else:
                self._call(run.host.actor.stop, trial_id, _value(reason))

    def reply(self, trial_id: int, decision: Decision) -> None:
        with self._lock:
            run = self._runs.get(trial_id)
            if run is None or run.finished or not run.pending:
                return
            if run.pending.popleft() != "ack":
                return
            requested = decision_request(decision)
            if requested is not None:
                run.add_request(requested)
            answer = run.forced_decision() or Decision(decision)
            assert run.host is not None
            self._call(run.host.actor.reply, trial_id, answer.value)

    # -- shutdown --------------------------------------------------------------------------------
    def shutdown(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._changed.notify_all()
            hosts = list(self._hosts)
        ray = self._ray
        if ray is None:
            return
        # actors being created are waited for (a little): killed before they are placed,
        # Ray may still start a worker process for them, which would outlive the run
        created = [h.created for h in hosts if h.created is not None]
        ready: set[Any] = set()
        with contextlib.suppress(Exception):
            ready = set(ray.wait(created, num_returns=len(created), timeout=_CREATION_WAIT)[0])
        stopping = []
        for host in hosts:
            if host.created in ready and host.state != "lost":
                with contextlib.suppress(Exception):
                    stopping.append(host.actor.shutdown.remote())
        if stopping:  # the local backends end their processes
            with contextlib.suppress(Exception):
                ray.wait(stopping, num_returns=len(stopping), timeout=30.0)
        pids = actor_pids_here(ray, [h.actor for h in hosts])
        for host in hosts:
            with contextlib.suppress(Exception):
                ray.kill(host.actor, no_restart=True)
        wait_gone(pids)
        for host in hosts:
            if host.thread is not None and host.thread is not threading.current_thread():
                host.thread.join(timeout=5.0)
        if self.run_dir is not None:
            with contextlib.suppress(OSError):
                (self.run_dir / MARKER).unlink()
        if self._started_ray:
            ray.shutdown()


def _value(reason: FailureReason | None) -> str | None:
    return None if reason is None else reason.value


def _where(host: _Host) -> str:
    info = host.info or {}
    if not info:
        return "an unknown node"
    return f"{info.get('host')} (pid {info.get('pid')})"
