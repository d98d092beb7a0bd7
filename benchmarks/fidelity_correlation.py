"""How well the low fidelities of the generated tables rank configs as the highest one does.

For each generated table: the Spearman rank correlation, over the table's configs, between a
config's seed-averaged objective at each rung level below the maximum (1, 3, 9, 27 with
``reduction_factor=3``) and at the maximum (81). A correlation near 0 means that early results
say little about final ones, so model-based methods that learn at low levels (BOHB, MOBSTER) and
early stopping are misled there. docs/bench.md quotes these numbers.

    python benchmarks/fidelity_correlation.py --json
"""

from __future__ import annotations

import argparse
import json

from scipy.stats import spearmanr

TABLES = ["gbm-breast_cancer", "gbm-breast_cancer-loss", "mlp-digits", "mlp-digits-loss"]
LEVELS = (1, 3, 9, 27)


def correlations(name: str) -> dict[str, float]:
    from tunesmith import bench

    table = bench.load(name)
    values = table.values[:, :, :, list(table.metrics).index(table.objective)].mean(axis=1)
    fidelities = list(table.fidelities)
    final = values[:, fidelities.index(max(fidelities))]
    return {
        str(level): round(float(spearmanr(values[:, fidelities.index(level)], final).statistic), 3)
        for level in LEVELS
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()
    out = {name: correlations(name) for name in TABLES}
    if not args.json:
        for name, rho in out.items():
            print(
                f"{name:<24}", "  ".join(f"r={level}: {value:+.2f}" for level, value in rho.items())
            )
        return
    print(json.dumps(out))


if __name__ == "__main__":
    main()
