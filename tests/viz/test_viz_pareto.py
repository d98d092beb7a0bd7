"""The Pareto front of a study's trials and its hypervolume over time."""

import io
import itertools

import numpy as np
import pytest

from tunesmith.multiobjective import hypervolume
from tunesmith.viz import (
    HypervolumeData,
    ParetoData,
    default_reference_point,
    hypervolume_over_time,
    pareto_points,
    plot_hypervolume,
    plot_pareto_front,
)
from tunesmith.viz.best import TIME_KEY


def rep(trial_id, err, ms, **more):
    return {"trial_id": trial_id, "err": err, "ms": ms, **more}


RECORDS = [
    rep(0, 0.5, 10.0),
    rep(0, 0.3, 10.0),  # trial 0 ends at (0.3, 10)
    rep(1, 0.2, 30.0),
    rep(2, 0.4, 5.0),
    rep(3, 0.45, 12.0),  # dominated by trial 0's last report
    rep(4, 0.1, 50.0),
    rep(4, float("nan"), 50.0),  # its last report is no point: trial 4 is left out
    {"trial_id": 5, "err": 0.05},  # lacks ms: no point
]


def test_one_point_per_trial_its_last_report_and_the_front_marked():
    data = pareto_points(RECORDS, ["err", "ms"], "min")
    assert (data.metrics, data.modes, data.scope) == (("err", "ms"), ("min", "min"), "last")
    assert data.trial_ids.tolist() == [0, 1, 2, 3]
    assert data.values.tolist() == [[0.3, 10.0], [0.2, 30.0], [0.4, 5.0], [0.45, 12.0]]
    assert data.on_front.tolist() == [True, True, True, False]
    values, ids = data.front()
    assert ids.tolist() == [1, 0, 2] and values[:, 0].tolist() == [0.2, 0.3, 0.4]


def test_scope_all_makes_every_report_a_point():
    data = pareto_points(RECORDS, ["err", "ms"], "min", scope="all")
    assert data.trial_ids.tolist() == [0, 0, 1, 2, 3, 4]
    assert data.on_front.tolist() == [False, True, True, True, False, True]


def test_max_objectives_are_compared_as_such_and_kept_in_their_units():
    records = [rep(0, 0.9, 10.0), rep(1, 0.8, 5.0), rep(2, 0.7, 20.0)]  # err read as accuracy
    data = pareto_points(records, ["err", "ms"], ["max", "min"])
    assert data.on_front.tolist() == [True, True, False]
    assert data.values[0].tolist() == [0.9, 10.0]
    assert data.minimized()[0].tolist() == [-0.9, 10.0]
    assert data.front()[1].tolist() == [0, 1]  # best accuracy first


def test_front_matches_brute_force_on_random_points():
    rng = np.random.default_rng(3)
    for d in (2, 3, 4):
        values = rng.integers(0, 6, size=(60, d)).astype(float)  # ties and duplicates
        names = [f"m{j}" for j in range(d)]
        records = [
            {"trial_id": i, **dict(zip(names, v, strict=True))} for i, v in enumerate(values)
        ]
        data = pareto_points(records, names, "min")
        brute = [not any(np.all(o <= v) and np.any(o < v) for o in values) for v in values]
        assert data.on_front.tolist() == brute


def test_bad_input_names_the_parameter():
    with pytest.raises(ValueError, match="at least two metrics, but got metric='err'"):
        pareto_points(RECORDS, "err")
    with pytest.raises(ValueError, match="no record has 'acc'"):
        pareto_points(RECORDS, ["err", "acc"])
    with pytest.raises(ValueError, match="`scope` must be"):
        pareto_points(RECORDS, ["err", "ms"], scope="best")
    with pytest.raises(TypeError, match="`records` must be a list of dicts"):
        pareto_points({"err": 1}, ["err", "ms"])
    with pytest.raises(TypeError, match="must be the ParetoData of pareto_points"):
        plot_pareto_front("points")
    with pytest.raises(TypeError, match="must be the HypervolumeData of hypervolume_over_time"):
        plot_hypervolume(None)


def timed(records):
    return [{**r, TIME_KEY: float(k)} for k, r in enumerate(records)]


