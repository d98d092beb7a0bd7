"""How well MOBSTER's model ranks the configs it has not tried, per target transform.

For each generated table and draw: ``--configs`` random table configs are observed as ASHA
would see them (each config's result at rung levels 1, 3, 9, 27, 81 of one random table seed,
the best third of a level promoted to the next), fed to a ``GPMultiFidelitySearcher`` (joint
model) restricted to the table; then every unseen table config is scored. Printed per table and
transform, as means over the draws:

* ``spearman``: rank correlation of the predicted mean at the maximum resource with the
  config's seed-averaged final value;
* ``precision_ei``: the share of the table's best 5 % (final value) among the ``--top`` unseen
  configs with the highest expected improvement (a random pick: the table's share, ``base``).

    python benchmarks/mobster_model.py --json [--draws 8] [--configs 150]
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from scipy.stats import spearmanr

TABLES = ["gbm-breast_cancer", "gbm-breast_cancer-loss", "mlp-digits", "mlp-digits-loss"]
TRANSFORMS = ["standardize", "copula"]
LEVELS = (1, 3, 9, 27, 81)


def one_draw(table, transform: str, n: int, top: int, draw: int) -> tuple[float, float]:
    from tunesmith.searchers.mobster import GPMultiFidelitySearcher

    configs = table.configurations()
    values = table.values[:, :, :, list(table.metrics).index(table.objective)]
    final = values[:, :, -1].mean(axis=1)
    best5 = final <= np.quantile(final, 0.05)
    rng = np.random.default_rng(draw)
    tried = rng.choice(len(configs), n, replace=False)
    seed_of = rng.integers(0, values.shape[1], n)
    searcher = GPMultiFidelitySearcher(
        table.config_space,
        max_t=max(LEVELS),
        metric="y",
        random_seed=draw,
        target_transform=transform,
        restrict_configurations=configs,
    )
    alive = np.arange(n)
    for level in LEVELS:
        y = values[tried[alive], seed_of[alive], level - 1]
        for j, value in zip(alive, y, strict=True):
            searcher.observe(configs[tried[j]], {"y": float(value)}, level)
        alive = alive[np.argsort(y, kind="stable")[: max(1, len(alive) // 3)]]
    for j in tried:
        searcher._mark_seen(configs[j])
    searcher._update_model()
    unseen = np.setdiff1d(np.arange(len(configs)), tried)
    X = searcher._encoder.encode_all([configs[i] for i in unseen])
    mean, _ = searcher._gps[0].predict(searcher._acq_inputs(X), mean_only=True)
    ei = searcher._scorer()(X)
    rho = float(spearmanr(mean, final[unseen]).statistic)
    return rho, float(best5[unseen][np.argsort(-ei, kind="stable")[:top]].mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=8)
    parser.add_argument("--configs", type=int, default=150)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--tables", default=",".join(TABLES))
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()
    from tunesmith import bench

    out: dict[str, dict] = {}
    for name in args.tables.split(","):
        table = bench.load(name)
        values = table.values[:, :, -1, list(table.metrics).index(table.objective)].mean(axis=1)
        out[name] = {"base": float((values <= np.quantile(values, 0.05)).mean())}
        for transform in TRANSFORMS:
            draws = [
                one_draw(table, transform, args.configs, args.top, d) for d in range(args.draws)
            ]
            rho, precision = np.mean(draws, axis=0)
            out[name][transform] = {
                "spearman": round(float(rho), 3),
                "precision_ei": round(float(precision), 3),
            }
            if not args.json:
                print(name, transform, out[name][transform], flush=True)
    print(json.dumps(out, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
