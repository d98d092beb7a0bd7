"""Searchers decide which configuration to evaluate next."""

from tunesmith.searchers.base import Searcher
from tunesmith.searchers.grid import GridSearcher
from tunesmith.searchers.random import RandomSearcher

#: names accepted wherever a searcher may be given as a string
SEARCHERS: dict[str, type[Searcher]] = {
    "random": RandomSearcher,
    "grid": GridSearcher,
}

__all__ = ["SEARCHERS", "GridSearcher", "RandomSearcher", "Searcher"]
