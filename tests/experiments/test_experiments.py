import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from _wait import wait_for
from tunesmith.experiments import make_method, run_experiments
from tunesmith.experiments.compare import compare, iqm, parse_study_name, rank_table
from tunesmith.experiments.runner import default_budget, load_benchmark


def test_iqm_is_the_mean_of_the_middle_half():
    values = np.array([[0.0], [1.0], [2.0], [3.0], [100.0], [-100.0], [1.5], [2.5]])
    assert iqm(values)[0] == pytest.approx(np.mean([1.0, 1.5, 2.0, 2.5]))


def test_study_names_round_trip():
    assert parse_study_name("bench.mlp-digits.ASHA.3") == ("mlp-digits", "ASHA", 3)
    assert parse_study_name("bench.a.b.c.RandomSearch.0") == ("a.b.c", "RandomSearch", 0)
    assert parse_study_name("my-study") is None


def test_methods_and_their_errors():
    blackbox = load_benchmark("branin-mf")
    scheduler = make_method("ASHA", blackbox, seed=1)
    assert scheduler.rung_levels[:3] == [1, 3, 9]
    with pytest.raises(ValueError, match=r"unknown method 'Nope'; valid names are \["):
        make_method("Nope", blackbox, seed=0)
    with pytest.raises(ValueError, match="needs a benchmark with a fidelity"):
        make_method("ASHA", load_benchmark("branin"), seed=0)


def test_incomplete_tables_are_answered_by_their_surrogate():
    blackbox = load_benchmark("mlp-digits")
    assert blackbox.configurations() is None  # any config of the space
    assert default_budget(blackbox) > 0


@pytest.mark.slow
def test_run_compare_table_and_plot(tmp_path):
    storage = f"sqlite:///{tmp_path / 'bench.db'}"
    rows = run_experiments(
        ["RandomSearch", "ASHA"],
        ["mlp-digits"],
        [0, 1, 2],
        budget=None,
        n_workers=2,
        storage=storage,
        processes=1,
    )
    assert len(rows) == 6 and all(r["results"] > 0 for r in rows)
    again = run_experiments(
        ["ASHA"], ["mlp-digits"], [0], budget=None, n_workers=2, storage=storage, processes=1
    )
    assert again[0]["results"] == next(r for r in rows if r["method"] == "ASHA")["results"]
    assert again[0]["skipped"] and not any(r["skipped"] for r in rows)  # finished: not rerun
    comparison = compare(storage)
    assert comparison.benchmarks == ["mlp-digits"]
    assert comparison.normalized["mlp-digits"]
    curve = comparison.curves["mlp-digits"]["ASHA"]
    assert curve.per_seed.shape == (3, 100)
    assert np.all(np.diff(curve.per_seed, axis=1) <= 1e-12)  # best so far never gets worse
    assert np.all((curve.per_seed >= 0) & (curve.per_seed <= 1))
    table = rank_table(comparison, [0.5, 1.0])
    assert set(table["average_rank"]["1.0"]) == {"ASHA", "RandomSearch"}
    from tunesmith.experiments.plot import plot_comparison

    plot_comparison(comparison, tmp_path / "cmp.png")
    assert (tmp_path / "cmp.png").stat().st_size > 10_000


