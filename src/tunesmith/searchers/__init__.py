"""Searchers decide which configuration to evaluate next."""

from tunesmith.searchers.base import Searcher
from tunesmith.searchers.bayesopt import GPSearcher
from tunesmith.searchers.de import DifferentialEvolution
from tunesmith.searchers.evolution import RegularizedEvolution
from tunesmith.searchers.grid import GridSearcher
from tunesmith.searchers.kde import KDESearcher
from tunesmith.searchers.random import RandomSearcher

#: names accepted wherever a searcher may be given as a string
SEARCHERS: dict[str, type[Searcher]] = {
    "random": RandomSearcher,
    "grid": GridSearcher,
    "bayesopt": GPSearcher,
    "kde": KDESearcher,
    "rea": RegularizedEvolution,
}

__all__ = [
    "SEARCHERS",
    "DifferentialEvolution",
    "GPSearcher",
    "GridSearcher",
    "KDESearcher",
    "RandomSearcher",
    "RegularizedEvolution",
    "Searcher",
]
