"""The contract every backend that runs real processes passes. Subclass and implement
:meth:`BackendContract.make_backend`::

    class TestMyBackend(BackendContract):
        def make_backend(self, trainable_name):
            return MyBackend(getattr(trainables, trainable_name), stop_grace_period=0.5)

``trainable_name`` names a function of :mod:`tunesmith.testing.trainables`; the backend must
run it for each trial (scripts: ``python -m tunesmith.testing.trainables NAME``). Use a short
stop grace period (at most 1 s). The backend is driven directly (setup, start, next_event,
reply, stop, pause, shutdown) by :func:`drive`, without a tuner.
"""

from __future__ import annotations

import errno
import math
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from tunesmith.backends.base import Backend, EventKind, FailureReason, FolderError, TrialEvent
from tunesmith.store.owner import process_alive
from tunesmith.trial import Decision, Trial

__all__ = ["BackendContract", "drive", "live_descendants", "pid_alive", "wait_until"]

END_KINDS = (EventKind.COMPLETED, EventKind.FAILED, EventKind.STOPPED, EventKind.PAUSED)


# -- processes ------------------------------------------------------------------------------------


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    return process_alive(pid)


def live_descendants(pid: int | None = None) -> set[int]:
    """The ids of the living (not zombie) descendants of ``pid`` (default: this process)."""
    pid = os.getpid() if pid is None else pid
    try:
        import psutil  # optional
    except ImportError:
        psutil = None
    if psutil is not None:
        out = set()
        for child in psutil.Process(pid).children(recursive=True):
            try:
                if child.status() != psutil.STATUS_ZOMBIE:
                    out.add(child.pid)
            except psutil.NoSuchProcess:
                pass
        return out
    children: dict[int, list[int]] = {}
    alive: set[int] = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rpartition(")")[2].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        if fields[0] not in ("Z", "X"):
            alive.add(int(entry))
    out, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out & alive


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds passed (tests only)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


# -- driving a backend ----------------------------------------------------------------------------


def drive(
    backend: Backend,
    starts: Iterable[Trial | tuple[Trial, bool]],
    *,
    decide: Callable[[TrialEvent], Decision] | None = None,
    on_result: Callable[[TrialEvent], None] | None = None,
    timeout: float = 30.0,
) -> dict[int, list[TrialEvent]]:
    """Start the trials (``(trial, resume)`` pairs resume), answer every RESULT with
    ``decide(event)`` (default CONTINUE) and return each trial's events once every trial has
    ended. Fails the test after ``timeout`` seconds or on a second end event."""
    events: dict[int, list[TrialEvent]] = {}
    for start in starts:
        trial, resume = start if isinstance(start, tuple) else (start, False)
        events[trial.trial_id] = []
        backend.start(trial, resume=resume)
    deadline = time.monotonic() + timeout
    while not all(evs and evs[-1].kind in END_KINDS for evs in events.values()):
        event = backend.next_event(timeout=max(0.0, deadline - time.monotonic()))
        if event is None:
            pytest.fail(f"no end event after {timeout} s; events so far: {events}")
        assert event.trial_id in events, f"event of a trial that was not started: {event}"
        trial_events = events[event.trial_id]
        assert not (
            trial_events and trial_events[-1].kind in END_KINDS
        ), f"event after the end of trial {event.trial_id}: {event}"
        trial_events.append(event)
        if event.kind is EventKind.RESULT:
            if on_result is not None:
                on_result(event)
            decision = Decision.CONTINUE if decide is None else decide(event)
            backend.reply(event.trial_id, decision)
    return events


def _kinds(events: list[TrialEvent]) -> list[EventKind]:
    return [e.kind for e in events]


def _first_result(backend: Backend, trial_id: int, timeout: float = 30.0) -> TrialEvent:
    event = backend.next_event(timeout=timeout)
    assert event is not None, "the trial did not report"
    assert (event.kind, event.trial_id) == (EventKind.RESULT, trial_id), event
    return event


