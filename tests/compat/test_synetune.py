"""tunesmith.compat.synetune: Syne Tune's first example (training script + launcher) runs with
only its import lines changed, as top-level code; Reporter's ``[tune-metric]:`` lines reach the
script backend; Syne Tune's config space functions and utilities map to tunesmith's. The
baselines and schedulers: tests/compat/test_synetune_baselines.py."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import tunesmith
from tunesmith.compat.synetune import Reporter, StoppingCriterion, Tuner
from tunesmith.compat.synetune import config_space as cs
from tunesmith.compat.synetune.backend import LocalBackend, PythonBackend
from tunesmith.compat.synetune.errors import NotSupported
from tunesmith.compat.synetune.experiments import load_experiment
from tunesmith.compat.synetune.optimizer import baselines as bl
from tunesmith.compat.synetune.tuner import REBUILD_KEY

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "synetune"


def _env(tmp_path: Path) -> dict[str, str]:
    return dict(os.environ, TUNESMITH_HOME=str(tmp_path / "home"), MPLBACKEND="Agg")


# -- Syne Tune's first example ----------------------------------------------------------------


def test_first_example_runs_with_only_its_imports_changed(tmp_path):
    """The launcher and script of examples/synetune as written (top-level code), with fewer
    epochs and a trial cap so that the test is short."""
    shutil.copytree(EXAMPLE, tmp_path / "synetune")
    launcher = tmp_path / "synetune" / "launch_height_simple.py"
    code = launcher.read_text()
    for old, new in (
        ('"epochs": 100', '"epochs": 4'),
        ("max_wallclock_time=30)", "max_wallclock_time=120, max_num_trials_started=5)"),
        ("n_workers=4,", "n_workers=2,"),
    ):
        assert old in code
        code = code.replace(old, new)
    code += textwrap.dedent(
        """
        from tunesmith.compat.synetune.experiments import load_experiment
        trial_id, config = tuner.best_config()
        exp = load_experiment(tuner.name)
        print("RESULT", json.dumps({
            "name": tuner.name, "best": [trial_id, config], "exp_best": exp.best_config(),
            "rows": len(exp.results), "metadata": exp.metadata,
            "trials": sorted(tuner.result.trials),
        }))
        """
    )
    launcher.write_text("import json\n" + code)
    proc = subprocess.run(
        [sys.executable, str(launcher)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(tmp_path),
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    out = json.loads(line[len("RESULT ") :])
    assert out["name"].startswith("train-height-simple-")
    assert out["trials"] == [0, 1, 2, 3, 4]
    trial_id, config = out["best"]
    assert set(config) == {"width", "height", "epochs"} and config["epochs"] == 4
    assert out["exp_best"]["trial_id"] == trial_id
    assert out["metadata"]["metric_names"] == ["mean_loss"]
    assert 5 <= out["rows"] <= 20
    trial_dir = tmp_path / "home" / out["name"] / "trials" / "0"
    assert "[tune-metric]: {" in (trial_dir / "stdout.log").read_text()


# -- Reporter, LocalBackend and the script backend --------------------------------------------

SCRIPT = """
import argparse, json, os
from tunesmith.compat.synetune import Reporter
from tunesmith.compat.synetune.constants import ST_CHECKPOINT_DIR
parser = argparse.ArgumentParser()
parser.add_argument("--x", type=float)
parser.add_argument("--epochs", type=int)
parser.add_argument(f"--{ST_CHECKPOINT_DIR}", type=str)
parser.add_argument("--st_config_json_filename", type=str)
args, _ = parser.parse_known_args()
if args.st_config_json_filename:
    with open(args.st_config_json_filename) as f:
        config = json.load(f)
    x, epochs = config["x"], config["epochs"]
else:
    x, epochs = args.x, args.epochs
ckpt = getattr(args, ST_CHECKPOINT_DIR)
report = Reporter()
for epoch in range(1, epochs + 1):
    report(epoch=epoch, loss=x * epoch, ckpt=int(ckpt is not None and os.path.isdir(ckpt)))
