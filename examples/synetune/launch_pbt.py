# ruff: noqa: I001, E501, B007, RUF013, UP006, UP007, UP008, UP015, UP035  (the seed's code as written: only
# the import lines' module names change)
"""Syne Tune's Population-Based Training example (launch_pbt.py) with only its import lines
changed (``syne_tune`` -> ``tunesmith.compat.synetune``): a population of 2 on
training_scripts/pbt_example/pbt_example.py for 20 seconds."""

import logging
from pathlib import Path

from tunesmith.compat.synetune.backend import LocalBackend
from tunesmith.compat.synetune.optimizer.schedulers import PopulationBasedTraining
from tunesmith.compat.synetune import Tuner
from tunesmith.compat.synetune.config_space import loguniform
from tunesmith.compat.synetune import StoppingCriterion


if __name__ == "__main__":
    logging.getLogger().setLevel(logging.DEBUG)

    max_trials = 100

    config_space = {
        "lr": loguniform(0.0001, 0.02),
    }

    entry_point = Path(__file__).parent / "training_scripts" / "pbt_example" / "pbt_example.py"
    trial_backend = LocalBackend(entry_point=str(entry_point))

    mode = "max"
    metric = "mean_accuracy"
    time_attr = "training_iteration"
    population_size = 2

    pbt = PopulationBasedTraining(
        config_space=config_space,
        metric=metric,
        resource_attr=time_attr,
        population_size=population_size,
        mode=mode,
        max_t=200,
        perturbation_interval=1,
    )

    local_tuner = Tuner(
        trial_backend=trial_backend,
        scheduler=pbt,
        stop_criterion=StoppingCriterion(max_wallclock_time=20),
        n_workers=population_size,
        results_update_interval=1,
    )

    local_tuner.run()
