"""Transfer learning on related tasks: RUSH vs ASHA, ASHA-CTS vs ASHA, BoundingBox vs random
search and ZeroShotTransfer vs random search, over seeds, on the generated tables.

Target task (``--target``): ``gbm-breast_cancer`` (gradient boosting on scikit-learn's
breast_cancer, 81 trees), ``mlp-digits`` (the numpy MLP on digits, 81 epochs),
``gbm-synthetic`` (gradient boosting on the first half of a synthetic classification problem,
:data:`SYNTHETIC`: 1,333 training and 667 validation examples, built here on first use with
3 seeds and cached) or ``mlp-synthetic`` (the numpy MLP of ``mlp-digits`` on the same half),
val_loss capped at ln(classes) as the objective. Earlier tasks
(``--earlier``, each run as its own pair):

* ``seed0`` (every target): the target table's own seed 0, and the target its seeds 1 and 2
  (scored by their mean): the same model on the same data trained again with other seeds
  (boosting's subsampling; the MLP's initialization and minibatch order);
* ``breast_cancer-resplit`` (gbm) and ``digits-resplit`` (mlp): the same data split again
  (``random_state=1`` instead of 0), so the earlier task trains and validates on other
  examples of the same problem, the repeated-HPO setting RUSH was made for (Zappella et al.,
  2021: the same model tuned again on new data);
* ``wine`` (gbm): scikit-learn's wine (another dataset, 3 classes);
* ``synthetic-other-half`` (``gbm-synthetic``, ``mlp-synthetic``): the other 2,000 examples
  of the same synthetic problem, split the same way: new data from the same source, with
  three times breast_cancer's 190 validation examples. ``--synthetic-problem N`` draws another
  problem (``make_classification``'s ``random_state``; both tables built for it and cached
  apart).

The tables of the last three kinds hold the same model family and the same 1,024 configs as the
target (``tunesmith.bench.build`` samples them from the same space with the same seed), one
seed (``--earlier-seeds``), built here on first use and cached (on one idle core, a few minutes
for gbm, about 8 for mlp).

For each pair the JSON first gives how related the tasks are, measured on the tables alone:
the Spearman rank correlation of the configs' final losses, where the earlier task's best
configs rank on the target, and the two things RUSH and BoundingBox rely on: how many of the
target's 10 best configs clear the thresholds that the earlier task's best config sets at every
rung (its own target curve, mean over seeds), and lie in the box of the earlier task's best
``--box-size`` configs.

Then every method runs, restricted to the table's configs, in the simulator with 4 workers until
``--budget`` simulated seconds have passed, on the same seeds (seed ``s`` draws the same table
seeds and, for a method and its counterpart, the same random configs after the transferred
ones). Figures per method: the *anytime regret*, the regret of the run's incumbent (the trial
with the best val_loss reported so far at the largest fidelity, 81 trees or epochs, one table
seed per trial as the tuner saw it; scored by the table's mean over seeds there minus the
table's best mean; the worst config's regret before any trial got there) at 1/16, 1/8, 1/4,
1/2 and all of the budget and averaged over them (gradient boosting overfits: a value reported
at fewer trees says little of the config at 81), and the *final* regret, that of the config
the run returns as best; each a mean over seeds with a 95 % bootstrap interval; per pair the mean
paired difference (transfer minus counterpart, with its interval) and the seeds the transfer
method won, tied and lost.

The budget (``--budget``, default 4 simulated seconds for gbm, 16 for mlp) allows about 200
evaluations at the largest fidelity; ASHA and its kin have tried every config of the table by
a third to a half of it (``ended_median_s``: when the runs ended; ``ended_early``: how many
runs tried every config before the budget was spent). A smaller ``--budget`` (1 s on mlp, 0.6
s on gbm) ends the runs before the table is exhausted, as a larger table would (all of them on
the gbm pairs; on mlp ``seed0`` one of 20 RUSH-promotion runs still ended at 0.98 s).

Methods (``--methods``): ``RUSH``, ``ASHA``, ``ASHA-CTS``, ``RandomSearch``, ``BoundingBox``,
``ZeroShotTransfer`` by default; ``RUSH-promotion`` (``type="promotion"``) and its counterpart
``ASHA-promotion`` on request.

The NAS-Bench-201 tables of the catalogue (``nas201-*``) hold final values only (no learning
curves), so the multi-fidelity methods cannot run on them: ``benchmarks/transfer_box.py`` uses
them for BoundingBox.

    python benchmarks/transfer.py --target mlp-digits --seeds 20 --jobs 2 > transfer.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from tunesmith import bench
from tunesmith.backends.simulator import SimulatorBackend
from tunesmith.bench import build as build_module
from tunesmith.bench.catalogue import loss_variant
from tunesmith.bench.tabular import TabularBlackbox
from tunesmith.schedulers import ASHA, ASHACTS, RUSH, BoundingBox, RandomSearch, ZeroShotTransfer
from tunesmith.schedulers.transfer_learning import bounding_box
from tunesmith.searchers import TransferLearningTaskEvaluations
from tunesmith.space import config_errors
from tunesmith.stopping import StoppingCriterion
from tunesmith.tuner import Tuner

#: where the earlier tasks' tables are cached (ignored by git)
CACHE = Path(os.environ.get("TUNESMITH_HOME", "tunesmith-results")) / "bench-cache"

#: fractions of the budget at which the anytime regret is read (log-spaced: ASHA and its kin
#: run through a table's 1,024 configs in a third to a half of the default budget)
FRACTIONS = (1 / 16, 1 / 8, 1 / 4, 1 / 2, 1.0)


def _wine():
    from sklearn.datasets import load_wine

    x, y = load_wine(return_X_y=True)
    return build_module._split(x, y)


def _resplit(load):
    def data():
        from sklearn.model_selection import train_test_split

        x, y = load()
        xtr, xva, ytr, yva = train_test_split(x, y, test_size=1 / 3, random_state=1, stratify=y)
        return xtr, ytr, xva, yva

    return data


def _breast_cancer():
    from sklearn.datasets import load_breast_cancer

    return load_breast_cancer(return_X_y=True)


def _digits():
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return (x / 16.0).astype(np.float32), y  # as mlp-digits scales them


#: the synthetic problem of ``gbm-synthetic``: 4,000 examples drawn once (a fixed seed), two
#: classes, 20 features of which 8 informative and 4 redundant, 3 % of labels flipped
SYNTHETIC = dict(
    n_samples=4000,
    n_features=20,
    n_informative=8,
    n_redundant=4,
    flip_y=0.03,
    class_sep=0.8,
    random_state=0,
)


def _synthetic(half: int, dtype=np.float64):
    """One half of :data:`SYNTHETIC`'s examples (2,000, disjoint from the other half's),
    split as the shipped tables split their data (a third for validation); ``dtype``: the
    features' (float32 for the MLP, as mlp-digits)."""

    def data():
        from sklearn.datasets import make_classification

        x, y = make_classification(**SYNTHETIC)
        x = x.astype(dtype)
        n = len(y) // 2
        return build_module._split(x[half * n : (half + 1) * n], y[half * n : (half + 1) * n])

    return data


