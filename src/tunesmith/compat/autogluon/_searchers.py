"""AutoGluon's ``searcher`` and ``search_options`` translated to a tunesmith searcher."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from tunesmith.compat.autogluon.errors import InvalidArgument, InvalidValue, NotSupported

__all__ = ["DEFAULT_SEED", "make_searcher"]

#: AutoGluon's default ``random_seed``
DEFAULT_SEED = 31415927

#: AutoGluon searcher names without a tunesmith counterpart, and what to use instead
_UNSUPPORTED = {
    "skopt": "searcher='bayesopt' (tunesmith's Gaussian-process searcher)",
    "constrained_bayesopt": "tunesmith.ConstrainedBayesianOptimization with the native Tuner",
}
#: searchers AutoGluon starts with the default config (``first_is_default``)
_FIRST_IS_DEFAULT = ("random", "bayesopt")


def make_searcher(
    searcher: Any,
    search_options: Mapping[str, Any] | None,
    *,
    config_space: dict[str, Any],
    default_config: dict[str, Any],
    metric: str,
    random_seed: int,
) -> Any:
    """A tunesmith searcher for AutoGluon's ``searcher`` (a name or a tunesmith ``Searcher``)
    and ``search_options`` (its keyword arguments; ``random_seed`` and ``first_is_default``
    as in AutoGluon)."""
    from tunesmith.searchers import SEARCHER_NAMES, Searcher, check_searcher_name, searcher_class

    if isinstance(searcher, Searcher):
        return searcher  # search_options are ignored, as AutoGluon does for an object
    if not isinstance(searcher, str):
        raise InvalidValue(
            f"`searcher` must be a name ({sorted(SEARCHER_NAMES)}) or a tunesmith Searcher, "
            f"but got {searcher!r}"
        )
    if searcher in _UNSUPPORTED:
        raise NotSupported(f"searcher={searcher!r} is not supported: use {_UNSUPPORTED[searcher]}")
    if searcher not in SEARCHER_NAMES:
        raise InvalidValue(
            f"unknown searcher {searcher!r}; valid names are {sorted(SEARCHER_NAMES)}, or pass a "
            "tunesmith Searcher instance"
        )
    try:  # a multi-objective searcher with AutoGluon's one reward
        check_searcher_name(searcher, metric)
    except ValueError as err:
        raise InvalidValue(str(err)) from None
    options = dict(search_options or {})
    seed = options.pop("random_seed", random_seed)
    first_is_default = options.pop("first_is_default", searcher in _FIRST_IS_DEFAULT)
    options.pop("debug_log", None)  # AutoGluon's logging switch: tunesmith logs to "tunesmith"
    cls = searcher_class(searcher)
    allowed = set(inspect.signature(cls).parameters) - {"config_space", "metric", "mode"}
    allowed -= {"random_seed", "points_to_evaluate"}
    for key in options:
        if key not in allowed:
            raise InvalidArgument(
                f"search_options: Invalid argument '{key}' for searcher={searcher!r} "
                f"({cls.__name__}); valid: {sorted(allowed | {'random_seed', 'first_is_default'})}"
            )
    points = [dict(default_config)] if first_is_default and default_config else None
    return cls(
        config_space,
        metric=metric,
        mode="max",
        random_seed=seed,
        points_to_evaluate=points,
        **options,
    )
