"""The ``tunesmith`` command, run as a separate process against stores filled here."""

import csv
import json
import math
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tunesmith import RandomSearch, StoppingCriterion, Tuner, choice, loguniform, uniform
from tunesmith.space import space_to_json
from tunesmith.store import Event, Store
from tunesmith.testing.inline_backend import InlineBackend

SPACE = {"x": uniform(0, 1), "lr": loguniform(1e-4, 1e-1), "c": choice(["a", "b"]), "epochs": 3}


def curve(config, start):
    for epoch in range(start + 1, config["epochs"] + 1):
        if config["x"] > 0.8 and epoch == 2:
            raise RuntimeError("diverged")
        yield {"epoch": epoch, "loss": config["x"] + (config["c"] == "b") + 1.0 / epoch}


def fill_other(url):
    """A study written with the Store API: metric 'acc' (max), a NaN result, a pending trial."""
    with Store(url) as store:
        study = store.create_study(
            "other",
            config_space_json=space_to_json({"width": choice([8, 16])}),
            scheduler_spec={},
            metric="acc",
            mode="max",
            seed=None,
        )
        events = []
        for tid, (width, accs) in enumerate([(8, [0.5, 0.7]), (16, [0.6, math.nan]), (8, [])]):
            events.append(Event("trial_created", trial_id=tid, payload={"width": width}))
            if accs:
                events.append(Event("trial_started", trial_id=tid, payload={"resume": False}))
            for step, acc in enumerate(accs, start=1):
                events.append(Event("result", trial_id=tid, payload={"step": step, "acc": acc}))
            if accs:
                events.append(Event("trial_completed", trial_id=tid))
        store.append(study, events)


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    """A store with a real run ('demo': 8 trials, some failed) and 'other'."""
    folder = tmp_path_factory.mktemp("cli")
    url = f"sqlite:///{folder}/s.db"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TUNESMITH_HOME", str(folder / "home"))
        Tuner(
            InlineBackend(curve),
            RandomSearch(SPACE, metric="loss", mode="min", random_seed=0),
            StoppingCriterion(max_num_trials_started=8),
            n_workers=2,
            verbose=0,
            name="demo",
            storage=url,
        ).run()
    fill_other(url)
    return url


def cli(*args, cwd=None, check=0, prelude=None):
    """Run ``tunesmith ARGS``; assert the exit code is ``check`` (None: any)."""
    if prelude is None:
        command = [sys.executable, "-m", "tunesmith.cli", *args]
    else:  # e.g. hide an optional dependency
        code = f"{prelude}\nfrom tunesmith.cli import main\nmain(prog_name='tunesmith')"
        command = [sys.executable, "-c", code, *args]
    env = {**os.environ, "COLUMNS": "200"}  # tables in one line each, whatever the terminal
    out = subprocess.run(
        command, capture_output=True, text=True, cwd=cwd, stdin=subprocess.DEVNULL, env=env
    )
    if check is not None:
        assert out.returncode == check, out.stdout + out.stderr
    assert "Traceback" not in out.stderr, out.stderr
    return out


def cli_json(*args, **kwargs):
    return json.loads(cli(*args, "--json", **kwargs).stdout)


def test_help_lists_every_command():
    out = cli("--help").stdout
    for name in ("studies", "show", "trials", "best", "export", "plot", "delete"):
        assert f"  {name} " in out


def test_studies(url):
    rows = cli_json("studies", "--storage", url)
    with Store(url) as store:
        demo = store.trials("demo")
        best = store.best("demo")[0]
    assert [r["name"] for r in rows] == ["demo", "other"]
    assert rows[0]["metric"] == "loss" and rows[0]["mode"] == "min"
    assert rows[0]["num_trials"] == 8
    assert rows[0]["trials_by_status"] == dict(Counter(t["status"] for t in demo))
    assert rows[0]["trials_by_status"]["failed"] >= 1
    assert (rows[0]["best_value"], rows[0]["best_trial_id"]) == (best["value"], best["trial_id"])
    assert rows[0]["scope"] == "last"
    assert rows[1]["trials_by_status"] == {"completed": 2, "pending": 1}
    assert (rows[1]["best_value"], rows[1]["best_trial_id"]) == (0.7, 0)
    text = cli("studies", "--storage", url).stdout
    assert "demo" in text and "loss (min)" in text and "acc (max)" in text
    assert f"{best['value']:.6g}" in text and "best (last report)" in text
    # 'other' (acc, max): trial 0 wins by its last and by its best report
    rows = cli_json("studies", "--scope", "all", "--storage", url)
    assert (rows[1]["best_value"], rows[1]["best_trial_id"], rows[1]["scope"]) == (0.7, 0, "all")


