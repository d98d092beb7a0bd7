"""tunesmith: hyperparameter optimization with durable, resumable studies.

The names most users need are importable from here::

    from tunesmith import RandomSearch, AskTell, uniform, loguniform, choice
"""

from tunesmith.asktell import AskTell
from tunesmith.logs import set_verbosity
from tunesmith.schedulers import FIFOScheduler, GridSearch, RandomSearch, Scheduler
from tunesmith.searchers import GridSearcher, RandomSearcher, Searcher
from tunesmith.space import (
    Domain,
    choice,
    default_config,
    finrange,
    logfinrange,
    lograndint,
    loguniform,
    ordinal,
    randint,
    sample_config,
    space_from_json,
    space_to_json,
    uniform,
    validate_config,
)
from tunesmith.trial import Decision, Suggestion, Trial, TrialStatus

__version__ = "0.1.0"

__all__ = [
    "AskTell",
    "Decision",
    "Domain",
    "FIFOScheduler",
    "GridSearch",
    "GridSearcher",
    "RandomSearch",
    "RandomSearcher",
    "Scheduler",
    "Searcher",
    "Suggestion",
    "Trial",
    "TrialStatus",
    "choice",
    "default_config",
    "finrange",
    "logfinrange",
    "lograndint",
    "loguniform",
    "ordinal",
    "randint",
    "sample_config",
    "set_verbosity",
    "space_from_json",
    "space_to_json",
    "uniform",
    "validate_config",
]