@pytest.mark.slow
def test_bench_cli(tmp_path):
    storage = f"sqlite:///{tmp_path / 'bench.db'}"
    cli = [sys.executable, "-m", "tunesmith.cli", "bench"]
    out = subprocess.run([*cli, "list", "--json"], capture_output=True, text=True, check=True)
    assert "mlp-digits" in {row["name"] for row in json.loads(out.stdout)}
    run = [
        *cli,
        "run",
        "--methods",
        "RandomSearch",
        "--benchmarks",
        "branin-mf",
        "--seeds",
        "2",
        "--max-trials",
        "5",
        "--storage",
        storage,
        "--json",
    ]
    out = subprocess.run(run, capture_output=True, text=True, check=True)
    assert [r["trials"] for r in json.loads(out.stdout)] == [5, 5]
    out = subprocess.run(
        [*cli, "table", "--storage", storage, "--json"], capture_output=True, text=True, check=True
    )
    assert "RandomSearch" in json.loads(out.stdout)["average_rank"]["1.0"]
    bad = subprocess.run(
        [*cli, "run", "--methods", "Nope", "--benchmarks", "branin-mf", "--storage", storage],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "unknown method 'Nope'" in bad.stderr


def _children(pid):
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            kids.append(int(stat.parent.name))
    return kids


def _running(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; prctl is Linux's")
def test_killing_bench_run_kills_its_worker_processes(tmp_path):
    storage = f"sqlite:///{tmp_path / 'bench.db'}"
    cmd = [sys.executable, "-m", "tunesmith.cli", "bench", "run", "--methods", "ASHA"]
    cmd += ["--benchmarks", "hartmann6-mf", "--seeds", "4", "--processes", "2", "--budget", "1e9"]
    parent = subprocess.Popen([*cmd, "--storage", storage], stdout=subprocess.DEVNULL)
    try:
        workers = wait_for(
            lambda: len(kids := _children(parent.pid)) >= 2 and kids, "the pool's 2 workers"
        )
        wait_for(lambda: len(_studies(storage)) >= 2, "each worker to begin an experiment")
    finally:
        parent.kill()
        parent.wait()
    try:
        wait_for(
            lambda: not any(_running(p) for p in workers),
            f"the workers {workers} to end with `bench run`",
        )
    finally:  # do not leave them running when this fails
        for pid in workers:
            if _running(pid):
                os.kill(pid, signal.SIGKILL)


def _studies(storage):
    from tunesmith.store import Store

    store = Store(storage)
    try:
        return store.list_studies()
    finally:
        store.close()


def test_ties_share_their_average_rank():
    from tunesmith.experiments.compare import Comparison, Curve

    def curve(method, value):
        times = np.array([0.0, 1.0])
        row = np.full((1, 2), value)
        return Curve(method, [0], times, row, row[0], row[0], row[0])

    comparison = Comparison(["b"], ["A", "B", "C"], {"b": 1.0})
    comparison.curves["b"] = {"A": curve("A", 0.0), "B": curve("B", 0.0), "C": curve("C", 0.5)}
    table = rank_table(comparison, [1.0])
    assert table["average_rank"]["1.0"] == {"A": 1.5, "B": 1.5, "C": 3.0}  # not 1, 2 by name
    assert table["anytime"]["values"]["b"] == {"A": 0.0, "B": 0.0, "C": 0.5}
    assert table["anytime"]["average_rank"] == {"A": 1.5, "B": 1.5, "C": 3.0}


def test_anytime_interval_bootstraps_the_seeds():
    from tunesmith.experiments.compare import Comparison, Curve, iqm

    times = np.linspace(0.0, 1.0, 5)
    same = np.full((8, 5), 0.25)  # every seed alike: no uncertainty
    spread = np.linspace(0.0, 0.7, 8)[:, None] + np.zeros((1, 5))
    comparison = Comparison(["b"], ["A", "B"], {"b": 1.0})
    comparison.curves["b"] = {
        m: Curve(m, list(range(8)), times, rows, iqm(rows), iqm(rows), iqm(rows))
        for m, rows in (("A", same), ("B", spread))
    }
    interval = rank_table(comparison, [1.0])["anytime"]["interval"]["b"]
    assert interval["A"] == [0.25, 0.25]
    lo, hi = interval["B"]
    value = rank_table(comparison, [1.0])["anytime"]["values"]["b"]["B"]
    assert lo < value < hi and hi - lo > 0.1  # the IQM of the middle half moves with resampling
    assert lo >= 0.0 and hi <= 0.7


def test_results_are_scored_by_their_seed_averaged_value(tmp_path):
    """A lucky seed of a table must not count as finding the optimum: the best so far scores
    each result by its config's mean over the table's seeds at the fidelity it reported."""
    from tunesmith import bench
    from tunesmith.experiments.compare import _best_so_far
    from tunesmith.store.events import Event

    table = bench.load("gbm-breast_cancer")
    config = table.configurations()[1]
    noisy = table.evaluate(config, 9, seed=1)["val_error"]
    mean = table.evaluate(config, 9)["val_error"]
    assert noisy != mean
    events = [
        Event("trial_created", trial_id=0, payload=config, time=0.0),
        Event("result", trial_id=0, payload={"val_error": noisy, "trees": 9}, time=2.0),
    ]
    times, best = _best_so_far(events, "val_error", "min", table)
    assert times.tolist() == [2.0] and best.tolist() == [pytest.approx(mean)]
    _, observed = _best_so_far(events, "val_error", "min")
    assert observed.tolist() == [noisy]


def test_restricted_runs_suggest_only_table_configs(tmp_path):
    from tunesmith import bench
    from tunesmith.store import Store

    storage = f"sqlite:///{tmp_path / 'bench.db'}"
    methods = ["ASHA", "SyncHyperband", "BOHB", "SyncBOHB", "DEHB", "MOBSTER"]
    rows = run_experiments(
        methods,
        ["gbm-breast_cancer"],
        [0],
        budget=None,
        n_workers=2,
        storage=storage,
        processes=1,
        max_trials=40,
        restrict=True,
    )
    assert [r["study"] for r in rows] == [
        f"bench.gbm-breast_cancer.{m}+restricted.0" for m in methods
    ]
    assert all(r["trials"] == 40 for r in rows)
    table = bench.load("gbm-breast_cancer")
    with Store(storage) as store:
        for study in store.list_studies():
            configs = [e.payload for e in store.read_events(study) if e.kind == "trial_created"]
            assert len(configs) == 40
            for config in configs:
                table.row(config)  # KeyError unless tabulated
    comparison = compare(storage)
    assert comparison.methods == sorted(f"{m}+restricted" for m in methods)


def test_restricted_runs_reject_what_cannot_be_restricted(tmp_path, monkeypatch):
    from tunesmith.experiments import methods

    storage = f"sqlite:///{tmp_path / 'bench.db'}"
    options = {"budget": None, "n_workers": 1, "storage": storage, "restrict": True}
    # a scheduler that takes neither restrict_configurations nor a searcher
    odd = methods.Method("tunesmith.schedulers:MedianStoppingRule")
    monkeypatch.setitem(methods.METHODS, "Odd", odd)
    with pytest.raises(ValueError, match=r"method 'Odd' cannot be restricted .* can are \['ASHA'"):
        run_experiments(["Odd"], ["gbm-breast_cancer"], [0], **options)
    with pytest.raises(ValueError, match="benchmark 'branin-mf' has no table of configurations"):
        run_experiments(["ASHA"], ["branin-mf"], [0], **options)
    with pytest.raises(ValueError, match="'branin' has no table of configurations"):
        make_method("RandomSearch", load_benchmark("branin"), seed=0, restrict=True)


def test_finished_experiments_are_skipped_and_larger_ones_extended(tmp_path):
    storage = f"sqlite:///{tmp_path / 'bench.db'}"
    options = {"n_workers": 2, "storage": storage, "processes": 1}
    first = run_experiments(["RandomSearch"], ["branin"], [0], budget=None, max_trials=5, **options)
    assert [(r["trials"], r["skipped"]) for r in first] == [(5, False)]
    again = run_experiments(["RandomSearch"], ["branin"], [0], budget=None, max_trials=5, **options)
    assert [(r["trials"], r["skipped"]) for r in again] == [(5, True)]
    more = run_experiments(["RandomSearch"], ["branin"], [0], budget=None, max_trials=8, **options)
    assert [(r["trials"], r["skipped"]) for r in more] == [(8, False)]
    # a budget reached: skipped; a larger one: extended
    small = run_experiments(["ASHA"], ["branin-mf"], [0], budget=200.0, **options)
    assert not small[0]["skipped"]
    assert run_experiments(["ASHA"], ["branin-mf"], [0], budget=200.0, **options)[0]["skipped"]
    large = run_experiments(["ASHA"], ["branin-mf"], [0], budget=400.0, **options)
    assert not large[0]["skipped"] and large[0]["results"] > small[0]["results"]


def test_a_crashed_run_is_not_taken_for_a_finished_one(tmp_path, monkeypatch):
    from tunesmith.searchers import RandomSearcher

    storage = f"sqlite:///{tmp_path / 'bench.db'}"
    options = {"budget": None, "n_workers": 2, "storage": storage, "processes": 1}
    original = RandomSearcher._suggest
    calls = []

    def failing(self):
        calls.append(1)
        if len(calls) > 3:
            raise RuntimeError("the searcher broke")
        return original(self)

    monkeypatch.setattr(RandomSearcher, "_suggest", failing)
    with pytest.raises(RuntimeError, match="the searcher broke"):
        run_experiments(["RandomSearch"], ["branin"], [0], max_trials=6, **options)
    monkeypatch.setattr(RandomSearcher, "_suggest", original)
    again = run_experiments(["RandomSearch"], ["branin"], [0], max_trials=6, **options)
    assert [(r["trials"], r["skipped"]) for r in again] == [(6, False)]


def test_a_study_extended_over_runs_counts_all_their_time(tmp_path):
    storage = f"sqlite:///{tmp_path / 'bench.db'}"
    options = {"n_workers": 2, "storage": storage, "processes": 1}
    for budget, skipped in [(200.0, False), (400.0, False), (400.0, True), (300.0, True)]:
        row = run_experiments(["ASHA"], ["branin-mf"], [0], budget=budget, **options)[0]
        assert row["skipped"] is skipped, budget
    # other workers: the study is resumed with them, not taken as finished
    row = run_experiments(["ASHA"], ["branin-mf"], [0], budget=400.0, **{**options, "n_workers": 3})
    assert not row[0]["skipped"]


@pytest.mark.parametrize("processes", [1, 2])
def test_ctrl_c_stops_bench_run_not_only_its_current_study(tmp_path, processes):
    """Ctrl-C (SIGINT to the process group, as a terminal sends it) ends the whole command:
    the studies running then stop cleanly and the queued experiments do not start."""
    storage = f"sqlite:///{tmp_path / 'bench.db'}"
    cmd = [sys.executable, "-m", "tunesmith.cli", "bench", "run", "--methods", "ASHA"]
    cmd += ["--benchmarks", "hartmann6-mf", "--seeds", "6", "--budget", "1e9"]
    cmd += ["--processes", str(processes), "--storage", storage]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        wait_for(lambda: len(_studies(storage)) >= processes, "the first experiments to begin")
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, err
    if processes == 1:
        assert "Interrupted: interrupted (Ctrl-C): experiment bench.hartmann6-mf.ASHA." in err
        assert "run the same command again to resume it" in err
    else:  # this process is interrupted too, while it waits for the pool
        assert "Interrupted" in err and "Traceback" not in err
    assert len(_studies(storage)) == processes  # the 4 or 5 others never started
