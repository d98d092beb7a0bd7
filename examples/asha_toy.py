"""ASHA stopping on the toy learning curve of AutoGluon's scheduler tutorial.

    python examples/asha_toy.py [--trials 100] [--workers 2] [--seed 0]

Each trial trains 10 epochs; after epoch ``e + 1`` (``e = 0, ..., 9``) it reports the accuracy
``1 - 1.8 ** -U(e, 2e)``, a noisy curve that does not depend on the config (``lr`` and ``wd``
are only reported). ASHA (stopping type, ``reduction_factor=3``, ``grace_period=1``,
``max_t=10``: rungs at 1, 3 and 9 epochs) stops the trials that are not among the best
``q = r_j / r_{j+1}`` of those recorded at a rung: a third at rungs 1 and 3, but 9/10 at rung 9
(the last level is ``max_t=10``), so most trials stop after 3 epochs, few after 9, and about a
third run the 10 epochs.

None stops after 1 epoch here: the curve gives every trial ``U(0, 0) = 0`` at epoch 1, a tie,
and a tie goes on (a trial stops only when at least ``q`` of the values recorded at the rung are
strictly better).
"""

import argparse
from collections import Counter

import numpy as np

import tunesmith
from tunesmith import ASHA, LocalBackend, StoppingCriterion, Tuner, loguniform, uniform
from tunesmith.reporting import trial_id


def train_fn(config):
    """The tutorial's curve; the noise is seeded by ``seed`` and the trial id (repeatable)."""
    rng = np.random.default_rng([config["seed"], trial_id() or 0])
    for e in range(config["epochs"]):
        accuracy = 1 - 1.8 ** -rng.uniform(e, 2 * e)
        tunesmith.report(epoch=e + 1, accuracy=accuracy, lr=config["lr"], wd=config["wd"])


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--run-dir", default=None)
    args = parser.parse_args(argv)
    space = {
        "lr": loguniform(1e-3, 1e-2),
        "wd": uniform(1e-3, 1e-2),
        "epochs": 10,
        "seed": args.seed,
    }
    scheduler = ASHA(
        space,
        metric="accuracy",
        mode="max",
        resource_attr="epoch",
        max_t=10,
        grace_period=1,
        reduction_factor=3,
        random_seed=args.seed,
    )
    tuner = Tuner(
        LocalBackend(train_fn),
        scheduler,
        StoppingCriterion(max_num_trials_started=args.trials),
        n_workers=args.workers,
        verbose=0,
        run_dir=args.run_dir,
    )
    result = tuner.run()
    epochs = Counter(t.last_result["epoch"] for t in result.trials.values() if t.last_result)
    for epoch in sorted(epochs):
        print(f"{epochs[epoch]:4d} trials ran {epoch} epochs")
    print("epochs run:", dict(sorted(epochs.items())))
    print("best config:", result.best_config())
    return result


if __name__ == "__main__":
    main()
