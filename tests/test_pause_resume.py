"""Pause and resume with checkpoints on every backend; ``suggest_resume()`` once no new trial
may start; ``delete_checkpoints``."""

import sys
from itertools import pairwise

import pytest

from tunesmith import (
    ASHA,
    LocalBackend,
    ScriptBackend,
    StoppingCriterion,
    SyncSuccessiveHalving,
    TrialStatus,
    Tuner,
    uniform,
)
from tunesmith.callbacks import TunerCallback
from tunesmith.store import Store
from tunesmith.testing import trainables
from tunesmith.testing.inline_backend import InlineBackend
from tunesmith.trial import Decision

SPACE = {"x": uniform(0, 1), "epochs": 9}  # eta 3: rungs [1, 3], max_t = 9
C, P, S = Decision.CONTINUE, Decision.PAUSE, Decision.STOP
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")


class Decisions(TunerCallback):
    """Records ``(trial_id, epoch, start, decision)`` for every result."""

    def __init__(self):
        self.log = []

    def on_trial_result(self, trial, result, decision):
        self.log.append((trial.trial_id, result["epoch"], result.get("start"), decision))


def curve(config, start):
    """InlineBackend trainable: resumes after the step in its checkpoint."""
    for epoch in range(start + 1, config["epochs"] + 1):
        yield {"epoch": epoch, "loss": config["x"] + 1.0 / epoch}


def failing_curve(config, start):
    """Like :func:`curve`, but the best configs (x < 0.15) fail at epoch 2."""
    for result in curve(config, start):
        if result["epoch"] == 2 and config["x"] < 0.15:
            raise RuntimeError("fails at epoch 2")
        yield result


def promotion_run(backend, run_dir, *, n_trials=9, scheduler=None, **kwargs):
    decisions = Decisions()
    scheduler = scheduler or ASHA(SPACE, metric="loss", type="promotion", random_seed=0)
    tuner = Tuner(
        backend,
        scheduler,
        StoppingCriterion(max_num_trials_started=n_trials),
        n_workers=2,
        verbose=0,
        run_dir=run_dir,
        callbacks=[decisions, *kwargs.pop("callbacks", [])],
        **kwargs,
    )
    return tuner, tuner.run(), decisions.log


def by_trial(log):
    out = {}
    for tid, epoch, start, decision in log:
        out.setdefault(tid, []).append((epoch, start, decision))
    return out


def script_backend():
    return ScriptBackend([sys.executable, "-m", "tunesmith.testing.trainables", "resumable"])


# -- a promoted trial finds its checkpoint --------------------------------------------------------
@linux_only
@pytest.mark.parametrize(
    "make_backend",
    [lambda: LocalBackend(trainables.resumable), script_backend],
    ids=["local", "script"],
)
def test_a_promoted_trial_continues_from_its_checkpoint(make_backend, tmp_path):
    tuner, result, log = promotion_run(make_backend(), tmp_path)
    resumed = 0
    for tid, rows in by_trial(log).items():
        epochs = [epoch for epoch, _, _ in rows]
        assert epochs == list(range(1, len(epochs) + 1)), (tid, epochs)  # no level twice
        paused_at = 0
        for epoch, start, decision in rows:
            assert start == paused_at  # each run starts after the level where it paused
            if start and epoch == start + 1:
                resumed += 1
            if decision is P:
                assert epoch in (1, 3)
                paused_at = epoch
    assert resumed >= 2
    finished = [t for t in result.trials.values() if t.status is TrialStatus.COMPLETED]
    assert finished and all(t.last_result["epoch"] == 9 for t in finished)
    assert {t.status for t in result.trials.values()} <= {TrialStatus.COMPLETED, TrialStatus.PAUSED}
    for trial in result.trials.values():  # paused trials keep their checkpoint
        if trial.status is TrialStatus.PAUSED:
            saved = tuner.backend.trial_dir(trial.trial_id) / "checkpoint" / "epoch"
            assert int(saved.read_text()) == trial.last_result["epoch"]


@linux_only
def test_a_trial_without_checkpoints_restarts_from_one_and_is_not_paused_twice(tmp_path):
    _, result, log = promotion_run(LocalBackend(trainables.forgetful), tmp_path)
    restarted = 0
    for tid, rows in by_trial(log).items():
        paused_at = 0
        pauses = []
        for epoch, _, decision in rows:
            if epoch <= paused_at:
                assert decision is C, (tid, rows)  # repeated levels are ignored
            elif decision is P:
                pauses.append(epoch)
                paused_at = epoch
        restarted += sum(1 for (e0, _, _), (e1, _, _) in pairwise(rows) if e1 <= e0)
        assert pauses == sorted(set(pauses)) and set(pauses) <= {1, 3}, (tid, rows)
    assert restarted >= 2  # the reported resource went back to 1
    completed = [t for t in result.trials.values() if t.status is TrialStatus.COMPLETED]
    assert completed
    for trial in completed:  # paused at 1 and 3, trained from scratch after each: 1 + 3 + 9
        assert trial.num_results == 13 and trial.last_result["epoch"] == 9


