"""tunesmith.compat.synetune's scheduler API beyond the baselines, as Syne Tune's examples use
it: ``schedulers.PopulationBasedTraining`` and ``schedulers.multiobjective.MOASHA`` make the
native calls' decisions; a ``TrialScheduler`` subclass of the user's runs on the native
tuner; ``backend.trial_status`` and ``try_import``. The examples themselves:
test_synetune_examples.py."""

from __future__ import annotations

import datetime

import numpy as np
import pytest

import tunesmith
from tunesmith import AskTell, Decision
from tunesmith.compat.synetune import config_space as cs
from tunesmith.compat.synetune.backend.trial_status import Status, Trial, TrialResult
from tunesmith.compat.synetune.errors import InvalidArgument, NotSupported
from tunesmith.compat.synetune.optimizer.baselines import RandomSearch
from tunesmith.compat.synetune.optimizer.scheduler import (
    SchedulerDecision,
    TrialScheduler,
    TrialSuggestion,
)
from tunesmith.compat.synetune.optimizer.schedulers import PopulationBasedTraining
from tunesmith.compat.synetune.optimizer.schedulers.multiobjective import MOASHA
from tunesmith.compat.synetune.try_import import (
    try_import_gpsearchers_message,
    try_import_visual_message,
)


def _drive(scheduler, objectives, steps: int = 30, max_t: int = 9, first: int = 1):
    """One worker, by hand: each suggestion, then results from ``first`` to ``max_t`` until a
    decision other than CONTINUE; what was suggested and decided."""
    at = AskTell(scheduler)
    log = []
    progress: dict[int, int] = {}
    for _ in range(steps):
        trial = at.ask()
        if trial is None:
            break
        for t in range(progress.get(trial.trial_id, first - 1) + 1, max_t + 1):
            progress[trial.trial_id] = t
            result = {"t": t, **objectives(trial.config, t)}
            if t == max_t:
                at.tell(trial, result)
                log.append((trial.trial_id, dict(trial.config), t, "done"))
                break
            decision = at.report(trial, result)
            if decision is not Decision.CONTINUE:
                log.append((trial.trial_id, dict(trial.config), t, decision.value))
                break
    return log


def test_population_based_training_is_the_native_pbt_with_syne_tunes_defaults():
    space = {"lr": cs.loguniform(1e-4, 2e-2)}
    ours = PopulationBasedTraining(
        space, metric="acc", mode="max", resource_attr="t", population_size=2,
        max_t=9, perturbation_interval=1, random_seed=5,
    )  # fmt: skip
    native = tunesmith.PopulationBasedTraining(
        space, metric="acc", mode="max", resource_attr="t", population_size=2, max_t=9,
        perturbation_interval=1, quantile_fraction=0.25, resample_probability=0.25,
        points_to_evaluate=[{}], random_seed=5,
    )  # fmt: skip
    assert type(ours) is tunesmith.PopulationBasedTraining
    assert ours.spec() == native.spec()

    def acc(config, t):
        return {"acc": t * (1 - abs(np.log(config["lr"]) - np.log(3e-3)))}

    log = _drive(ours, acc)
    assert log == _drive(native, acc) and log
    defaults = PopulationBasedTraining(space, metric="acc").spec()["kwargs"]
    assert defaults["resource_attr"] == "time_total_s"
    assert (defaults["population_size"], defaults["perturbation_interval"]) == (4, 60)


def test_population_based_training_arguments():
    space = {"lr": cs.loguniform(1e-4, 2e-2), "epochs": 7}
    pbt = PopulationBasedTraining(space, metric="acc", max_resource_attr="epochs")
    assert pbt.max_t == 7
    with pytest.raises(InvalidArgument, match="unexpected keyword argument 'population'"):
        PopulationBasedTraining(space, metric="acc", population=2)
    with pytest.raises(NotSupported, match="searcher='bayesopt' is not supported"):
        PopulationBasedTraining(space, metric="acc", searcher="bayesopt")
    with pytest.raises(ValueError, match="max_resource_attr='steps' is not a key"):
        PopulationBasedTraining(space, metric="acc", max_resource_attr="steps")


