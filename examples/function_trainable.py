"""Tune a Python function in worker processes.

    python examples/function_trainable.py [--trials 12] [--workers 2]

The function reports once per epoch; tunesmith keeps its checkpoint folder across pauses.
"""

import argparse
import json
import math

import tunesmith
from tunesmith import LocalBackend, RandomSearch, StoppingCriterion, Tuner, loguniform, randint


def train(config):
    """A toy learning curve; must be defined at module level so workers can import it."""
    ckpt = tunesmith.checkpoint_dir()
    state_file = ckpt / "state.json" if ckpt else None
    start = json.loads(state_file.read_text())["epoch"] if state_file and state_file.exists() else 0
    for epoch in range(start + 1, config["epochs"] + 1):
        loss = (math.log10(config["lr"]) + 2.5) ** 2 + 1.0 / (epoch * config["width"] ** 0.5)
        if state_file:
            state_file.write_text(json.dumps({"epoch": epoch}))
        tunesmith.report(epoch=epoch, loss=loss)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--run-dir", default=None)
    args = parser.parse_args(argv)
    space = {"lr": loguniform(1e-4, 1e-1), "width": randint(4, 64), "epochs": 5}
    tuner = Tuner(
        LocalBackend(train),
        RandomSearch(space, metric="loss", random_seed=0),
        StoppingCriterion(max_num_trials_started=args.trials),
        n_workers=args.workers,
        run_dir=args.run_dir,
    )
    result = tuner.run()
    print("best config:", result.best_config())
    return result


if __name__ == "__main__":
    main()
