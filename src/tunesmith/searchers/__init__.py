"""Searchers decide which configuration to evaluate next.

The classes are imported on first use (PEP 562): ``RandomSearcher`` does not load scipy or the
Gaussian-process code that ``GPSearcher`` needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tunesmith._lazy import lazy_exports

#: public name -> the module of this package that defines it
_EXPORTS = {
    "BORESearcher": ".bore",
    "CQRSearcher": ".cqr",
    "SKLearnSurrogateSearcher": ".sklearn_surrogate",
    "DifferentialEvolution": ".de",
    "EHVISearcher": ".ehvi",
    "GPSearcher": ".bayesopt",
    "GridSearcher": ".grid",
    "KDESearcher": ".kde",
    "MOTPESearcher": ".motpe",
    "MultiObjectiveRegularizedEvolution": ".morea",
    "NSGA2Searcher": ".nsga2",
    "QuantileBasedSurrogateSearcher": ".quantile",
    "RandomScalarizationGPSearcher": ".mobo",
    "RLSearcher": ".rl",
    "RandomSearcher": ".random",
    "RegularizedEvolution": ".evolution",
    "Searcher": ".base",
    "TransferLearningTaskEvaluations": ".transfer",
    "ZeroShotSearcher": ".transfer",
}

#: names accepted wherever a searcher may be given as a string, and the class each one means
#: (:func:`searcher_class` imports it; :data:`SEARCHERS` maps the names to the classes)
SEARCHER_NAMES: dict[str, str] = {
    "random": "RandomSearcher",
    "grid": "GridSearcher",
    "bayesopt": "GPSearcher",
    "kde": "KDESearcher",
    "rea": "RegularizedEvolution",
    "rl": "RLSearcher",
    "bore": "BORESearcher",
    "cqr": "CQRSearcher",
    # several objectives (metric=[...]): see MULTI_OBJECTIVE_SEARCHER_NAMES
    "nsga2": "NSGA2Searcher",
    "morea": "MultiObjectiveRegularizedEvolution",
    "mo_random_scalarization": "RandomScalarizationGPSearcher",
    "motpe": "MOTPESearcher",
    "ehvi": "EHVISearcher",
}

#: the names of :data:`SEARCHER_NAMES` whose searchers optimize several metrics, and only those
MULTI_OBJECTIVE_SEARCHER_NAMES = frozenset(
    {"nsga2", "morea", "mo_random_scalarization", "motpe", "ehvi"}
)


def searcher_class(name: str) -> type[Searcher]:
    """The class a searcher name of :data:`SEARCHER_NAMES` means, imported on first use
    (``KeyError`` for another name)."""
    return __getattr__(SEARCHER_NAMES[name])


def check_searcher_name(name: str, metric: str | list[str]) -> None:
    """A ``ValueError`` unless ``name`` is in :data:`SEARCHER_NAMES` and, for a name of
    :data:`MULTI_OBJECTIVE_SEARCHER_NAMES`, ``metric`` is a list of several metrics."""
    if name not in SEARCHER_NAMES:
        raise ValueError(
            f"unknown searcher {name!r}; valid names are {sorted(SEARCHER_NAMES)}, "
            "or pass a Searcher instance"
        )
    several = not isinstance(metric, str) and len(metric) > 1
    if name in MULTI_OBJECTIVE_SEARCHER_NAMES and not several:
        single = sorted(set(SEARCHER_NAMES) - MULTI_OBJECTIVE_SEARCHER_NAMES)
        raise ValueError(
            f"searcher={name!r} ({SEARCHER_NAMES[name]}) optimizes several objectives, but got "
            f"metric={metric!r}; pass two or more metrics (metric=['loss', 'cost']), or for one "
            f"metric a searcher among {single}"
        )


_lazy_getattr, _lazy_dir = lazy_exports(__name__, _EXPORTS)


def __getattr__(name: str) -> Any:
    if name != "SEARCHERS":
        return _lazy_getattr(name)
    searchers = {key: searcher_class(key) for key in SEARCHER_NAMES}  # imports them all
    globals()["SEARCHERS"] = searchers
    return searchers


def __dir__() -> list[str]:
    return sorted({*_lazy_dir(), "SEARCHERS"})


if TYPE_CHECKING:  # for type checkers and IDEs
    from tunesmith.searchers.base import Searcher
    from tunesmith.searchers.bayesopt import GPSearcher
    from tunesmith.searchers.bore import BORESearcher
    from tunesmith.searchers.cqr import CQRSearcher
    from tunesmith.searchers.de import DifferentialEvolution
    from tunesmith.searchers.ehvi import EHVISearcher
    from tunesmith.searchers.evolution import RegularizedEvolution
    from tunesmith.searchers.grid import GridSearcher
    from tunesmith.searchers.kde import KDESearcher
    from tunesmith.searchers.mobo import RandomScalarizationGPSearcher
    from tunesmith.searchers.morea import MultiObjectiveRegularizedEvolution
    from tunesmith.searchers.motpe import MOTPESearcher
    from tunesmith.searchers.nsga2 import NSGA2Searcher
    from tunesmith.searchers.quantile import QuantileBasedSurrogateSearcher
    from tunesmith.searchers.random import RandomSearcher
    from tunesmith.searchers.rl import RLSearcher
    from tunesmith.searchers.sklearn_surrogate import SKLearnSurrogateSearcher
    from tunesmith.searchers.transfer import TransferLearningTaskEvaluations, ZeroShotSearcher

    #: searcher name -> class (see :data:`SEARCHER_NAMES`)
    SEARCHERS: dict[str, type[Searcher]]

__all__ = [
    "MULTI_OBJECTIVE_SEARCHER_NAMES",
    "SEARCHERS",
    "SEARCHER_NAMES",
    "BORESearcher",
    "CQRSearcher",
    "DifferentialEvolution",
    "EHVISearcher",
    "GPSearcher",
    "GridSearcher",
    "KDESearcher",
    "MOTPESearcher",
    "MultiObjectiveRegularizedEvolution",
    "NSGA2Searcher",
    "QuantileBasedSurrogateSearcher",
    "RLSearcher",
    "RandomScalarizationGPSearcher",
    "RandomSearcher",
    "RegularizedEvolution",
    "SKLearnSurrogateSearcher",
    "Searcher",
    "TransferLearningTaskEvaluations",
    "ZeroShotSearcher",
    "check_searcher_name",
    "searcher_class",
]
