# ruff: noqa: I001  (the seed's import order, kept: only the import lines' module names change)
"""Syne Tune's first example, the launcher: its code with only the import lines changed
(``syne_tune`` -> ``tunesmith.compat.synetune``). Top-level code, as in Syne Tune's README:
``python examples/synetune/launch_height_simple.py`` runs ASHA with 4 workers for 30 seconds
on training_scripts/height_example/train_height_simple.py."""

from pathlib import Path

from tunesmith.compat.synetune import Tuner, StoppingCriterion
from tunesmith.compat.synetune.backend import LocalBackend
from tunesmith.compat.synetune.config_space import randint
from tunesmith.compat.synetune.optimizer.baselines import ASHA

# Hyperparameter configuration space
config_space = {
    "width": randint(1, 20),
    "height": randint(1, 20),
    "epochs": 100,
}
# Scheduler (i.e., HPO algorithm)
scheduler = ASHA(
    config_space,
    metric="mean_loss",
    resource_attr="epoch",
    max_resource_attr="epochs",
    search_options={"debug_log": False},
)

entry_point = str(
    Path(__file__).parent / "training_scripts" / "height_example" / "train_height_simple.py"
)
tuner = Tuner(
    trial_backend=LocalBackend(entry_point=entry_point),
    scheduler=scheduler,
    stop_criterion=StoppingCriterion(max_wallclock_time=30),
    n_workers=4,  # how many trials are evaluated in parallel
)
tuner.run()