def test_show(url):
    summary = cli_json("show", "demo", "--top", "3", "--storage", url)
    with Store(url) as store:
        trials = store.trials("demo")
        top = store.best("demo", 3)
        num_records = len(store.records("demo"))
    failed = [t for t in trials if t["status"] == "failed"]
    assert summary["num_results"] == num_records
    assert summary["failures_by_reason"] == {"exception": len(failed)}
    assert [t["trial_id"] for t in summary["top"]] == [t["trial_id"] for t in top]
    assert summary["best_config"] == top[0]["config"]
    assert summary["first_time"] <= summary["last_time"]
    assert summary["scheduler"] == "RandomSearch"
    text = cli("show", "demo", "--top", "3", "--storage", url).stdout
    assert "Top 3 by loss (min)" in text
    assert f"exception: {len(failed)}" in text
    assert f"x={top[0]['config']['x']:.6g}" in text


def test_trials(url):
    rows = cli_json("trials", "demo", "--storage", url)
    with Store(url) as store:
        assert rows == store.trials("demo")
    failed = cli_json("trials", "demo", "--status", "failed", "--storage", url)
    assert failed == [t for t in rows if t["status"] == "failed"] and failed
    assert {t["failure_reason"] for t in failed} == {"exception"}
    text = cli("trials", "demo", "--status", "failed", "--storage", url).stdout
    assert "RuntimeError: diverged" in text
    pending = cli_json(
        "trials", "other", "--status", "pending", "--status", "running", "--storage", url
    )
    assert [t["trial_id"] for t in pending] == [2]
    out = cli("trials", "demo", "--status", "done", "--storage", url, check=2)
    assert "'done' is not one of" in out.stderr


def test_best(url):
    rows = cli_json("best", "demo", "--k", "3", "--storage", url)
    with Store(url) as store:
        assert rows == store.best("demo", 3)
    assert len(cli_json("best", "demo", "--storage", url)) == 1
    acc = cli_json("best", "other", "--k", "5", "--storage", url)
    assert [(t["trial_id"], t["value"]) for t in acc] == [(0, 0.7)]  # trial 1 ended with NaN
    acc = cli_json("best", "other", "--k", "5", "--scope", "all", "--storage", url)
    assert [(t["trial_id"], t["value"]) for t in acc] == [(0, 0.7), (1, 0.6)]
    by_step = cli_json("best", "other", "--metric", "step", "--mode", "min", "--storage", url)
    assert by_step[0]["trial_id"] == 0 and by_step[0]["value"] == 2  # ties: lower id
    by_step = cli_json(
        "best", "other", "--metric", "step", "--mode", "min", "--scope", "all", "--storage", url
    )
    assert by_step[0]["trial_id"] == 0 and by_step[0]["value"] == 1
    out = cli("best", "other", "--metric", "step", "--storage", url, check=2)
    assert "pass --mode min or --mode max" in out.stderr
    text = cli("best", "demo", "--k", "2", "--storage", url).stdout
    assert "Best 2 of demo by loss (min)" in text and "loss (last report)" in text
    out = cli("best", "demo", "--scope", "final", "--storage", url, check=2)
    assert "'final' is not one of 'last', 'all'" in out.stderr


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_export_reads_back(url, tmp_path, fmt):
    out = cli("export", "demo", "--format", fmt, "--storage", url, cwd=tmp_path)
    path = tmp_path / f"demo.{fmt}"
    with Store(url) as store:
        records = store.records("demo")
    assert f"Wrote {len(records)} records of study 'demo' to demo.{fmt}" in out.stdout
    if fmt == "json":
        assert json.loads(path.read_text()) == records
    elif fmt == "csv":
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        assert len(rows) == len(records)
        assert [int(r["trial_id"]) for r in rows] == [r["trial_id"] for r in records]
        assert [float(r["loss"]) for r in rows] == [r["loss"] for r in records]
    else:
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        assert table.num_rows == len(records)
        assert table.column("loss").to_pylist() == [r["loss"] for r in records]