# -- suggest_resume once the start limit is reached -----------------------------------------------
class NoResume(ASHA):
    def suggest_resume(self):
        return None


def _completed(result):
    return [t for t in result.trials.values() if t.status is TrialStatus.COMPLETED]


def test_promotion_goes_on_to_max_t_after_the_last_start(tmp_path):
    tuner, result, _ = promotion_run(
        InlineBackend(curve),
        tmp_path / "a",
        scheduler=ASHA(SPACE, metric="loss", type="promotion", random_seed=1),
    )
    assert len(result.trials) == 9
    completed = _completed(result)
    assert completed and all(t.last_result["epoch"] == 9 for t in completed)
    assert tuner.scheduler.suggest_resume() is None  # nothing promotable is left paused
    with Store() as store:
        starts = [
            e.payload for e in store.read_events(tuner.name) if e.kind.value == "trial_started"
        ]
    assert any(p.get("via") == "suggest_resume" for p in starts)
    _, without, _ = promotion_run(
        InlineBackend(curve),
        tmp_path / "b",
        scheduler=NoResume(SPACE, metric="loss", type="promotion", random_seed=1),
    )
    assert len(_completed(without)) < len(completed)
    paused = [t for t in without.trials.values() if t.status is TrialStatus.PAUSED]
    assert len(paused) > len([t for t in result.trials.values() if t.status is TrialStatus.PAUSED])


def test_sync_successive_halving_finishes_its_bracket_after_the_last_start(tmp_path):
    # the bracket plans 9 configs at epoch 1; only 5 may start: it shrinks to 5 -> 1 -> 1
    _, result, log = promotion_run(
        InlineBackend(curve),
        tmp_path,
        n_trials=5,
        scheduler=SyncSuccessiveHalving(SPACE, metric="loss", random_seed=0),
    )
    (top,) = _completed(result)
    assert top.last_result["epoch"] == 9
    best = min(result.trials.values(), key=lambda t: t.config["x"])
    assert top is best
    assert [d for tid, _, _, d in log if tid == top.trial_id].count(P) == 2  # at 1 and at 3


# -- delete_checkpoints --------------------------------------------------------------------------
def _has_checkpoint(tuner, trial):
    return (tuner.backend.trial_dir(trial.trial_id) / "checkpoint").exists()


@pytest.mark.parametrize("delete", [True, False])
def test_delete_checkpoints_of_stopped_and_failed_trials(delete, tmp_path):
    tuner = Tuner(
        InlineBackend(failing_curve),
        ASHA(SPACE, metric="loss", random_seed=3),
        StoppingCriterion(max_num_trials_started=20),
        n_workers=2,
        verbose=0,
        run_dir=tmp_path,
        delete_checkpoints=delete,
    )
    result = tuner.run()
    statuses = {t.status for t in result.trials.values()}
    assert {TrialStatus.STOPPED, TrialStatus.FAILED, TrialStatus.COMPLETED} <= statuses
    ended = 0
    for trial in result.trials.values():
        if trial.status in (TrialStatus.STOPPED, TrialStatus.FAILED):
            ended += 1
            assert _has_checkpoint(tuner, trial) is not delete
        else:
            assert _has_checkpoint(tuner, trial)
    assert tuner.num_checkpoints_deleted == (ended if delete else 0)


def test_delete_checkpoints_keeps_those_of_paused_trials(tmp_path):
    tuner, result, _ = promotion_run(
        InlineBackend(failing_curve), tmp_path, n_trials=20, delete_checkpoints=True
    )
    paused = [t for t in result.trials.values() if t.status is TrialStatus.PAUSED]
    assert paused and all(_has_checkpoint(tuner, t) for t in paused)
    failed = [t for t in result.trials.values() if t.status is TrialStatus.FAILED]
    assert failed and all(not _has_checkpoint(tuner, t) for t in failed)
    assert tuner.num_checkpoints_deleted == len(failed)


def test_delete_checkpoints_must_be_a_bool():
    with pytest.raises(ValueError, match="`delete_checkpoints` must be True or False, but got "):
        Tuner(InlineBackend(curve), ASHA(SPACE, metric="loss"), None, delete_checkpoints="yes")
