"""tunesmith: hyperparameter optimization with durable, resumable studies.

The names most users need are importable from here::

    from tunesmith import Tuner, LocalBackend, RandomSearch, StoppingCriterion, report, uniform
"""

from typing import TYPE_CHECKING

from tunesmith._lazy import lazy_exports

__version__ = "0.1.0"

# Names are imported on first use (PEP 562): a trial script's ``import tunesmith`` then costs
# only what ``tunesmith.report`` needs, not numpy, SQLAlchemy and the schedulers.
_EXPORTS = {
    "BayesianOptimization": "tunesmith.schedulers",
    "ConstrainedBayesianOptimization": "tunesmith.schedulers",
    "CostAwareBayesianOptimization": "tunesmith.schedulers",
    "MOBSTER": "tunesmith.schedulers",
    "TPE": "tunesmith.schedulers",
    "REA": "tunesmith.schedulers",
    "BOHB": "tunesmith.schedulers",
    "SyncBOHB": "tunesmith.schedulers",
    "DEHB": "tunesmith.schedulers",
    "GPSearcher": "tunesmith.searchers",
    "KDESearcher": "tunesmith.searchers",
    "RegularizedEvolution": "tunesmith.searchers",
    "DifferentialEvolution": "tunesmith.searchers",
    "RLScheduler": "tunesmith.schedulers",
    "RLSearcher": "tunesmith.searchers",
    "SimulatorBackend": "tunesmith.backends.simulator",
    "ASHA": "tunesmith.schedulers",
    "AskTell": "tunesmith.asktell",
    "Decision": "tunesmith.trial",
    "Domain": "tunesmith.space",
    "FIFOScheduler": "tunesmith.schedulers",
    "GridSearch": "tunesmith.schedulers",
    "GridSearcher": "tunesmith.searchers",
    "HyperbandScheduler": "tunesmith.schedulers",
    "LocalBackend": "tunesmith.backends",
    "MedianStoppingRule": "tunesmith.schedulers",
    "PASHA": "tunesmith.schedulers",
    "PlateauStopper": "tunesmith.stopping",
    "RandomSearch": "tunesmith.schedulers",
    "RandomSearcher": "tunesmith.searchers",
    "Scheduler": "tunesmith.schedulers",
    "ScriptBackend": "tunesmith.backends",
    "Searcher": "tunesmith.searchers",
    "StoppingCriterion": "tunesmith.stopping",
    "Suggestion": "tunesmith.trial",
    "SyncHyperband": "tunesmith.schedulers",
    "SyncSuccessiveHalving": "tunesmith.schedulers",
    "TooManyFailuresError": "tunesmith.tuner",
    "Trial": "tunesmith.trial",
    "TrialPaused": "tunesmith.reporting",
    "TrialStatus": "tunesmith.trial",
    "TrialStopped": "tunesmith.reporting",
    "Tuner": "tunesmith.tuner",
    "TunerCallback": "tunesmith.callbacks",
    "TuningResult": "tunesmith.results",
    "TuningStatus": "tunesmith.stopping",
    "checkpoint_dir": "tunesmith.reporting",
    "choice": "tunesmith.space",
    "default_config": "tunesmith.space",
    "finrange": "tunesmith.space",
    "logfinrange": "tunesmith.space",
    "lograndint": "tunesmith.space",
    "loguniform": "tunesmith.space",
    "ordinal": "tunesmith.space",
    "randint": "tunesmith.space",
    "report": "tunesmith.reporting",
    "trial_id": "tunesmith.reporting",
    "list_studies": "tunesmith.studies",
    "load_study": "tunesmith.studies",
    "sample_config": "tunesmith.space",
    "set_verbosity": "tunesmith.logs",
    "space_from_json": "tunesmith.space",
    "space_to_json": "tunesmith.space",
    "uniform": "tunesmith.space",
    "validate_config": "tunesmith.space",
    "hypervolume": "tunesmith.multiobjective",
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:  # for type checkers and IDEs
    from tunesmith.asktell import AskTell
    from tunesmith.backends import LocalBackend, ScriptBackend
    from tunesmith.backends.simulator import SimulatorBackend
    from tunesmith.callbacks import TunerCallback
    from tunesmith.logs import set_verbosity
    from tunesmith.multiobjective import hypervolume
    from tunesmith.reporting import TrialPaused, TrialStopped, checkpoint_dir, report, trial_id
    from tunesmith.results import TuningResult
    from tunesmith.schedulers import (
        ASHA,
        BOHB,
        DEHB,
        MOBSTER,
        PASHA,
        REA,
        TPE,
        BayesianOptimization,
        ConstrainedBayesianOptimization,
        CostAwareBayesianOptimization,
        FIFOScheduler,
        GridSearch,
        HyperbandScheduler,
        MedianStoppingRule,
        RandomSearch,
        RLScheduler,
        Scheduler,
        SyncBOHB,
        SyncHyperband,
        SyncSuccessiveHalving,
    )
    from tunesmith.searchers import (
        DifferentialEvolution,
        GPSearcher,
        GridSearcher,
        KDESearcher,
        RandomSearcher,
        RegularizedEvolution,
        RLSearcher,
        Searcher,
    )
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
    from tunesmith.studies import list_studies, load_study
    from tunesmith.trial import Decision, Suggestion, Trial, TrialStatus
    from tunesmith.tuner import TooManyFailuresError, Tuner

__all__ = [
    "ASHA",
    "BOHB",
    "DEHB",
    "MOBSTER",
    "PASHA",
    "REA",
    "TPE",
    "AskTell",
    "BayesianOptimization",
    "ConstrainedBayesianOptimization",
    "CostAwareBayesianOptimization",
    "Decision",
    "DifferentialEvolution",
    "Domain",
    "FIFOScheduler",
    "GPSearcher",
    "GridSearch",
    "GridSearcher",
    "HyperbandScheduler",
    "KDESearcher",
    "LocalBackend",
    "MedianStoppingRule",
    "PlateauStopper",
    "RLScheduler",
    "RLSearcher",
    "RandomSearch",
    "RandomSearcher",
    "RegularizedEvolution",
    "Scheduler",
    "ScriptBackend",
    "Searcher",
    "SimulatorBackend",
    "StoppingCriterion",
    "Suggestion",
    "SyncBOHB",
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
    "hypervolume",
    "list_studies",
    "load_study",
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
    "trial_id",
    "uniform",
    "validate_config",
]
