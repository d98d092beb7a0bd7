"""Named studies: resume after a crash reproduces the uninterrupted run; extension; mismatch."""

import json
import os
import shutil
import signal

import pytest

from tunesmith import ASHA, RandomSearch, StoppingCriterion, TrialStatus, Tuner, choice, uniform
from tunesmith.callbacks import TunerCallback
from tunesmith.resume import ReplayError, StudyMismatchError
from tunesmith.schedulers.fifo import FIFOScheduler
from tunesmith.store import Store
from tunesmith.testing.inline_backend import InlineBackend
from tunesmith.testing.store_contract import separate_transaction
from tunesmith.trial import Decision

SPACE = {"x": uniform(0, 1), "c": choice(["a", "b"]), "epochs": 4}


def curve(config, start):
    for epoch in range(start + 1, config["epochs"] + 1):
        yield {"epoch": epoch, "loss": config["x"] + (config["c"] == "b") + 1.0 / epoch}


class StopBad(FIFOScheduler):
    """Stops trials whose loss at epoch 2 is above 1.6: decisions depend on results."""

    def on_trial_result(self, trial, result):
        super().on_trial_result(trial, result)
        return Decision.STOP if result["epoch"] == 2 and result["loss"] > 1.6 else Decision.CONTINUE


class Crash(BaseException):
    pass


class CrashAfter(TunerCallback):
    """Raises after ``n`` hook calls, like a tuner killed at a random moment."""

    def __init__(self, n):
        self.n = n

    def _tick(self):
        self.n -= 1
        if self.n == 0:
            raise Crash

    def on_trial_start(self, trial, *, resumed):
        self._tick()

    def on_trial_result(self, trial, result, decision):
        self._tick()

    def on_trial_complete(self, trial):
        self._tick()


def tuner(name, n_trials=8, seed=None, callbacks=(), scheduler_cls=StopBad, **kwargs):
    scheduler = scheduler_cls(SPACE, metric="loss", random_seed=seed)
    return Tuner(
        InlineBackend(curve),
        scheduler,
        StoppingCriterion(max_num_trials_started=n_trials),
        n_workers=kwargs.pop("n_workers", 1),
        verbose=0,
        name=name,
        callbacks=list(callbacks),
        **kwargs,
    )


def table(name):
    """Configs, results and decisions of a study, as stored."""
    with Store() as store:
        events = store.read_events(name)
    return [
        (e.kind.value, e.trial_id, {k: v for k, v in e.payload.items() if k != "ts_time"})
        for e in events
        if e.kind.value
        in ("trial_created", "result", "decision", "trial_completed", "trial_stopped")
    ]


def test_resume_after_crashes_at_every_point_equals_the_uninterrupted_run():
    tuner("reference", seed=5).run()
    reference = table("reference")
    total = 40  # hook calls of the whole run are fewer than this
    for n in range(1, total, 3):
        name = f"crashed-{n}"
        with pytest.raises(Crash):
            tuner(name, seed=5, callbacks=[CrashAfter(n)]).run()
        result = tuner(name, seed=5).run()
        assert table(name) == reference, f"crash after {n} hook calls"
        assert len(result.trials) == 8


@pytest.mark.parametrize("wait", [False, True])
def test_resume_after_crashes_under_another_criterion_equals_the_uninterrupted_run(wait):
    # the run ends on completed trials while others run: a resumed run checks the criterion
    # before it starts anything, and ends (or lets finish) the restarted trials as it would have
    def make(name, callbacks=()):
        return Tuner(
            InlineBackend(curve),
            StopBad(SPACE, metric="loss", random_seed=7),
            StoppingCriterion(max_num_trials_completed=3),
            n_workers=3,
            verbose=0,
            name=name,
            callbacks=list(callbacks),
            wait_trial_completion_when_stopping=wait,
        )

    make(f"ref-{wait}").run()
    reference = table(f"ref-{wait}")
    crashes = 0
    for n in range(1, 100, 2):
        name = f"crashed-{wait}-{n}"
        try:
            make(name, [CrashAfter(n)]).run()
        except Crash:
            crashes += 1
        else:
            break  # the run has fewer hook calls than n
        make(name).run()
        assert table(name) == reference, f"crash after {n} hook calls"
    assert crashes >= 10


