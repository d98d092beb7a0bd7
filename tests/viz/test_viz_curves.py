"""Training curves: the computed CurvesData, its thinning, and the drawing."""

import io
import math
import subprocess
import sys

import numpy as np
import pytest

from tunesmith.viz import CurvesData, plot_training_curves, training_curves

RECORDS = [
    {"trial_id": 1, "status": "failed", "epoch": 1, "loss": 3.0},
    {"trial_id": 0, "status": "completed", "epoch": 1, "loss": 2.0},
    {"trial_id": 0, "status": "completed", "epoch": 2, "loss": 1.5},
    {"trial_id": 1, "status": "failed", "epoch": 2, "loss": math.nan},
    {"trial_id": 0, "status": "completed", "epoch": 3, "loss": 1.25},
    {"trial_id": 1, "status": "failed", "epoch": 3, "acc": 0.5},
    {"trial_id": 2, "status": "running", "loss": 4.0},
]


def test_one_curve_per_trial_by_id_without_unusable_points():
    data = training_curves(RECORDS, "loss", "epoch")
    assert (data.metric, data.resource_attr, data.num_points) == ("loss", "epoch", 4)
    assert [(c.trial_id, c.status) for c in data.curves] == [
        (0, "completed"),
        (1, "failed"),
        (2, "running"),
    ]
    assert data.curves[0].x.tolist() == [1.0, 2.0, 3.0]
    assert data.curves[0].y.tolist() == [2.0, 1.5, 1.25]
    assert data.curves[1].x.tolist() == [1.0] and data.curves[1].y.tolist() == [3.0]
    assert len(data.curves[2].x) == 0  # no epoch: nothing to draw against
    assert data.statuses() == {"completed": 1, "failed": 1, "running": 1}


def test_without_resource_attr_x_is_the_report_number():
    data = training_curves(RECORDS, "loss")
    assert data.resource_attr is None
    assert data.curves[0].x.tolist() == [1.0, 2.0, 3.0]
    assert data.curves[1].x.tolist() == [1.0]  # reports 2 (NaN) and 3 (no loss) left out
    assert data.curves[2].x.tolist() == [1.0] and data.curves[2].y.tolist() == [4.0]


def test_long_curves_are_thinned_keeping_ends_and_extremes():
    rng = np.random.default_rng(0)
    y = rng.normal(size=10_000)
    y[1234], y[8765] = -50.0, 50.0
    records = [
        {"trial_id": 0, "status": "completed", "step": i, "loss": float(v)} for i, v in enumerate(y)
    ]
    data = training_curves(records, "loss", "step", max_points_per_curve=100)
    curve = data.curves[0]
    assert data.num_points == 10_000
    assert 50 <= len(curve.x) <= 100
    assert curve.x[0] == 0 and curve.x[-1] == 9999
    assert np.all(np.diff(curve.x) > 0)
    assert {-50.0, 50.0} <= set(curve.y.tolist())
    assert curve.y.tolist() == y[curve.x.astype(int)].tolist()
    short = training_curves(records[:100], "loss", "step", max_points_per_curve=100)
    assert len(short.curves[0].x) == 100


def test_errors_name_the_parameter_and_what_the_records_have():
    with pytest.raises(ValueError, match=r"metric='acc2'.*\['acc', 'epoch', 'loss'\]"):
        training_curves(RECORDS, "acc2")
    with pytest.raises(ValueError, match=r"resource_attr='step'"):
        training_curves(RECORDS, "loss", "step")
    with pytest.raises(ValueError, match="max_points_per_curve"):
        training_curves(RECORDS, "loss", max_points_per_curve=2)
    with pytest.raises(TypeError, match="list of dicts"):
        training_curves({"trial_id": 0}, "loss")
    assert training_curves([], "loss").curves == []


def test_drawing_puts_each_status_in_one_collection():
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure

    figure = plot_training_curves(training_curves(RECORDS, "loss", "epoch"))
    assert isinstance(figure, Figure)
    ax = figure.axes[0]
    [lines] = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(lines.get_segments()) == 1  # trial 0; trial 1 has one point: a dot
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["completed (1)", "failed (1)"]
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"
    png = io.BytesIO()
    figure.savefig(png, format="png")
    assert png.getvalue().startswith(b"\x89PNG")


def test_drawing_on_given_axes():
    from matplotlib.figure import Figure

    figure = Figure()
    ax = figure.add_subplot()
    assert plot_training_curves(training_curves(RECORDS, "loss"), ax=ax) is figure
    assert ax.get_xlabel() == "report number (of each trial)"
    with pytest.raises(TypeError, match="CurvesData"):
        plot_training_curves(RECORDS)


def test_importing_viz_does_not_import_matplotlib():
    code = "import sys, tunesmith.viz; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.slow  # how long it takes: benchmarks/viz.py
def test_100k_results_draw():
    records = [
        {"trial_id": t, "status": "completed", "epoch": e, "loss": 1.0 / e + t * 1e-3}
        for t in range(1000)
        for e in range(1, 101)
    ]
    data = training_curves(records, "loss", "epoch")
    plot_training_curves(data).savefig(io.BytesIO(), format="png")
    assert isinstance(data, CurvesData) and data.num_points == 100_000


def test_with_a_mode_the_best_trial_is_marked_on_top():
    data = training_curves(RECORDS, "loss", "epoch", mode="min")
    assert data.best_trial_id == 0  # trial 1 ended with NaN, trial 2 has no epoch but counts
    assert training_curves(RECORDS, "loss", "epoch", mode="max").best_trial_id == 2
    assert training_curves(RECORDS, "loss", "epoch").best_trial_id is None
    ax = plot_training_curves(data).axes[0]
    [best] = [line for line in ax.get_lines() if line.get_label().startswith("best")]
    assert best.get_label() == "best: trial 0 (last report)"
    assert best.get_ydata().tolist() == [2.0, 1.5, 1.25]
    assert "best: trial 0 (last report)" in [t.get_text() for t in ax.get_legend().get_texts()]
    with pytest.raises(ValueError, match="scope='any'"):
        training_curves(RECORDS, "loss", mode="min", scope="any")
