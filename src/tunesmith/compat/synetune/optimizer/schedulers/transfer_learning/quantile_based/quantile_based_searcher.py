"""``...transfer_learning.quantile_based.quantile_based_searcher.QuantileBasedSurrogateSearcher``
(Salinas, Shen, Perrone, 2020: quantile-based transfer of earlier tasks' evaluations) on
tunesmith's :class:`~tunesmith.searchers.QuantileBasedSurrogateSearcher`, with Syne Tune's
arguments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tunesmith.compat.synetune.errors import check_arguments

__all__ = ["QuantileBasedSurrogateSearcher"]

#: Syne Tune's keyword arguments, and the native one each is (None: nothing to set)
_KEYS = {
    "mode": "mode",
    "random_seed": "random_seed",
    "points_to_evaluate": "points_to_evaluate",
    "max_fit_samples": "max_fit_samples",
    "normalization": "normalization",
    "restrict_configurations": "restrict_configurations",
    "allow_duplicates": "allow_duplicates",
}


def QuantileBasedSurrogateSearcher(
    config_space: dict[str, Any],
    metric: str,
    transfer_learning_evaluations: Mapping[Any, Any],
    **kwargs: Any,
) -> Any:
    """The native searcher; ``mode=None`` is ``"min"`` (Syne Tune's default). Its surrogate
    is tunesmith's (see docs/transfer.md), not Syne Tune's XGBoost model."""
    from tunesmith.searchers import QuantileBasedSurrogateSearcher as Native

    check_arguments("QuantileBasedSurrogateSearcher", kwargs, _KEYS)
    native = {_KEYS[k]: v for k, v in kwargs.items() if v is not None}
    native.setdefault("mode", "min")
    return Native(
        config_space,
        metric=metric,
        transfer_learning_evaluations=transfer_learning_evaluations,
        **native,
    )