#: target table -> (number of classes, simulated budget in seconds: about 200 evaluations at
#: the largest fidelity with 4 workers)
TARGETS = {
    "gbm-breast_cancer": (2, 4.0),
    "mlp-digits": (10, 16.0),
    "gbm-synthetic": (2, 8.0),
    "mlp-synthetic": (2, 16.0),
}

#: targets that are not shipped tables: (family, description, data), built here on first use
#: with 3 seeds and cached, like the earlier tasks
BUILT_TARGETS = {
    "gbm-synthetic": (
        "gbm-breast_cancer",
        "gradient boosting on the first half of a synthetic classification problem",
        _synthetic(0),
    ),
    "mlp-synthetic": (
        "mlp-digits",
        "the numpy MLP on the first half of a synthetic classification problem",
        _synthetic(0, np.float32),
    ),
}

#: target table -> earlier task -> (description, data); ``seed0`` is the target table's own
#: first seed (no data: see :func:`tables`)
EARLIER = {
    "gbm-breast_cancer": {
        "wine": ("gradient boosting on scikit-learn's wine", _wine),
        "breast_cancer-resplit": (
            "gradient boosting on breast_cancer split with random_state=1",
            _resplit(_breast_cancer),
        ),
        "seed0": ("the target table's seed 0 (the target: its seeds 1 and 2)", None),
    },
    "mlp-digits": {
        "digits-resplit": (
            "the numpy MLP on digits split with random_state=1",
            _resplit(_digits),
        ),
        "seed0": ("the target table's seed 0 (the target: its seeds 1 and 2)", None),
    },
    "gbm-synthetic": {
        "synthetic-other-half": (
            "gradient boosting on the other half of the synthetic problem (new data)",
            _synthetic(1),
        ),
        "seed0": ("the target table's seed 0 (the target: its seeds 1 and 2)", None),
    },
    "mlp-synthetic": {
        "synthetic-other-half": (
            "the numpy MLP on the other half of the synthetic problem (new data)",
            _synthetic(1, np.float32),
        ),
        "seed0": ("the target table's seed 0 (the target: its seeds 1 and 2)", None),
    },
}