"""


@pytest.mark.parametrize("as_json", [False, True])
def test_local_backend_passes_config_and_checkpoint_dir_and_reads_reporter_lines(tmp_path, as_json):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    space = {"x": cs.uniform(0, 1), "epochs": 3}
    backend = LocalBackend(entry_point=str(script), pass_args_as_json=as_json)
    tuner = Tuner(
        trial_backend=backend,
        scheduler=bl.RandomSearch(space, metric="loss", random_seed=3),
        stop_criterion=StoppingCriterion(max_num_trials_started=2),
        n_workers=1,
        tuner_name="json" if as_json else "args",
        trial_backend_path=str(tmp_path / "run"),
    )
    tuner.run()
    results = tuner.result.results
    assert len(results) == 6
    for r in results:
        x = tuner.result.trials[r["trial_id"]].config["x"]
        assert r["loss"] == pytest.approx(x * r["epoch"])
        # a fresh trial's checkpoint folder does not exist yet, as with Syne Tune's backend
        assert r["ckpt"] == 0 and r["st_worker_iter"] == r["epoch"] - 1
        assert "st_worker_time" in r and "st_worker_timestamp" in r
    assert tuner.result.trials[0].config["x"] == pytest.approx(0.5)  # Syne Tune's midpoint first
    assert backend.checkpoint_trial_path(1) == tmp_path / "run" / "trials" / "1" / "checkpoint"
    trial_id, config = tuner.best_config()
    assert config["x"] == min(t.config["x"] for t in tuner.result.trials.values())


def test_native_script_backend_reads_tune_metric_lines_and_its_own(tmp_path):
    script = tmp_path / "both.py"
    script.write_text(
        'import json\nprint("[tune-metric]: " + json.dumps({"epoch": 1, "loss": 2.0}))\n'
        'print("[tunesmith] " + json.dumps({"epoch": 2, "loss": 1.0}))\n'
        'print("[tune-metric]:" + json.dumps({"epoch": 3, "loss": 0.5}), end="")\n'
    )
    result = tunesmith.Tuner(
        tunesmith.ScriptBackend(f"python {script}"),
        tunesmith.RandomSearch({"x": tunesmith.uniform(0, 1)}, metric="loss", random_seed=0),
        tunesmith.StoppingCriterion(max_num_trials_started=1),
        storage="memory",
        verbose=0,
    ).run()
    assert [(r["epoch"], r["loss"]) for r in result.results] == [(1, 2.0), (2, 1.0), (3, 0.5)]


def test_bad_tune_metric_line_fails_the_trial(tmp_path):
    script = tmp_path / "bad.py"
    script.write_text('print("[tune-metric]: {not json}")\n')
    result = tunesmith.Tuner(
        tunesmith.ScriptBackend(f"python {script}"),
        tunesmith.RandomSearch({"x": tunesmith.uniform(0, 1)}, metric="loss", random_seed=0),
        tunesmith.StoppingCriterion(max_num_trials_started=1),
        storage="memory",
        verbose=0,
        max_failures=1,
    ).run()
    trial = result.trials[0]
    assert trial.status.value == "failed"
    assert "[tune-metric]:" in (trial.failure_detail or "")


def tune_function(x, epochs):
    from tunesmith.compat.synetune import Reporter

    reporter = Reporter()
    for i in range(epochs):
        reporter(epoch=i + 1, y=x + i)


def test_python_backend_runs_a_function_with_its_arguments(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path))
    space = {"x": cs.uniform(-10, 10), "epochs": 3, "unused": 1}
    tuner = Tuner(
        trial_backend=PythonBackend(tune_function=tune_function, config_space=space),
        scheduler=bl.ASHA(space, metric="y", resource_attr="epoch", random_seed=1),
        stop_criterion=StoppingCriterion(max_num_trials_started=3),
        n_workers=1,
        tuner_name="python-backend",
        suffix_tuner_name=False,
        metadata={"purpose": "test"},
    )
    tuner.run()
    assert len(tuner.result.trials) == 3
    first = [r for r in tuner.result.results if r["trial_id"] == 0]
    assert [r["y"] for r in first] == [0.0, 1.0, 2.0]  # x = 0.0, the midpoint, first
    assert json.loads((tuner.tuner_path / "metadata.json").read_text())["purpose"] == "test"
    stored = tunesmith.load_study("python-backend").metadata  # the study's, and how to rebuild
    assert stored.pop(REBUILD_KEY)["backend"]["class"] == "PythonBackend"
    assert stored == {"purpose": "test"}
    (tuner.tuner_path / "metadata.json").unlink()
    assert load_experiment("python-backend").metadata == {"purpose": "test"}


def test_early_checkpoint_removal_kwargs_make_the_native_callback():
    space = {"x": cs.uniform(0, 1), "epochs": 9}
    removal = {"max_num_checkpoints": 4, "approx_steps": 25, "prior_beta_mean": 0.25}
    asha = bl.ASHA(
        space,
        metric="loss",
        resource_attr="epoch",
        type="promotion",
        early_checkpoint_removal_kwargs=removal,
    )
    # approx_steps has nothing to set: the resume probability is exact
    assert asha.early_checkpoint_removal_kwargs == {
        "max_num_checkpoints": 4,
        "prior_beta_mean": 0.25,
    }


def test_reporter_outside_a_trial_prints_syne_tune_lines(capsys):
    report = Reporter()
    report(epoch=1, loss=0.5)
    report(epoch=2, loss=0.25)
    lines = capsys.readouterr().out.splitlines()
    payloads = [json.loads(line.split(": ", 1)[1]) for line in lines]
    assert all(line.startswith("[tune-metric]: ") for line in lines)
    assert [p["st_worker_iter"] for p in payloads] == [0, 1]
    assert payloads[1]["loss"] == 0.25 and "st_worker_time" in payloads[1]


def test_load_experiment_reads_the_store(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path))
    space = {"x": cs.uniform(-10, 10), "epochs": 2}
    tuner = Tuner(
        trial_backend=PythonBackend(tune_function, space),
        scheduler=bl.RandomSearch(space, metric="y", mode="max", random_seed=0),
        stop_criterion=StoppingCriterion(max_num_trials_started=3),
        n_workers=1,
    )
    tuner.run()
    exp = load_experiment(tuner.name)
    best = exp.best_config()
    trial_id, config = tuner.best_config()
    assert best == {"trial_id": trial_id, **{k: config[k] for k in ("x", "epochs")}}
    assert len(exp.results) == 6 and exp.metadata["metric_mode"] == "max"
    assert exp.tuner is None and REBUILD_KEY not in exp.metadata
    with pytest.raises(
        NotSupported,
        match=r"load_tuner=True: the experiment '.+' ran PythonBackend\(tune_function="
        r"test_synetune.tune_function\), and a function is not stored; build the Tuner again",
    ):
        load_experiment(tuner.name, load_tuner=True)


def _plain(value):
    """A state as plain Python data (numpy arrays as lists), to compare two states."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def test_load_tuner_rebuilds_a_script_tuner_that_continues_its_study(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path / "home"))
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    space = {"x": cs.uniform(0, 1), "epochs": 3}
    tuner = Tuner(
        trial_backend=LocalBackend(entry_point=str(script), pass_args_as_json=True),
        scheduler=bl.BayesianOptimization(space, metric="loss", random_seed=3),
        stop_criterion=StoppingCriterion(max_num_trials_started=3),
        n_workers=1,
        metadata={"purpose": "test"},
    )
    tuner.run()
    exp = load_experiment(tuner.name, load_tuner=True)
    loaded = exp.tuner
    assert exp.metadata["purpose"] == "test" and REBUILD_KEY not in exp.metadata
    assert loaded.name == tuner.name and loaded.n_workers == 1
    assert loaded.trial_backend.entry_point == str(script.resolve())
    assert loaded.trial_backend.pass_args_as_json
    assert loaded.stop_criterion.max_num_trials_started == 3
    # the scheduler: rebuilt from its spec, with the journal replayed: the original's state
    assert loaded.scheduler.spec() == tuner.native.scheduler.spec()
    assert _plain(loaded.scheduler.state_dict()) == _plain(tuner.native.scheduler.state_dict())
    # run() with a larger criterion continues the same study
    loaded.stop_criterion = StoppingCriterion(max_num_trials_started=5)
    loaded.run()
    assert "created with other metadata" not in caplog.text  # the larger criterion is no change
    trials = loaded.result.trials
    assert sorted(trials) == [0, 1, 2, 3, 4]
    for tid in (0, 1, 2):  # the stored trials, not run again
        assert trials[tid].config == tuner.result.trials[tid].config
    reports = [r["trial_id"] for r in loaded.result.results]
    assert sorted(reports) == [t for t in range(5) for _ in range(3)]  # nothing repeated
    assert loaded.scheduler is loaded.native.scheduler
    assert len(load_experiment(tuner.name).results) == 15


