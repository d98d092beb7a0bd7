"""tunesmith: hyperparameter optimization with durable, resumable studies.

The names most users need are importable from here::

    from tunesmith import Tuner, LocalBackend, RandomSearch, StoppingCriterion, report, uniform
"""

from tunesmith.asktell import AskTell
from tunesmith.backends import LocalBackend, ScriptBackend
from tunesmith.callbacks import TunerCallback
from tunesmith.logs import set_verbosity
from tunesmith.reporting import TrialPaused, TrialStopped, checkpoint_dir, report
from tunesmith.results import TuningResult
from tunesmith.schedulers import (
    ASHA,
    PASHA,
    FIFOScheduler,
    GridSearch,
    HyperbandScheduler,
    MedianStoppingRule,
    RandomSearch,
    Scheduler,
    SyncHyperband,
    SyncSuccessiveHalving,
)
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
from tunesmith.stopping import PlateauStopper, StoppingCriterion, TuningStatus
from tunesmith.trial import Decision, Suggestion, Trial, TrialStatus
from tunesmith.tuner import TooManyFailuresError, Tuner

__version__ = "0.1.0"

__all__ = [
    "ASHA",
    "PASHA",
    "AskTell",
    "Decision",
    "Domain",
    "FIFOScheduler",
    "GridSearch",
    "GridSearcher",
    "HyperbandScheduler",
    "LocalBackend",
    "MedianStoppingRule",
    "PlateauStopper",
    "RandomSearch",
    "RandomSearcher",
    "Scheduler",
    "ScriptBackend",
    "Searcher",
    "StoppingCriterion",
    "Suggestion",
    "SyncHyperband",
    "SyncSuccessiveHalving",
    "TooManyFailuresError",
    "Trial",
    "TrialPaused",
    "TrialStatus",
    "TrialStopped",
    "Tuner",
    "TunerCallback",
    "TuningResult",
    "TuningStatus",
    "checkpoint_dir",
    "choice",
    "default_config",
    "finrange",
    "logfinrange",
    "lograndint",
    "loguniform",
    "ordinal",
    "randint",
    "report",
    "sample_config",
    "set_verbosity",
    "space_from_json",
    "space_to_json",
    "uniform",
    "validate_config",
]