class InterruptAfter(CrashAfter):
    """Sends this process SIGINT (SIGTERM) after ``n`` hook calls, like Ctrl-C at that moment."""

    def __init__(self, n, signum=signal.SIGINT, times=1):
        super().__init__(n)
        self.signum, self.times = signum, times

    def _tick(self):
        self.n -= 1
        if self.n == 0:
            for _ in range(self.times):
                os.kill(os.getpid(), self.signum)


def trial_ends(name):
    """Each trial's status, config and results (without ts_ fields), by id."""
    with Store() as store:
        trials = store.trials(name)
        records = store.records(name)
    results = {}
    for r in records:
        results.setdefault(r["trial_id"], []).append(
            {k: v for k, v in r.items() if k in ("epoch", "loss")}
        )
    return {t["trial_id"]: (t["status"], t["config"], results.get(t["trial_id"])) for t in trials}


@pytest.mark.parametrize("n_workers", [1, 2])
@pytest.mark.parametrize(
    "signum, times",
    [
        (signal.SIGINT, 1),
        (signal.SIGINT, 2),
        pytest.param(signal.SIGTERM, 1, marks=pytest.mark.slow),  # handled as SIGINT
    ],
)
def test_resume_after_interrupts_at_every_point_equals_the_uninterrupted_run(
    signum, times, n_workers
):
    tuner("reference", seed=5, n_workers=n_workers).run()
    reference, reference_ends = table("reference"), trial_ends("reference")
    interrupted = 0
    for n in range(1, 100, 2):
        name = f"interrupted-{n}"
        callbacks = [InterruptAfter(n, signum, times)]
        result = tuner(name, seed=5, n_workers=n_workers, callbacks=callbacks).run()
        if not result.stop_reason.startswith("interrupted"):
            break  # the run has fewer hook calls than n
        interrupted += 1
        assert {t.status for t in result.trials.values()} <= {
            TrialStatus.COMPLETED,
            TrialStatus.STOPPED,
            TrialStatus.INTERRUPTED,
        }
        assert tuner(name, seed=5, n_workers=n_workers).run().stop_reason.startswith("max_num")
        assert trial_ends(name) == reference_ends, f"interrupted after {n} hook calls"
        if n_workers == 1:  # one order of events: the whole journal is the same
            assert table(name) == reference, f"interrupted after {n} hook calls"
    assert interrupted >= 10


def test_resume_without_a_seed_uses_the_stored_state():
    with pytest.raises(Crash):
        tuner("unseeded", callbacks=[CrashAfter(5)]).run()
    first = table("unseeded")
    tuner("unseeded").run()  # a fresh scheduler with another entropy seed
    assert table("unseeded")[: len(first)] == first


def test_extending_a_finished_study_counts_totals():
    tuner("grow", n_trials=4, seed=1).run()
    result = tuner("grow", n_trials=6, seed=1).run()
    assert len(result.trials) == 6
    tuner("whole", n_trials=6, seed=1).run()
    configs = [e for e in table("whole") if e[0] == "trial_created"]
    assert [e for e in table("grow") if e[0] == "trial_created"] == configs


def test_trials_running_at_a_crash_restart_from_their_checkpoint():
    with pytest.raises(Crash):
        tuner("ckpt", seed=2, callbacks=[CrashAfter(3)]).run()  # start, result, result
    resumed = tuner("ckpt", seed=2)
    result = resumed.run()
    assert (0, True) in resumed.backend.started  # restarted with its checkpoint
    epochs = [r["epoch"] for r in result.results if r["trial_id"] == 0]
    assert epochs == sorted(set(epochs))  # no epoch reported twice


def test_restart_from_scratch_when_asked():
    with pytest.raises(Crash):
        tuner("scratch", seed=2, callbacks=[CrashAfter(3)]).run()
    resumed = tuner("scratch", seed=2, restart_from_checkpoint=False)
    resumed.run()
    assert (0, False) in resumed.backend.started


