import math

import pytest

from tunesmith import RandomSearch, randint, uniform
from tunesmith.callbacks import TunerCallback
from tunesmith.schedulers.fifo import FIFOScheduler
from tunesmith.stopping import StoppingCriterion
from tunesmith.testing.inline_backend import InlineBackend
from tunesmith.trial import Decision, Suggestion, TrialStatus
from tunesmith.tuner import EXHAUSTED, TooManyFailuresError, Tuner

SPACE = {"x": uniform(0, 1), "epochs": 3}


def curve(config, start):
    for epoch in range(start + 1, config["epochs"] + 1):
        yield {"epoch": epoch, "loss": config["x"] + 1.0 / epoch}


def make(fn=curve, scheduler=None, stop=None, **kwargs):
    scheduler = scheduler or RandomSearch(SPACE, metric="loss", random_seed=0)
    stop = stop if stop is not None else StoppingCriterion(max_num_trials_started=6)
    return Tuner(
        InlineBackend(fn), scheduler, stop, kwargs.pop("n_workers", 2), verbose=0, **kwargs
    )


def test_runs_to_the_criterion_and_finds_the_best(tmp_path):
    result = make(run_dir=tmp_path).run()
    assert len(result.trials) == 6
    assert all(t.status is TrialStatus.COMPLETED for t in result.trials.values())
    assert len(result.results) == 18
    best = min(result.trials.values(), key=lambda t: t.config["x"])
    assert result.best_trial() is best
    assert result.best_config() == best.config
    assert result.stop_reason == "max_num_trials_started=6 reached"


def test_records_are_flat_and_dataframe_has_config_columns(tmp_path):
    result = make(run_dir=tmp_path).run()
    records = result.records()
    assert records[0].keys() >= {"trial_id", "status", "x", "epochs", "epoch", "loss"}
    df = result.dataframe()
    assert len(df) == 18 and "x" in df.columns


def test_exhausted_scheduler_ends_the_run(tmp_path):
    scheduler = RandomSearch({"a": randint(0, 3), "epochs": 1}, metric="loss", random_seed=0)
    result = make(
        lambda c, s: iter([{"loss": c["a"]}]), scheduler, stop=None, run_dir=tmp_path
    ).run()
    assert len(result.trials) == 4
    assert result.best_config() == {"a": 0, "epochs": 1}
    assert result.stop_reason == EXHAUSTED  # it says why it ended


class StopOdd(FIFOScheduler):
    """Stops odd trials at their first result."""

    def on_trial_result(self, trial, result):
        super().on_trial_result(trial, result)
        return Decision.STOP if trial.trial_id % 2 else Decision.CONTINUE


def test_stop_decision_ends_the_trial_at_that_result(tmp_path):
    scheduler = StopOdd(SPACE, metric="loss", random_seed=0)
    tuner = make(scheduler=scheduler, run_dir=tmp_path)
    result = tuner.run()
    for trial in result.trials.values():
        if trial.trial_id % 2:
            assert trial.status is TrialStatus.STOPPED and trial.num_results == 1
        else:
            assert trial.status is TrialStatus.COMPLETED and trial.num_results == 3


