import math

import numpy as np
import pytest

from tunesmith import ImprovementStopper, RandomSearch, RegretBoundStopper, Tuner, uniform
from tunesmith.stopping import TuningStatus
from tunesmith.termination import nugget_noise
from tunesmith.testing.inline_backend import InlineBackend

SPACE = {"x": uniform(0, 1), "y": uniform(0, 1)}


def noise_of(config, scale):
    """A fixed draw per config: the same config always gets the same noise."""
    seed = int(1e9 * config["x"]) ^ int(1e9 * config["y"])
    return scale * float(np.random.default_rng(seed).normal())


def flat(config, start):
    yield {"loss": 1.0 + noise_of(config, 0.1)}


def bowl(config, start):  # far from flat: the best keeps improving under random search
    yield {"loss": 100.0 * ((config["x"] - 0.3) ** 2 + (config["y"] - 0.7) ** 2)}


def run(fn, stopper, tmp_path, *, name="t", seed=0, storage=None):
    tuner = Tuner(
        InlineBackend(fn),
        RandomSearch(SPACE, metric="loss", random_seed=seed),
        stopper,
        verbose=0,
        name=name,
        storage=storage or "memory",
        run_dir=tmp_path / name,
    )
    return tuner.run()


@pytest.mark.parametrize(
    "make",
    [
        lambda: RegretBoundStopper(
            SPACE, metric="loss", threshold=0.1, max_num_trials_completed=80
        ),
        lambda: ImprovementStopper(metric="loss", threshold=0.1, max_num_trials_completed=80),
        lambda: ImprovementStopper(SPACE, metric="loss", max_num_trials_completed=80),
    ],
    ids=["regret-bound", "improvement", "improvement-estimated-noise"],
)
def test_stops_early_on_a_flat_noisy_problem(tmp_path, make):
    stopper = make()
    result = run(flat, stopper, tmp_path)
    assert len(result.trials) < 60
    assert "< noise" in result.stop_reason
    assert stopper.last_check["statistic"] < stopper.last_check["noise"]


@pytest.mark.parametrize(
    "make",
    [
        lambda: RegretBoundStopper(
            SPACE, metric="loss", threshold=1e-3, max_num_trials_completed=40
        ),
        lambda: ImprovementStopper(metric="loss", threshold=1e-3, max_num_trials_completed=40),
    ],
    ids=["regret-bound", "improvement"],
)
def test_goes_on_while_the_best_improves(tmp_path, make):
    result = run(bowl, make(), tmp_path)
    assert result.stop_reason == "max_num_trials_completed=40 reached"
    assert len(result.trials) == 40


def test_without_threshold_the_noise_is_the_gps(tmp_path):
    stopper = RegretBoundStopper(SPACE, metric="loss", max_num_trials_completed=25)
    run(flat, stopper, tmp_path)
    assert stopper.last_check["trials"] >= 20 and stopper.last_check["noise"] > 0


def test_max_mode_and_noise_attr(tmp_path):
    def flat_max(config, start):
        yield {"acc": -1.0 - noise_of(config, 0.1), "acc_std": 0.1}

    stopper = RegretBoundStopper(
        SPACE, metric="acc", mode="max", noise_attr="acc_std", max_num_trials_completed=80
    )
    tuner = Tuner(
        InlineBackend(flat_max),
        RandomSearch(SPACE, metric="acc", mode="max", random_seed=0),
        stopper,
        verbose=0,
        storage="memory",
        run_dir=tmp_path / "max",
    )
    result = tuner.run()
    assert len(result.trials) < 60 and stopper.last_check["noise"] == 0.1


@pytest.mark.parametrize("kind", ["regret-bound", "improvement"])
def test_a_resumed_run_stops_where_the_uninterrupted_one_did(tmp_path, kind):
    def make(**limits):
        if kind == "regret-bound":
            return RegretBoundStopper(SPACE, metric="loss", threshold=0.1, **limits)
        return ImprovementStopper(SPACE, metric="loss", **limits)

    storage = f"sqlite:///{tmp_path / 'db.sqlite'}"
    whole = run(flat, make(max_num_trials_completed=80), tmp_path, name="whole", storage=storage)
    n = len(whole.trials)
    assert n < 80
    # the same study in two runs: the first ends (a limit) well before the stop
    first = run(flat, make(max_num_trials_completed=n - 12), tmp_path, name="two", storage=storage)
    assert len(first.trials) == n - 12
    resumed = run(flat, make(max_num_trials_completed=80), tmp_path, name="two", storage=storage)
    assert len(resumed.trials) == n
    assert resumed.stop_reason == whole.stop_reason