def test_stopping_criterion_takes_syne_tunes_order_and_cost_field():
    crit = StoppingCriterion(10, 100, 5)  # max_wallclock_time, max_num_evaluations, started
    assert crit.max_wallclock_time == 10 and crit.max_num_evaluations == 100
    assert crit.max_num_trials_started == 5 and crit.cost_attr == "st_worker_cost"


# -- config space -----------------------------------------------------------------------------


def test_config_space_functions_map_to_tunesmith_domains():
    assert cs.randint(1, 20) == tunesmith.randint(1, 20)
    assert cs.finrange(0, 1, 5) == tunesmith.finrange(0, 1, 5)
    assert cs.ordinal(["a", "b"]) == tunesmith.ordinal(["a", "b"])
    assert cs.ordinal([1, 2, 5], kind="equal") == tunesmith.ordinal([1, 2, 5])
    assert cs.ordinal([1, 2, 3]) == tunesmith.finrange(1, 3, 3, cast_int=True)  # kind="nn"
    assert cs.logordinal([1, 10, 100]) == tunesmith.logfinrange(1, 100, 3, cast_int=True)
    assert cs.logordinal([1, 2, 5]) == tunesmith.ordinal([1, 2, 5])
    assert cs.quniform(0.1, 1.0, 0.05).values[:3] == [0.1, 0.15, 0.2]
    assert cs.qrandint(0, 100, 10).values == list(range(0, 101, 10))
    assert cs.qloguniform(1, 3, 0.5).categories == [1.0, 1.5, 2.0, 2.5, 3.0]
    assert cs.qlograndint(4, 64) == tunesmith.lograndint(4, 64)
    assert cs.reverseloguniform(0.9, 0.999) == tunesmith.space.reverseloguniform(0.9, 0.999)
    with pytest.raises(ValueError, match="kind"):
        cs.ordinal([1, 2], kind="bad")
    import argparse

    parser = argparse.ArgumentParser()
    space = {"a": cs.uniform(0, 1), "b": cs.randint(1, 3), "c": cs.choice(["x", "y"]), "e": 3}
    cs.add_to_argparse(parser, space)
    args = parser.parse_args(["--a", "0.5", "--b", "2", "--c", "y"])
    assert (args.a, args.b, args.c) == (0.5, 2, "y")
    assert cs.config_space_size({"b": cs.randint(1, 3), "c": cs.choice(["x", "y"])}) == 6
    assert cs.non_constant_hyperparameter_keys(space) == ["a", "b", "c"]