def _end_within(backend: Backend, seconds: float = 60.0) -> TrialEvent:
    """The next non-RESULT event (answering RESULTs); fails the test after ``seconds``, a
    deadline for a hang on a loaded machine, not a measure of speed."""
    deadline = time.monotonic() + seconds
    while True:
        event = backend.next_event(timeout=max(0.0, deadline - time.monotonic()))
        assert event is not None, f"the trial did not end within {seconds} s"
        if event.kind is not EventKind.RESULT:
            return event
        backend.reply(event.trial_id, Decision.CONTINUE)


class BackendContract:
    #: the failure reason of a trial whose code raises
    exception_reason: FailureReason = FailureReason.EXCEPTION
    #: seconds that processes the backend does not end itself may take to go after
    #: ``shutdown()`` (0: none may be left at its return). Ray's raylet, not the backend, ends
    #: an actor's worker process, and may start one for an actor killed while being created
    shutdown_grace: float = 0.0

    def make_backend(self, trainable_name: str) -> Backend:
        raise NotImplementedError

    # -- helpers ---------------------------------------------------------------------------
    @pytest.fixture(autouse=True)
    def _backends(self, tmp_path: Path):
        self._tmp = tmp_path
        self._made: list[Backend] = []
        before = live_descendants()
        yield
        for backend in self._made:
            backend.shutdown()
        leftover = live_descendants() - before
        if leftover and self.shutdown_grace > 0:
            wait_until(lambda: not live_descendants() & leftover, timeout=self.shutdown_grace)
            leftover &= live_descendants()
        assert not leftover, f"processes still alive after shutdown(): {sorted(leftover)}"

    def launch(self, trainable_name: str, n_workers: int = 1) -> Backend:
        backend = self.make_backend(trainable_name)
        self._made.append(backend)
        backend.setup(self._tmp / f"run{len(self._made)}", n_workers, metric="loss")
        return backend

    def assert_quiet(self, backend: Backend, seconds: float = 0.3) -> None:
        event = backend.next_event(timeout=seconds)
        assert event is None, f"unexpected event {event}"

    # -- the contract ----------------------------------------------------------------------
    def test_three_reports_then_completed(self):
        backend = self.launch("three_reports")
        events = drive(backend, [Trial(0, {"x": 6.0})])[0]
        assert _kinds(events) == [EventKind.RESULT] * 3 + [EventKind.COMPLETED]
        results = [e.result for e in events[:3]]
        assert [r["epoch"] for r in results] == [1, 2, 3]
        assert [r["loss"] for r in results] == [6.0, 3.0, 2.0]
        assert [r["ts_report"] for r in results] == [0, 1, 2]
        times = [r["ts_time"] for r in results]
        assert all(math.isfinite(t) and t >= 0 for t in times) and times == sorted(times)
        self.assert_quiet(backend)

    def test_returned_number_is_a_final_report(self):
        backend = self.launch("returns_value")
        events = drive(backend, [Trial(0, {"x": 0.125})])[0]
        assert _kinds(events) == [EventKind.RESULT, EventKind.COMPLETED]
        assert events[0].result["loss"] == 0.125

    def test_many_trials_on_two_workers(self):
        backend = self.launch("three_reports", n_workers=2)
        events = drive(backend, [Trial(i, {"x": float(i)}) for i in range(5)])
        for i, evs in events.items():
            assert _kinds(evs) == [EventKind.RESULT] * 3 + [EventKind.COMPLETED]
            assert evs[2].result["loss"] == pytest.approx(i / 3)

    def test_stop_decision_ends_trial_stopped(self):
        backend = self.launch("three_reports")
        stop_at_2 = lambda e: Decision.STOP if e.result["epoch"] == 2 else Decision.CONTINUE  # noqa: E731
        events = drive(backend, [Trial(0, {})], decide=stop_at_2)[0]
        assert _kinds(events) == [EventKind.RESULT] * 2 + [EventKind.STOPPED]
        self.assert_quiet(backend)

    def test_pause_then_resume_finds_checkpoint(self):
        backend = self.launch("checkpointing")
        pause_at_2 = lambda e: Decision.PAUSE if e.result["epoch"] == 2 else Decision.CONTINUE  # noqa: E731
        trial = Trial(0, {})
        events = drive(backend, [trial], decide=pause_at_2)[0]
        assert _kinds(events) == [EventKind.RESULT] * 2 + [EventKind.PAUSED]
        events = drive(backend, [(trial, True)])[0]
        assert _kinds(events) == [EventKind.RESULT] * 3 + [EventKind.COMPLETED]
        assert [e.result["epoch"] for e in events[:3]] == [3, 4, 5]
        assert {e.result["resumed_from"] for e in events[:3]} == {2}
        # a fresh start (not a resume) gets an empty checkpoint folder
        first = drive(backend, [trial])[0][0].result
        assert (first["epoch"], first["resumed_from"]) == (1, 0)

    def test_pause_call_ends_trial_paused(self):
        backend = self.launch("slow_reports")
        backend.start(Trial(0, {"delay": 0.01}))
        _first_result(backend, 0)
        backend.pause(0)
        backend.reply(0, Decision.CONTINUE)  # overridden: the trial must pause
        event = _end_within(backend)
        assert event.kind is EventKind.PAUSED
        self.assert_quiet(backend)

    def test_raising_trial_fails(self):
        backend = self.launch("misbehave")
        event = drive(backend, [Trial(0, {"do": "raise"})])[0][-1]
        assert (event.kind, event.reason) == (EventKind.FAILED, self.exception_reason)
        assert "boom from the trial" in event.detail

    @pytest.mark.parametrize("do", ["nan", "reserved", "string"])
    def test_invalid_metric_fails(self, do):
        backend = self.launch("misbehave")
        event = drive(backend, [Trial(0, {"do": do})])[0][-1]
        assert (event.kind, event.reason) == (EventKind.FAILED, FailureReason.INVALID_METRIC)
        assert "loss" in event.detail
        if do == "nan":
            assert "nan" in event.detail

    @pytest.mark.parametrize(("do", "code"), [("exit3", "3"), ("sysexit", "2")])
    def test_exit_code(self, do, code):
        backend = self.launch("misbehave")
        event = drive(backend, [Trial(0, {"do": do})])[0][-1]
        assert (event.kind, event.reason) == (EventKind.FAILED, FailureReason.EXIT_CODE)
        assert code in event.detail

    def test_segfault_then_next_trial_runs(self):
        backend = self.launch("misbehave")
        event = drive(backend, [Trial(0, {"do": "segfault"})])[0][-1]
        assert (event.kind, event.reason) == (EventKind.FAILED, FailureReason.SIGNAL)
        assert "SIGSEGV" in event.detail
        self.assert_quiet(backend, 0.1)
        events = drive(backend, [Trial(1, {"do": "ok"})])[1]
        assert _kinds(events) == [EventKind.RESULT, EventKind.COMPLETED]

    def test_timeout_stop_is_immediate(self):
        # the hanging trial never reaches a report(): a stop that waited for it would end it
        # after the grace period, an hour here, not within the minute the test waits
        backend = self.launch("misbehave")
        backend.stop_grace_period = 3600.0
        backend.start(Trial(0, {"do": "hang"}))
        _first_result(backend, 0)
        backend.reply(0, Decision.CONTINUE)
        backend.stop(0, reason=FailureReason.TIMEOUT)
        event = _end_within(backend, 60.0)
        assert (event.kind, event.reason) == (EventKind.FAILED, FailureReason.TIMEOUT)
        self.assert_quiet(backend)

    def test_stop_call_on_busy_trial_ends_stopped(self):
        backend = self.launch("misbehave")
        backend.start(Trial(0, {"do": "hang"}))
        _first_result(backend, 0)
        backend.reply(0, Decision.CONTINUE)
        backend.stop(0)
        event = _end_within(backend)
        assert event.kind is EventKind.STOPPED
        events = drive(backend, [Trial(1, {"do": "ok"})])[1]
        assert _kinds(events) == [EventKind.RESULT, EventKind.COMPLETED]

    def test_trial_ignoring_stop_is_killed_after_grace(self):
        backend = self.launch("misbehave")
        backend.start(Trial(0, {"do": "swallow"}))
        _first_result(backend, 0)
        backend.reply(0, Decision.STOP)
        event = _end_within(backend)  # killed after the grace period
        assert event.kind is EventKind.STOPPED

    def test_grandchild_killed_with_trial(self):
        backend = self.launch("grandchild")
        backend.start(Trial(0, {}))
        pid = _first_result(backend, 0).result["pid"]
        assert pid_alive(pid)
        backend.reply(0, Decision.CONTINUE)
        backend.stop(0, reason=FailureReason.TIMEOUT)
        event = _end_within(backend)
        assert event.reason is FailureReason.TIMEOUT
        assert wait_until(lambda: not pid_alive(pid), 60), f"grandchild {pid} survived its trial"

    def test_no_child_process_after_shutdown(self):
        before = live_descendants()
        backend = self.launch("grandchild", n_workers=2)
        backend.start(Trial(0, {}))
        pid = _first_result(backend, 0).result["pid"]
        backend.start(Trial(1, {}))  # shut down while one trial waits for its answer
        _first_result(backend, 1)
        backend.shutdown()
        backend.shutdown()  # idempotent
        assert live_descendants() - before == set()
        assert wait_until(lambda: not pid_alive(pid), 60), f"grandchild {pid} survived shutdown"

    # -- prepare() before setup(), as the tuner calls them -------------------------------------
    def test_prepare_then_setup_runs_trials(self):
        backend = self.make_backend("three_reports")
        self._made.append(backend)
        backend.prepare(2, metric="loss")
        backend.setup(self._tmp / "prepared", 2, metric="loss")
        events = drive(backend, [Trial(0, {"x": 6.0}), Trial(1, {"x": 3.0})])
        assert [_kinds(events[t])[-1] for t in (0, 1)] == [EventKind.COMPLETED] * 2

    def test_shutdown_after_prepare_alone_leaves_no_process(self):
        before = live_descendants()
        backend = self.make_backend("three_reports")
        self._made.append(backend)
        backend.prepare(2, metric="loss")  # the study could not be opened: no setup()
        backend.shutdown()
        assert live_descendants() - before == set()

    # -- folders that cannot be written ------------------------------------------------------
    def test_run_dir_that_cannot_be_made_fails_setup(self):
        blocker = self._tmp / "a-file"
        blocker.write_text("")
        backend = self.make_backend("three_reports")
        self._made.append(backend)
        name = type(backend).__name__
        with pytest.raises(FolderError, match=f"{name} cannot create or write") as info:
            backend.setup(blocker / "run", 1)
        assert f"run_dir='{blocker / 'run'}'" in str(info.value)
        assert isinstance(info.value, OSError)
        assert info.value.errno == errno.ENOTDIR and "Not a directory" in str(info.value)

    def test_trial_folder_that_cannot_be_made_is_start_failed(self):
        backend = self.launch("three_reports")
        folder = backend.run_dir / "trials" / "3"
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.write_text("not a folder")
        event = drive(backend, [Trial(3, {})])[3][-1]
        assert (event.kind, event.reason) == (EventKind.FAILED, FailureReason.START_FAILED)
        assert event.detail.startswith(f"cannot write the trial folder {folder}: [Errno 17]")
        assert "three_reports" not in event.detail  # the program is not blamed
        events = drive(backend, [Trial(4, {})])[4]  # the next trial runs
        assert events[-1].kind is EventKind.COMPLETED
