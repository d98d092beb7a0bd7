# ruff: noqa: I001, E501  (the seed's code as written: only the import lines' module names change)
"""
Example showing how to visualize the HPO process of Syne Tune with Tensorboard.
Results will be stored in ~/syne-tune/{tuner_name}/tensoboard_output. To start
tensorboard, execute in a separate shell:

.. code:: bash

   tensorboard --logdir /~/syne-tune/{tuner_name}/tensorboard_output

Open the displayed URL in the browser.

To use this functionality you need to install tensorboardX:

.. code:: bash

   pip install tensorboardX

"""
# Syne Tune's launch_tensorboard_example.py with only its import lines changed: ``syne_tune`` ->
# ``tunesmith.compat.synetune``, ``examples.training_scripts`` -> ``training_scripts``. Here the
# event files are in <tunesmith home>/tensorboard/tensorboardx-demo (tunesmith[tensorboard]).

import logging
from pathlib import Path

from tunesmith.compat.synetune.backend import LocalBackend
from tunesmith.compat.synetune.optimizer.baselines import RandomSearch
from tunesmith.compat.synetune import Tuner, StoppingCriterion
from tunesmith.compat.synetune.config_space import randint
from tunesmith.compat.synetune.callbacks.tensorboard_callback import TensorboardCallback
from tunesmith.compat.synetune.results_callback import StoreResultsCallback
from training_scripts.height_example.train_height import (
    METRIC_ATTR,
    METRIC_MODE,
    MAX_RESOURCE_ATTR,
)

if __name__ == "__main__":
    logging.getLogger().setLevel(logging.DEBUG)

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
        # Adding the TensorboardCallback overwrites the default callback which consists of the StoreResultsCallback.
        # To write results on this disk as well, we put this in here as well.
        callbacks=[
            TensorboardCallback(target_metric=METRIC_ATTR, mode=METRIC_MODE),
            StoreResultsCallback(),
        ],
        tuner_name="tensorboardx-demo",
        metadata={"description": "just an example"},
    )

    tuner.run()
