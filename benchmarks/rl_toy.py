"""Random search against the RL controller on AutoGluon's tutorial toy (seed 001): the reward is
a mixture of two Gaussians over x, y in 0..99, each a ``choice`` of 100 values; 300 trials,
``controller_batch_size=4``, ``controller_lr=5e-3``, one trial at a time (ask/tell), as the
tutorial runs them.

Prints JSON: per seed and averaged, the mean reward of the last 50 trials for random search,
``RLScheduler`` (no config twice: the tunesmith default) and ``RLScheduler`` with
``allow_duplicates=True`` (AutoGluon's controller samples configs again); the mean reward of
each block of 50 trials; and, for each RL variant against random search, the paired
differences with a bootstrap 95% interval of their mean and a Wilcoxon signed-rank test
(scipy).

    python benchmarks/rl_toy.py [--seeds 10] [--trials 300] [--last 50]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


def reward_surface() -> np.ndarray:
    """``Z[y][x]``, as the tutorial builds it."""
    grid = np.linspace(0, 99, 100)
    x, y = np.meshgrid(grid, grid)
    z = np.zeros(x.shape)
    for x0, y0, x_alpha, y_alpha, amplitude in [(20, 70, 35, 40, 1), (80, 40, 20, 20, 0.7)]:
        z += amplitude * np.exp(-(((x - x0) / x_alpha) ** 2) - ((y - y0) / y_alpha) ** 2)
    return z


def run(method: str, seed: int, trials: int, z: np.ndarray) -> tuple[list[float], float]:
    from tunesmith import AskTell, RandomSearch, RLScheduler, choice

    space = {"x": choice(list(range(100))), "y": choice(list(range(100)))}
    options = {"metric": "accuracy", "mode": "max", "random_seed": seed}
    if method == "random":
        scheduler = RandomSearch(space, **options)
    else:
        scheduler = RLScheduler(
            space,
            controller_batch_size=4,
            controller_lr=5e-3,
            allow_duplicates=method == "rl_duplicates",
            **options,
        )
    at = AskTell(scheduler)
    rewards = []
    start = time.perf_counter()
    for _ in range(trials):
        trial = at.ask()
        rewards.append(float(z[trial.config["y"]][trial.config["x"]]))
        at.tell(trial, {"accuracy": rewards[-1]})
    return rewards, time.perf_counter() - start


def compare(ours: list[float], random: list[float], seed: int) -> dict:
    from scipy import stats

    diff = np.asarray(ours) - np.asarray(random)
    interval = stats.bootstrap(
        (diff,), np.mean, confidence_level=0.95, n_resamples=10_000, random_state=seed
    ).confidence_interval
    wilcoxon = stats.wilcoxon(ours, random, alternative="greater")
    return {
        "mean_difference": round(float(diff.mean()), 4),
        "bootstrap_95": [round(float(interval.low), 4), round(float(interval.high), 4)],
        "seeds_better": int((diff > 0).sum()),
        "wilcoxon_greater_p": float(wilcoxon.pvalue),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--last", type=int, default=50)
    args = parser.parse_args(argv)
    z = reward_surface()
    methods = ["random", "rl", "rl_duplicates"]
    out: dict = {
        "problem": "AutoGluon tutorial: 2 Gaussians, x, y = choice(range(100))",
        "trials": args.trials,
        "seeds": args.seeds,
        "last": args.last,
        "rl_options": {"controller_batch_size": 4, "controller_lr": 5e-3},
    }
    last: dict[str, list[float]] = {}
    for method in methods:
        per_seed, blocks, seconds = [], [], []
        for seed in range(args.seeds):
            rewards, elapsed = run(method, seed, args.trials, z)
            per_seed.append(float(np.mean(rewards[-args.last :])))
            blocks.append([np.mean(rewards[i : i + 50]) for i in range(0, args.trials, 50)])
            seconds.append(elapsed)
        last[method] = per_seed
        out[method] = {
            f"last{args.last}_mean_per_seed": [round(v, 4) for v in per_seed],
            f"last{args.last}_mean": round(float(np.mean(per_seed)), 4),
            "mean_per_block_of_50": [round(float(v), 4) for v in np.mean(blocks, axis=0)],
            "seconds_per_run": round(float(np.mean(seconds)), 3),
        }
    for method in ("rl", "rl_duplicates"):
        out[f"{method}_vs_random"] = compare(last[method], last["random"], seed=0)
    print(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
