import pytest

from tunesmith.stopping import PlateauStopper, StoppingCriterion, TuningStatus


def status(**kwargs):
    s = TuningStatus()
    for k, v in kwargs.items():
        setattr(s, k, v)
    return s


@pytest.mark.parametrize(
    ("criterion", "state", "reason"),
    [
        (
            StoppingCriterion(max_wallclock_time=10),
            {"wallclock_time": 10.0},
            "max_wallclock_time=10",
        ),
        (
            StoppingCriterion(max_num_trials_started=3),
            {"num_trials_started": 3},
            "max_num_trials_started=3",
        ),
        (
            StoppingCriterion(max_num_trials_completed=2),
            {"num_trials_completed": 2},
            "max_num_trials_completed=2",
        ),
        (
            StoppingCriterion(max_num_trials_finished=3),
            {"num_trials_completed": 1, "num_trials_failed": 1, "num_trials_stopped": 1},
            "max_num_trials_finished=3",
        ),
        (StoppingCriterion(max_num_evaluations=5), {"num_evaluations": 5}, "max_num_evaluations=5"),
        (StoppingCriterion(max_cost=2.5), {"cost": 3.0}, "max_cost=2.5"),
        (
            StoppingCriterion(min_metric_value={"loss": 0.1}),
            {"metric_min": {"loss": 0.05}},
            "loss <= 0.1",
        ),
        (
            StoppingCriterion(max_metric_value={"acc": 0.9}),
            {"metric_max": {"acc": 0.95}},
            "acc >= 0.9",
        ),
    ],
)
def test_each_limit(criterion, state, reason):
    assert criterion(status()) is False
    assert reason in criterion.reason(status(**state))


def test_under_the_limits_goes_on():
    c = StoppingCriterion(max_num_trials_started=3, min_metric_value={"loss": 0.1})
    assert not c(status(num_trials_started=2, metric_min={"loss": 0.2}))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_wallclock_time": 0}, "`max_wallclock_time` must be a positive number or None"),
        ({"max_num_trials_started": 2.5}, "`max_num_trials_started` must be a positive int"),
        ({"max_num_evaluations": -1}, "but got max_num_evaluations=-1"),
        ({"min_metric_value": 0.1}, "`min_metric_value` must be a dict of {metric name: number}"),
        ({"max_metric_value": {"acc": "high"}}, "`max_metric_value` must be a dict"),
    ],
)
def test_bad_limits(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("{", "\\{").replace("}", "\\}")):
        StoppingCriterion(**kwargs)


def test_plateau_stopper():
    stopper = PlateauStopper("loss", std=0.01, num_trials=3, patience=1)
    s = TuningStatus()
    values = [5.0, 1.0, 1.001, 1.002, 0.999, 1.0005]
    decisions = []
    for v in values:
        s.add_result({"loss": v})
        decisions.append(stopper(s))
    # top-3 std falls below 0.01 at the 4th result; patience 1 needs one more
    assert decisions == [False, False, False, False, True, True]


def test_plateau_stopper_bad_input():
    with pytest.raises(ValueError, match="`mode` must be 'min' or 'max'"):
        PlateauStopper("loss", mode="up")
    with pytest.raises(ValueError, match="`patience` must be an int >= 0"):
        PlateauStopper("loss", patience=-1)


NAN = float("nan")
INF = float("inf")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_wallclock_time": NAN}, "but got max_wallclock_time=nan"),
        ({"max_cost": NAN}, "`max_cost` must be a positive number or None"),
        ({"max_wallclock_time": -INF}, "but got max_wallclock_time=-inf"),
        ({"max_cost": -INF}, "but got max_cost=-inf"),
        (
            {"min_metric_value": {"loss": NAN}},
            "`min_metric_value` thresholds must be finite numbers, but got "
            "min_metric_value\\['loss'\\]=nan",
        ),
        ({"max_metric_value": {"acc": NAN}}, "but got max_metric_value\\['acc'\\]=nan"),
        ({"min_metric_value": {"loss": INF}}, "but got min_metric_value\\['loss'\\]=inf"),
        ({"max_metric_value": {"acc": -INF}}, "but got max_metric_value\\['acc'\\]=-inf"),
    ],
)
def test_nan_and_meaningless_infinite_limits_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        StoppingCriterion(**kwargs)


def test_numpy_nan_limit_is_refused():
    np = pytest.importorskip("numpy")
    with pytest.raises(ValueError, match="but got max_cost="):
        StoppingCriterion(max_cost=np.float64("nan"))
    with pytest.raises(ValueError, match="min_metric_value\\['loss'\\]"):
        StoppingCriterion(min_metric_value={"loss": np.float32("nan")})


def test_infinite_limit_means_no_limit():
    c = StoppingCriterion(max_wallclock_time=INF, max_cost=INF)
    assert c.reason(status(wallclock_time=1e12, cost=1e12)) is None


@pytest.mark.parametrize("std", [NAN, INF, -1.0])
def test_plateau_stopper_std_must_be_positive_and_finite(std):
    message = f"`std` must be a positive number \\(finite\\), .*std={std}"
    with pytest.raises(ValueError, match=message):
        PlateauStopper("loss", std=std)