class PauseThenResume(FIFOScheduler):
    """Pauses every trial at epoch 1 and resumes paused trials before starting new ones."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.paused = []

    def suggest(self, trial_id):
        if self.paused:
            return Suggestion.resume(self.paused.pop(0))
        return super().suggest(trial_id)

    def on_trial_result(self, trial, result):
        if result["epoch"] == 1:
            self.paused.append(trial.trial_id)
            return Decision.PAUSE
        return Decision.CONTINUE


def test_pause_and_resume(tmp_path):
    scheduler = PauseThenResume(SPACE, metric="loss", random_seed=0)
    tuner = make(
        scheduler=scheduler,
        stop=StoppingCriterion(max_num_trials_completed=4),
        run_dir=tmp_path,
        n_workers=1,
    )
    result = tuner.run()
    assert (0, True) in tuner.backend.started
    trial = result.trials[0]
    assert trial.status is TrialStatus.COMPLETED
    assert [r["epoch"] for r in result.results if r["trial_id"] == 0] == [1, 2, 3]


def failing(config, start):
    if config["x"] < 0.5:
        raise RuntimeError("boom")
    yield {"loss": config["x"]}


def test_failures_are_recorded_and_the_run_goes_on(tmp_path):
    tuner = make(failing, stop=StoppingCriterion(max_num_trials_started=10), run_dir=tmp_path)
    result = tuner.run()
    failed = result.trials_with_status(TrialStatus.FAILED)
    assert failed and all(t.config["x"] < 0.5 for t in failed)
    assert all(t.failure_reason == "exception" and "boom" in t.failure_detail for t in failed)
    assert len(result.trials) == 10


def test_max_failures_count_ends_the_run_with_a_summary(tmp_path):
    tuner = make(
        failing, stop=StoppingCriterion(max_num_trials_started=50), run_dir=tmp_path, max_failures=2
    )
    with pytest.raises(
        TooManyFailuresError, match=r"3 of \d+ finished trials failed.*exception: 3"
    ):
        tuner.run()


def test_missing_or_invalid_metric_fails_the_trial(tmp_path):
    def bad(config, start):
        yield {"loss": math.nan} if config["x"] < 0.5 else {"acc": 1.0}

    result = make(bad, run_dir=tmp_path, max_failures=1.0).run()
    for trial in result.trials.values():
        assert trial.status is TrialStatus.FAILED
        assert trial.failure_reason == "invalid_metric"
    details = {t.failure_detail for t in result.trials.values()}
    assert any("must be finite, but got nan" in d for d in details)
    assert any("the result has no metric 'loss'" in d for d in details)


def test_trial_without_any_report_fails(tmp_path):
    result = make(lambda c, s: iter([]), run_dir=tmp_path, max_failures=1.0).run()
    trial = result.trials[0]
    assert trial.failure_reason == "invalid_metric"
    assert "without reporting metric 'loss'" in trial.failure_detail


def test_metric_threshold_stops_running_trials(tmp_path):
    stop = StoppingCriterion(min_metric_value={"loss": 1.2})
    result = make(stop=stop, run_dir=tmp_path).run()
    assert result.stop_reason == "min_metric_value: loss <= 1.2 reached"
    assert min(r["loss"] for r in result.results) <= 1.2


def test_synchronous_starts_batches(tmp_path):
    starts = []

    class Record(TunerCallback):
        def on_trial_start(self, trial, *, resumed):
            starts.append((trial.trial_id, tuner.num_running))

    tuner = make(run_dir=tmp_path, synchronous=True, n_workers=3, callbacks=[Record()])
    tuner.run()
    # each batch of 3 starts when no trial is running
    assert [running for _, running in starts] == [1, 2, 3, 1, 2, 3]


def test_callbacks_see_every_hook(tmp_path):
    seen = []

    class Record(TunerCallback):
        def on_tuning_start(self, tuner):
            seen.append("start")

        def on_trial_start(self, trial, *, resumed):
            seen.append("trial_start")

        def on_trial_result(self, trial, result, decision):
            seen.append("result")

        def on_trial_complete(self, trial):
            seen.append("complete")

        def on_tuning_end(self, tuner, result):
            seen.append("end")

    make(
        run_dir=tmp_path, callbacks=[Record()], stop=StoppingCriterion(max_num_trials_started=1)
    ).run()
    assert seen == ["start", "trial_start", "result", "result", "result", "complete", "end"]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n_workers": 0}, ValueError, "`n_workers` must be an int >= 1, but got n_workers=0"),
        ({"max_trial_time": -1}, ValueError, "`max_trial_time` must be a positive number"),
        ({"max_failures": 1.5}, ValueError, r"`max_failures` must be an int >= 0 \(a count\)"),
        ({"max_failures": -1}, ValueError, "but got max_failures=-1"),
        ({"verbose": 3}, ValueError, "`verbose` must be 0, 1 or 2, but got verbose=3"),
        ({"callbacks": [print]}, TypeError, "every callback must be a TunerCallback"),
        ({"stop_criterion": 5}, TypeError, "`stop_criterion` must be a StoppingCriterion"),
    ],
)
def test_bad_tuner_arguments(kwargs, error, message):
    args = {"stop_criterion": None, "n_workers": 1}
    args.update(kwargs)
    scheduler = RandomSearch(SPACE, metric="loss")
    with pytest.raises(error, match=message):
        Tuner(
            InlineBackend(curve),
            scheduler,
            args.pop("stop_criterion"),
            args.pop("n_workers"),
            **args,
        )


def test_bad_backend_and_scheduler():
    with pytest.raises(TypeError, match="`backend` must be a Backend"):
        Tuner(curve, RandomSearch(SPACE, metric="loss"), None)
    with pytest.raises(TypeError, match="`scheduler` must be a Scheduler"):
        Tuner(InlineBackend(curve), "random", None)


def test_wait_trial_completion_when_stopping_lets_running_trials_finish(tmp_path):
    stop = StoppingCriterion(max_num_evaluations=2)
    result = make(stop=stop, run_dir=tmp_path, wait_trial_completion_when_stopping=True).run()
    assert result.stop_reason == "max_num_evaluations=2 reached"
    assert [t.status for t in result.trials.values()] == [TrialStatus.COMPLETED] * 2
    assert len(result.results) == 6
    stopped = make(stop=stop, run_dir=tmp_path / "b").run()
    assert [t.status for t in stopped.trials.values()] == [TrialStatus.STOPPED] * 2


def test_plateau_stopper_ends_a_run(tmp_path):
    from tunesmith.stopping import PlateauStopper

    def flat(config, start):
        yield {"loss": 1.0}

    result = make(flat, stop=PlateauStopper("loss", num_trials=3), run_dir=tmp_path).run()
    assert result.stop_reason == "stop_criterion returned True"
    assert len(result.trials) <= 5


def test_max_cost_sums_the_last_cost_of_each_trial(tmp_path):
    def costly(config, start):
        for epoch in range(1, 4):
            yield {"epoch": epoch, "loss": config["x"], "cost": float(epoch)}  # cumulative

    tuner = make(costly, stop=StoppingCriterion(max_cost=7.0), run_dir=tmp_path, n_workers=1)
    result = tuner.run()
    # trial 0 ends at cost 3, trial 1 at 3 (total 6), trial 2's first result makes it 7
    assert result.stop_reason == "max_cost=7.0 reached"
    assert tuner.status.cost == 7.0
    assert len(result.trials) == 3


def test_cost_total_is_rebuilt_on_resume(tmp_path):
    def costly(config, start):
        for epoch in range(start + 1, 4):
            yield {"epoch": epoch, "loss": config["x"], "cost": float(epoch)}

    make(costly, stop=StoppingCriterion(max_num_trials_started=2), n_workers=1, name="c").run()
    resumed = make(costly, stop=StoppingCriterion(max_num_trials_started=2), n_workers=1, name="c")
    resumed.run()
    assert resumed.status.cost == 6.0


class WaitsForAWorker(InlineBackend):
    """Its trials wait ``wait`` seconds for a worker before they run (``running_since``), on a
    clock of its own that each event moves on by 0.1 s: a loaded machine cannot make a trial
    late."""

    wait = 1.5

    def __init__(self, fn):
        super().__init__(fn)
        self.clock = 0.0

    def now(self):
        return self.clock

    def next_event(self, timeout=None):
        self.clock += 0.1
        return super().next_event(timeout)

    def start(self, trial, *, resume=False):
        self.requested = self.now()
        super().start(trial, resume=resume)

    def running_since(self, trial_id):
        if self.now() < self.requested + self.wait:
            return math.inf
        return self.requested + self.wait


def ten_epochs(config, start):
    for epoch in range(start + 1, 11):
        yield {"epoch": epoch, "loss": 1.0 / epoch}


def test_max_trial_time_counts_from_when_the_trial_got_a_worker(tmp_path):
    # the trial runs 1 s (10 events), within max_trial_time=0.3 s of... nothing: it would time
    # out, but its clock starts when it got a worker (1.5 s after start()), so it completes.
    # Time spent waiting for a worker (one being started again after a killed trial) is not
    # the trial's
    backend = WaitsForAWorker(ten_epochs)
    scheduler = RandomSearch(SPACE, metric="loss", random_seed=0)
    stop = StoppingCriterion(max_num_trials_started=1)
    tuner = Tuner(backend, scheduler, stop, 1, verbose=0, max_trial_time=0.3, run_dir=tmp_path)
    (trial,) = tuner.run().trials.values()
    assert trial.status is TrialStatus.COMPLETED, trial.failure_detail
    assert trial.num_results == 10
    backend = WaitsForAWorker(ten_epochs)
    backend.wait = 0.0  # no wait: it times out
    tuner = Tuner(backend, scheduler, stop, 1, verbose=0, max_trial_time=0.3, run_dir=tmp_path)
    (trial,) = tuner.run().trials.values()
    assert trial.failure_reason == "timeout"
    assert trial.num_results < 10


def test_a_store_error_is_raised_once_not_hidden_by_the_final_write(tmp_path, monkeypatch):
    from tunesmith.store import Store, StoreFullError

    calls = []
    append = Store.append

    def full_after_three(self, study, events, **kwargs):
        calls.append(len(events))
        if len(calls) > 3:
            raise StoreFullError(f"the disk holding {tmp_path} is full")
        return append(self, study, events, **kwargs)

    monkeypatch.setattr(Store, "append", full_after_three)
    tuner = make(name="full", storage=f"sqlite:///{tmp_path / 's.db'}", run_dir=tmp_path)
    with pytest.raises(StoreFullError, match="is full") as err:
        tuner.run()
    assert err.value.__context__ is None  # one error, not three chained tracebacks
    assert len(calls) > 4  # the end of the run was tried too


def test_a_reserved_metric_name_fails_the_trial_under_any_backend(tmp_path):
    # InlineBackend does not check names itself (LocalBackend and ScriptBackend do): the tuner
    # does, before the result could overwrite a column of records()
    def bad(config, start):
        yield {"loss": 1.0, "trial_id": 99}

    result = make(bad, stop=StoppingCriterion(max_num_trials_started=1), run_dir=tmp_path).run()
    (trial,) = result.trials.values()
    assert trial.status is TrialStatus.FAILED and trial.failure_reason == "invalid_metric"
    assert trial.failure_detail.startswith("metric name 'trial_id' is reserved: records and ")
    assert result.results == []


def test_a_memory_run_leaves_no_folder_behind(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path / "home"))
    seen = []

    class Watch(TunerCallback):
        def on_tuning_start(self, tuner):
            self.tuner = tuner

        def on_trial_start(self, trial, *, resumed):
            seen.append(self.tuner.run_dir.is_dir())

    tuner = make(storage="memory", callbacks=[Watch()])
    assert len(tuner.run().trials) == 6
    assert seen and all(seen)  # the trials had their folders while the run lasted
    assert tuner.run_dir.name.startswith("tunesmith-") and not tuner.run_dir.exists()
    assert not (tmp_path / "home").exists()
    kept = make(storage="memory", run_dir=tmp_path / "mine")
    kept.run()
    assert (tmp_path / "mine" / "trials").is_dir()  # a run_dir given is the user's: kept


def test_several_objectives_a_missing_or_nan_objective_fails_the_trial(tmp_path):
    def two(config, start):
        for epoch in range(start + 1, 3):
            result = {"epoch": epoch, "err": config["x"], "latency": 1.0 - config["x"]}
            if config["x"] < 0.3:
                result["latency"] = math.nan
            elif config["x"] > 0.7:
                del result["err"]
            yield result

    scheduler = RandomSearch(SPACE, metric=["err", "latency"], mode="min", random_seed=0)
    stop = StoppingCriterion(max_num_trials_started=12)
    result = make(two, scheduler, stop, run_dir=tmp_path, max_failures=1.0).run()
    assert (result.metric, result.mode) == (["err", "latency"], ["min", "min"])
    for trial in result.trials.values():
        x = trial.config["x"]
        if 0.3 <= x <= 0.7:
            assert trial.status is TrialStatus.COMPLETED
        else:
            assert (trial.status, trial.failure_reason) == (TrialStatus.FAILED, "invalid_metric")
            expected = "metric 'latency' must be finite" if x < 0.3 else "no metric 'err'"
            assert expected in trial.failure_detail
    completed = result.trials_with_status(TrialStatus.COMPLETED)
    assert completed and sorted(t.trial_id for t in result.pareto_front()) == sorted(
        t.trial_id for t in completed
    )  # err = x, latency = 1 - x: every completed trial is a trade-off
    assert "on the Pareto front of err, latency" in result.summary()


def test_several_objectives_a_trial_without_reports_names_them(tmp_path):
    scheduler = RandomSearch(SPACE, metric=["err", "latency"], random_seed=0)
    result = make(lambda c, s: iter([]), scheduler, run_dir=tmp_path, max_failures=1.0).run()
    assert "without reporting metrics ['err', 'latency']" in result.trials[0].failure_detail


# -- metadata ---------------------------------------------------------------------------------
def test_metadata_is_stored_with_the_study(tmp_path, caplog):
    import tunesmith
    from tunesmith.store import Store

    url = f"sqlite:///{tmp_path / 's.db'}"
    metadata = {"dataset": "mnist", "commit": "abc123", "sizes": [1, 2], "lr": 0.1}
    result = make(storage=url, name="md", run_dir=tmp_path / "run", metadata=metadata).run()
    assert result.metadata == metadata
    assert tunesmith.load_study("md", storage=url).metadata == metadata
    with Store(url) as store:
        stored = store.get_study("md").metadata
    assert stored["dataset"] == "mnist" and "scheduler_state" in stored  # beside tunesmith's
    # a resumed study keeps what it was created with, and says so when given other metadata
    again = make(
        storage=url,
        name="md",
        run_dir=tmp_path / "run",
        metadata={"dataset": "cifar", "commit": "abc123"},
        stop=StoppingCriterion(max_num_trials_started=7),
    ).run()
    assert again.metadata == metadata
    assert "differing keys: dataset, lr, sizes" in caplog.text


def test_metadata_in_memory_and_none():
    assert make(storage="memory", metadata={"a": {"b": [1, None]}}).run().metadata == {
        "a": {"b": [1, None]}
    }
    assert make(storage="memory").run().metadata == {}


@pytest.mark.parametrize(
    ("metadata", "error", "message"),
    [
        ({"ok": 1, "model": object()}, TypeError, r"`metadata\['model'\]` must be JSON-serial"),
        ({"loss": math.nan}, TypeError, r"`metadata\['loss'\]` must be JSON-serializable .*NaN"),
        ({"run_dir": "/tmp"}, ValueError, "`metadata` may not use the key 'run_dir'"),
        ({1: "a"}, TypeError, "`metadata` keys must be non-empty strings, but got key 1"),
        (["a"], TypeError, r"`metadata` must be a dict .* but got metadata=\['a'\]"),
    ],
)
def test_bad_metadata_fails_fast_naming_the_key(metadata, error, message):
    with pytest.raises(error, match=message):
        make(storage="memory", metadata=metadata)


# -- stop() from another thread ----------------------------------------------------------------
def forever(config, start):
    epoch = start
    while True:
        epoch += 1
        yield {"epoch": epoch, "loss": config["x"] + 1.0 / epoch}


def test_stop_from_another_thread_ends_the_run_cleanly(tmp_path):
    import threading

    from _wait import wait_for

    url = f"sqlite:///{tmp_path / 's.db'}"
    tuner = make(forever, stop=None, storage=url, name="stopped", run_dir=tmp_path / "r")
    out = {}
    thread = threading.Thread(target=lambda: out.update(result=tuner.run()))
    thread.start()
    wait_for(lambda: len(tuner.result.results) >= 10, "ten results")
    tuner.stop("the controller said so")
    tuner.stop("a second call changes nothing")
    thread.join(timeout=60)
    assert not thread.is_alive()
    result = out["result"]
    assert result.stop_reason == "the controller said so"
    assert {t.status for t in result.trials.values()} == {TrialStatus.STOPPED}
    import tunesmith

    # nothing lost, nothing twice: every result the run has is stored once
    stored = tunesmith.load_study("stopped", storage=url).history()
    assert stored == result.history() and sum(map(len, stored.values())) == len(result.results)


def test_stop_before_run_ends_the_run_at_once():
    tuner = make(stop=StoppingCriterion(max_num_trials_started=2), storage="memory")
    tuner.stop()
    first = tuner.run()
    assert first.stop_reason == "stop() was called" and len(first.trials) == 0


# -- checkpoint removal from the scheduler ---------------------------------------------------
def test_early_checkpoint_removal_kwargs_add_the_callback(tmp_path):
    from tunesmith import ASHA
    from tunesmith.callbacks.checkpoint_removal import RemoveCheckpointsCallback

    space = {"x": uniform(0, 1), "epochs": 9}
    kwargs = {"max_num_checkpoints": 2, "strategy": "by_level"}
    asha = ASHA(
        space,
        metric="loss",
        type="promotion",
        random_seed=0,
        early_checkpoint_removal_kwargs=kwargs,
    )
    tuner = make(
        scheduler=asha, stop=StoppingCriterion(max_num_trials_started=12), run_dir=tmp_path
    )
    assert isinstance(tuner.checkpoint_removal, RemoveCheckpointsCallback)
    assert tuner.checkpoint_removal.strategy == "by_level"
    tuner.run()
    assert tuner.checkpoint_removal.num_checkpoints_removed > 0
    assert tuner.checkpoint_removal.num_checkpoints <= 2
    assert make(stop=None).checkpoint_removal is None
    with pytest.raises(ValueError, match=r"`early_checkpoint_removal_kwargs` has unknown keys"):
        make(
            scheduler=ASHA(
                space,
                metric="loss",
                type="promotion",
                early_checkpoint_removal_kwargs={"max_num_checkpoints": 2, "approx_steps": 5},
            )
        )
    with pytest.raises(ValueError, match="both remove checkpoints; keep one of them"):
        make(scheduler=asha, callbacks=[RemoveCheckpointsCallback(3)])