def test_export_format_from_out_suffix(url, tmp_path):
    cli("export", "other", "--out", str(tmp_path / "o.json"), "--storage", url)
    records = json.loads((tmp_path / "o.json").read_text())
    assert [r["acc"] for r in records] == [0.5, 0.7, 0.6, None]  # NaN: null
    out = cli("export", "other", "--out", str(tmp_path / "o.txt"), "--storage", url, check=2)
    assert "cannot tell the format from --out" in out.stderr
    out = cli("export", "other", "--storage", url, check=2)
    assert "pass --format csv, parquet or json" in out.stderr


@pytest.mark.parametrize("kind", ["curves", "best", "parallel"])
def test_plot_writes_a_png(url, tmp_path, kind):
    out = cli(
        "plot", "demo", "--kind", kind, "--resource-attr", "epoch", "--storage", url, cwd=tmp_path
    )
    path = tmp_path / f"demo-{kind}.png"
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert f"to demo-{kind}.png" in out.stdout


@pytest.mark.slow
def test_plot_options(url, tmp_path):
    with Store(url) as store:
        num_records = len(store.records("demo"))
    target = tmp_path / "b.svg"
    out = cli(
        "plot", "demo", "--kind", "best", "--x", "trials", "--out", str(target), "--storage", url
    )
    assert "(8 trials)" in out.stdout and target.read_text().lstrip().startswith("<?xml")
    out = cli(
        "plot", "demo", "--kind", "curves", "--out", str(tmp_path / "c.png"), "--storage", url
    )
    assert f"8 trials, {num_records} points" in out.stdout
    out = cli(
        "plot",
        "other",
        "--kind",
        "curves",
        "--metric",
        "step",
        "--out",
        str(tmp_path / "s.png"),
        "--storage",
        url,
    )
    assert "(2 trials, 4 points)" in out.stdout
    out = cli(
        "plot",
        "demo",
        "--metric",
        "acc",
        "--out",
        str(tmp_path / "x.png"),
        "--storage",
        url,
        check=2,
    )
    assert "no record has 'acc'" in out.stderr and "'loss'" in out.stderr
    out = cli("plot", "demo", "--kind", "best", "--metric", "epoch", "--storage", url, check=2)
    assert "pass --mode min or --mode max" in out.stderr
    out = cli("plot", "demo", "--out", str(tmp_path / "no" / "x.png"), "--storage", url, check=2)
    assert "No such file or directory" in out.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["show", "nope"],
        ["trials", "nope"],
        ["best", "nope"],
        ["export", "nope", "--format", "csv"],
        ["plot", "nope", "--kind", "curves"],
        ["delete", "nope", "--yes"],
    ],
)
def test_unknown_study_lists_the_known_ones(url, tmp_path, command):
    out = cli(*command, "--storage", url, cwd=tmp_path, check=2)
    assert "no study named 'nope'" in out.stderr
    assert "known studies: demo, other" in out.stderr
    assert out.stdout == "" and list(tmp_path.iterdir()) == []


def test_bad_storage_urls(tmp_path):
    out = cli("studies", "--storage", "results.db", check=2)
    assert "for a SQLite file write url='sqlite:///results.db'" in out.stderr
    out = cli("show", "demo", "--storage", "mysql://host/db", check=2)
    assert "must use SQLite" in out.stderr


