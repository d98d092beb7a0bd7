"""Syne Tune's examples (seed 002, "Examples") run with only their import lines changed: each
launcher of examples/synetune/ runs as written, top-level code, from a copy where the test
shortens its budget (wall-clock limits, epochs, sleeps: each replacement is asserted to be in
the code, so the example cannot drift from the seed's text unnoticed). The first example is
in test_synetune.py."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "synetune"


def _run(
    tmp_path: Path,
    launcher: str,
    replace: dict[str, str] = {},  # noqa: B006  (read only)
    script: tuple[str, dict[str, str]] | None = None,
    after: str = "",
) -> tuple[str, dict]:
    """Copy the examples, apply the budget ``replace``ments to ``launcher`` (and ``script``'s
    to that training script), append ``after`` (code printing ``RESULT {json}``), run it; its
    stdout and the printed result."""
    folder = tmp_path / "synetune"
    shutil.copytree(EXAMPLES, folder)
    for path, changes in (
        (folder / launcher, replace),
        *([(folder / script[0], script[1])] if script else []),
    ):
        code = path.read_text()
        for old, new in changes.items():
            assert old in code, f"{old!r} not in {path.name}"
            code = code.replace(old, new)
        path.write_text(code)
    if after:
        path = folder / launcher
        path.write_text(path.read_text() + textwrap.indent(textwrap.dedent(after), "    "))
    env = dict(os.environ, TUNESMITH_HOME=str(tmp_path / "home"), MPLBACKEND="Agg")
    proc = subprocess.run(
        [sys.executable, str(folder / launcher)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    return output, (json.loads(lines[-1][len("RESULT ") :]) if lines else {})


_STUDY = """
import json as _json
from tunesmith.compat.synetune.experiments import load_experiment as _load
_exp = _load({tuner}.name)
_rows = _exp.results
print("RESULT " + _json.dumps({{
    "name": {tuner}.name, "rows": len(_rows), "trials": sorted(set(_rows["trial_id"].tolist())),
    "metric_names": _exp.metric_names(), "columns": sorted(_rows.columns),
    "per_trial": {{str(t): len(g) for t, g in _rows.groupby("trial_id")}},
    "statuses": sorted(set(_rows["status"])),
}}))
"""


@pytest.mark.slow
def test_launch_height_baselines(tmp_path):
    """RandomSearch, ASHA and BayesianOptimization run one after the other; the seed's
    ``MOBSTER(*scheduler_kwargs, ...)`` (one star) raises and the ``except`` logs the message."""
    output, _ = _run(
        tmp_path,
        "launch_height_baselines.py",
        {"max_epochs = 100": "max_epochs = 6", "max_wallclock_time=20": "max_wallclock_time=3"},
    )
    assert output.count("*** running scheduler") == 3
    for name in ("RandomSearch(", "ASHA(", "BayesianOptimization("):
        assert f"*** running scheduler {name}" in output
    assert "Gaussian-process searchers need numpy only" in output


@pytest.mark.slow
def test_launch_height_python_backend(tmp_path):
    _, out = _run(
        tmp_path,
        "launch_height_python_backend.py",
        {"max_steps = 100": "max_steps = 5", "max_wallclock_time=10": "max_wallclock_time=3"},
        after=_STUDY.format(tuner="tuner"),
    )
    assert out["metric_names"] == ["mean_loss"] and out["rows"] > 0
    assert {"epoch", "step", "st_worker_iter", "width", "height"} <= set(out["columns"])


@pytest.mark.slow
def test_launch_pbt_exploits(tmp_path):
    """PBT with a population of 2: a trial exploits the other (its learning rate changes and it
    goes on from a checkpoint the script wrote), and a fresh trial sees no checkpoint folder,
    as with Syne Tune's backend (the script loads one whenever the folder exists).

    The test's copy steps every 0.1 s instead of 2 s, and so writes its checkpoint atomically
    (a temporary file, then ``os.replace``), as docs/pbt.md asks: the seed's script truncates
    the file before writing it, and a donor's checkpoint copied in that instant is empty (Syne
    Tune's backend copies it the same way; one step every 2 s makes it rare, every 0.1 s not)."""
    _, out = _run(
        tmp_path,
        "launch_pbt.py",
        {"max_wallclock_time=20": "max_wallclock_time=8"},
        script=(
            "training_scripts/pbt_example/pbt_example.py",
            {
                "time.sleep(2)": "time.sleep(0.1)",
                'with open(path, "w") as f:\n': 'with open(path + ".tmp", "w") as f:\n',
                '                f.write(json.dumps({"acc": accuracy, "step": step}))\n': (
                    '                f.write(json.dumps({"acc": accuracy, "step": step}))\n'
                    '            os.replace(path + ".tmp", path)\n'
                ),
            },
        ),
        after="""
        import json
        from tunesmith.compat.synetune.experiments import load_experiment
        rows = load_experiment(local_tuner.name).results
        print("RESULT " + json.dumps({
            "lrs": {str(t): sorted(set(g["cur_lr"])) for t, g in rows.groupby("trial_id")},
            "failed": int((rows["status"] == "failed").sum()),
        }))
        """,
    )
    assert {"0", "1"} <= set(out["lrs"]) and out["failed"] == 0
    assert max(len(lrs) for lrs in out["lrs"].values()) > 1  # an exploit changed a config