N_CLASSES = {"wine": 3, "breast_cancer-resplit": 2, "digits-resplit": 10, "synthetic-other-half": 2}


def _seeds(table: TabularBlackbox, seeds: list[int]) -> TabularBlackbox:
    """``table`` with only the seeds ``seeds``."""
    return TabularBlackbox(
        table.configurations(),
        table.values[:, seeds],
        metrics=table.metrics,
        objective=table.objective,
        fidelity_name=table.fidelity_name,
        fidelities=table.fidelities,
        time_attr=table.time_attr,
        config_space=table.config_space,
        name=f"{table.name}-seeds{''.join(map(str, seeds))}",
        info=table.info,
    )


def target_table(target: str) -> TabularBlackbox:
    n_classes = TARGETS[target][0]
    if target in BUILT_TARGETS:
        family, description, data = BUILT_TARGETS[target]
        table = _built(target, family, description, data, n_classes, 3)
    else:
        table = bench.load(target)
    return loss_variant(table, np.log(n_classes), f"{target}-loss")


def _built(
    name: str, family: str, description: str, data, n_classes: int, n_seeds: int
) -> TabularBlackbox:
    """The table of ``family``'s model and configs on ``data`` (built once, then read from
    disk)."""
    problem = SYNTHETIC["random_state"]
    if "synthetic" in name and problem != 0:  # another draw of the synthetic problem
        name = f"{name}-problem{problem}"
    path = CACHE / f"{name}-{n_seeds}.npz"
    if not path.exists():
        base = build_module.BUILDERS[family]
        build_module.BUILDERS[name] = build_module.Builder(
            name, description, base.space, base.fidelity_name, data, base.train, n_classes
        )
        CACHE.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        build_module.build(name, path, n_seeds=n_seeds)
        print(f"built {path} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return TabularBlackbox.load(path)


def earlier_table(target: str, task: str, n_seeds: int) -> TabularBlackbox:
    """The target's model family on ``task``'s data, the same configs as the target (built
    once, then read from disk), with val_loss capped at ln(classes) as its objective."""
    description, data = EARLIER[target][task]
    n_classes = N_CLASSES[task]
    family = BUILT_TARGETS[target][0] if target in BUILT_TARGETS else target
    name = f"{family.split('-')[0]}-{task}"
    table = _built(name, family, description, data, n_classes, n_seeds)
    return loss_variant(table, np.log(n_classes), f"{name}-loss")


def tables(target: str, task: str, n_seeds: int) -> tuple[TabularBlackbox, TabularBlackbox]:
    """``(target, earlier)`` of a pair. For ``seed0`` the earlier task is the target table's
    seed 0 and the target is its other seeds (scored by their mean): the same model on the
    same data, trained again with other random seeds."""
    full = target_table(target)
    if task == "seed0":
        rest = list(range(1, full.values.shape[1]))
        return _seeds(full, rest), _seeds(full, [0])
    return full, earlier_table(target, task, n_seeds)


def bootstrap(values: np.ndarray, rng: np.random.Generator, n: int = 5000) -> list[float]:
    means = rng.choice(values, size=(n, len(values))).mean(axis=1)
    return [float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))]


