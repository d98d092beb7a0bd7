# ruff: noqa: I001, E501, B007, RUF013, UP006, UP007, UP008, UP015, UP035  (the seed's code as written: only
# the import lines' module names change)
"""
Example for running constrained Bayesian optimization on a toy example
"""

# Syne Tune's launch_bayesopt_constrained.py with only its import lines changed
# (``syne_tune`` -> ``tunesmith.compat.synetune``).
import logging
from pathlib import Path

from tunesmith.compat.synetune.backend import LocalBackend
from tunesmith.compat.synetune.optimizer.schedulers import FIFOScheduler
from tunesmith.compat.synetune.config_space import uniform
from tunesmith.compat.synetune import StoppingCriterion, Tuner


if __name__ == "__main__":
    logging.getLogger().setLevel(logging.INFO)

    random_seed = 31415927
    n_workers = 2

    config_space = {
        "x1": uniform(-5, 10),
        "x2": uniform(0, 15),
        "constraint_offset": 1.0,  # the lower, the stricter
    }

    entry_point = str(
        Path(__file__).parent
        / "training_scripts"
        / "constrained_hpo"
        / "train_constrained_example.py"
    )
    mode = "max"
    metric = "objective"
    constraint_attr = "my_constraint_metric"

    # Local backend
    trial_backend = LocalBackend(entry_point=entry_point)

    # Bayesian constrained optimization:
    #   :math:`max_x f(x),   \mathrm{s.t.} c(x) <= 0`
    # Here, ``metric`` represents :math:`f(x)`, ``constraint_attr`` represents
    # :math:`c(x)`.
    search_options = {
        "num_init_random": n_workers,
        "constraint_attr": constraint_attr,
    }
    scheduler = FIFOScheduler(
        config_space,
        searcher="bayesopt_constrained",
        search_options=search_options,
        mode=mode,
        metric=metric,
        random_seed=random_seed,
    )

    stop_criterion = StoppingCriterion(max_wallclock_time=20)
    tuner = Tuner(
        trial_backend=trial_backend,
        scheduler=scheduler,
        stop_criterion=stop_criterion,
        n_workers=n_workers,
    )

    tuner.run()