def test_a_different_scheduler_under_the_same_name_says_what_differs():
    tuner("fixed", n_trials=2, seed=0).run()
    with pytest.raises(StudyMismatchError, match=r"kwargs.mode: was 'min', now 'max'"):
        Tuner(
            InlineBackend(curve),
            StopBad(SPACE, metric="loss", mode="max", random_seed=0),
            None,
            name="fixed",
        ).run()
    other = {**SPACE, "x": uniform(0, 2)}
    with pytest.raises(
        StudyMismatchError, match=r"config_space.x.__domain__.upper: was 1.0, now 2.0"
    ):
        Tuner(InlineBackend(curve), StopBad(other, metric="loss"), None, name="fixed").run()


def test_a_changed_argument_names_the_stored_value_that_continues_the_study():
    def run(**kwargs):
        scheduler = ASHA(SPACE, metric="loss", resource_attr="epoch", max_t=4, **kwargs)
        stop = StoppingCriterion(max_num_trials_started=3)
        return Tuner(InlineBackend(curve), scheduler, stop, verbose=0, name="graced").run()

    run(grace_period=1)
    with pytest.raises(
        StudyMismatchError,
        match=r"kwargs.grace_period: was 1, now 2\. Use another name, or if_exists='overwrite'"
        r" to replace it; pass grace_period=1 to ASHA \(as stored\) to continue it$",
    ):
        run(grace_period=2)
    assert len(run(grace_period=1).trials) == 3
    # a config space has no keyword to pass back: no such hint
    with pytest.raises(StudyMismatchError, match=r"to replace it$"):
        Tuner(
            InlineBackend(curve),
            ASHA({**SPACE, "x": uniform(0, 2)}, metric="loss", resource_attr="epoch", max_t=4),
            None,
            name="graced",
        ).run()


def test_if_exists_error_and_overwrite():
    tuner("taken", n_trials=2, seed=0).run()
    with pytest.raises(StudyMismatchError, match="a study named 'taken' already exists"):
        tuner("taken", n_trials=2, seed=0, if_exists="error").run()
    result = tuner("taken", n_trials=3, seed=1, if_exists="overwrite").run()
    assert len(result.trials) == 3
    with Store() as store:
        assert len(store.trials("taken")) == 3


def test_results_are_readable_from_the_store():
    result = tuner("readable", n_trials=3, seed=0, scheduler_cls=RandomSearch).run()
    with Store() as store:
        trials = store.trials("readable")
        records = store.records("readable")
    assert [t["status"] for t in trials] == ["completed"] * 3
    assert len(records) == len(result.results) == 12
    assert {t.status for t in result.trials.values()} == {TrialStatus.COMPLETED}


def test_bad_study_arguments():
    with pytest.raises(ValueError, match="`if_exists` must be 'resume', 'error' or 'overwrite'"):
        tuner("x", if_exists="append")
    with pytest.raises(ValueError, match="a study `name` must be 1 to 128 characters"):
        tuner("no spaces please")


@pytest.mark.parametrize(
    "stored, problem",
    [
        ("relative/run", "is not an absolute path"),
        ("/", "is not a run folder"),
        ("/tmp/../etc", "is not a run folder"),
        ("", "is not an absolute path"),
    ],
)
def test_a_bad_stored_run_dir_is_refused(stored, problem, tmp_path):
    # the stored run folder decides where a resuming tuner deletes checkpoints: check it
    tuner("moved", n_trials=2, seed=0).run()
    with Store() as store, separate_transaction(store, write=True) as conn:
        query = "SELECT metadata FROM tunesmith_studies WHERE name = 'moved'"
        metadata = {**json.loads(conn.scalar(query)), "run_dir": stored}
        conn.execute(
            "UPDATE tunesmith_studies SET metadata = :metadata WHERE name = 'moved'",
            {"metadata": json.dumps(metadata)},
        )
    with pytest.raises(StudyMismatchError, match=f"records run_dir={stored!r}, which {problem}"):
        tuner("moved", n_trials=3, seed=0).run()
    run = tuner("moved", n_trials=3, seed=0, run_dir=tmp_path / "elsewhere")
    run.run()  # an explicit run_dir is used as it is
    assert run.run_dir.name == "elsewhere"


def test_a_stored_run_dir_that_is_a_file_is_refused(tmp_path):
    tuner("filed", n_trials=1, seed=0, run_dir=tmp_path / "run").run()
    shutil.rmtree(tmp_path / "run")
    (tmp_path / "run").write_text("not a folder")
    with pytest.raises(StudyMismatchError, match="which is not a folder"):
        tuner("filed", n_trials=2, seed=0).run()