@pytest.mark.slow
def test_launch_mo_asha_reports_from_step_0(tmp_path):
    """The script reports ``step=0`` first: MOASHA takes it (below every rung) as Syne Tune's."""
    _, out = _run(
        tmp_path,
        "launch_mo_asha.py",
        {"max_wallclock_time=20": "max_wallclock_time=4"},
        after=_STUDY.format(tuner="tuner"),
    )
    assert out["metric_names"] == ["y1", "y2"]
    assert out["rows"] > 0 and {"y1", "y2", "step", "theta"} <= set(out["columns"])


@pytest.mark.slow
def test_launch_bayesopt_constrained(tmp_path):
    _, out = _run(
        tmp_path,
        "launch_bayesopt_constrained.py",
        {"max_wallclock_time=20": "max_wallclock_time=5"},
        after=_STUDY.format(tuner="tuner"),
    )
    assert out["metric_names"] == ["objective"]
    assert {"my_constraint_metric", "x1", "x2", "constraint_offset"} <= set(out["columns"])
    assert len(out["trials"]) >= 2


@pytest.mark.slow
def test_launch_plot_results(tmp_path):
    """``tuner.best_config()``, ``load_experiment(...).best_config()``, ``plot()`` and
    ``plot_trials_over_time()`` (matplotlib's Agg backend: nothing is shown)."""
    pytest.importorskip("matplotlib")
    output, out = _run(
        tmp_path,
        "launch_plot_results.py",
        {"max_wallclock_time=20": "max_wallclock_time=3", "max_steps = 100": "max_steps = 5"},
        after="""
        import json
        a = tuning_experiment.plot(figure_path="best.png")
        b = tuning_experiment.plot_trials_over_time(figure_path="trials.png", figsize=(4, 3))
        print("RESULT " + json.dumps({
            "best": tuning_experiment.best_config(), "trial_id": trial_id,
            "lines": [len(a.axes[0].lines), len(b.axes[0].lines)],
            "metadata": tuning_experiment.metadata,
        }))
        """,
    )
    assert "best result found: {'trial_id':" in output
    assert out["best"]["trial_id"] == out["trial_id"]
    assert out["metadata"]["description"] == "just an example"
    assert min(out["lines"]) >= 1
    assert (tmp_path / "best.png").is_file() and (tmp_path / "trials.png").is_file()


@pytest.mark.slow
def test_launch_standalone_scheduler(tmp_path):
    """A ``TrialScheduler`` subclass of the user's (``_suggest``, ``on_trial_result`` returning
    ``SchedulerDecision``) runs on the native tuner and stops trials."""
    _, out = _run(
        tmp_path,
        "launch_height_standalone_scheduler.py",
        {"max_wallclock_time=20": "max_wallclock_time=4", "max_steps = 100": "max_steps = 5"},
        after="""
        import json
        result = tuner.result
        print("RESULT " + json.dumps({
            "histories": [len(h) for h in result.history().values()],
        }))
        """,
    )
    assert len(out["histories"]) > 4
    assert min(out["histories"]) < 5  # the scheduler stopped a trial before its 5 steps


