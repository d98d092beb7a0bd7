# ruff: noqa: I001, E501, B007, RUF013, UP006, UP007, UP008, UP015, UP035  (the seed's code as written: only
# the import lines' module names change)
"""Syne Tune's "Plot Results of Tuning Experiment" example (launch_plot_results.py) with only its
import lines changed: ``syne_tune`` -> ``tunesmith.compat.synetune``, and Syne Tune's
``examples.training_scripts`` -> ``training_scripts``. Needs matplotlib."""

import logging
from pathlib import Path

from tunesmith.compat.synetune.backend import LocalBackend
from tunesmith.compat.synetune.experiments import load_experiment
from tunesmith.compat.synetune.optimizer.baselines import RandomSearch
from tunesmith.compat.synetune import Tuner, StoppingCriterion
from tunesmith.compat.synetune.config_space import randint
from training_scripts.height_example.train_height import (
    METRIC_ATTR,
    METRIC_MODE,
    MAX_RESOURCE_ATTR,
)

if __name__ == "__main__":
    logging.getLogger().setLevel(logging.INFO)
    random_seed = 31415927
    max_steps = 100
    n_workers = 4

    config_space = {
        MAX_RESOURCE_ATTR: max_steps,
        "width": randint(0, 20),
        "height": randint(-100, 100),
    }
    entry_point = str(
        Path(__file__).parent / "training_scripts" / "height_example" / "train_height.py"
    )
    trial_backend = LocalBackend(entry_point=entry_point)

    # Random search without stopping
    scheduler = RandomSearch(
        config_space, mode=METRIC_MODE, metric=METRIC_ATTR, random_seed=random_seed
    )

    stop_criterion = StoppingCriterion(max_wallclock_time=20)
    tuner = Tuner(
        trial_backend=trial_backend,
        scheduler=scheduler,
        n_workers=n_workers,
        stop_criterion=stop_criterion,
        results_update_interval=5,
        tuner_name="plot-results-demo",
        metadata={"description": "just an example"},
    )

    tuner.run()

    # shows how to print the best configuration found from the tuner and retrains it
    trial_id, best_config = tuner.best_config()

    tuning_experiment = load_experiment(tuner.name)

    # prints the best configuration found from experiment-results
    print(f"best result found: {tuning_experiment.best_config()}")

    # plots the best metric over time
    tuning_experiment.plot()

    # plots values found by all trials over time
    tuning_experiment.plot_trials_over_time()
