"""Speculative removal of paused trials' checkpoints: estimator, choice of victims, a full run."""

from types import SimpleNamespace

import pytest

from tunesmith import ASHA, AskTell, Decision, StoppingCriterion, TrialStatus, Tuner, uniform
from tunesmith.callbacks import RemoveCheckpointsCallback, TunerCallback
from tunesmith.callbacks.checkpoint_removal import BetaBinomialEstimator, resume_probability
from tunesmith.stopping import TuningStatus
from tunesmith.testing.inline_backend import InlineBackend

SPACE = {"x": uniform(0, 1), "epochs": 10}  # eta 3: rungs [1, 3, 9]
P = Decision.PAUSE


def r(epoch, loss):
    return {"epoch": epoch, "loss": loss}


# -- the estimator and the probability of resume ---------------------------------------------------
def test_beta_binomial_estimator():
    estimator = BetaBinomialEstimator(0.25, 4)  # a = 1, b = 3
    assert estimator.posterior_mean() == pytest.approx(0.25)
    estimator.update(3, 4)
    assert (estimator.num_one, estimator.num_total) == (3, 4)
    assert estimator.posterior_mean() == pytest.approx((1 + 3) / (4 + 4))
    estimator.update(0, 92)
    assert estimator.posterior_mean() == pytest.approx(4 / 100)
    with pytest.raises(ValueError, match="need 0 <= ones <= total, but got ones=2, total=1"):
        estimator.update(2, 1)


def test_resume_probability():
    q = 1 / 3
    assert resume_probability(1, 6, q, 0.3, 0) == 1.0  # floor(6/3) = 2 > rank 1: now
    assert resume_probability(2, 6, q, 0.3, 0) == 0.0  # no more arrivals
    # 3 more arrivals: floor(9/3) = 3 > 2 + B iff B = 0
    assert resume_probability(2, 6, q, 0.3, 3) == pytest.approx(0.7**3)
    # 6 more: floor(12/3) = 4 > 2 + B iff B <= 1
    assert resume_probability(2, 6, q, 0.3, 6) == pytest.approx(0.7**6 + 6 * 0.3 * 0.7**5)
    assert resume_probability(5, 6, q, 0.3, 3) == 0.0  # 5 < 3 is out of reach
    assert resume_probability(2, 6, q, 0.0, 30) == 1.0  # nobody overtakes it


# -- scripted states -------------------------------------------------------------------------------
class FakeBackend:
    def __init__(self, root):
        self.root = root

    def trial_dir(self, trial_id):
        path = self.root / str(trial_id)
        path.mkdir(parents=True, exist_ok=True)
        return path


def scripted(tmp_path, callback, stop_criterion=None):
    """Six trials paused at rung 1 (losses 0.1 ... 0.6); the two best promoted and paused at
    rung 3 (0.3, 0.35). Every pause writes a checkpoint; the callback sees every event."""
    at = AskTell(ASHA(SPACE, metric="loss", type="promotion", random_seed=0))
    tuner = SimpleNamespace(
        scheduler=at.scheduler,
        backend=FakeBackend(tmp_path),
        trials=at.trials,
        stop_criterion=stop_criterion,
        status=TuningStatus(num_trials_started=6),
        elapsed=1.0,
    )
    callback.on_tuning_start(tuner)

    def pause(trial, epoch, loss):
        folder = tuner.backend.trial_dir(trial.trial_id) / "checkpoint"
        folder.mkdir(exist_ok=True)
        (folder / "epoch").write_text(str(epoch))
        assert at.report(trial, r(epoch, loss)) is P
        callback.on_trial_complete(trial)

    trials = [at.ask() for _ in range(6)]
    for trial in trials:
        callback.on_trial_start(trial, resumed=False)
    for trial, loss in zip(trials, (0.1, 0.2, 0.3, 0.4, 0.5, 0.6), strict=True):
        pause(trial, 1, loss)
    for expected, loss in ((0, 0.3), (1, 0.35)):
        trial = at.ask()
        assert trial.trial_id == expected  # promoted from rung 1
        callback.on_trial_start(trial, resumed=True)
        at.report(trial, r(2, loss))
        pause(trial, 3, loss)
    return at, tuner, pause