def test_default_store_is_in_tunesmith_home(tmp_path):
    assert cli_json("studies") == []  # nothing there yet, and nothing is created
    assert list(Path(os.environ["TUNESMITH_HOME"]).iterdir()) == []
    assert "No studies: no store at" in cli("studies").stdout
    out = cli("show", "demo", check=2)
    assert "no study named 'demo': no store at" in out.stderr
    Tuner(
        InlineBackend(curve),
        RandomSearch(SPACE, metric="loss", random_seed=1),
        StoppingCriterion(max_num_trials_started=2),
        verbose=0,
        name="home-run",
    ).run()
    assert [r["name"] for r in cli_json("studies")] == ["home-run"]
    assert len(cli_json("trials", "home-run")) == 2


def test_missing_optional_dependencies_print_the_install_line(url, tmp_path):
    hide = "import sys; sys.modules['{}'] = None"
    out = cli(
        "plot", "demo", "--storage", url, prelude=hide.format("matplotlib"), check=2, cwd=tmp_path
    )
    assert 'pip install "tunesmith[plot]"' in out.stderr
    out = cli(
        "export",
        "demo",
        "--format",
        "parquet",
        "--storage",
        url,
        prelude=hide.format("pyarrow"),
        check=2,
        cwd=tmp_path,
    )
    assert 'pip install "tunesmith[parquet]"' in out.stderr
    assert list(tmp_path.iterdir()) == []


def test_delete(url, tmp_path):
    copy = f"sqlite:///{tmp_path}/copy.db"
    fill_other(copy)
    out = cli("delete", "other", "--storage", copy, check=2)
    assert "pass --yes" in out.stderr
    assert [r["name"] for r in cli_json("studies", "--storage", copy)] == ["other"]
    out = cli("delete", "other", "--yes", "--storage", copy)
    assert "Deleted study 'other' (3 trials, 4 results)" in out.stdout
    assert cli_json("studies", "--storage", copy) == []