def test_launch_ask_tell_scheduler(tmp_path):
    """RandomSearch and BayesianOptimization in ask/tell mode, a dill round trip of the
    scheduler in the middle."""
    pytest.importorskip("dill")
    output, _ = _run(
        tmp_path, "launch_ask_tell_scheduler.py", {"max_iterations = 100": "max_iterations = 16"}
    )
    for label in ("Random:", "GP with restart:", "GP:"):
        assert f"{label} TrialResult(trial_id=" in output
    assert (tmp_path / "scheduler-checkpoint.dill").is_file()


def test_launch_ask_tell_scheduler_hyperband(tmp_path):
    """ASHA in ask/tell mode: ``on_trial_result`` decisions compared with ``SchedulerDecision``."""
    pytest.importorskip("dill")  # it imports the ask/tell example, which imports dill
    output, _ = _run(tmp_path, "launch_ask_tell_scheduler_hyperband.py")
    assert "Hyperband: TrialResult(trial_id=" in output


@pytest.mark.slow
def test_launch_tensorboard_example(tmp_path):
    """``TensorboardCallback`` (tunesmith's TensorBoard view) and ``StoreResultsCallback``
    (nothing to add: the study stores every result) in the tuner's callbacks."""
    pytest.importorskip("tensorboardX")
    _, out = _run(
        tmp_path,
        "launch_tensorboard_example.py",
        {"max_wallclock_time=20": "max_wallclock_time=3", "max_steps = 100": "max_steps = 5"},
        after=_STUDY.format(tuner="tuner"),
    )
    runs = tmp_path / "home" / "tensorboard" / out["name"]
    trials = sorted(p.name for p in runs.iterdir())
    assert trials and all(t.startswith("trial_") for t in trials)
    assert all(any((runs / t).glob("events.out.tfevents.*")) for t in trials)
    # every trial that reported has its run (one stopped before reporting may have one too)
    assert {f"trial_{t}" for t in out["trials"]} <= set(trials)


@pytest.mark.slow
def test_launch_height_config_json(tmp_path):
    """The local branch: ``LocalBackend(pass_args_as_json=True)``, the script reads its config
    (lists and dicts among the constants) with ``utils.load_config_json``; the launcher imports
    the SageMaker names, which are here to be imported."""
    _, out = _run(
        tmp_path,
        "launch_height_config_json.py",
        {"max_epochs = 100": "max_epochs = 5", "else 10\n": "else 4\n"},
        after=_STUDY.format(tuner="tuner"),
    )
    assert out["rows"] > 0 and "failed" not in out["statuses"]
    assert {"list_arg", "dict_arg", "width", "height", "epoch"} <= set(out["columns"])


@pytest.mark.slow
def test_launch_transfer_learning_example(tmp_path):
    """Evaluations of earlier tasks (``tuner.tuning_status.get_dataframe()``, one row per
    trial with Syne Tune's status names) become ``TransferLearningTaskEvaluations`` for
    BoundingBox, ZeroShotTransfer and the quantile-based searcher under ``FIFOScheduler``."""
    output, _ = _run(
        tmp_path,
        "launch_transfer_learning_example.py",
        {"max_trials = 10\n": "max_trials = 4\n", "range(1, 6)": "range(1, 3)"},
    )
    for label in ("BayesianOptimization", "BoundingBox", "ZeroShotTransfer", "Quantiles"):
        assert f"Optimising transfer task using {label}" in output


@pytest.mark.slow
def test_launch_sklearn_surrogate_bo(tmp_path):
    """A surrogate model of one's own in Syne Tune's estimator interface, searched by
    ``SKLearnSurrogateSearcher`` under ``FIFOScheduler``."""
    pytest.importorskip("sklearn")
    _, out = _run(
        tmp_path,
        "launch_sklearn_surrogate_bo.py",
        {
            "max_wallclock_time=60": "max_wallclock_time=6",
            "MAX_RESOURCE_ATTR: 100,": "MAX_RESOURCE_ATTR: 3,",
        },
        after=_STUDY.format(tuner="tuner"),
    )
    assert len(out["trials"]) > 5 and "failed" not in out["statuses"]  # past the random ones