def _final_means(table: TabularBlackbox) -> np.ndarray:
    m = list(table.metrics).index(table.objective)
    return table.values[:, :, -1, m].mean(axis=1)


def relatedness(target: TabularBlackbox, earlier: TabularBlackbox, box_size: int) -> dict:
    """How related the two tables are (both minimized, the same configs in the same order)."""
    from scipy.stats import spearmanr

    configs = target.configurations()
    if configs != earlier.configurations():
        raise ValueError("the tables must hold the same configs in the same order")
    t, e = _final_means(target), _final_means(earlier)
    t_rank = np.empty(len(t), dtype=int)
    t_rank[np.argsort(t, kind="stable")] = np.arange(1, len(t) + 1)
    e_order = np.argsort(e, kind="stable")
    t_top = np.argsort(t, kind="stable")[:10]
    # RUSH: the earlier best config's target curve (mean over seeds) at ASHA's rungs
    m = list(target.metrics).index(target.objective)
    curves = target.values[:, :, :, m].mean(axis=1)  # (configs, fidelities)
    fid = list(target.fidelities)
    rungs = [r for r in (1, 3, 9, 27, 81) if r in fid]
    steps = [fid.index(r) for r in rungs]
    hurdle = curves[e_order[0]]
    cleared = [int(all(curves[i, s] <= hurdle[s] for s in steps if s != steps[-1])) for i in t_top]
    # BoundingBox: the box of the earlier task's best box_size configs
    ev = {"earlier": TransferLearningTaskEvaluations.from_blackbox(earlier)}
    box = bounding_box(
        target.config_space, ev, metric=earlier.objective, num_hyperparameters_per_task=box_size
    )
    inside = np.array([not config_errors(box, c) for c in configs])
    best = float(t.min())
    t_order = np.argsort(t, kind="stable")
    return {
        "spearman_final": round(float(spearmanr(t, e).statistic), 3),
        "top_k_overlap": {
            str(k): len(set(t_order[:k].tolist()) & set(e_order[:k].tolist())) for k in (10, 20, 50)
        },
        "target_ranks_of_earlier_top10": [int(t_rank[i]) for i in e_order[:10]],
        "target_regret_of_earlier_best": round(float(t[e_order[0]] - best), 4),
        "target_top10_clearing_the_best_configs_thresholds": sum(cleared),
        "rush_thresholds": {
            str(r): round(float(hurdle[s]), 4) for r, s in zip(rungs, steps, strict=True)
        },
        "box_size": box_size,
        "box_configs": int(inside.sum()),
        "target_top10_in_box": int(inside[t_top].sum()),
        "target_regret_of_best_in_box": round(float(t[inside].min() - best), 4),
    }


def _scheduler(name, table, evaluations, seed, box_size):
    space = table.config_space
    configs = table.configurations()
    common = dict(metric=table.objective, mode=table.mode, random_seed=seed)
    mf = dict(resource_attr=table.fidelity_name, max_t=table.max_fidelity)
    tl = dict(transfer_learning_evaluations=evaluations)
    if name in ("ASHA", "ASHA-promotion"):
        from tunesmith.searchers import RandomSearcher

        kind = "promotion" if name == "ASHA-promotion" else "stopping"
        searcher = RandomSearcher(space, random_seed=seed, restrict_configurations=configs)
        return ASHA(
            space, searcher=searcher, metric=table.objective, mode=table.mode, type=kind, **mf
        )
    if name in ("RUSH", "RUSH-promotion"):
        kind = "promotion" if name == "RUSH-promotion" else "stopping"
        return RUSH(space, restrict_configurations=configs, type=kind, **common, **mf, **tl)
    if name == "ASHA-CTS":
        return ASHACTS(space, restrict_configurations=configs, **common, **mf, **tl)
    if name == "RandomSearch":
        return RandomSearch(space, restrict_configurations=configs, **common)
    if name == "ZeroShotTransfer":
        return ZeroShotTransfer(space, restrict_configurations=configs, **common, **tl)
    if name == "BoundingBox":

        def inside(box, mode, metric):
            kept = [c for c in configs if not config_errors(box, c)]
            return RandomSearch(
                box, metric=metric, mode=mode, random_seed=seed, restrict_configurations=kept
            )

        return BoundingBox(
            inside,
            space,
            metric=table.objective,
            mode=table.mode,
            num_hyperparameters_per_task=box_size,
            **tl,
        )
    raise ValueError(name)


