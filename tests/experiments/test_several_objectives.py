"""Benchmarks with several objectives: the tables' variants, runs on them and the hypervolume
regret that compares the methods."""

import numpy as np
import pytest

from tunesmith import bench
from tunesmith.experiments import make_method, run_experiments
from tunesmith.experiments.compare import (
    _hypervolume_regret_so_far,
    compare,
    hypervolume_reference,
    rank_table,
)
from tunesmith.multiobjective import hypervolume, pareto_front_mask
from tunesmith.store.events import Event


def test_the_cost_variant_adds_the_full_training_time_as_an_objective():
    table = bench.load("gbm-breast_cancer")
    variant = bench.load("gbm-breast_cancer-cost")
    assert variant.objective == ["val_error", "train_cost"] and variant.mode == ["min", "min"]
    assert variant.objectives == ["val_error", "train_cost"]
    config = table.configurations()[5]
    full = table.evaluate(config, None, seed=1)["time"]
    for fidelity in (1, 9, 81):
        one = variant.evaluate(config, fidelity, seed=1)
        assert one["train_cost"] == pytest.approx(full)
        assert one["val_error"] == table.evaluate(config, fidelity, seed=1)["val_error"]
    facts = bench.describe("gbm-breast_cancer-cost")
    assert facts["objective"] == ["val_error", "train_cost"] and facts["mode"] == ["min", "min"]
    with pytest.raises(ValueError, match="has several objectives"):
        variant.best()
    assert variant.best("train_cost")[1] > 0


def test_an_objective_list_is_checked():
    table = bench.load("gbm-breast_cancer")
    from tunesmith.bench.base import check_objective

    assert check_objective(["val_error", "time"], table.metrics) == ["val_error", "time"]
    for bad in (["val_error"], ["val_error", "val_error"], ["val_error", "acc"], 3):
        with pytest.raises(ValueError, match="or a list of at least two distinct ones"):
            check_objective(bad, table.metrics)
    with pytest.raises(ValueError, match="`objective` must be one of the metrics"):
        check_objective("acc", table.metrics)


def test_methods_get_the_objective_list_and_single_objective_ones_are_refused(tmp_path):
    blackbox = bench.load("mlp-digits-cost")
    for name in ("RandomSearch", "MOASHA", "NSGA2", "MOREA", "MORandomScalarizationBayesOpt"):
        scheduler = make_method(name, blackbox, seed=0)
        assert scheduler.metric == ["val_error", "train_cost"], name
    with pytest.raises(ValueError, match=r"the methods \['ASHA'\] cannot optimize"):
        run_experiments(
            ["RandomSearch", "ASHA"],
            ["mlp-digits-cost"],
            [0],
            budget=None,
            n_workers=2,
            storage=f"sqlite:///{tmp_path / 'b.db'}",
            processes=1,
        )
    assert not (tmp_path / "b.db").exists()  # refused before anything ran


def test_the_reference_point_lies_beyond_the_nadir_of_the_tables_front():
    ref = hypervolume_reference("gbm-breast_cancer-cost")
    table = bench.load("gbm-breast_cancer-cost")
    m = [list(table.metrics).index(n) for n in ("val_error", "train_cost")]
    points = table.values[:, :, :, m].mean(axis=1).reshape(-1, 2)
    front = points[pareto_front_mask(points)]
    span = front.max(axis=0) - front.min(axis=0)
    assert ref.point.tolist() == pytest.approx((front.max(axis=0) + 0.1 * span).tolist())
    assert ref.best == pytest.approx(hypervolume(front, ref.point))
    with pytest.raises(ValueError, match="not a table with several objectives"):
        hypervolume_reference("gbm-breast_cancer")


def test_the_hypervolume_regret_falls_from_one_to_zero_on_the_front():
    table = bench.load("gbm-breast_cancer-cost")
    ref = hypervolume_reference("gbm-breast_cancer-cost")
    fids = table.fidelities
    # every (config, fidelity) of the table's front, then a dominated result
    m = [list(table.metrics).index(n) for n in ("val_error", "train_cost")]
    means = table.values[:, :, :, m].mean(axis=1)
    flat = means.reshape(-1, 2)
    on_front = np.flatnonzero(pareto_front_mask(flat))
    configs = table.configurations()
    events, t = [], 0.0
    for k, index in enumerate(on_front.tolist()):
        row, j = divmod(index, len(fids))
        events.append(Event("trial_created", trial_id=k, payload=configs[row], time=t))
        t += 1.0
        payload = {"val_error": 9.0, "train_cost": 9.0, "trees": fids[j]}  # noisy: rescored
        events.append(Event("result", trial_id=k, payload=payload, time=t))
    times, regret = _hypervolume_regret_so_far(events, ref, table)
    assert np.all(np.diff(regret) < 0) and np.all(regret < 1)
    assert regret[-1] == pytest.approx(0.0, abs=1e-12)
    unscored, _ = _hypervolume_regret_so_far(events, ref)  # the reported 9.0s: beyond the ref
    assert unscored.tolist() == []


@pytest.mark.slow
def test_run_and_compare_by_hypervolume_regret(tmp_path):
    storage = f"sqlite:///{tmp_path / 'bench.db'}"
    rows = run_experiments(
        ["RandomSearch"],
        ["gbm-breast_cancer-cost"],
        [0, 1, 2],
        budget=None,
        n_workers=2,
        storage=storage,
        processes=1,
    )
    assert len(rows) == 3 and all(r["results"] > 0 for r in rows)
    comparison = compare(storage)
    assert comparison.several_objectives == {"gbm-breast_cancer-cost": True}
    curve = comparison.curves["gbm-breast_cancer-cost"]["RandomSearch"]
    assert np.all(np.diff(curve.per_seed, axis=1) <= 1e-12)  # the volume never shrinks
    assert np.all((curve.per_seed >= 0) & (curve.per_seed <= 1)) and curve.per_seed[:, 0].max() == 1
    assert curve.per_seed[:, -1].max() < 0.5
    table = rank_table(comparison, [1.0])
    assert table["average_rank"]["1.0"] == {"RandomSearch": 1.0}
    from tunesmith.experiments.plot import plot_comparison

    figure = plot_comparison(comparison, tmp_path / "cmp.png")
    assert figure.axes[0].get_ylabel() == "hypervolume regret (IQM)"
