"""Syne Tune's scheduler arguments translated to the native tunesmith schedulers' arguments.

Every builder checks its keyword arguments against Syne Tune's (an unknown one is an
:class:`~tunesmith.compat.synetune.errors.InvalidArgument`, a ``TypeError``), translates the
ones tunesmith has, and raises :class:`~tunesmith.compat.synetune.errors.NotSupported` for a
value tunesmith cannot run. Syne Tune's defaults where they differ from tunesmith's:
``points_to_evaluate=None`` means ``[{}]`` (the midpoint config first), asynchronous Hyperband
compares with the interpolated quantile (``cutoff="interpolated"``) and shares one rung system
across brackets (``rung_system_per_bracket=False``), synchronous Hyperband lays out its
brackets geometrically (``bracket_rule="geometric"``), grid search takes bin centres
(``centred=True``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from tunesmith.compat.synetune.errors import InvalidArgument, NotSupported, check_arguments

logger = logging.getLogger("tunesmith")

#: FIFOScheduler's keyword arguments (Syne Tune)
FIFO_KEYS = {
    "searcher", "search_options", "metric", "mode", "points_to_evaluate", "random_seed",
    "max_resource_attr", "max_t", "time_keeper",
}  # fmt: skip
#: HyperbandScheduler's, on top of FIFO_KEYS
HYPERBAND_KEYS = FIFO_KEYS | {
    "resource_attr", "grace_period", "reduction_factor", "rung_increment", "rung_levels",
    "brackets", "type", "cost_attr", "searcher_data", "register_pending_myopic",
    "rung_system_per_bracket", "do_snapshots", "rung_system_kwargs",
    "early_checkpoint_removal_kwargs",
}  # fmt: skip
#: SynchronousGeometricHyperbandScheduler's (and DEHB's)
SYNC_KEYS = {
    "metric", "mode", "resource_attr", "grace_period", "reduction_factor", "brackets",
    "max_resource_level", "max_resource_attr", "searcher", "search_options",
    "points_to_evaluate", "random_seed", "max_t",
}  # fmt: skip

#: search_options that tune how Syne Tune fits or logs its models: accepted, nothing to set
IGNORED_OPTIONS = {
    "debug_log", "opt_skip_init_length", "opt_skip_period", "opt_nstarts", "opt_maxiter",
    "opt_warmstart", "opt_verbose", "opt_debug_writer", "num_init_candidates",
    "num_fantasy_samples", "no_fantasizing", "initial_scoring", "skip_local_optimization",
    "skip_optimization", "gp_resource_kernel", "resource_acq", "opt_skip_num_max_resource",
    "map_reward", "min_bandwidth", "allow_duplicates",
}  # fmt: skip

#: search_options keys -> native keyword, per kind of native searcher (None: accepted, nothing
#: to set)
OPTION_NAMES: dict[str, dict[str, str | None]] = {
    "random": {"restrict_configurations": "restrict_configurations"},
    "grid": {"num_samples": "num_samples", "shuffle_config": "shuffle"},
    "bayesopt": {
        "num_init_random": "num_init_random",
        "input_warping": "input_warping",
        "max_size_data_for_model": "max_size_data_for_model",
        "restrict_configurations": "restrict_configurations",
    },
    "mobster": {
        "num_init_random": "num_init_random",
        "max_size_data_for_model": "max_size_data_for_model",
        "restrict_configurations": "restrict_configurations",
        "model": "model",
        "exponent_cost": "cost_exponent",
    },
    "kde": {
        "num_min_data_points": "num_min_data_points",
        "top_n_percent": "gamma",
        "num_candidates": "num_candidates",
        "bandwidth_factor": "bandwidth_factor",
        "random_fraction": "random_fraction",
        "restrict_configurations": "restrict_configurations",
    },
    "bore": {
        "gamma": "gamma",
        "calibrate": "calibrate",
        "classifier": "classifier",
        "classifier_kwargs": "classifier_kwargs",
        "acq_optimizer": "acq_optimizer",
        "feval_acq": "feval_acq",
        "random_prob": "random_prob",
        "init_random": "init_random",
        "restrict_configurations": "restrict_configurations",
    },
    "cqr": {
        "num_init_random_draws": "num_init_random",
        "update_frequency": None,  # tunesmith's refit rule: see SurrogateSearcher
        "max_fit_samples": "max_fit_samples",  # not taken: NotSupported unless None
        "restrict_configurations": "restrict_configurations",
        # tunesmith's own, for Syne Tune's model: {"regressor": "gbm"}
        "regressor": "regressor",
        "regressor_kwargs": "regressor_kwargs",
    },
    "mobo": {
        "num_init_random": "num_init_random",
        "num_initial_random_choices": "num_init_random",
        "max_size_data_for_model": "max_size_data_for_model",
        "restrict_configurations": "restrict_configurations",
        "input_warping": "input_warping",  # not taken: NotSupported unless False
    },
    "cts": {
        "max_fit_samples": "max_fit_samples",
        "normalization": "normalization",
        "restrict_configurations": "restrict_configurations",
    },
    "none": {},
}
#: Syne Tune's MOBSTER surrogate models -> tunesmith's
MOBSTER_MODELS = {"gp_multitask": "joint", "gp_independent": "independent"}


def options(
    name: str, search_options: Mapping[str, Any] | None, kind: str
) -> tuple[dict[str, Any], int | None]:
    """The native keywords for ``search_options`` of a ``kind`` searcher, and the
    ``random_seed`` given there (Syne Tune lets it be given either way)."""
    if search_options is None:
        return {}, None
    if not isinstance(search_options, Mapping):
        raise TypeError(f"{name}: search_options must be a dict, but got {search_options!r}")
    names = OPTION_NAMES[kind]
    out: dict[str, Any] = {}
    seed = None
    for key, value in search_options.items():
        if key == "random_seed":
            seed = value
        elif key in names:
            native = names[key]
            if native is None:
                logger.debug("%s: search_options[%r] has nothing to set in tunesmith", name, key)
                continue
            if key == "top_n_percent":
                value = value / 100.0
            if key == "model":
                if value not in MOBSTER_MODELS:
                    raise NotSupported(
                        f"{name}: search_options['model']={value!r} is not supported: tunesmith "
                        f"has {sorted(MOBSTER_MODELS)} (its 'joint' and 'independent' models)"
                    )
                value = MOBSTER_MODELS[value]
            out[native] = value
        elif key in IGNORED_OPTIONS:
            logger.debug("%s: search_options[%r] has nothing to set in tunesmith", name, key)
        else:
            raise InvalidArgument(
                f"{name}: search_options got an unexpected key {key!r} (valid: "
                f"{sorted(set(names) | IGNORED_OPTIONS | {'random_seed'})})"
            )
    return out, seed


def common(name: str, kwargs: Mapping[str, Any], allowed: set[str]) -> dict[str, Any]:
    """The arguments every native scheduler takes: metric, mode, random_seed,
    points_to_evaluate (Syne Tune's default ``[{}]``)."""
    check_arguments(name, kwargs, allowed)
    if kwargs.get("time_keeper") is not None:
        raise NotSupported(
            f"{name}: time_keeper is not supported: tunesmith's SimulatorBackend keeps the "
            "simulated time itself; pass no time_keeper"
        )
    if "metric" not in kwargs:
        raise InvalidArgument(f"{name}() missing required argument: 'metric'")
    points = kwargs.get("points_to_evaluate")
    return {
        "metric": kwargs["metric"],
        "mode": kwargs.get("mode", "min"),
        "random_seed": kwargs.get("random_seed"),
        "points_to_evaluate": [{}] if points is None else list(points),
    }


def hyperband(name: str, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The native HyperbandScheduler arguments for Syne Tune's Hyperband ones (no searcher)."""
    out = {
        "resource_attr": kwargs.get("resource_attr", "epoch"),
        "max_t": kwargs.get("max_t"),
        "max_resource_attr": kwargs.get("max_resource_attr"),
        "grace_period": kwargs.get("grace_period", 1),
        "reduction_factor": kwargs.get("reduction_factor", 3),
        "rung_levels": kwargs.get("rung_levels"),
        "rung_increment": kwargs.get("rung_increment"),
        "brackets": kwargs.get("brackets", 1),
        "type": kwargs.get("type", "stopping"),
        "cost_attr": kwargs.get("cost_attr"),
        "searcher_data": kwargs.get("searcher_data", "rungs"),
        "rung_system_per_bracket": kwargs.get("rung_system_per_bracket", False),
    }
    if out["rung_increment"] is not None and "reduction_factor" in kwargs:
        out["rung_increment"] = None  # Syne Tune: rung_increment only applies without eta
    if out["type"] in ("rush_stopping", "rush_promotion", "dyhpo"):
        native = (
            "tunesmith.DyHPO (or the DyHPO baseline)"
            if out["type"] == "dyhpo"
            else "tunesmith.RUSH, or tunesmith.HyperbandScheduler(type='rush_stopping' or "
            "'rush_promotion', transfer_learning_evaluations=...)"
        )
        raise NotSupported(
            f"{name}: type={out['type']!r} is not taken by this front end's Hyperband "
            f"schedulers; use {native} (docs/multifidelity-gp.md, docs/transfer.md)"
        )
    if kwargs.get("do_snapshots"):
        raise NotSupported(f"{name}: do_snapshots=True is not supported (the store keeps all)")
    if kwargs.get("rung_system_kwargs"):
        raise NotSupported(
            f"{name}: rung_system_kwargs are not supported (they configure RUSH and DyHPO, "
            "which tunesmith builds as their own classes, tunesmith.RUSH and tunesmith.DyHPO, "
            "with their own arguments)"
        )
    removal = kwargs.get("early_checkpoint_removal_kwargs")
    if removal:
        out["early_checkpoint_removal_kwargs"] = checkpoint_removal(name, removal)
    if kwargs.get("register_pending_myopic"):
        logger.debug("%s: register_pending_myopic has nothing to set in tunesmith", name)
    if out["type"] != "cost_promotion":
        out["cutoff"] = "interpolated"  # the seeds' rule (docs/schedulers.md)
    return out


#: Syne Tune's early_checkpoint_removal_kwargs that have nothing to set here: the resume
#: probability is computed exactly (no steps to approximate it by), and the time budget is read
#: from the tuner's stopping criterion
_REMOVAL_MOOT = ("approx_steps", "max_wallclock_time")


def checkpoint_removal(name: str, removal: Any) -> Any:
    """Syne Tune's ``early_checkpoint_removal_kwargs`` as the native schedulers take them."""
    if not isinstance(removal, Mapping):
        return removal  # the native scheduler's error names it
    for key in _REMOVAL_MOOT:
        if key in removal:
            logger.debug("%s: early_checkpoint_removal_kwargs[%r] has nothing to set", name, key)
    return {k: v for k, v in removal.items() if k not in _REMOVAL_MOOT}


def sync(name: str, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The native synchronous Hyperband arguments (``max_resource_level`` is ``max_t``)."""
    max_t = kwargs.get("max_resource_level", kwargs.get("max_t"))
    return {
        "resource_attr": kwargs.get("resource_attr", "epoch"),
        "max_t": max_t,
        "max_resource_attr": kwargs.get("max_resource_attr"),
        "grace_period": kwargs.get("grace_period", 1),
        "reduction_factor": kwargs.get("reduction_factor", 3),
        "brackets": kwargs.get("brackets"),
    }


def no_searcher(name: str, kwargs: Mapping[str, Any]) -> None:
    """Baselines fix their searcher: a ``searcher`` argument is Syne Tune's error too."""
    if "searcher" in kwargs:
        raise InvalidArgument(f"{name}() got multiple values for argument 'searcher'")