class TakenOver(TunerCallback):
    """After ``n`` results, another driver takes the study over (it writes the owner row)."""

    def __init__(self, n):
        self.n = n

    def on_trial_result(self, trial, result, decision):
        self.n -= 1
        if self.n == 0:
            with Store() as store, separate_transaction(store, write=True) as conn:
                conn.execute("UPDATE tunesmith_owners SET token = 'another-driver'")


def test_a_driver_whose_study_was_taken_over_writes_nothing_more():
    from tunesmith.store import OwnershipLostError

    with pytest.raises(OwnershipLostError, match="another driver took over the study 'taken'"):
        tuner("taken", seed=0, callbacks=[TakenOver(3)]).run()
    with Store() as store:
        kinds = [e.kind.value for e in store.read_events("taken")]
    assert kinds.count("result") == 3  # the fourth was refused, and so was the end of the run
    assert "run_ended" not in kinds


def test_running_a_finished_study_again_says_so(caplog):
    tuner("again", n_trials=2, seed=0).run()
    with caplog.at_level("INFO", logger="tunesmith"):
        tuner("again", n_trials=2, seed=0).run()
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any(
        "study 'again' already ran (2 trials (2 completed, 0 failed), 8 results; its last run "
        "ended: max_num_trials_started=2 reached); this run continues it. Pass "
        "if_exists='overwrite'" in m
        for m in warnings
    ), warnings
    caplog.clear()
    with pytest.raises(Crash):  # a run cut short is resumed without a warning
        tuner("cut", n_trials=3, seed=0, callbacks=[CrashAfter(4)]).run()
    with caplog.at_level("INFO", logger="tunesmith"):
        tuner("cut", n_trials=3, seed=0).run()
    messages = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert (
        "INFO",
        "resuming study 'cut' after its last run was cut short (an error): 1 "
        "trials (0 completed, 0 failed), 3 results",
    ) in messages, messages


def test_a_study_stored_before_an_argument_existed_says_what_to_pass(tmp_path):
    """An ASHA study from before ``rung_quantiles`` (stored spec without it; it ran as "eta"
    does): resumed with today's default, whose decisions differ at rung 9 of max_t=10, the
    replay error says which argument to pass; passing it resumes the study."""
    from tunesmith import ASHA

    url = f"sqlite:///{tmp_path}/s.db"
    space = {"x": uniform(0, 1), "epochs": 10}

    made = []

    def trial(config, start):  # each trial better than all before until epoch 9, then worse
        made.append(1)
        for epoch in range(start + 1, config["epochs"] + 1):
            yield {"epoch": epoch, "loss": len(made) * (1 if epoch >= 9 else -1)}

    def run(n, **kwargs):
        scheduler = ASHA(
            space, metric="loss", max_t=10, resource_attr="epoch", random_seed=0, **kwargs
        )
        tuner = Tuner(
            InlineBackend(trial),
            scheduler,
            StoppingCriterion(max_num_trials_started=n),
            n_workers=1,
            verbose=0,
            name="old",
            storage=url,
            run_dir=tmp_path / "run",
        )
        return tuner.run()

    # at rung 9, "eta" lets the top third go on, today's default the top 9/10
    first = run(6, rung_quantiles="eta")
    assert first.status_counts() == {"completed": 1, "stopped": 5}
    # as an older version stored it
    with Store(url) as store, separate_transaction(store, write=True) as conn:
        spec = json.loads(conn.scalar("SELECT scheduler_spec FROM tunesmith_studies"))
        del spec["kwargs"]["rung_quantiles"]
        conn.execute(
            "UPDATE tunesmith_studies SET scheduler_spec = :spec", {"spec": json.dumps(spec)}
        )
    with pytest.raises(
        ReplayError,
        match=r"before rung_quantiles existed.*pass " r"rung_quantiles='eta' to the scheduler",
    ):
        run(8)
    assert len(run(8, rung_quantiles="eta").trials) == 8


def two_objectives(config, start):
    for epoch in range(start + 1, config["epochs"] + 1):
        err = config["x"] + (config["c"] == "b") + 1.0 / epoch
        yield {"epoch": epoch, "err": err, "latency": (1.0 - config["x"]) * epoch}


