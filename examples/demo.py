"""`make demo`: tune a small neural network on scikit-learn's digits data set.

Each trial trains an MLP epoch by epoch (partial_fit) in a worker process and reports the
validation error after every epoch; random search picks the configs, two workers run them.
"""

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

import tunesmith
from tunesmith import (
    LocalBackend,
    RandomSearch,
    StoppingCriterion,
    Tuner,
    logfinrange,
    lograndint,
    loguniform,
)


def train_mlp(config):
    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    X, y = load_digits(return_X_y=True)
    X_train, X_val, y_train, y_val = train_test_split(X / 16.0, y, test_size=0.3, random_state=0)
    model = MLPClassifier(
        hidden_layer_sizes=(config["units"],),
        alpha=config["alpha"],
        learning_rate_init=config["lr"],
        batch_size=config["batch_size"],
        random_state=0,
    )
    classes = np.unique(y)
    for epoch in range(1, config["epochs"] + 1):
        model.partial_fit(X_train, y_train, classes=classes)
        tunesmith.report(epoch=epoch, val_error=1.0 - model.score(X_val, y_val))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    space = {
        "units": lograndint(8, 256),
        "alpha": loguniform(1e-6, 1e-1),
        "lr": loguniform(1e-4, 3e-1),
        "batch_size": logfinrange(16, 256, 5, cast_int=True),
        "epochs": 10,
    }
    tuner = Tuner(
        LocalBackend(train_mlp),
        RandomSearch(space, metric="val_error", mode="min", random_seed=0),
        StoppingCriterion(max_num_trials_started=args.trials),
        n_workers=args.workers,
        name="demo-digits-mlp",
        if_exists="overwrite",  # every `make demo` is a fresh run; drop this to resume instead
    )
    result = tuner.run()
    best = result.best_result()
    print(f"best config: {result.best_config()}")
    print(
        f"best validation error: {best['val_error']:.4f} "
        f"(trial {best['trial_id']}, its last report)"
    )
    cli = Path(sys.executable).parent / "tunesmith"
    cli = cli if cli.exists() else "tunesmith"
    print(
        f"\nStudy {result.name!r} is stored in {result.storage}; trial folders in {tuner.run_dir}."
    )
    print("Inspect it with:")
    for command in (
        f"show {tuner.name}",
        f"trials {tuner.name}",
        f"best {tuner.name}",
        f"export {tuner.name} --format csv",
        f"plot {tuner.name} --kind curves --out curves.png",
    ):
        print(f"  {cli} {command}")


if __name__ == "__main__":
    main()