def test_delete_asks_on_a_terminal(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from tunesmith.cli import common, main

    copy = f"sqlite:///{tmp_path}/copy.db"
    fill_other(copy)
    monkeypatch.setattr(common, "stdin_is_interactive", lambda: True)
    runner = CliRunner()
    answer_no = runner.invoke(main, ["delete", "other", "--storage", copy], input="n\n")
    assert answer_no.exit_code == 1 and "Delete study 'other'" in answer_no.output
    assert "Aborted" in answer_no.output
    with Store(copy) as store:
        assert store.find_study("other") is not None
    answer_yes = runner.invoke(main, ["delete", "other", "--storage", copy], input="y\n")
    assert answer_yes.exit_code == 0, answer_yes.output
    with Store(copy) as store:
        assert store.find_study("other") is None


def test_every_registered_command_loads():
    import click

    from tunesmith.cli import COMMANDS, main

    context = click.Context(main)
    assert main.list_commands(context)[: len(COMMANDS)] == list(COMMANDS)
    for name in COMMANDS:
        assert isinstance(main.get_command(context, name), click.Command)


def test_curves_find_the_resource_when_the_scheduler_names_none():
    from types import SimpleNamespace

    from tunesmith.cli.files import _resource_attr

    def study(**kwargs):
        return SimpleNamespace(scheduler_spec={"class": "X", "kwargs": kwargs})

    records = [{"trial_id": 0, "step": 1, "epoch": 1}, {"trial_id": 0, "step": 2, "epoch": 1}]
    assert _resource_attr(study(resource_attr="step"), records) == "step"
    assert _resource_attr(study(), records) == "epoch"
    assert _resource_attr(study(), [{"trial_id": 0, "epoch": 1}, {"trial_id": 1}]) is None
    assert _resource_attr(study(), []) is None


def two_objectives(config, start):
    for epoch in range(start + 1, 3):
        yield {"epoch": epoch, "err": config["x"] + 1.0 / epoch, "latency": 1.0 - config["x"]}


@pytest.fixture(scope="module")
def mo_url(tmp_path_factory):
    """A store with one study of two objectives (err, latency: every trial on the front)."""
    folder = tmp_path_factory.mktemp("cli-mo")
    url = f"sqlite:///{folder}/s.db"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TUNESMITH_HOME", str(folder / "home"))
        Tuner(
            InlineBackend(two_objectives),
            RandomSearch(SPACE, metric=["err", "latency"], mode="min", random_seed=0),
            StoppingCriterion(max_num_trials_started=5),
            verbose=0,
            name="mo",
            storage=url,
        ).run()
    return url


def test_show_best_and_studies_print_the_pareto_front_of_several_metrics(mo_url, tmp_path):
    with Store(mo_url) as store:
        front = store.pareto_front("mo")
    ids = [t["trial_id"] for t in front]
    assert len(ids) == 5
    summary = cli_json("show", "mo", "--top", "2", "--storage", mo_url)
    assert summary["pareto_front"] == ids and [t["trial_id"] for t in summary["top"]] == ids[:2]
    assert summary["metric"] == ["err", "latency"] and summary["best_config"] is None
    text = cli("show", "mo", "--top", "2", "--storage", mo_url).stdout
    assert "Pareto front  5 trials (last report)" in text
    assert "Pareto front of err (min), latency (min): 2 of 5 (--top)" in text
    assert "err (last report)" in text and "latency (last report)" in text
    rows = cli_json("best", "mo", "--storage", mo_url)
    assert [r["trial_id"] for r in rows] == ids and rows[0]["front"] == 0
    assert [r["trial_id"] for r in cli_json("best", "mo", "--k", "1", "--storage", mo_url)] == ids[
        :1
    ]
    assert (
        "Pareto front of mo: err (min), latency (min)"
        in cli("best", "mo", "--storage", mo_url).stdout
    )
    by_latency = cli_json("best", "mo", "--metric", "latency", "--storage", mo_url)
    assert by_latency[0]["value"] == min(t["last_result"]["latency"] for t in front)
    listed = cli_json("studies", "--storage", mo_url)
    assert listed[0]["pareto_front"] == ids
    assert "Pareto front: 5" in cli("studies", "--storage", mo_url).stdout
    out = tmp_path / "mo.csv"
    cli("export", "mo", "--out", str(out), "--storage", mo_url)
    header = out.read_text().splitlines()[0].split(",")
    assert {"err", "latency"} <= set(header)


@pytest.mark.slow
def test_plot_pareto_and_hypervolume_of_several_metrics(mo_url, url, tmp_path):
    out = cli("plot", "mo", "--kind", "pareto", "--storage", mo_url, cwd=tmp_path)
    assert "(5 of 5 points on the front) to mo-pareto.png" in out.stdout
    assert (tmp_path / "mo-pareto.png").read_bytes().startswith(b"\x89PNG")
    out = cli("plot", "mo", "--kind", "pareto", "--scope", "all", "--storage", mo_url, cwd=tmp_path)
    assert "of 10 points on the front" in out.stdout
    target = tmp_path / "hv.svg"
    out = cli("plot", "mo", "--kind", "hypervolume", "--out", str(target), "--storage", mo_url)
    assert "(10 results)" in out.stdout and target.read_text().lstrip().startswith("<?xml")
    out = cli(
        "plot", "mo", "--kind", "hypervolume", "--x", "trials", "--storage", mo_url, cwd=tmp_path
    )
    assert "(10 results)" in out.stdout
    out = cli("plot", "demo", "--kind", "pareto", "--storage", url, check=2)
    assert "--kind pareto needs a study with several metrics" in out.stderr
    assert "has one ('loss')" in out.stderr


def test_show_prints_the_study_metadata(tmp_path):
    url = f"sqlite:///{tmp_path}/m.db"
    Tuner(
        InlineBackend(lambda config, start: iter([{"loss": config["x"]}])),
        RandomSearch({"x": uniform(0, 1)}, metric="loss", random_seed=0),
        StoppingCriterion(max_num_trials_started=2),
        verbose=0,
        name="with-metadata",
        storage=url,
        run_dir=tmp_path / "run",
        metadata={"dataset": "mnist", "commit": "abc123"},
    ).run()
    assert cli_json("show", "with-metadata", "--storage", url)["metadata"] == {
        "dataset": "mnist",
        "commit": "abc123",
    }
    assert "dataset=mnist, commit=abc123" in cli("show", "with-metadata", "--storage", url).stdout