def test_limits_come_from_stopping_criterion():
    stopper = ImprovementStopper(metric="loss", threshold=0.1, max_num_trials_started=5)
    assert stopper.max_num_trials_started == 5  # the tuner reads it to let running trials end
    status = TuningStatus(num_trials_started=5)
    assert stopper.reason(status) == "max_num_trials_started=5 reached"


def test_needs_the_trials():
    stopper = RegretBoundStopper(SPACE, metric="loss")
    with pytest.raises(RuntimeError, match=r"pass it to the Tuner as its stop_criterion"):
        stopper(TuningStatus(num_trials_completed=1))


def test_the_tuner_adds_a_criterion_that_follows_the_run_to_its_callbacks(tmp_path):
    stopper = ImprovementStopper(metric="loss", threshold=0.1, max_num_trials_started=5)
    tuner = Tuner(
        InlineBackend(bowl),
        RandomSearch(SPACE, metric="loss", random_seed=0),
        stopper,
        verbose=0,
        storage="memory",
        run_dir=tmp_path / "t",
    )
    assert tuner.callbacks == [stopper]
    assert len(tuner.run().trials) == 5
    again = Tuner(
        InlineBackend(bowl), RandomSearch(SPACE, metric="loss"), stopper, callbacks=[stopper]
    )
    assert again.callbacks == [stopper]  # listed by the user as well: once


def test_nugget_noise_finds_the_noise_of_dense_points():
    rng = np.random.default_rng(0)
    X = rng.random((400, 1))
    values = (np.sin(3 * X[:, 0]) + 0.05 * rng.normal(size=400)).tolist()
    assert 0.025 < nugget_noise(X, values) < 0.1


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (
            lambda: RegretBoundStopper(SPACE, metric="loss", threshold=-1),
            ValueError,
            "`threshold` must be a positive finite number or None, but got threshold=-1",
        ),
        (
            lambda: RegretBoundStopper(SPACE, metric="loss", mode="avg"),
            ValueError,
            "`mode` must be 'min' or 'max', but got mode='avg'",
        ),
        (
            lambda: RegretBoundStopper(SPACE, metric="loss", top_fraction=2),
            ValueError,
            "`top_fraction` must be a number in (0, 1], but got top_fraction=2",
        ),
        (
            lambda: RegretBoundStopper(SPACE, metric="loss", beta=math.nan),
            ValueError,
            "`beta` must be a positive finite number or 'schedule', but got beta=nan",
        ),
        (
            lambda: RegretBoundStopper(SPACE, metric="loss", beta="srinivas"),
            ValueError,
            "`beta` must be a positive finite number or 'schedule', but got beta='srinivas'",
        ),
        (
            lambda: RegretBoundStopper(SPACE, metric="loss", target_transform="copula"),
            ValueError,
            "`target_transform` must be one of ['auto', 'log', 'standardize'], but got "
            "target_transform='copula'",
        ),
        (
            lambda: RegretBoundStopper(SPACE, metric="loss", incumbent="best"),
            ValueError,
            "`incumbent` must be one of ['observed', 'model'], but got incumbent='best'",
        ),
        (
            lambda: RegretBoundStopper(SPACE, metric="loss", threshold=0.1, noise_attr="s"),
            ValueError,
            "give `threshold` or `noise_attr`, not both",
        ),
        (
            lambda: ImprovementStopper(metric="loss"),
            ValueError,
            "ImprovementStopper needs the noise level: give `threshold`, `noise_attr`, or the "
            "`config_space`",
        ),
        (
            lambda: ImprovementStopper(metric="loss", threshold=0.1, window=0),
            ValueError,
            "`window` must be a positive int, but got window=0",
        ),
        (
            lambda: ImprovementStopper(metric="", threshold=0.1),
            ValueError,
            "`metric` must be a non-empty string, but got metric=''",
        ),
        (
            lambda: ImprovementStopper(metric="loss", threshold=0.1, max_num_trials_started=0),
            ValueError,
            "`max_num_trials_started` must be a positive int or None",
        ),
    ],
)
def test_bad_input(build, error, message):
    with pytest.raises(error) as info:
        build()
    assert message in str(info.value)