def test_observations_feed_per_rung_and_global_estimators(tmp_path):
    callback = RemoveCheckpointsCallback(100, min_data_at_rung=5)
    scripted(tmp_path, callback)
    # rung 1: the k-th arrival is worse than the k - 1 paused before it: 0 + 1 + ... + 5 = 15
    # observations, none a 1; rung 3: the second arrival is worse than the first
    assert callback.estimator_for_rung(1).num_total == 15
    assert callback.estimator_for_rung(1).num_one == 0
    assert callback.estimator_for_rung(1) is not callback.estimator_for_rung(3)
    assert callback.estimator_for_rung(3).num_total == 16  # the global fallback
    assert callback.num_checkpoints == 6
    assert callback.num_checkpoints_removed == 0


def test_speculative_removal_ranks_by_expected_cost(tmp_path):
    callback = RemoveCheckpointsCallback(100)
    scripted(tmp_path, callback)
    # rung 3 (n = 2, quota 0): trial 1 (rank 1) can never be promoted: worth nothing although it
    # trained longest; trial 0 (rank 0) may be. Rung 1 (n = 6, quota 2): ranks 4 and 5 are out
    # of reach within 6 more arrivals; rank 3 needs B = 0, rank 2 needs B <= 1.
    assert callback.choose_victims(6) == [5, 4, 1, 3, 2, 0]


def test_by_level_and_random_baselines(tmp_path):
    by_level = RemoveCheckpointsCallback(100, strategy="by_level")
    scripted(tmp_path / "a", by_level)
    assert by_level.choose_victims(6) == [5, 4, 3, 2, 1, 0]
    draws = []
    for seed in (7, 7, 8):
        random_ = RemoveCheckpointsCallback(100, strategy="random", random_seed=seed)
        scripted(tmp_path / f"r{len(draws)}", random_)
        draws.append(random_.choose_victims(3))
    assert draws[0] == draws[1] != draws[2]
    assert set(draws[0]) <= {0, 1, 2, 3, 4, 5}


def test_without_budget_left_only_promotable_trials_are_worth_keeping(tmp_path):
    # the start limit is reached: no more arrivals, so only trials that may be promoted now
    # will be resumed
    callback = RemoveCheckpointsCallback(100)
    at, tuner, pause = scripted(tmp_path, callback, StoppingCriterion(max_num_trials_started=6))
    trial = at.ask()
    callback.on_trial_start(trial, resumed=False)
    pause(trial, 1, 0.15)  # 2nd of 7 at rung 1: it may be promoted at once
    assert callback._remaining_ratio() == 0.0
    standing = {tid: tuner.scheduler.paused_standing(tid) for tid in range(7) if tid != 0}
    costs = {tid: callback.expected_cost(tid, standing[tid], 0.0) for tid in standing}
    assert costs == {1: 0.0, 2: 0.0, 3: 0.0, 4: 0.0, 5: 0.0, 6: 1.0}
    assert callback.choose_victims(6) == [5, 4, 3, 2, 1, 0]


@pytest.mark.parametrize(
    ("strategy", "victim", "lost"), [("speculative", 1, []), ("by_level", 6, [(6, 1)])]
)
def test_removal_keeps_at_most_max_num_checkpoints(tmp_path, strategy, victim, lost):
    callback = RemoveCheckpointsCallback(2, strategy=strategy)
    at, tuner, pause = scripted(tmp_path, callback)

    def kept():
        trials = at.trials
        return {t for t in trials if (tuner.backend.trial_dir(t) / "checkpoint").exists()}

    # each newcomer at rung 1 was the worst there: trials 2 to 5 lost their checkpoints
    assert kept() == {0, 1}
    assert callback.num_checkpoints_removed == 4
    trial = at.ask()
    assert trial.trial_id == 6  # nothing may be promoted: a new trial
    callback.on_trial_start(trial, resumed=False)
    pause(trial, 1, 0.15)  # 2nd of 7 at rung 1: it may be promoted at once
    # trial 1 (rank 1 of 2 at rung 3) can never be promoted: speculative removal takes its
    # checkpoint; by_level takes the one at the lowest level, about to be resumed
    assert kept() == {0, 1, 6} - {victim}
    assert callback.num_checkpoints == 2
    assert callback.num_checkpoints_removed == 5
    resumed = at.ask()
    assert resumed is trial
    callback.on_trial_start(resumed, resumed=True)
    assert callback.trials_resumed_without_checkpoint == lost
    assert callback.num_trials_resumed_without_checkpoint == len(lost)


