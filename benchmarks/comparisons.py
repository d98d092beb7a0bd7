"""The method comparisons of docs/bench.md, run and summed up by one command.

Each comparison runs its (method, benchmark, seed) studies on the simulator with the default
budgets and 4 simulated workers (as ``tunesmith bench run``; a store per comparison, so an
interrupted run resumes and finished studies are not run again), then prints what
``tunesmith bench table --versus`` prints: per benchmark and method, the interquartile mean
(IQM) over seeds of the normalized regret at fractions of the budget and anytime (the mean of
the curve over the whole budget), the anytime value's 95 % percentile-bootstrap interval over
seeds, and the one-sided Mann-Whitney p-value that a method's anytime values over seeds are
lower than a reference method's. Runs are seeded, so the numbers are the same on every machine.

    python benchmarks/comparisons.py --json [--only restricted] [--dir bench-comparisons]
        [--figures docs/figures] [--processes N]

On a loaded 2-core machine: ``random-asha`` takes a few minutes, ``surrogate`` about 15,
``restricted`` (3,600 runs) over an hour.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

TABLES = ["gbm-breast_cancer", "gbm-breast_cancer-loss", "mlp-digits", "mlp-digits-loss"]
SCHEDULERS = ["ASHA", "SyncHyperband", "BOHB", "DEHB"]

#: name -> what is run ((methods, benchmarks, number of seeds) groups), whether the methods are
#: restricted to the tables' configs, the reference methods of the tests, the figure
COMPARISONS = {
    "random-asha": {
        "runs": [
            (["RandomSearch", "ASHA"], ["mlp-digits", "gbm-breast_cancer", "hartmann6-mf"], 10)
        ],
        "restrict": False,
        "versus": ["RandomSearch"],
        "figure": "asha-vs-random.png",
    },
    "restricted": {
        "runs": [
            (SCHEDULERS, TABLES, 200),
            (["SyncHyperband", "DEHB"], ["gbm-breast_cancer"], 400),
        ],
        "restrict": True,
        "versus": ["ASHA+restricted", "SyncHyperband+restricted"],
        "figure": "bohb-dehb.png",
    },
    "surrogate": {
        "runs": [(SCHEDULERS, TABLES, 20)],
        "restrict": False,
        "versus": ["ASHA", "SyncHyperband"],
        "figure": "bohb-dehb-surrogate.png",
    },
}
FRACTIONS = [0.25, 0.5, 1.0]


def run_comparison(
    name: str, folder: Path, processes: int | None, figures: Path | None
) -> dict[str, object]:
    from tunesmith.experiments import run_experiments
    from tunesmith.experiments.compare import anytime_tests, compare, rank_table

    spec = COMPARISONS[name]
    storage = f"sqlite:///{(folder / f'{name}.db').resolve()}"
    for methods, benchmarks, seeds in spec["runs"]:
        run_experiments(
            methods,
            benchmarks,
            list(range(seeds)),
            budget=None,
            n_workers=4,
            storage=storage,
            processes=processes,
            restrict=spec["restrict"],
        )
    comparison = compare(storage)
    table = rank_table(comparison, FRACTIONS)
    if figures is not None:
        from tunesmith.experiments.plot import plot_comparison

        plot_comparison(comparison, figures / spec["figure"])
    return {
        "storage": storage,
        "at": table["values"],
        "anytime": table["anytime"]["values"],
        "interval": table["anytime"]["interval"],
        "seeds": table["anytime"]["seeds"],
        "p_lower": {versus: anytime_tests(comparison, versus) for versus in spec["versus"]},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=sorted(COMPARISONS), action="append")
    parser.add_argument("--dir", default="bench-comparisons", help="folder of the stores")
    parser.add_argument("--figures", default=None, help="draw each comparison's figure here")
    parser.add_argument("--processes", type=int, default=None, help="parallel runs (CPUs)")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    figures = None if args.figures is None else Path(args.figures)
    out = {}
    for name in args.only or list(COMPARISONS):
        out[name] = run_comparison(name, folder, args.processes, figures)
        if not args.json:
            print(name, json.dumps(out[name], indent=2), flush=True)
    if args.json:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