def _sample(n=30, seed=0):
    rng = np.random.default_rng(seed)
    configs = [{"x": float(a), "y": float(b)} for a, b in rng.random((n, 2))]
    # positive, spanning orders of magnitude, as a validation loss can
    values = [
        1e-3 * math.exp(8 * ((c["x"] - 0.3) ** 2 + (c["y"] - 0.7) ** 2)) * (1 + 0.05 * z)
        for c, z in zip(configs, rng.normal(size=n), strict=True)
    ]
    return configs, values


@pytest.mark.parametrize("transform", ["log", "standardize"])
def test_the_regret_bound_is_in_the_metrics_units(transform):
    configs, values = _sample()
    stopper = RegretBoundStopper(SPACE, metric="loss", target_transform=transform)
    bound, noise = stopper.regret_bound(configs, values)
    scaled, scaled_noise = stopper.regret_bound(configs, [1e3 * v for v in values])
    assert bound > 0 and noise > 0
    assert scaled == pytest.approx(1e3 * bound, rel=1e-3)
    assert scaled_noise == pytest.approx(1e3 * noise, rel=1e-3)


def test_auto_models_the_log_of_positive_values_and_the_values_otherwise():
    configs, values = _sample()

    def bound(transform, ys, mode="min"):
        stopper = RegretBoundStopper(SPACE, metric="m", mode=mode, target_transform=transform)
        return stopper.regret_bound(configs, ys)

    assert bound("auto", values) == bound("log", values)
    assert bound("auto", values) != bound("standardize", values)
    shifted = [v - 0.002 for v in values]  # some <= 0
    assert bound("auto", shifted) == bound("standardize", shifted)
    # mode="max": the values to minimize are minus the metric, the metric is what is logged
    negated = [-v for v in values]
    assert bound("auto", negated, "max") == bound("log", negated, "max")
    assert bound("log", negated, "max")[0] > 0


def test_log_needs_positive_values():
    configs, values = _sample()
    stopper = RegretBoundStopper(SPACE, metric="loss", target_transform="log")
    with pytest.raises(ValueError, match=r"target_transform='log' needs metric 'loss' > 0, but"):
        stopper.regret_bound(configs, [v - 0.002 for v in values])


def test_the_bound_is_on_the_observed_best_unless_asked_for_the_models():
    # a plateau seen through noise as large as its variation: the observed best is a lucky
    # draw, and the model's upper bound there is above its least one (so is the bound)
    def bounds(seed):
        rng = np.random.default_rng(seed)
        configs = [{"x": float(a), "y": float(b)} for a, b in rng.random((40, 2))]
        values = [
            (c["x"] - 0.3) ** 2 + (c["y"] - 0.7) ** 2 + 0.1 * z
            for c, z in zip(configs, rng.normal(size=40), strict=True)
        ]
        return [
            RegretBoundStopper(
                SPACE, metric="loss", target_transform="standardize", incumbent=incumbent
            ).regret_bound(configs, values)[0]
            for incumbent in ("observed", "model")
        ]

    observed, model = bounds(1)
    assert observed > 1.1 * model


def test_the_observed_best_is_the_earlier_of_equal_values():
    # as best_config(): two trials with the least value, the earlier one is the incumbent
    configs, values = _sample(30, seed=2)
    values = [math.log(v) for v in values]
    i, j = sorted(np.argsort(values)[:2].tolist())
    values[i] = values[j] = min(values)

    def bound(ys):
        stopper = RegretBoundStopper(SPACE, metric="loss", target_transform="standardize")
        return stopper.regret_bound(configs, ys)[0]

    tied = bound(values)
    later = list(values)
    later[j] += 1e-12  # now the earlier one is the only least value
    earlier = list(values)
    earlier[i] += 1e-12  # now the later one is
    assert tied == pytest.approx(bound(later), rel=1e-6)
    assert tied != pytest.approx(bound(earlier), rel=1e-6)


def test_the_paper_beta_schedule_grows_with_the_trials():
    stopper = RegretBoundStopper(SPACE, metric="loss", beta="schedule")
    # 2 log(d n^2 pi^2 / 0.6) / 5 with d = 2 encoded dimensions
    assert stopper.beta_at(50) == pytest.approx(2 * math.log(2 * 2500 * math.pi**2 / 0.6) / 5)
    assert stopper.beta_at(20) < stopper.beta_at(50) < stopper.beta_at(100)
    assert RegretBoundStopper(SPACE, metric="loss", beta=3).beta_at(50) == 3.0
    configs, values = _sample()
    wide = stopper.regret_bound(configs, values)[0]
    narrow = RegretBoundStopper(SPACE, metric="loss").regret_bound(configs, values)[0]
    assert wide > narrow  # beta about 4.4 at 30 trials, against 1
