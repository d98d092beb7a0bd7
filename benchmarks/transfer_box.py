"""BoundingBox against its counterpart on the single-fidelity tables of one model family:
NAS-Bench-201 (the same 15,625 cells on cifar10, cifar100 and ImageNet16-120) or FCNet (the
same 62,208 MLP configs on protein, naval, parkinsons and slice).

The target is one table (``--target``); the earlier tasks are the family's other tables
(``--earlier``, default all of them), whose every config and seed is the evaluations
(``TransferLearningTaskEvaluations.from_blackbox``). The JSON first says how related the
target is to each earlier task and to the box: Spearman rank correlation of the configs' seed
means, the overlap of their best 10/20/50/100 configs, the target rank of each earlier task's
best config; the box's size (configs of the table in it), how many of the target's 10 best it
holds, and the target regret of the best config in it.

Methods, restricted to the table's configs, each run on the same seeds with one worker in the
simulator (a trial's table seed is drawn per trial) for ``--evaluations`` trials:
``RandomSearch`` and ``BoundingBox`` around it (random search restricted to the box's configs);
with ``--bo`` also ``BayesianOptimization`` and ``BoundingBox`` around it. Regret after n
evaluations: that of the incumbent (the config with the best observed value among the first
n, scored by the table's seed mean) against the table's best seed mean; mean over seeds with a
95 % bootstrap interval, and per pair the paired difference (transfer minus counterpart) with
its interval and the seeds won, tied and lost.

    python benchmarks/transfer_box.py --family nas201 --target nas201-cifar100 --seeds 20
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time

import numpy as np

FAMILIES = {
    "nas201": ["nas201-cifar10", "nas201-cifar100", "nas201-imagenet"],
    "fcnet": ["fcnet-protein", "fcnet-naval", "fcnet-parkinsons", "fcnet-slice"],
}

CHECKPOINTS = (10, 25, 50, 100)

#: what the pool's processes run on (set before they fork)
_JOB: dict = {}


def bootstrap(values: np.ndarray, rng: np.random.Generator, n: int = 5000) -> list[float]:
    means = rng.choice(values, size=(n, len(values))).mean(axis=1)
    return [float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))]


def _means(table) -> np.ndarray:
    """Seed means of the objective at the last fidelity, as losses (lower is better)."""
    m = list(table.metrics).index(table.objective)
    sign = 1.0 if table.mode == "min" else -1.0
    return sign * table.values[:, :, -1, m].mean(axis=1)


def relatedness(target, earlier: dict, box_size: int) -> dict:
    from scipy.stats import spearmanr

    from tunesmith.schedulers.transfer_learning import bounding_box
    from tunesmith.searchers import TransferLearningTaskEvaluations
    from tunesmith.space import config_errors

    t = _means(target)
    t_order = np.argsort(t, kind="stable")
    t_rank = np.empty(len(t), dtype=int)
    t_rank[t_order] = np.arange(1, len(t) + 1)
    out: dict = {"tasks": {}}
    for name, table in earlier.items():
        e = _means(table)
        e_order = np.argsort(e, kind="stable")
        out["tasks"][name] = {
            "spearman": round(float(spearmanr(t, e).statistic), 3),
            "top_k_overlap": {
                str(k): len(set(t_order[:k].tolist()) & set(e_order[:k].tolist()))
                for k in (10, 20, 50, 100)
            },
            "target_rank_of_best": int(t_rank[e_order[0]]),
        }
    evaluations = {n: TransferLearningTaskEvaluations.from_blackbox(b) for n, b in earlier.items()}
    box = bounding_box(
        target.config_space,
        evaluations,
        metric=target.objective,
        mode=target.mode,
        num_hyperparameters_per_task=box_size,
    )
    inside = np.array([not config_errors(box, c) for c in target.configurations()])
    out.update(
        box_size=box_size,
        box_configs=int(inside.sum()),
        target_top10_in_box=int(inside[t_order[:10]].sum()),
        target_regret_of_best_in_box=round(float(t[inside].min() - t.min()), 6),
        box={k: repr(v) for k, v in box.items()},
    )
    return out


def _scheduler(name: str, seed: int):
    from tunesmith.schedulers import BayesianOptimization, BoundingBox, RandomSearch
    from tunesmith.space import config_errors

    c = _JOB
    table, configs = c["target"], c["configs"]
    metric, mode = table.objective, table.mode
    kind = RandomSearch if name.endswith("RandomSearch") else BayesianOptimization
    if not name.startswith("BoundingBox"):
        return kind(
            table.config_space,
            metric=metric,
            mode=mode,
            random_seed=seed,
            restrict_configurations=configs,
        )

    def inside(box, mode, metric):
        kept = [cfg for cfg in configs if not config_errors(box, cfg)]
        return kind(box, metric=metric, mode=mode, random_seed=seed, restrict_configurations=kept)

    return BoundingBox(
        inside,
        table.config_space,
        metric=metric,
        mode=mode,
        transfer_learning_evaluations=c["evaluations"],
        num_hyperparameters_per_task=c["box_size"],
    )


def _run_job(job: tuple[str, int]) -> list[float]:
    """One run: the regret after each checkpoint's number of evaluations."""
    from tunesmith.backends.simulator import SimulatorBackend
    from tunesmith.stopping import StoppingCriterion
    from tunesmith.tuner import Tuner

    name, seed = job
    table = _JOB["target"]
    result = Tuner(
        SimulatorBackend(table, seed=seed),
        _scheduler(name, seed),
        StoppingCriterion(max_num_trials_started=_JOB["n_evaluations"]),
        n_workers=1,
        storage="memory",
        verbose=0,
    ).run()
    sign = 1.0 if table.mode == "min" else -1.0
    optimum = sign * float(table.best()[1])
    trials = [result.trials[i] for i in sorted(result.trials)]
    regrets = []
    for n in _JOB["checkpoints"]:
        scored = [t for t in trials[:n] if t.last_result and table.objective in t.last_result]
        incumbent = min(scored, key=lambda t: sign * t.last_result[table.objective])
        value = sign * float(table.evaluate(incumbent.config)[table.objective])
        regrets.append(max(value - optimum, 0.0))
    return regrets