def test_moasha_is_the_native_moasha_and_takes_results_from_step_0():
    """Syne Tune's signature (``metrics``, ``time_attr``, ``max_t=100``, mode default min) on
    the native MOASHA; a script counting its steps from 0 (Syne Tune's mo_artificial.py)
    reports resource 0 first, which gets CONTINUE and changes nothing."""
    space = {"theta": cs.uniform(0, np.pi / 2)}
    ours = MOASHA(space, metrics=["y1", "y2"], time_attr="t", max_t=9)
    assert type(ours) is tunesmith.MOASHA
    assert ours.spec()["kwargs"]["metric"] == ["y1", "y2"]
    assert ours.spec()["kwargs"]["mode"] == "min"

    def ys(config, t):
        return {"y1": -t + t * np.cos(config["theta"]) + config["theta"], "y2": t * 0.1}

    def run(first):
        np.random.seed(0)
        sched = tunesmith.MOASHA(
            space, metric=["y1", "y2"], resource_attr="t", max_t=9, random_seed=3
        )
        return _drive(sched, ys, first=first)

    from_1, from_0 = run(1), run(0)
    assert from_0 == from_1 and any(d == "stop" for *_, d in from_1)
    with pytest.raises(TypeError, match="metrics must be a list"):
        MOASHA(space, metrics="y1")


def test_moasha_refuses_resource_0_after_a_later_one():
    sched = tunesmith.MOASHA(
        {"x": tunesmith.uniform(0, 1)}, metric=["a", "b"], resource_attr="t", max_t=9
    )
    trial = tunesmith.Trial(0, sched.suggest(0).config)
    sched.on_trial_add(trial)
    assert sched.on_trial_result(trial, {"t": 0, "a": 1.0, "b": 1.0}) is Decision.CONTINUE
    assert sched.on_trial_result(trial, {"t": 1, "a": 1.0, "b": 1.0}) is Decision.CONTINUE
    with pytest.raises(ValueError, match="must increase from one result to the next"):
        sched.on_trial_result(trial, {"t": 0, "a": 1.0, "b": 1.0})
    with pytest.raises(ValueError, match=r"must be an int >= 0 .* but got -1"):
        sched.on_trial_result(trial, {"t": -1, "a": 1.0, "b": 1.0})


class _Halving(TrialScheduler):
    """Stops a trial whose result is worse than the median so far (Syne Tune's way: its own
    ``_suggest``, decisions as ``SchedulerDecision``)."""

    def __init__(self, config_space, metric, mode=None):
        super().__init__(config_space=config_space)
        self.metric = metric
        self.mode = mode or "min"
        self.seen: list[float] = []

    def _suggest(self, trial_id):
        rng = np.random.default_rng(trial_id)
        config = {
            k: v.sample(rng) if hasattr(v, "sample") else v for k, v in self.config_space.items()
        }
        return TrialSuggestion.start_suggestion(config)

    def on_trial_result(self, trial, result):
        value = result[self.metric]
        self.seen.append(value)
        if len(self.seen) > 3 and value > float(np.median(self.seen)):
            return SchedulerDecision.STOP
        return SchedulerDecision.CONTINUE


def test_a_trial_scheduler_subclass_runs_on_the_native_tuner():
    space = {"x": cs.uniform(0, 1), "epochs": 4}
    sched = _Halving(space, metric="loss")
    assert isinstance(sched, tunesmith.Scheduler)
    assert (sched.metric, sched.mode, sched.metrics) == ("loss", "min", ["loss"])

    def train(config):
        for epoch in range(1, config["epochs"] + 1):
            tunesmith.report(epoch=epoch, loss=config["x"] / epoch)

    result = tunesmith.Tuner(
        tunesmith.LocalBackend(train),
        sched,
        tunesmith.StoppingCriterion(max_num_trials_started=6),
        n_workers=1,
    ).run()
    assert len(result.trials) == 6
    histories = result.history()
    assert any(len(h) < 4 for h in histories.values())  # the subclass stopped some
    for trial_id, history in histories.items():
        assert result.trials[trial_id].config["x"] == space["x"].value_at(
            float(np.random.default_rng(trial_id).random())
        )
        assert [r["epoch"] for r in history] == list(range(1, len(history) + 1))