def test_needs_a_pausing_hyperband_scheduler(tmp_path):
    tuner = SimpleNamespace(scheduler=ASHA(SPACE, metric="loss"))
    with pytest.raises(TypeError, match="needs a HyperbandScheduler that pauses trials"):
        RemoveCheckpointsCallback(3).on_tuning_start(tuner)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_num_checkpoints": -1}, r"`max_num_checkpoints` must be an int >= 0, but got max_"),
        ({"strategy": "oldest"}, r"`strategy` must be one of \['speculative', 'random', 'by_"),
        ({"prior_beta_mean": 1.0}, r"`prior_beta_mean` must be a number in \(0, 1\)"),
        ({"prior_beta_size": 0}, r"`prior_beta_size` must be a number > 0"),
        ({"min_data_at_rung": 1.5}, r"`min_data_at_rung` must be an int >= 0"),
        ({"random_seed": "a"}, r"`random_seed` must be an int >= 0"),
    ],
)
def test_bad_arguments(kwargs, message):
    kwargs = {"max_num_checkpoints": 3, **kwargs}
    with pytest.raises(ValueError, match=message):
        RemoveCheckpointsCallback(kwargs.pop("max_num_checkpoints"), **kwargs)


# -- a whole run -----------------------------------------------------------------------------------
def curve(config, start):
    for epoch in range(start + 1, config["epochs"] + 1):
        yield {"epoch": epoch, "loss": config["x"] + 1.0 / epoch}


class CountCheckpoints(TunerCallback):
    """After every event: how many paused trials keep a checkpoint."""

    def __init__(self):
        self.most = 0

    def on_tuning_start(self, tuner):
        self.tuner = tuner

    def _count(self, *args, **kwargs):
        tuner = self.tuner
        paused = [t for t in tuner.trials.values() if t.status is TrialStatus.PAUSED]
        kept = [t for t in paused if (tuner.backend.trial_dir(t.trial_id) / "checkpoint").exists()]
        self.most = max(self.most, len(kept))

    on_trial_start = on_trial_result = on_trial_complete = _count


@pytest.mark.parametrize("strategy", ["speculative", "random", "by_level"])
def test_a_run_keeps_the_number_of_checkpoints_bounded(tmp_path, strategy):
    removal = RemoveCheckpointsCallback(4, strategy=strategy, random_seed=0)
    count = CountCheckpoints()
    tuner = Tuner(
        InlineBackend(curve),
        ASHA(SPACE, metric="loss", type="promotion", random_seed=0),
        StoppingCriterion(max_num_trials_started=40),
        n_workers=2,
        verbose=0,
        run_dir=tmp_path,
        callbacks=[removal, count],
    )
    result = tuner.run()
    assert count.most == 4
    assert removal.num_checkpoints_removed > 0
    # a trial resumed without its checkpoint trained again from scratch: its epochs go back to 1
    restarts = {}
    last = {}
    for row in result.results:
        tid = row["trial_id"]
        if row["epoch"] <= last.get(tid, 0):
            restarts[tid] = restarts.get(tid, 0) + 1
        last[tid] = row["epoch"]
    assert sum(restarts.values()) == removal.num_trials_resumed_without_checkpoint
    assert sorted(restarts) == sorted({t for t, _ in removal.trials_resumed_without_checkpoint})
    completed = [t for t in result.trials.values() if t.status is TrialStatus.COMPLETED]
    assert completed and all(t.last_result["epoch"] == 10 for t in completed)


def test_a_resumed_study_starts_with_the_checkpoints_on_disk(tmp_path):
    def run(callbacks):
        tuner = Tuner(
            InlineBackend(curve),
            ASHA(SPACE, metric="loss", type="promotion", random_seed=0),
            StoppingCriterion(max_num_trials_started=12),
            n_workers=2,
            verbose=0,
            name="kept",
            run_dir=tmp_path,
            callbacks=callbacks,
        )
        return tuner, tuner.run()

    tuner, result = run([])
    paused = [t for t in result.trials.values() if t.status is TrialStatus.PAUSED]
    assert len(paused) > 3
    removal = RemoveCheckpointsCallback(3)
    run([removal])  # nothing is left to run: the callback only tidies up at the start
    assert removal.num_checkpoints == 3
    assert removal.num_checkpoints_removed == len(paused) - 3
    kept = [t for t in paused if (tuner.backend.trial_dir(t.trial_id) / "checkpoint").exists()]
    assert len(kept) == 3