def test_hypervolume_over_time_is_the_hypervolume_of_each_prefix():
    rng = np.random.default_rng(0)
    records = timed([rep(i, *rng.random(2)) for i in range(50)])
    ref = [1.0, 1.0]
    data = hypervolume_over_time(records, ["err", "ms"], "min", reference_point=ref)
    assert isinstance(data, HypervolumeData) and data.num_results == 50
    assert data.x.tolist() == [float(k) for k in range(50)]
    for k in range(50):
        prefix = [[r["err"], r["ms"]] for r in records[: k + 1]]
        assert data.hypervolume[k] == pytest.approx(hypervolume(prefix, ref))
    assert np.all(np.diff(data.hypervolume) >= 0)


def test_hypervolume_with_max_objectives_and_the_default_reference_point():
    records = timed([rep(0, 0.5, 4.0), rep(1, 0.9, 8.0), rep(2, 0.7, 2.0)])
    data = hypervolume_over_time(records, ["err", "ms"], ["max", "min"])
    ref = default_reference_point([[0.5, 4.0], [0.9, 8.0], [0.7, 2.0]], ["max", "min"])
    assert ref.tolist() == pytest.approx([0.46, 8.6])
    assert data.reference_point.tolist() == pytest.approx(ref.tolist())
    minimized = [[-0.5, 4.0], [-0.9, 8.0], [-0.7, 2.0]]
    for k in range(3):
        expected = hypervolume(minimized[: k + 1], [-0.46, 8.6])
        assert data.hypervolume[k] == pytest.approx(expected)


def test_hypervolume_of_many_results_is_sampled_and_ends_at_the_last():
    rng = np.random.default_rng(1)
    records = [rep(i, *rng.random(2)) for i in range(5000)]
    data = hypervolume_over_time(records, ["err", "ms"], x="results", reference_point=[1, 1])
    assert len(data.x) <= 401 and data.x[-1] == 5000.0
    assert data.hypervolume[-1] == pytest.approx(
        hypervolume([[r["err"], r["ms"]] for r in records], [1.0, 1.0])
    )


def test_hypervolume_bad_input():
    with pytest.raises(ValueError, match="record 0 has none"):
        hypervolume_over_time(RECORDS, ["err", "ms"])
    with pytest.raises(ValueError, match="`x` must be 'time' or 'results', but got x='trials'"):
        hypervolume_over_time(RECORDS, ["err", "ms"], x="trials")
    with pytest.raises(ValueError, match="`reference_point` must be 2 finite numbers"):
        hypervolume_over_time(timed(RECORDS), ["err", "ms"], reference_point=[1.0])
    empty = hypervolume_over_time([], ["err", "ms"])
    assert empty.x.tolist() == [] and empty.num_results == 0


@pytest.mark.parametrize("d", [2, 3, 4])
def test_plots_render(d):
    pytest.importorskip("matplotlib")
    rng = np.random.default_rng(d)
    names = [f"m{j}" for j in range(d)]
    records = [{"trial_id": i, **dict(zip(names, rng.random(d), strict=True))} for i in range(40)]
    data = pareto_points(records, names, "min")
    figure = plot_pareto_front(data)
    title = figure.axes[0].get_title() if d < 4 else figure._suptitle.get_text()
    assert title.startswith("Pareto front: ") and "of 40 points (last report)" in title
    figure.savefig(io.BytesIO(), format="png")
    hv = hypervolume_over_time(records, names, x="results")
    plot_hypervolume(hv).savefig(io.BytesIO(), format="png")


def test_plots_of_nothing_render():
    pytest.importorskip("matplotlib")
    data = pareto_points([], ["err", "ms"])
    assert isinstance(data, ParetoData) and data.values.shape == (0, 2)
    plot_pareto_front(data).savefig(io.BytesIO(), format="png")
    plot_hypervolume(hypervolume_over_time([], ["err", "ms"])).savefig(io.BytesIO(), format="png")


def test_a_grid_of_panels_refuses_one_axes():
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    data = pareto_points([{"trial_id": 0, "a": 1, "b": 2, "c": 3, "d": 4}], list("abcd"))
    with pytest.raises(ValueError, match="pass ax=None"):
        plot_pareto_front(data, ax=Figure().add_subplot())
    assert len(plot_pareto_front(data).axes) == len(list(itertools.combinations(range(4), 2)))