def test_trial_scheduler_metric_from_metric_names_and_suggestions():
    class Named(TrialScheduler):
        def _suggest(self, trial_id):
            if trial_id >= 2:
                return None
            if trial_id == 1:
                return TrialSuggestion.resume_suggestion(0, {"x": 2})
            return TrialSuggestion.start_suggestion({"x": 1})

        def metric_names(self):
            return ["acc"]

        def metric_mode(self):
            return "max"

    sched = Named({"x": cs.randint(0, 3)})
    assert (sched.metric, sched.mode) == ("acc", "max")
    assert sched.score({"acc": 0.5}) == -0.5
    start = sched.suggest(0)
    assert (start.config, start.resume_trial_id) == ({"x": 1}, None)
    resume = sched.suggest(1)
    assert (resume.config, resume.resume_trial_id) == ({"x": 2}, 0)
    assert sched.suggest(2) is None
    assert sched.on_trial_result(Trial(0, {"x": 1}), {"acc": 1.0}) is Decision.CONTINUE
    assert SchedulerDecision.STOP == Decision.STOP
    with pytest.raises(NotSupported, match="checkpoint_trial_id=3"):
        TrialSuggestion.start_suggestion({"x": 1}, checkpoint_trial_id=3).native()

    class Unnamed(TrialScheduler):
        def _suggest(self, trial_id):
            return None

    with pytest.raises(NotImplementedError, match="set self.metric or override metric_names"):
        Unnamed({}).suggest(0)


def test_trial_status_objects_go_to_the_native_schedulers():
    now = datetime.datetime(2026, 1, 1, 12, 0, 0)
    sched = RandomSearch({"x": cs.uniform(0, 1)}, metric="loss", random_seed=1)
    suggestion = sched.suggest(0)
    trial = Trial(trial_id=0, config=suggestion.config, creation_time=now)
    assert isinstance(trial, tunesmith.Trial) and trial.creation_time == now
    sched.on_trial_complete(trial=trial, result={"loss": 0.3})
    done = trial.add_results(
        metrics={"loss": 0.3},
        status=Status.completed,
        training_end_time=now + datetime.timedelta(seconds=90),
    )
    assert isinstance(done, TrialResult)
    assert (done.trial_id, done.metrics, done.status, done.seconds) == (
        0,
        {"loss": 0.3},
        "Completed",
        90,
    )
    assert done.cost is None
    assert "TrialResult(trial_id=0" in repr(done)


def test_try_import_messages():
    assert "numpy" in try_import_gpsearchers_message()
    assert 'pip install "tunesmith[plot]"' in try_import_visual_message()


def test_syne_tunes_callbacks():
    from tunesmith import TensorBoardCallback, TunerCallback
    from tunesmith.compat.synetune.callbacks import TensorboardCallback
    from tunesmith.compat.synetune.results_callback import (
        ExtraResultsComposer,
        StoreResultsCallback,
    )

    tb = TensorboardCallback(target_metric="loss", mode="min")
    assert isinstance(tb, TensorBoardCallback) and (tb.target_metric, tb.mode) == ("loss", "min")
    with pytest.raises(NotSupported, match=r"ignore_metrics=\['a'\]\) is not supported"):
        TensorboardCallback(ignore_metrics=["a"])
    with pytest.raises(ValueError, match="mode must be 'min' or 'max', but got 'low'"):
        TensorboardCallback(mode="low")
    assert isinstance(StoreResultsCallback(), TunerCallback)
    with pytest.raises(NotSupported, match="extra_results_composer=...\\) is not supported"):
        StoreResultsCallback(extra_results_composer=ExtraResultsComposer())


def test_sagemaker_names_import_and_refuse_to_run(tmp_path):
    from tunesmith.compat.synetune.backend import SageMakerBackend
    from tunesmith.compat.synetune.backend.sagemaker_backend.sagemaker_utils import (
        default_sagemaker_session,
        get_execution_role,
    )
    from tunesmith.compat.synetune.remote.constants import DEFAULT_CPU_INSTANCE_SMALL

    assert isinstance(DEFAULT_CPU_INSTANCE_SMALL, str)
    with pytest.raises(NotSupported, match="SageMakerBackend: SageMaker is not in tunesmith"):
        SageMakerBackend(sm_estimator=None)
    for fn in (get_execution_role, default_sagemaker_session):
        with pytest.raises(NotSupported, match=f"{fn.__name__}\\(\\): SageMaker is not"):
            fn()