def _summary(values: np.ndarray, rng) -> dict:
    return {
        "mean": round(float(values.mean()), 6),
        "ci95": [round(x, 6) for x in bootstrap(values, rng)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--family", default="nas201", choices=sorted(FAMILIES))
    parser.add_argument("--target", help="default: the family's first table")
    parser.add_argument("--earlier", help="earlier tables (default: the family's others)")
    parser.add_argument("--box-size", type=int, default=1, help="best configs per earlier task")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--evaluations", type=int, default=100)
    parser.add_argument("--bo", action="store_true", help="also BayesianOptimization")
    parser.add_argument("--jobs", type=int, default=1, help="runs in parallel (processes)")
    parser.add_argument("--relatedness-only", action="store_true")
    args = parser.parse_args()
    from tunesmith import bench
    from tunesmith.searchers import TransferLearningTaskEvaluations

    family = FAMILIES[args.family]
    target_name = args.target or family[0]
    earlier_names = args.earlier.split(",") if args.earlier else []
    earlier_names = earlier_names or [n for n in family if n != target_name]
    for name in [target_name, *earlier_names]:
        if name not in family:
            parser.error(f"{name!r} is not a table of {args.family}: {family}")
    target = bench.load(target_name)
    earlier = {n: bench.load(n) for n in earlier_names}
    out: dict = {
        "target": target_name,
        "earlier": earlier_names,
        "seeds": args.seeds,
        "evaluations": args.evaluations,
        "relatedness": relatedness(target, earlier, args.box_size),
    }
    print(json.dumps(out["relatedness"]), file=sys.stderr, flush=True)
    if args.relatedness_only:
        print(json.dumps(out, indent=1))
        return
    checkpoints = [n for n in CHECKPOINTS if n <= args.evaluations]
    evaluations = {n: TransferLearningTaskEvaluations.from_blackbox(b) for n, b in earlier.items()}
    _JOB.update(
        target=target,
        configs=target.configurations(),
        evaluations=evaluations,
        box_size=args.box_size,
        n_evaluations=args.evaluations,
        checkpoints=checkpoints,
    )
    pairs = [("BoundingBox-RandomSearch", "RandomSearch")]
    if args.bo:
        pairs.append(("BoundingBox-BayesianOptimization", "BayesianOptimization"))
    methods = [m for pair in pairs for m in pair]
    jobs = [(m, seed) for seed in range(args.seeds) for m in methods]
    t0 = time.perf_counter()
    if args.jobs > 1:
        with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
            done = pool.map(_run_job, jobs, chunksize=1)
    else:
        done = [_run_job(job) for job in jobs]
    rng = np.random.default_rng(0)
    runs = {
        m: np.array([r for (name, _), r in zip(jobs, done, strict=True) if name == m])
        for m in methods
    }
    out["methods"] = {
        m: {str(n): _summary(runs[m][:, i], rng) for i, n in enumerate(checkpoints)}
        for m in methods
    }
    out["pairs"] = {}
    for a, b in pairs:
        d = runs[a] - runs[b]
        out["pairs"][f"{a} vs {b}"] = {
            str(n): {
                **_summary(d[:, i], rng),
                "wins_ties_losses": [
                    int((d[:, i] < 0).sum()),
                    int((d[:, i] == 0).sum()),
                    int((d[:, i] > 0).sum()),
                ],
            }
            for i, n in enumerate(checkpoints)
        }
    out["runs"] = {m: runs[m].round(6).tolist() for m in methods}
    out["seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
