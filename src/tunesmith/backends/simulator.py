"""Simulated trials of a blackbox on a simulated clock: hours of tuning in seconds.

:class:`SimulatorBackend` runs every trial as a walk over the fidelities of a
:class:`~tunesmith.bench.base.Blackbox` (``epoch = 1, 2, ...``): each result arrives at the
simulated time the blackbox says (its ``time_attr``, the cumulative training time), on one of
``n_workers`` simulated workers. Nothing sleeps and no process is started; the tuner, the
schedulers and the stopping criteria run unchanged, reading the simulated clock from
:meth:`SimulatorBackend.now`::

    from tunesmith import ASHA, StoppingCriterion, Tuner
    from tunesmith.backends.simulator import SimulatorBackend
    from tunesmith.bench import load

    blackbox = load("branin-mf")
    tuner = Tuner(
        SimulatorBackend(blackbox, seed=0),
        ASHA(blackbox.config_space, metric="loss", max_t=81, random_seed=0),
        StoppingCriterion(max_wallclock_time=3600),   # one simulated hour
        n_workers=4,
    )
    result = tuner.run()                               # takes a fraction of a real second

The clock is an event queue: ``next_event(timeout)`` pops the earliest event and moves the clock
to its time, or, when that is later than ``now() + timeout``, moves the clock by ``timeout`` and
returns None, so the tuner's ``max_wallclock_time`` and ``max_trial_time`` fire at exact
simulated times. A trial's results are made one at a time: the first when it starts, the next
when the tuner answered the previous one with CONTINUE. A STOP or PAUSE ends the trial at once
(after ``stop_delay`` / ``pause_delay`` simulated seconds when set). A resumed trial continues
from the fidelity where it paused (the simulator remembers it, as a checkpoint would);
``checkpointing=False`` restarts resumed trials from the first fidelity.

Each trial evaluates the blackbox at one of its seeds: ``blackbox_seed`` for all trials, or
(None) one drawn per trial from ``seed`` and the trial id, so runs are reproducible.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Real
from pathlib import Path
from typing import Any

from tunesmith.backends.base import Backend, EventKind, FailureReason, TrialEvent
from tunesmith.bench.base import Blackbox, trial_seed
from tunesmith.trial import Decision, Trial

__all__ = ["SimulatorBackend"]

# event kinds in the queue
_RESULT, _END = 0, 1


@dataclass
class _Run:
    """What the simulator knows about a trial."""

    config: dict[str, Any]
    seed: int
    stop_at: int  # index of the last fidelity step the trial may run
    step: int = 0  # fidelity steps done (survives pauses)
    elapsed: float = 0.0  # the blackbox's cumulative time at ``step``
    started: float = 0.0  # simulated time of the last (re)start
    reports: int = 0  # results since the last (re)start
    generation: int = 0  # bumped at every start and end: stale queue entries are ignored
    running: bool = False
    ending: bool = False


class SimulatorBackend(Backend):
    """Runs trials of ``blackbox`` on a simulated clock (see the module docstring).

    ``resource_attr``: the key of the fidelity in results (default: the blackbox's fidelity
    name, e.g. ``"epoch"``). ``max_resource_attr``: a config key that caps a trial's fidelity
    (e.g. ``"epochs"``, as promotion-type schedulers set it). ``seed``: draws each trial's
    blackbox seed; ``blackbox_seed``: use this seed for every trial instead. ``start_time``:
    the clock at setup. ``stop_delay``, ``pause_delay``: simulated seconds a stopped or paused
    trial takes to end (its worker is busy meanwhile); ``resume_delay``: seconds a resumed trial
    takes before it trains (loading a checkpoint).
    ``durable_acks`` is False: a simulated trial has nothing to lose, so the tuner may journal
    its events in batches.
    """

    durable_acks = False
    simulated_clock = True

    def __init__(
        self,
        blackbox: Any,
        *,
        resource_attr: str | None = None,
        max_resource_attr: str | None = None,
        seed: int = 0,
        blackbox_seed: int | None = None,
        start_time: float = 0.0,
        stop_delay: float = 0.0,
        pause_delay: float = 0.0,
        resume_delay: float = 0.0,
        checkpointing: bool = True,
    ):
        super().__init__()
        if not isinstance(blackbox, Blackbox):
            raise TypeError(
                "`blackbox` must be a tunesmith.bench Blackbox (TabularBlackbox, "
                f"SurrogateBlackbox, FunctionBlackbox, or bench.load(name)), but got {blackbox!r}"
            )
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"`seed` must be an int >= 0, but got seed={seed!r}")
        if blackbox_seed is not None:
            blackbox.check_seed(blackbox_seed)
        for name, value in (
            ("start_time", start_time),
            ("stop_delay", stop_delay),
            ("pause_delay", pause_delay),
            ("resume_delay", resume_delay),
        ):
            if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
                raise ValueError(f"`{name}` must be a number of seconds, but got {name}={value!r}")
            if name != "start_time" and value < 0:
                raise ValueError(f"`{name}` must be >= 0, but got {name}={value!r}")
        self.blackbox = blackbox
        self.resource_attr = resource_attr or blackbox.fidelity_name
        self.max_resource_attr = max_resource_attr
        self.seed = seed
        self.blackbox_seed = blackbox_seed
        self.start_time = float(start_time)
        self.stop_delay = float(stop_delay)
        self.pause_delay = float(pause_delay)
        self.resume_delay = float(resume_delay)
        self.checkpointing = bool(checkpointing)
        self._fidelities: list[int | None] = list(blackbox.fidelities or [None])
        self._fid_pos = {f: i for i, f in enumerate(self._fidelities)}
        self._now = self.start_time
        self._queue: list[tuple[float, int, int, int, int, Any]] = []
        self._seq = 0
        self._runs: dict[int, _Run] = {}
        #: trials to resume from another trial's checkpoint: id -> that trial's last report
        self._copied: dict[int, dict[str, Any]] = {}
        self._fast = getattr(blackbox, "curve", None)
        self._curves: dict[int, Any] = {}  # running and paused trials' curves, as read
        self._metric_names = list(blackbox.metrics)
        self._time_index = (
            self._metric_names.index(blackbox.time_attr) if blackbox.time_attr else None
        )

    # -- the clock -------------------------------------------------------------------------
    def now(self) -> float:
        return self._now

    def _push(self, when: float, trial_id: int, kind: int, payload: Any = None) -> None:
        run = self._runs[trial_id]
        self._seq += 1
        heapq.heappush(self._queue, (when, self._seq, trial_id, run.generation, kind, payload))

    def next_event(self, timeout: float | None = None) -> TrialEvent | None:
        queue = self._queue
        while queue:
            when = queue[0][0]
            if timeout is not None and when > self._now + timeout:
                break
            when, _, trial_id, generation, kind, payload = heapq.heappop(queue)
            run = self._runs.get(trial_id)
            if run is None or run.generation != generation:
                continue  # superseded by a stop, pause or restart
            if when > self._now:
                self._now = when
            if kind == _RESULT:
                return self._result(trial_id, run, payload)
            run.running = False
            run.generation += 1
            kind, reason, detail = payload
            if kind is not EventKind.PAUSED:
                self._curves.pop(trial_id, None)
            return TrialEvent(kind, trial_id, reason=reason, detail=detail, time=self._now)
        if timeout is not None and math.isfinite(timeout):
            self._now += max(timeout, 0.0)
        return None

    # -- trials ----------------------------------------------------------------------------
    def trial_dir(self, trial_id: int) -> Path:
        """The trial's folder, not created (simulated trials write nothing)."""
        assert self.run_dir is not None, "setup() first"
        return self.run_dir / "trials" / str(trial_id)

    def _seed_of(self, trial_id: int) -> int:
        if self.blackbox_seed is not None:
            return self.blackbox_seed
        return trial_seed(self.seed, trial_id, self.blackbox.num_seeds)

    def _last_step(self, config: Mapping[str, Any]) -> int:
        last = len(self._fidelities) - 1
        if self.max_resource_attr is None:
            return last
        cap = config.get(self.max_resource_attr)
        if cap is None:
            return last
        fids = self._fidelities
        # the last fidelity <= cap
        for i in range(last, -1, -1):
            if fids[i] is None or fids[i] <= cap:
                return i
        return 0

    def has_checkpoint(self, trial_id: int) -> bool:
        run = self._runs.get(trial_id)
        copied = trial_id in self._copied
        return self.checkpointing and (copied or (run is not None and run.step > 0))

    def copy_checkpoint(
        self,
        source_id: int,
        target_id: int,
        *,
        token: str,
        source_result: dict[str, Any] | None = None,
    ) -> bool:
        """The target resumes at the fidelity after ``source_result``'s (the source's report
        when it was chosen), with its own config: the simulated checkpoint of the source."""
        fidelity = None if source_result is None else source_result.get(self.resource_attr)
        if not self.checkpointing or self._fid_pos.get(fidelity) is None:
            return False
        self._copied[target_id] = dict(source_result)
        return True

    def start(self, trial: Trial, *, resume: bool = False) -> None:
        tid = trial.trial_id
        run = self._runs.get(tid)
        config = dict(trial.config)
        copied = self._copied.pop(tid, None)
        if run is None:
            run = self._runs[tid] = _Run(config, self._seed_of(tid), self._last_step(config))
            if resume:  # paused in an earlier run of the study: continue after its last result
                self._restore(run, copied or trial.last_result)
        else:
            run.generation += 1
            if run.config != config:  # a changed config (as PBT does) is another curve
                self._curves.pop(tid, None)
            run.config = config
            run.stop_at = self._last_step(config)
            if copied is not None:  # continues from another trial's checkpoint
                run.step, run.elapsed = 0, 0.0
                self._restore(run, copied)
        if not (resume and self.checkpointing):
            run.step, run.elapsed = 0, 0.0
        run.running, run.ending = True, False
        run.started, run.reports = self._now, 0
        delay = self.resume_delay if resume else 0.0
        if run.step > run.stop_at:  # nothing left to train: it ends at once
            self._end(tid, run, EventKind.COMPLETED, None, delay)
            return
        self._next_step(tid, run, self._now + delay, FailureReason.START_FAILED)

    def _restore(self, run: _Run, last: Mapping[str, Any] | None) -> None:
        fidelity = None if last is None else last.get(self.resource_attr)
        step = self._fid_pos.get(fidelity) if fidelity is not None else None
        if step is not None:
            run.step = step + 1
            time_attr = self.blackbox.time_attr
            run.elapsed = float(last[time_attr]) if time_attr in last else float(step + 1)

    def _next_step(self, tid: int, run: _Run, at: float, reason: FailureReason) -> None:
        try:
            self._schedule_step(tid, run, at)
        except Exception as err:  # the blackbox cannot answer: the trial fails, the run goes on
            detail = f"{type(err).__name__}: {err}"
            self._end(tid, run, EventKind.FAILED, reason, 0.0, detail)

    def _metrics(self, tid: int, run: _Run, step: int) -> list[float]:
        if self._fast is not None:
            curve = self._curves.get(tid)
            if curve is None:
                curve = self._curves[tid] = self._fast(run.config, run.seed)
            values = curve[step]
            return values.tolist() if hasattr(values, "tolist") else list(values)
        metrics = self.blackbox.evaluate(run.config, self._fidelities[step], run.seed)
        return [metrics[m] for m in self._metric_names]

    def _schedule_step(self, tid: int, run: _Run, at: float) -> None:
        """Queue the result of the trial's next step, which starts training at time ``at``."""
        values = self._metrics(tid, run, run.step)
        ti = self._time_index
        elapsed = float(values[ti]) if ti is not None else float(run.step + 1)
        if not elapsed >= run.elapsed:  # a surrogate's time may dip; NaN counts as no time
            elapsed = run.elapsed
        self._push(at + elapsed - run.elapsed, tid, _RESULT, (values, elapsed))

    def _result(self, tid: int, run: _Run, payload: Any) -> TrialEvent:
        values, elapsed = payload
        result = dict(zip(self._metric_names, values, strict=True))
        fidelity = self._fidelities[run.step]
        if fidelity is not None:
            result[self.resource_attr] = fidelity
        result["ts_time"] = self._now - run.started
        result["ts_report"] = run.reports
        run.reports += 1
        run.step += 1
        run.elapsed = elapsed
        return TrialEvent(EventKind.RESULT, tid, result, time=self._now)

    def reply(self, trial_id: int, decision: Decision) -> None:
        run = self._runs.get(trial_id)
        if run is None or not run.running or run.ending:
            return
        if decision is Decision.CONTINUE:
            if run.step > run.stop_at:
                self._end(trial_id, run, EventKind.COMPLETED, None, 0.0)
            else:
                self._next_step(trial_id, run, self._now, FailureReason.EXCEPTION)
        elif decision is Decision.PAUSE:
            self._end(trial_id, run, EventKind.PAUSED, None, self.pause_delay)
        else:
            self._end(trial_id, run, EventKind.STOPPED, None, self.stop_delay)

    def _end(
        self,
        tid: int,
        run: _Run,
        kind: EventKind,
        reason: FailureReason | None,
        delay: float,
        detail: str | None = None,
    ) -> None:
        run.generation += 1  # drops a queued result: the trial never gets there
        run.ending = True
        self._push(self._now + delay, tid, _END, (kind, reason, detail))

    def stop(self, trial_id: int, *, reason: FailureReason | None = None) -> None:
        run = self._runs.get(trial_id)
        if run is None or not run.running or run.ending:
            return  # (the tuner turns an ending it asked to be a failure into one)
        kind = EventKind.FAILED if reason is not None else EventKind.STOPPED
        self._end(trial_id, run, kind, reason, self.stop_delay)

    def pause(self, trial_id: int) -> None:
        run = self._runs.get(trial_id)
        if run is None or not run.running or run.ending:
            return
        self._end(trial_id, run, EventKind.PAUSED, None, self.pause_delay)

    def shutdown(self) -> None:
        self._queue.clear()
        for run in self._runs.values():
            run.running = False
            run.generation += 1