class StopDominated(FIFOScheduler):
    """Several objectives, decisions that depend on both: stops a trial at epoch 2 when a
    completed trial's last point dominates its point."""

    multi_objective = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.done = []

    def on_trial_result(self, trial, result):
        point = self.objectives(result)
        if result["epoch"] == 2 and any(
            all(d <= p for d, p in zip(done, point, strict=True)) and done != point
            for done in self.done
        ):
            return Decision.STOP
        return Decision.CONTINUE

    def on_trial_complete(self, trial, result):
        super().on_trial_complete(trial, result)
        self.done.append(self.objectives(result))


def test_a_multi_objective_study_resumes_after_crashes_to_the_same_decisions():
    def make(name, callbacks=()):
        scheduler = StopDominated(
            SPACE, metric=["err", "latency"], mode=["min", "min"], random_seed=3
        )
        return Tuner(
            InlineBackend(two_objectives),
            scheduler,
            StoppingCriterion(max_num_trials_started=8),
            n_workers=2,
            verbose=0,
            name=name,
            callbacks=list(callbacks),
        )

    reference_result = make("mo-reference").run()
    reference = table("mo-reference")
    assert any(row[0] == "trial_stopped" for row in reference)  # the decisions matter
    with Store() as store:
        stored = store.get_study("mo-reference")
    assert (stored.metric, stored.mode) == (["err", "latency"], ["min", "min"])
    front = [t.trial_id for t in reference_result.pareto_front()]
    crashes = 0
    for n in range(1, 60, 4):
        name = f"mo-crashed-{n}"
        try:
            make(name, [CrashAfter(n)]).run()
        except Crash:
            crashes += 1
        else:
            break
        result = make(name).run()
        assert table(name) == reference, f"crash after {n} hook calls"
        assert [t.trial_id for t in result.pareto_front()] == front
    assert crashes >= 5
    mismatch = r"mode: was \['min', 'min'\], now \['min', 'max'\]"
    with pytest.raises(StudyMismatchError, match=mismatch):
        Tuner(
            InlineBackend(two_objectives),
            StopDominated(SPACE, metric=["err", "latency"], mode=["min", "max"], random_seed=3),
            StoppingCriterion(max_num_trials_started=9),
            verbose=0,
            name="mo-reference",
        ).run()


@pytest.mark.parametrize("scheduler_name", ["EHVI", "MORandomScalarizationBayesOpt"])
def test_a_multi_objective_gp_study_stored_before_target_transform_resumes_as_it_ran(
    tmp_path, scheduler_name
):
    import tunesmith

    url = f"sqlite:///{tmp_path}/s.db"
    space = {"x": uniform(0, 1), "y": uniform(0, 1)}

    def trial(config, start):  # f spans orders of magnitude: the transform matters
        yield {"f": 10.0 ** (-4 * config["x"]) + config["y"], "g": 1.0 - config["x"]}

    def run(n, **kwargs):
        scheduler = getattr(tunesmith, scheduler_name)(
            space, metric=["f", "g"], num_init_random=3, random_seed=0, **kwargs
        )
        return Tuner(
            InlineBackend(trial),
            scheduler,
            StoppingCriterion(max_num_trials_started=n),
            verbose=0,
            name="old-mo",
            storage=url,
            run_dir=tmp_path / "run",
        ).run()

    first = run(8, target_transform="standardize")
    with Store(url) as store, separate_transaction(store, write=True) as conn:
        spec = json.loads(conn.scalar("SELECT scheduler_spec FROM tunesmith_studies"))
        del spec["kwargs"]["target_transform"]  # as an older version stored it
        conn.execute(
            "UPDATE tunesmith_studies SET scheduler_spec = :spec", {"spec": json.dumps(spec)}
        )
    # today's default transforms: the replay differs, and the error says what to pass
    with pytest.raises(
        ReplayError,
        match=r"before target_transform existed, and ran as target_transform='standardize' "
        r"does now: pass target_transform='standardize' to the scheduler",
    ):
        run(10)
    again = run(12, target_transform="standardize")
    assert [again.trials[i].config for i in range(8)] == [first.trials[i].config for i in range(8)]
    assert len(again.trials) == 12
