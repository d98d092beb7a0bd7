"""The contract every scheduler passes. Subclass and implement :meth:`make_scheduler`::

    class TestMyScheduler(SchedulerContract):
        def make_scheduler(self, config_space, *, metric, mode, random_seed):
            return MyScheduler(config_space, metric=metric, mode=mode, random_seed=random_seed)

The scheduler is driven by :func:`drive`, a deterministic simulation of asynchronous workers in
which every trial reports ``epoch`` = 1, 2, ... up to ``max_epochs`` and ``loss``, and by the
:class:`~tunesmith.tuner.Tuner` on an :class:`~tunesmith.testing.inline_backend.InlineBackend`
(resume of a named study after a crash).

A class that takes several metrics sets ``metrics = ("loss", "cost")`` in its test class: the
contract then builds it with ``metric=["loss", "cost"]`` (one mode for both) and every result
also carries ``cost`` (:func:`~tunesmith.testing.spaces.cost`, in conflict with ``loss``).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

import pytest

from tunesmith.asktell import AskTell
from tunesmith.callbacks.base import TunerCallback
from tunesmith.schedulers.base import Scheduler
from tunesmith.space import config_errors
from tunesmith.stopping import StoppingCriterion
from tunesmith.store import Store
from tunesmith.testing.inline_backend import InlineBackend
from tunesmith.testing.spaces import FINITE_SPACE, MIXED_SPACE, cost, objective
from tunesmith.trial import Decision, Trial, TrialStatus
from tunesmith.tuner import Tuner

__all__ = ["SchedulerContract", "drive"]


def drive(
    at: AskTell,
    space: Mapping[str, Any],
    *,
    max_trials: int,
    n_workers: int = 3,
    max_epochs: int = 9,
    fail_every: int = 0,
    with_cost: bool = False,
) -> list[tuple]:
    """Run trials round robin on ``n_workers`` simulated workers; return the log of
    ``(event, trial_id, epoch or config, decision)`` tuples.

    As the tuner does, a free worker asks again after ``ask()`` returned None (a scheduler may
    have nothing to run now but more later); the run ends when nothing runs and ``ask()`` is
    None. A resumed trial continues after the last epoch it reported. ``with_cost``: results
    also carry a second metric, ``cost``."""
    log: list[tuple] = []
    running: dict[int, tuple[Trial, int]] = {}  # slot -> (trial, next epoch)
    started = 0
    progress: dict[int, int] = {}  # trial_id -> epochs done (survives pauses)
    while True:
        while len(running) < n_workers and started < max_trials:
            trial = at.ask()
            if trial is None:
                break
            if trial.trial_id not in progress:
                done = (trial.last_result or {}).get("epoch", 0)
                if done == 0:
                    started += 1
                progress[trial.trial_id] = done
            log.append(("start", trial.trial_id, trial.config))
            slot = min(set(range(n_workers)) - set(running))
            running[slot] = (trial, progress[trial.trial_id] + 1)
        if not running:
            return log
        for slot in sorted(running):
            trial, epoch = running[slot]
            if fail_every and trial.trial_id % fail_every == fail_every - 1 and epoch == 2:
                at.fail(trial)
                log.append(("fail", trial.trial_id))
                del running[slot]
                continue
            result = {"epoch": epoch, "loss": objective(trial.config, space, epoch)}
            if with_cost:
                result["cost"] = cost(trial.config, space, epoch)
            progress[trial.trial_id] = epoch
            if epoch == max_epochs:
                at.tell(trial, result)
                log.append(("complete", trial.trial_id, epoch))
                del running[slot]
                continue
            decision = at.report(trial, result)
            assert isinstance(decision, Decision)
            log.append(("result", trial.trial_id, epoch, decision.value))
            if decision is Decision.CONTINUE:
                running[slot] = (trial, epoch + 1)
            else:
                del running[slot]


def learning_curve(config: Mapping[str, Any], start_step: int):
    """An :class:`InlineBackend` trainable on ``MIXED_SPACE``: ``epoch`` and ``loss`` for epochs
    ``start_step + 1`` to ``config["epochs"]``; configs with ``dropout > 0.8`` fail at epoch 2."""
    for epoch in range(start_step + 1, int(config["epochs"]) + 1):
        if epoch == 2 and config["dropout"] > 0.8:
            raise RuntimeError("this config fails at epoch 2")
        yield {"epoch": epoch, "loss": objective(config, MIXED_SPACE, epoch)}


def two_objective_curve(config: Mapping[str, Any], start_step: int):
    """:func:`learning_curve` whose results also carry ``cost``."""
    for result in learning_curve(config, start_step):
        yield {**result, "cost": cost(config, MIXED_SPACE, result["epoch"])}


class Crash(BaseException):
    """Raised by :class:`CrashAfter`: the tuner is gone, as if killed."""


class CrashAfter(TunerCallback):
    """Raises :class:`Crash` at the ``n``-th hook call (``n=None``: never; counts them)."""

    def __init__(self, n: int | None = None):
        self.n = n
        self.calls = 0

    def _tick(self) -> None:
        self.calls += 1
        if self.calls == self.n:
            raise Crash

    def on_trial_start(self, trial: Trial, *, resumed: bool) -> None:
        self._tick()

    def on_trial_result(self, trial: Trial, result: dict[str, Any], decision: Decision) -> None:
        self._tick()

    def on_trial_complete(self, trial: Trial) -> None:
        self._tick()

    def on_trial_error(self, trial: Trial) -> None:
        self._tick()


#: the journal events that resume must reproduce (restarts of trials running at a crash aside)
_REPRODUCED = (
    "trial_created",
    "trial_started",
    "result",
    "decision",
    "trial_paused",
    "trial_completed",
    "trial_stopped",
    "trial_failed",
)


def study_journal(storage: str, name: str) -> list[tuple]:
    """Configs, starts and resumes, results, decisions and trial ends of a study, as stored
    (without ``ts_`` fields and the ``settled`` mark of a pause a resumed run recorded)."""
    with Store(storage) as store:
        events = store.read_events(name)
    return [
        (
            e.kind.value,
            e.trial_id,
            {k: v for k, v in e.payload.items() if not k.startswith("ts_") and k != "settled"},
        )
        for e in events
        if e.kind.value in _REPRODUCED and not e.payload.get("restart")
    ]


class SchedulerContract:
    #: the scheduler returns None once a finite space is exhausted
    exhausts_finite_space: bool = True
    #: the metrics the scheduler is built with: ``("loss",)``, or ``("loss", "cost")`` for a
    #: class that takes several (see the module docstring)
    metrics: tuple[str, ...] = ("loss",)

    def make_scheduler(
        self,
        config_space: Mapping[str, Any],
        *,
        metric: str | list[str],
        mode: str,
        random_seed: int,
    ) -> Scheduler:
        raise NotImplementedError

    def _metric(self) -> str | list[str]:
        return self.metrics[0] if len(self.metrics) == 1 else list(self.metrics)

    def _make(self, space=MIXED_SPACE, mode="min", seed=0) -> Scheduler:
        return self.make_scheduler(space, metric=self._metric(), mode=mode, random_seed=seed)

    def _drive(self, at: AskTell, space: Mapping[str, Any], **kwargs: Any) -> list[tuple]:
        return drive(at, space, with_cost="cost" in self.metrics, **kwargs)

    def test_metric_and_mode(self):
        scheduler = self._make(mode="max")
        if len(self.metrics) == 1:
            assert (scheduler.metric, scheduler.mode) == ("loss", "max")
        else:
            assert scheduler.metrics == list(self.metrics)
            assert scheduler.modes == ["max"] * len(self.metrics)

    def test_bad_metric_and_mode_rejected(self):
        with pytest.raises(ValueError, match="`mode` must be 'min' or 'max', but got mode='low'"):
            self.make_scheduler(MIXED_SPACE, metric="loss", mode="low", random_seed=0)
        with pytest.raises(ValueError, match="`metric` must be the non-empty name"):
            self.make_scheduler(MIXED_SPACE, metric="", mode="min", random_seed=0)

    def test_suggestions_are_valid_and_decisions_typed(self):
        at = AskTell(self._make())
        log = self._drive(at, MIXED_SPACE, max_trials=20)
        starts = [entry for entry in log if entry[0] == "start"]
        assert len({entry[1] for entry in starts}) == 20
        for entry in starts:
            assert config_errors(MIXED_SPACE, entry[2]) == []
        for trial in at.trials.values():
            assert trial.status.is_final or trial.status is TrialStatus.PAUSED

    @pytest.mark.parametrize("mode", ["min", "max"])
    def test_same_seed_same_decisions(self, mode):
        logs = [
            self._drive(
                AskTell(self._make(mode=mode, seed=5)), MIXED_SPACE, max_trials=25, fail_every=7
            )
            for _ in range(2)
        ]
        assert logs[0] == logs[1]

    @pytest.mark.parametrize("split", [1, 10])
    def test_state_dict_round_trip_continues_identically(self, split):
        original = AskTell(self._make(seed=2))
        self._drive(original, MIXED_SPACE, max_trials=split, n_workers=1)
        state = json.loads(json.dumps(original.scheduler.state_dict()))
        clone = AskTell(self._make(seed=2))
        clone.scheduler.load_state_dict(state)
        clone.trials = copy.deepcopy(original.trials)
        a = self._drive(original, MIXED_SPACE, max_trials=12, n_workers=1)
        b = self._drive(clone, MIXED_SPACE, max_trials=12, n_workers=1)
        assert a == b

    def test_exhaustion(self):
        at = AskTell(self._make(space=FINITE_SPACE))
        self._drive(at, FINITE_SPACE, max_trials=1000, max_epochs=2)
        if self.exhausts_finite_space:
            assert len(at.trials) == 24
            assert at.ask() is None

    def test_missing_metric_is_a_value_error(self):
        at = AskTell(self._make())
        trial = at.ask()
        with pytest.raises(ValueError, match="the result has no metric 'loss'"):
            at.tell(trial, {"accuracy": 0.5})

    def test_missing_second_metric_is_a_value_error(self):
        if len(self.metrics) == 1:
            pytest.skip("a single metric")
        at = AskTell(self._make())
        trial = at.ask()
        with pytest.raises(ValueError, match="the result has no metric 'cost'"):
            at.tell(trial, {"epoch": 1, "loss": 0.5})

    def test_error_and_remove_hooks(self):
        scheduler = self._make()
        at = AskTell(scheduler)
        a, b = at.ask(), at.ask()
        at.fail(a)
        scheduler.on_trial_remove(b)
        assert at.ask() is not None

    def test_resume_from_the_store_makes_the_same_decisions(self, tmp_path):
        """A study interrupted after ``k`` hook calls and run again under its name journals the
        same configs, results and decisions as the uninterrupted run."""
        storage = f"sqlite:///{tmp_path / 'studies.db'}"

        def run(name: str, crash: CrashAfter) -> None:
            Tuner(
                InlineBackend(learning_curve if len(self.metrics) == 1 else two_objective_curve),
                self._make(seed=3),
                StoppingCriterion(max_num_trials_started=10),
                n_workers=2,
                verbose=0,
                name=name,
                storage=storage,
                run_dir=tmp_path / name,
                callbacks=[crash],
            ).run()

        counter = CrashAfter()
        run("whole", counter)
        whole = study_journal(storage, "whole")
        assert any(e[0] == "decision" for e in whole)
        total = counter.calls
        for k in sorted({1, 2, total // 5, total // 3, total // 2, 3 * total // 4, total - 1}):
            name = f"crash-{k}"
            with pytest.raises(Crash):
                run(name, CrashAfter(k))
            run(name, CrashAfter())
            assert study_journal(storage, name) == whole, f"crashed after {k} of {total} calls"