def test_streamline_config_space_follows_syne_tunes_example():
    from tunesmith.compat.synetune.utils import streamline_config_space

    space = {
        "n_units": cs.randint(4, 1024),
        "dropout": cs.uniform(0, 0.9),
        "learning_rate": cs.uniform(1e-6, 1),
        "weight_decay": cs.choice([0.001, 0.01, 0.1, 1.0]),
        "magic_constant": cs.choice([1, 2, 5, 10, 15, 30]),
        "steps": cs.choice([1, 2, 5, 10, 20, 50]),
    }
    new = streamline_config_space(space, exclude_names=["dropout"])
    assert new["n_units"] == tunesmith.lograndint(4, 1024)
    assert new["dropout"] == space["dropout"]
    assert new["learning_rate"] == tunesmith.loguniform(1e-6, 1)
    assert new["weight_decay"] == tunesmith.logfinrange(0.001, 1.0, 4)
    assert new["magic_constant"] == tunesmith.ordinal([1, 2, 5, 10, 15, 30])  # logordinal
    assert new["steps"].values == [1, 2, 5, 10, 22, 47]  # Syne Tune's docs: ..., 22, 48


def test_importing_the_front_end_loads_no_heavy_module():
    code = textwrap.dedent(
        """
        import sys
        import tunesmith
        assert "tunesmith.compat" not in sys.modules
        from tunesmith.compat.synetune import Reporter
        heavy = {"numpy", "scipy", "sqlalchemy", "matplotlib", "pandas", "cloudpickle"}
        print(sorted(m for m in sys.modules if m.split(".")[0] in heavy))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_local_backend_rotates_gpus_as_syne_tune_does(tmp_path, monkeypatch):
    script = tmp_path / "train.py"
    script.write_text("")
    backend = LocalBackend(str(script), num_gpus_per_trial=2, gpus_to_use=[4, 5, 6, 7])
    assert (backend.gpus_per_trial, backend.gpus) == (2, ["4", "5", "6", "7"])
    fixed = LocalBackend(str(script), rotate_gpus=False, gpus_to_use=[1, 2])
    assert fixed.gpus_per_trial == 0 and fixed.env["CUDA_VISIBLE_DEVICES"] == "1,2"
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")  # a machine without GPUs: nothing to rotate
    assert LocalBackend(str(script)).gpus_per_trial == 0
    with pytest.raises(ValueError, match="num_gpus_per_trial must be an integer >= 1, but got 0"):
        LocalBackend(str(script), num_gpus_per_trial=0)
