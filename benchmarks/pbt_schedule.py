"""Population based training against ASHA and random search on a learning-rate schedule task.

The task (simulated, in-process, ask/tell): a model's loss ``L`` starts at 1 and drops each
epoch by ``rate * L * exp(-d**2 / (2 * width**2))``, where ``d = log10(lr / lr_best(L))`` and the
best learning rate falls as the model improves, ``lr_best(L) = 0.3 * L**1.5`` (0.3 at the start,
3e-4 near L = 0.01): no single learning rate is good all through training, a decaying schedule
is. A learning rate more than ``10**overshoot`` times too large makes the loss grow instead.
Each epoch's progress carries 10 % multiplicative noise (per trial, seeded), and reported
losses are the model's. The only hyperparameter is ``lr`` (log-uniform in [1e-4, 1]); the
trial's model (``L`` and its epoch) is its checkpoint, which PBT's exploits copy.

Every method gets the same budget of epochs (``--population`` workers x ``--max-t`` epochs)
on ``--population`` workers, and is scored by the lowest loss any trial reached at
``--max-t`` epochs:

- PBT: ``PopulationBasedTraining(population_size=population, perturbation_interval=5,
  quantile_fraction=0.25, resample_probability=0.25)``;
- ASHA (stopping, ``grace_period=5``, ``reduction_factor=3``, ``max_t``), new trials until the
  budget is spent;
- random search: ``population`` trials with fixed learning rates, each to ``max_t``.

Prints JSON: per method, the mean final loss over the seeds with a bootstrap 95 % interval, and
for PBT against each baseline the paired differences (baseline minus PBT) with their bootstrap
interval, the number of seeds PBT won, and a one-sided Wilcoxon signed-rank p-value (scipy).

    python benchmarks/pbt_schedule.py [--seeds 20] [--population 8] [--max-t 100]
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time

import numpy as np

RATE, WIDTH, OVERSHOOT = 0.08, 0.5, 1.0


def best_lr(loss: float) -> float:
    return 0.3 * loss**1.5


def train_epoch(loss: float, lr: float, rng: np.random.Generator) -> float:
    """One epoch of the simulated model: its loss after it."""
    d = math.log10(lr / best_lr(loss))
    noise = 1.0 + 0.1 * float(rng.standard_normal())
    if d > OVERSHOOT:  # far too large a step: training diverges a little
        return min(1.0, loss * (1.0 + 0.05 * (d - OVERSHOOT) * abs(noise)))
    return loss * (1.0 - RATE * math.exp(-(d**2) / (2 * WIDTH**2)) * max(noise, 0.0))


def make_scheduler(method: str, seed: int, population: int, max_t: int):
    from tunesmith import ASHA, PopulationBasedTraining, RandomSearch, loguniform

    space = {"lr": loguniform(1e-4, 1.0)}
    if method == "pbt":
        return PopulationBasedTraining(
            space,
            metric="loss",
            population_size=population,
            perturbation_interval=5,
            quantile_fraction=0.25,
            resample_probability=0.25,
            max_t=max_t,
            random_seed=seed,
        )
    if method == "asha":
        return ASHA(
            space,
            metric="loss",
            max_t=max_t,
            grace_period=5,
            reduction_factor=3,
            random_seed=seed,
        )
    return RandomSearch(space, metric="loss", random_seed=seed)


def run(method: str, seed: int, population: int, max_t: int) -> float:
    """One tuning run on ``population`` simulated workers (round robin, one epoch per turn);
    returns the lowest loss reached at ``max_t`` epochs."""
    from tunesmith import AskTell, Decision

    at = AskTell(make_scheduler(method, seed, population, max_t))
    budget = population * max_t
    models: dict[int, list] = {}  # trial id -> [loss, epoch, rng]: its checkpoint
    running: list = []
    spent, best = 0, math.inf
    started = 0
    while True:
        while len(running) < population and spent < budget:
            if method == "random" and started >= population:
                break
            trial = at.ask()
            if trial is None:
                break
            tid = trial.trial_id
            if tid not in models:
                started += 1
                models[tid] = [1.0, 0, np.random.default_rng([seed, tid])]
            donor = trial.metadata.get("checkpoint_from")
            if donor is not None:  # PBT's exploit: the donor's model, this trial's lr
                models[tid][:2] = models[donor][:2]
            running.append(trial)
        if not running or spent >= budget:
            return best
        for trial in list(running):
            model = models[trial.trial_id]
            model[0] = train_epoch(model[0], trial.config["lr"], model[2])
            model[1] += 1
            spent += 1
            result = {"epoch": model[1], "loss": model[0]}
            if model[1] >= max_t:
                at.tell(trial, result)
                best = min(best, model[0])
                running.remove(trial)
            elif at.report(trial, result) is not Decision.CONTINUE:
                running.remove(trial)
            if spent >= budget:
                return best


def bootstrap(values: list[float], rng: np.random.Generator) -> list[float]:
    means = rng.choice(values, size=(4000, len(values))).mean(axis=1)
    return [float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--population", type=int, default=8)
    parser.add_argument("--max-t", type=int, default=100)
    args = parser.parse_args(argv)
    from scipy import stats

    t0 = time.perf_counter()
    rng = np.random.default_rng(0)
    finals = {
        method: [run(method, seed, args.population, args.max_t) for seed in range(args.seeds)]
        for method in ("pbt", "asha", "random")
    }
    out: dict = {
        "python": platform.python_version(),
        "seeds": args.seeds,
        "population": args.population,
        "max_t": args.max_t,
        "budget_epochs": args.population * args.max_t,
        "final_loss": {
            method: {
                "mean": float(np.mean(values)),
                "ci95": bootstrap(values, rng),
                "per_seed": [round(v, 6) for v in values],
            }
            for method, values in finals.items()
        },
    }
    for baseline in ("asha", "random"):
        diffs = [b - p for b, p in zip(finals[baseline], finals["pbt"], strict=True)]
        test = stats.wilcoxon(finals[baseline], finals["pbt"], alternative="greater")
        out[f"pbt_vs_{baseline}"] = {
            "mean_difference": float(np.mean(diffs)),
            "ci95": bootstrap(diffs, rng),
            "pbt_wins": int(sum(d > 0 for d in diffs)),
            "wilcoxon_greater_p": float(test.pvalue),
        }
    out["seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
