"""Several objectives end to end: RandomSearch with two metrics, run by the tuner under the
InlineBackend and the LocalBackend, stored, resumed, read back as a Pareto front."""

import pytest

import tunesmith
from tunesmith import LocalBackend, RandomSearch, StoppingCriterion, Tuner, uniform
from tunesmith.multiobjective import objective_array, pareto_front_mask
from tunesmith.testing.inline_backend import InlineBackend

SPACE = {"x": uniform(0, 1), "y": uniform(0, 1)}
METRIC, MODE = ["err", "acc"], ["min", "max"]


def values(config):
    return {"err": config["x"] ** 2 + config["y"], "acc": config["x"] - 0.5 * config["y"]}


def generator(config, start):
    yield {"epoch": 1, **values(config)}


def train(config):  # for the LocalBackend: a tuple, one value per metric in order
    v = values(config)
    return v["err"], v["acc"]


def check_front(result, name):
    completed = [t for t in result.trials.values() if t.status.value == "completed"]
    assert len(completed) == len(result.trials)
    points = objective_array([t.last_result for t in completed], METRIC, MODE)
    expected = {
        t.trial_id for t, on in zip(completed, pareto_front_mask(points), strict=True) if on
    }
    front = result.pareto_front()
    assert {t.trial_id for t in front} == expected
    stored = tunesmith.load_study(name)
    assert [t["trial_id"] for t in stored.pareto_front()] == [t.trial_id for t in front]
    assert stored.top(len(front)) == stored.pareto_front()


@pytest.mark.parametrize("backend", ["inline", "local"])
def test_random_search_with_two_metrics_runs_stores_and_resumes(backend, tmp_path):
    def tuner(n):
        return Tuner(
            InlineBackend(generator) if backend == "inline" else LocalBackend(train),
            RandomSearch(SPACE, metric=METRIC, mode=MODE, random_seed=1),
            StoppingCriterion(max_num_trials_started=n),
            n_workers=2,
            verbose=0,
            name=f"mo-{backend}",
            run_dir=tmp_path / "run",
        )

    result = tuner(6).run()
    check_front(result, f"mo-{backend}")
    first = {t: dict(r.config) for t, r in result.trials.items()}
    result = tuner(10).run()  # extends the stored study: the same first six, four more
    assert {t: result.trials[t].config for t in first} == first and len(result.trials) == 10
    check_front(result, f"mo-{backend}")


def test_a_trial_function_returning_a_number_for_two_metrics_fails_with_the_reason(tmp_path):
    result = Tuner(
        LocalBackend(lambda config: config["x"]),
        RandomSearch(SPACE, metric=METRIC, mode=MODE, random_seed=1),
        StoppingCriterion(max_num_trials_started=1),
        verbose=0,
        storage="memory",
        max_failures=1.0,
    ).run()
    trial = result.trials[0]
    assert trial.failure_reason == "invalid_metric"
    assert "the tuner has several metrics ['err', 'acc']" in trial.failure_detail
    assert "or a tuple of 2 numbers in that order" in trial.failure_detail