def run_one(name, table, evaluations, seed, budget, box_size) -> dict:
    """One run: the regret of its incumbent (the trial with the best value reported so far at
    the largest fidelity, scored by the table's mean over seeds there) at each fraction of the
    budget, and that of the config the run returns as best."""
    limit = StoppingCriterion(max_wallclock_time=budget)
    clock: list[tuple[int, float]] = []  # (reports so far, simulated time)

    def stop(status) -> bool:
        clock.append((status.num_evaluations, status.wallclock_time))
        return limit(status)

    result = Tuner(
        SimulatorBackend(table, seed=seed),
        _scheduler(name, table, evaluations, seed, box_size),
        stop,
        n_workers=4,
        storage="memory",
        verbose=0,
    ).run()
    optimum = float(table.best()[1])

    def regret(config) -> float:
        return max(float(table.evaluate(config)[table.objective]) - optimum, 0.0)

    full = table.max_fidelity
    rows = [r for r in result.results if table.objective in r]
    times = []  # simulated time of each report: the first check that had seen it
    j = 0
    for i, _ in enumerate(result.results):
        while j < len(clock) - 1 and clock[j][0] <= i:
            j += 1
        times.append(clock[j][1] if clock else 0.0)
    times = [t for t, r in zip(times, result.results, strict=True) if table.objective in r]
    worst = float(np.max(_final_means(table))) - optimum
    anytime = []
    for fraction in FRACTIONS:
        seen = [
            r
            for r, t in zip(rows, times, strict=True)
            if t <= fraction * budget and r.get(table.fidelity_name) == full
        ]
        if not seen:  # nothing evaluated in full yet: the worst config's regret
            anytime.append(worst)
            continue
        best = min(seen, key=lambda r: r[table.objective])
        anytime.append(regret(result.trials[best["trial_id"]].config))
    final = regret(result.best_trial().config)
    # when the run ended: before the budget when every config of the table had been tried
    return {"anytime": anytime, "final": final, "ended": clock[-1][1] if clock else 0.0}


PAIRS = [
    ("RUSH", "ASHA"),
    ("RUSH-promotion", "ASHA-promotion"),
    ("ASHA-CTS", "ASHA"),
    ("BoundingBox", "RandomSearch"),
    ("ZeroShotTransfer", "RandomSearch"),
]


def _summary(values: np.ndarray, rng) -> dict:
    return {
        "mean": round(float(values.mean()), 5),
        "ci95": [round(x, 5) for x in bootstrap(values, rng)],
    }


#: what the pool's processes run on (set before they fork)
_JOB: dict = {}


def _run_job(job: tuple[str, int]) -> dict:
    name, seed = job
    c = _JOB
    return run_one(name, c["target"], c["evaluations"], seed, c["budget"], c["box_size"])