def test_config_json_helpers(tmp_path):
    import argparse
    import json

    from tunesmith.compat.synetune.utils import add_config_json_to_argparse, load_config_json

    path = tmp_path / "config.json"
    path.write_text(json.dumps({"width": 3, "nested": {"a": [1, 2]}}))
    parser = argparse.ArgumentParser()
    add_config_json_to_argparse(parser)
    args = parser.parse_args(["--st_config_json_filename", str(path), "--st_checkpoint_dir", "c"])
    assert load_config_json(vars(args)) == {
        "width": 3,
        "nested": {"a": [1, 2]},
        "st_checkpoint_dir": "c",
    }
    with pytest.raises(ValueError, match="args has no 'st_config_json_filename'"):
        load_config_json({})


def test_tuning_status_dataframe_has_a_row_per_trial_with_syne_tunes_status_names():
    from tunesmith.compat.synetune import StoppingCriterion, Tuner
    from tunesmith.compat.synetune.backend import PythonBackend

    def train(x: float):
        from tunesmith.compat.synetune import Reporter

        report = Reporter()
        for epoch in range(1, 3):
            report(epoch=epoch, loss=x / epoch)

    space = {"x": cs.uniform(0, 1)}
    tuner = Tuner(
        trial_backend=PythonBackend(train, space),
        scheduler=RandomSearch(space, metric="loss", random_seed=2),
        stop_criterion=StoppingCriterion(max_num_trials_started=3),
        n_workers=1,
        tuner_name="status-view",
    )
    with pytest.raises(RuntimeError, match="once run\\(\\) has run"):
        tuner.tuning_status  # noqa: B018
    tuner.run()
    df = tuner.tuning_status.get_dataframe()
    assert df["trial_id"].tolist() == [0, 1, 2]
    assert set(df["status"]) == {"Completed"}
    assert (df["loss"] == df["x"] / 2).all() and (df["epoch"] == 2).all()


def test_sklearn_surrogate_searcher_runs_a_syne_tune_estimator_as_the_native_searcher():
    """Syne Tune's estimator interface around BayesianRidge suggests what tunesmith's
    SKLearnSurrogateSearcher with BayesianRidge itself suggests."""
    import copy

    sklearn = pytest.importorskip("sklearn.linear_model")
    from tunesmith import SKLearnSurrogateSearcher as Native
    from tunesmith.compat.synetune.optimizer.schedulers.searchers.bayesopt.models import (
        meanstd_acqfunc_impl as acq,
    )
    from tunesmith.compat.synetune.optimizer.schedulers.searchers.bayesopt.sklearn import (
        SKLearnEstimator,
        SKLearnPredictor,
    )
    from tunesmith.compat.synetune.optimizer.schedulers.searchers.sklearn import (
        SKLearnSurrogateSearcher,
    )

    fits = []

    class Predictor(SKLearnPredictor):
        def __init__(self, ridge):
            self.ridge = ridge

        def predict(self, X):
            return self.ridge.predict(X, return_std=True)

    class Estimator(SKLearnEstimator):
        def __init__(self):
            self.ridge = sklearn.BayesianRidge()

        def fit(self, X, y, update_params):
            fits.append(len(X))
            self.ridge.fit(X, y.ravel())
            return Predictor(copy.deepcopy(self.ridge))

    space = {"x": cs.uniform(0, 1), "n": cs.randint(1, 9)}

    def run(searcher):
        out = []
        for _ in range(9):
            config = searcher.suggest()
            searcher.observe(config, {"loss": (config["x"] - 0.3) ** 2 + config["n"] / 10})
            out.append(config)
        return out

    for scoring, name in ((acq.EIAcquisitionFunction, "ei"), (acq.LCBAcquisitionFunction, "lcb")):
        ours = SKLearnSurrogateSearcher(
            space, "loss", Estimator(), scoring_class=scoring, random_seed=1
        )
        native = Native(
            space, estimator=sklearn.BayesianRidge(), metric="loss", acquisition=name, random_seed=1
        )
        assert run(ours) == run(native)
    assert fits  # the model-based suggestions went through the estimator
    with pytest.raises(NotSupported, match="scoring_class=.* is not supported"):
        SKLearnSurrogateSearcher(space, "loss", Estimator(), scoring_class=object)
    with pytest.raises(InvalidArgument, match="unexpected keyword argument 'kappa'"):
        SKLearnSurrogateSearcher(space, "loss", Estimator(), kappa=2)
