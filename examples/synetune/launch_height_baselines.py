# ruff: noqa: I001, E501, B007, RUF013, UP006, UP007, UP008, UP015, UP035  (the seed's code as written: only
# the import lines' module names change)
"""Syne Tune's "Launch HPO Experiment Locally" example (launch_height_baselines.py) with only its
import lines changed: ``syne_tune`` -> ``tunesmith.compat.synetune``, and Syne Tune's
``examples.training_scripts`` -> ``training_scripts`` (this folder is on ``sys.path`` when the
launcher runs). RandomSearch, ASHA, BayesianOptimization and MOBSTER one after the other, 20
seconds each. The seed's ``MOBSTER(*scheduler_kwargs, ...)`` (one star: the dict's keys as
positional arguments) raises, and is logged by the ``except`` as in Syne Tune."""

import logging
from pathlib import Path

from tunesmith.compat.synetune import Tuner, StoppingCriterion
from tunesmith.compat.synetune.backend import LocalBackend
from tunesmith.compat.synetune.config_space import randint
from tunesmith.compat.synetune.optimizer.baselines import (
    RandomSearch,
    ASHA,
)
from training_scripts.height_example.train_height import (
    RESOURCE_ATTR,
    METRIC_ATTR,
    METRIC_MODE,
    MAX_RESOURCE_ATTR,
)
from tunesmith.compat.synetune.try_import import try_import_gpsearchers_message


if __name__ == "__main__":
    logging.getLogger().setLevel(logging.INFO)

    random_seed = 31415927
    max_epochs = 100
    n_workers = 4

    config_space = {
        MAX_RESOURCE_ATTR: max_epochs,
        "width": randint(0, 20),
        "height": randint(-100, 100),
    }
    entry_point = Path(__file__).parent / "training_scripts" / "height_example" / "train_height.py"

    scheduler_kwargs = {
        "config_space": config_space,
        "metric": METRIC_ATTR,
        "mode": METRIC_MODE,
        "max_resource_attr": MAX_RESOURCE_ATTR,
    }
    schedulers = [
        RandomSearch(**scheduler_kwargs),
        ASHA(**scheduler_kwargs, resource_attr=RESOURCE_ATTR),
    ]
    try:
        from tunesmith.compat.synetune.optimizer.baselines import BayesianOptimization

        # example of setting additional kwargs arguments
        schedulers.append(
            BayesianOptimization(
                **scheduler_kwargs,
                search_options={"num_init_random": n_workers + 2},
            )
        )
        from tunesmith.compat.synetune.optimizer.baselines import MOBSTER

        schedulers.append(MOBSTER(*scheduler_kwargs, resource_attr=RESOURCE_ATTR))
    except Exception:
        logging.info(try_import_gpsearchers_message())

    for scheduler in schedulers:
        logging.info(f"\n*** running scheduler {scheduler} ***\n")

        trial_backend = LocalBackend(entry_point=str(entry_point))

        stop_criterion = StoppingCriterion(
            max_wallclock_time=20, min_metric_value={METRIC_ATTR: -6.0}
        )
        tuner = Tuner(
            trial_backend=trial_backend,
            scheduler=scheduler,
            stop_criterion=stop_criterion,
            n_workers=n_workers,
        )

        tuner.run()