def run_pair(task: str, args, rng) -> dict:
    target, earlier = tables(args.target, task, args.earlier_seeds)
    evaluations = {task: TransferLearningTaskEvaluations.from_blackbox(earlier)}
    out: dict = {
        "table_best": float(target.best()[1]),
        "relatedness": relatedness(target, earlier, args.box_size),
    }
    methods = sorted({m for pair in PAIRS for m in pair} & set(args.methods.split(",")))
    t0 = time.perf_counter()
    _JOB.update(target=target, evaluations=evaluations, budget=args.budget, box_size=args.box_size)
    jobs = [(m, seed) for seed in range(args.seeds) for m in methods]
    if args.jobs > 1:
        import multiprocessing

        with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
            done = pool.map(_run_job, jobs, chunksize=1)
    else:
        done = [_run_job(job) for job in jobs]
    runs: dict[str, list[dict]] = {m: [] for m in methods}
    for (m, _), result in zip(jobs, done, strict=True):
        runs[m].append(result)
    figures = {}
    for m in methods:
        anytime = np.array([r["anytime"] for r in runs[m]])
        final = np.array([r["final"] for r in runs[m]])
        figures[m] = {
            "anytime_regret": _summary(anytime.mean(axis=1), rng),
            "regret_at_fraction": {
                str(f): _summary(anytime[:, i], rng) for i, f in enumerate(FRACTIONS)
            },
            "final_regret": _summary(final, rng),
            "ended_median_s": round(float(np.median([r["ended"] for r in runs[m]])), 3),
            "ended_min_s": round(float(np.min([r["ended"] for r in runs[m]])), 3),
            # runs that tried every config of the table before the budget was spent
            "ended_early": sum(r["ended"] < args.budget for r in runs[m]),
            "runs": {
                "anytime": anytime.mean(axis=1).round(5).tolist(),
                "at_fraction": anytime.round(5).tolist(),
                "final": final.round(5).tolist(),
            },
        }
    out["methods"] = figures
    out["pairs"] = {}
    for a, b in PAIRS:
        if a not in runs or b not in runs:
            continue
        pair = {}
        for what in ("anytime", "final"):
            d = np.array(figures[a]["runs"][what]) - np.array(figures[b]["runs"][what])
            pair[what] = _difference(d, rng)
        at = np.array(figures[a]["runs"]["at_fraction"])
        at = at - np.array(figures[b]["runs"]["at_fraction"])
        pair["at_fraction"] = {str(f): _difference(at[:, i], rng) for i, f in enumerate(FRACTIONS)}
        out["pairs"][f"{a} vs {b}"] = pair
    out["seconds"] = round(time.perf_counter() - t0, 1)
    return out


def _difference(d: np.ndarray, rng) -> dict:
    """A paired difference (transfer minus counterpart): its mean with a bootstrap interval,
    and the seeds won, tied and lost."""
    return {
        **_summary(d, rng),
        "wins_ties_losses": [int((d < 0).sum()), int((d == 0).sum()), int((d > 0).sum())],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", default="gbm-breast_cancer", choices=sorted(TARGETS))
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument(
        "--budget",
        type=float,
        help="simulated seconds (default: 4 for gbm-breast_cancer, 16 for mlp-digits and "
        "mlp-synthetic, 8 for gbm-synthetic)",
    )
    parser.add_argument("--earlier", help="earlier tasks, one pair each (default: all of them)")
    parser.add_argument("--earlier-seeds", type=int, default=1)
    parser.add_argument(
        "--synthetic-problem",
        type=int,
        default=0,
        help="gbm-synthetic: the seed that draws the synthetic problem (default 0)",
    )
    parser.add_argument("--box-size", type=int, default=10, help="BoundingBox's configs per task")
    parser.add_argument(
        "--methods",
        default=",".join(
            sorted({m for p in PAIRS for m in p} - {"RUSH-promotion", "ASHA-promotion"})
        ),
        help="comma-separated (default: all but RUSH-promotion and ASHA-promotion)",
    )
    parser.add_argument("--jobs", type=int, default=1, help="runs in parallel (processes)")
    parser.add_argument("--relatedness-only", action="store_true")
    args = parser.parse_args()
    if args.budget is None:
        args.budget = TARGETS[args.target][1]
    tasks = args.earlier.split(",") if args.earlier else list(EARLIER[args.target])
    known = list(EARLIER[args.target])
    unknown = [t for t in tasks if t not in known]
    if unknown:
        parser.error(f"unknown earlier tasks {unknown} for {args.target}; known: {known}")
    SYNTHETIC["random_state"] = args.synthetic_problem
    rng = np.random.default_rng(0)
    out: dict = {
        "target": f"{args.target}-loss",
        "synthetic_problem": args.synthetic_problem,
        "seeds": args.seeds,
        "budget_simulated_s": args.budget,
        "fractions": list(FRACTIONS),
        "n_workers": 4,
        "pairs": {},
    }
    for task in tasks:
        if args.relatedness_only:
            target, earlier = tables(args.target, task, args.earlier_seeds)
            out["pairs"][task] = {"relatedness": relatedness(target, earlier, args.box_size)}
        else:
            out["pairs"][task] = run_pair(task, args, rng)
        print(json.dumps({task: out["pairs"][task]}), file=sys.stderr, flush=True)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
