"""SimulatorBackend: trials of a blackbox on a simulated clock, driven directly and by the tuner."""

import sys

import numpy as np
import pytest

from tunesmith import (
    ASHA,
    LocalBackend,
    RandomSearch,
    RandomSearcher,
    StoppingCriterion,
    Tuner,
    TunerCallback,
    load_study,
)
from tunesmith.backends.base import EventKind, FailureReason
from tunesmith.backends.simulator import SimulatorBackend
from tunesmith.bench import BlackboxTrainable, FunctionBlackbox, TabularBlackbox, load
from tunesmith.bench.base import trial_seed
from tunesmith.space import uniform
from tunesmith.store import Store
from tunesmith.testing.backend_contract import drive
from tunesmith.trial import Decision, Trial

RESULT, COMPLETED = EventKind.RESULT, EventKind.COMPLETED


def _loss(config, fidelity, seed):
    return {"loss": config["x"] / fidelity}


def _seconds(config):
    return config.get("tps", 2.0)


LINEAR = FunctionBlackbox(
    _loss,
    {"x": uniform(0, 10)},
    fidelity_name="epoch",
    fidelities=[1, 2, 3],
    time_per_step=_seconds,
    name="linear",
)


def launch(tmp_path, blackbox=LINEAR, n_workers=2, **kwargs):
    backend = SimulatorBackend(blackbox, **kwargs)
    backend.setup(tmp_path, n_workers, metric="loss")
    return backend


# -- driven directly ----------------------------------------------------------------------------


def test_results_arrive_at_the_blackbox_times(tmp_path):
    backend = launch(tmp_path)
    events = drive(backend, [Trial(0, {"x": 6.0})])[0]
    assert [e.kind for e in events] == [RESULT] * 3 + [COMPLETED]
    results = [e.result for e in events[:3]]
    assert [r["epoch"] for r in results] == [1, 2, 3]
    assert [r["loss"] for r in results] == [6.0, 3.0, 2.0]
    assert [r["time"] for r in results] == [2.0, 4.0, 6.0]
    assert [r["ts_report"] for r in results] == [0, 1, 2]
    assert [r["ts_time"] for r in results] == [2.0, 4.0, 6.0]
    assert [e.time for e in events] == [2.0, 4.0, 6.0, 6.0]
    assert backend.now() == 6.0
    assert backend.next_event(timeout=0.5) is None and backend.now() == 6.5
    assert not (tmp_path / "trials").exists()  # simulated trials write nothing


def test_parallel_trials_interleave_by_simulated_time(tmp_path):
    backend = launch(tmp_path, start_time=100.0)
    events = drive(backend, [Trial(0, {"x": 1.0, "tps": 2.0}), Trial(1, {"x": 1.0, "tps": 3.0})])
    assert [e.time for e in events[0]] == [102.0, 104.0, 106.0, 106.0]
    assert [e.time for e in events[1]] == [103.0, 106.0, 109.0, 109.0]
    assert backend.now() == 109.0


def test_stop_decision_ends_at_once_or_after_the_delay(tmp_path):
    stop_at_2 = lambda e: Decision.STOP if e.result["epoch"] == 2 else Decision.CONTINUE  # noqa: E731
    backend = launch(tmp_path)
    events = drive(backend, [Trial(0, {"x": 1.0})], decide=stop_at_2)[0]
    assert [e.kind for e in events] == [RESULT, RESULT, EventKind.STOPPED]
    assert events[-1].time == 4.0 and backend.now() == 4.0
    backend = launch(tmp_path, stop_delay=1.5)
    events = drive(backend, [Trial(0, {"x": 1.0})], decide=stop_at_2)[0]
    assert events[-1].time == 5.5


def test_pause_then_resume_continues_from_the_paused_fidelity(tmp_path):
    pause_at_2 = lambda e: Decision.PAUSE if e.result["epoch"] == 2 else Decision.CONTINUE  # noqa: E731
    backend = launch(tmp_path, resume_delay=1.0)
    trial = Trial(0, {"x": 6.0})
    events = drive(backend, [trial], decide=pause_at_2)[0]
    assert [e.kind for e in events] == [RESULT, RESULT, EventKind.PAUSED]
    backend.next_event(timeout=10.0)  # 10 s pass while the trial is paused
    events = drive(backend, [(trial, True)])[0]
    assert [e.kind for e in events] == [RESULT, COMPLETED]
    (result,) = [e.result for e in events[:1]]
    assert (result["epoch"], result["loss"], result["ts_report"]) == (3, 2.0, 0)
    assert (events[0].time, result["ts_time"]) == (4.0 + 10.0 + 1.0 + 2.0, 3.0)
    # a new start (not a resume) and a backend without checkpoints start over
    assert drive(backend, [trial])[0][0].result["epoch"] == 1
    backend = launch(tmp_path, checkpointing=False)
    drive(backend, [trial], decide=pause_at_2)
    assert drive(backend, [(trial, True)])[0][0].result["epoch"] == 1


def test_stop_call_and_timeout(tmp_path):
    backend = launch(tmp_path)
    backend.start(Trial(0, {"x": 1.0}))
    first = backend.next_event()
    assert first.kind is RESULT and first.time == 2.0
    backend.reply(0, Decision.CONTINUE)
    backend.stop(0, reason=FailureReason.TIMEOUT)
    backend.reply(0, Decision.CONTINUE)  # ignored: the trial is ending
    end = backend.next_event()
    assert (end.kind, end.reason, end.time) == (EventKind.FAILED, FailureReason.TIMEOUT, 2.0)
    assert backend.next_event(timeout=100.0) is None  # its next result never comes
    backend.start(Trial(1, {"x": 1.0}))
    backend.pause(1)
    assert backend.next_event().kind is EventKind.PAUSED


def test_timeout_advances_the_clock_to_exact_times(tmp_path):
    backend = launch(tmp_path)
    backend.start(Trial(0, {"x": 1.0, "tps": 5.0}))
    assert backend.next_event(timeout=1.25) is None and backend.now() == 1.25
    assert backend.next_event(timeout=3.0) is None and backend.now() == 4.25
    event = backend.next_event(timeout=0.75)  # due at the end of the timeout
    assert event.kind is RESULT and backend.now() == 5.0
    empty = launch(tmp_path)
    assert empty.next_event(timeout=None) is None and empty.now() == 0.0


def test_max_resource_attr_caps_a_trial(tmp_path):
    backend = launch(tmp_path, max_resource_attr="epochs")
    events = drive(backend, [Trial(0, {"x": 1.0, "epochs": 2})])[0]
    assert [e.kind for e in events] == [RESULT, RESULT, COMPLETED]


def test_a_config_the_blackbox_cannot_answer_fails_the_trial(tmp_path):
    table = TabularBlackbox([{"x": 1.0}, {"x": 3.0}], np.ones((2, 1, 1)), metrics={"loss": "min"})
    backend = launch(tmp_path, blackbox=table)
    (event,) = drive(backend, [Trial(0, {"x": 2.0})])[0]
    assert (event.kind, event.reason) == (EventKind.FAILED, FailureReason.START_FAILED)
    assert "restrict_configurations" in event.detail
    (result, end) = drive(backend, [Trial(1, {"x": 1.0})])[1]
    assert result.result == {"loss": 1.0, "ts_time": 1.0, "ts_report": 0}  # 1 s: no time_attr
    assert end.kind is COMPLETED


def test_seeds_per_trial(tmp_path):
    values = np.arange(6, dtype=float).reshape(1, 6, 1)  # one config, 6 seeds: value = seed
    table = TabularBlackbox([{"x": 1.0}], values, metrics={"loss": "min"})  # (x: a constant)
    seen = {}
    for seed in (0, 1):
        backend = launch(tmp_path, blackbox=table, seed=seed)
        events = drive(backend, [Trial(i, {"x": 1.0}) for i in range(20)])
        seen[seed] = [events[i][0].result["loss"] for i in range(20)]
        assert seen[seed] == [float(trial_seed(seed, i, 6)) for i in range(20)]
    assert seen[0] != seen[1] and len(set(seen[0])) > 3
    backend = launch(tmp_path, blackbox=table, blackbox_seed=4)
    events = drive(backend, [Trial(i, {"x": 1.0}) for i in range(5)])
    assert {evs[0].result["loss"] for evs in events.values()} == {4.0}


def test_bad_arguments():
    with pytest.raises(TypeError, match="must be a tunesmith.bench Blackbox"):
        SimulatorBackend(object())
    with pytest.raises(ValueError, match="`seed`"):
        SimulatorBackend(LINEAR, seed=-1)
    with pytest.raises(ValueError, match="`stop_delay` must be >= 0"):
        SimulatorBackend(LINEAR, stop_delay=-1)
    with pytest.raises(ValueError, match="`seed` must be None or an int in"):
        SimulatorBackend(LINEAR, blackbox_seed=3)


# -- driven by the tuner ------------------------------------------------------------------------


class Decisions(TunerCallback):
    def __init__(self):
        self.seq = []

    def on_trial_result(self, trial, result, decision):
        resource = result["epoch"] if "epoch" in result else result["trees"]
        self.seq.append((trial.trial_id, resource, decision.value))


def simulate(blackbox, scheduler, stop, n_workers=4, storage="memory", **kwargs):
    decisions = Decisions()
    backend_kwargs = {k: kwargs.pop(k) for k in ("seed", "max_resource_attr") if k in kwargs}
    tuner = Tuner(
        SimulatorBackend(blackbox, **backend_kwargs),
        scheduler,
        stop,
        n_workers=n_workers,
        verbose=0,
        callbacks=[decisions],
        storage=storage,
        **kwargs,
    )
    return tuner, tuner.run(), decisions.seq


def gbm_run(seed, backend_seed):
    table = load("gbm-breast_cancer")
    searcher = RandomSearcher(
        table.config_space,
        restrict_configurations=table.configurations(),
        random_seed=seed,
    )
    scheduler = ASHA(
        table.config_space,
        searcher=searcher,
        metric="val_error",
        resource_attr="trees",
        max_t=81,
    )
    return simulate(
        table, scheduler, StoppingCriterion(max_num_trials_started=120), seed=backend_seed
    )


def test_same_seed_same_trial_by_trial_results():
    _, a, seq_a = gbm_run(3, 0)
    _, b, seq_b = gbm_run(3, 0)
    assert len(a.trials) == 120 and len(a.results) > 200
    assert a.results == b.results and seq_a == seq_b
    assert [t.config for t in a.trials.values()] == [t.config for t in b.trials.values()]
    _, c, _ = gbm_run(3, 1)  # other blackbox seeds
    assert c.results != a.results


def test_max_wallclock_time_fires_at_the_exact_simulated_time():
    bb = load("branin-mf", max_epochs=27)
    tuner, result, _ = simulate(
        bb,
        ASHA(bb.config_space, metric="loss", max_t=27, random_seed=0),
        StoppingCriterion(max_wallclock_time=3600.0),
    )
    assert result.wallclock_time == 3600.0 and tuner.elapsed == 3600.0
    assert result.stop_reason.startswith("max_wallclock_time")
    assert max(r["time"] for r in result.results) <= 3600.0
    assert all(t.status.is_final for t in result.trials.values())


def test_max_trial_time_fails_trials_at_exact_times():
    tuner, result, _ = simulate(
        LINEAR,
        RandomSearch({"x": uniform(0, 10), "tps": 2.0}, metric="loss", random_seed=0),
        StoppingCriterion(max_num_trials_started=6),
        n_workers=2,
        max_trial_time=5.0,
        max_failures=100,
    )
    reasons = {t.failure_reason for t in result.trials.values()}
    timed_out = [t for t in result.trials.values() if t.failure_reason == "timeout"]
    assert reasons == {"timeout"}
    assert all(t.num_results == 2 for t in timed_out)  # at 2 and 4 s, not 6
    assert tuner.elapsed == pytest.approx(15.0)  # 3 rounds of 2 trials, 5 s each


def test_promotion_asha_resumes_where_trials_paused():
    bb = load("hartmann3-mf", max_epochs=27)
    scheduler = ASHA(bb.config_space, metric="loss", max_t=27, type="promotion", random_seed=1)
    _, result, seq = simulate(bb, scheduler, StoppingCriterion(max_num_trials_started=40))
    by_trial = {}
    for tid, epoch, _ in seq:
        by_trial.setdefault(tid, []).append(epoch)
    for epochs in by_trial.values():
        assert epochs == list(range(1, len(epochs) + 1))  # resumed after the last epoch
    assert any(len(e) > 3 for e in by_trial.values())  # some were promoted


def test_sqlite_store_gets_every_event_in_batches(monkeypatch):
    monkeypatch.setattr(Tuner, "journal_batch", 50)
    bb = load("branin-mf", max_epochs=9)
    tuner, result, _ = simulate(
        bb,
        ASHA(bb.config_space, metric="loss", max_t=9, random_seed=0),
        StoppingCriterion(max_num_trials_started=30),
        storage=None,
        name="simulated",
    )
    study = load_study("simulated")
    assert len(study.records()) == len(result.results)
    assert study.best_config() == result.best_config()


# -- the same decisions as a real run -----------------------------------------------------------


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
@pytest.mark.parametrize("kind", ["stopping", "promotion"])
def test_simulation_decides_as_a_real_local_run(tmp_path, kind):
    """ASHA on one worker: a real LocalBackend run of branin-mf sleeping 0.02 s per epoch and
    its simulation make the same decisions, trial by trial and epoch by epoch."""
    name, kwargs = "branin-mf", {"max_epochs": 9, "time_per_step": 0.02}
    bb = load(name, **kwargs)

    def scheduler():
        return ASHA(bb.config_space, metric="loss", max_t=9, type=kind, random_seed=4)

    stop = StoppingCriterion(max_num_trials_started=8)
    _, simulated, sim_seq = simulate(bb, scheduler(), stop, n_workers=1)
    decisions = Decisions()
    real = Tuner(
        LocalBackend(BlackboxTrainable(name, **kwargs), stop_grace_period=1.0),
        scheduler(),
        stop,
        n_workers=1,
        verbose=0,
        callbacks=[decisions],
        storage="memory",
        run_dir=tmp_path,
    ).run()
    assert decisions.seq == sim_seq
    assert len(sim_seq) > 8
    if kind == "promotion":
        assert "pause" in {d for _, _, d in sim_seq}
    strip = lambda r: {k: v for k, v in r.items() if not k.startswith("ts_")}  # noqa: E731
    assert [strip(r) for r in real.results] == [strip(r) for r in simulated.results]
    # the simulated clock matches the real one's sum of sleeps
    assert simulated.wallclock_time == pytest.approx(0.02 * len(sim_seq))
    assert real.wallclock_time >= simulated.wallclock_time


def test_extending_a_simulated_study_resumes_paused_trials_where_they_were():
    bb = load("hartmann3-mf", max_epochs=27)

    def run(trials):
        scheduler = ASHA(bb.config_space, metric="loss", max_t=27, type="promotion", random_seed=2)
        stop = StoppingCriterion(max_num_trials_started=trials)
        return simulate(bb, scheduler, stop, storage=None, name="extended")

    _, first, _ = run(12)
    _, second, _ = run(30)
    assert len(second.trials) == 30 and len(second.results) > len(first.results)
    epochs = {}
    for row in load_study("extended").records():
        epochs.setdefault(row["trial_id"], []).append(row["epoch"])
    for trial_epochs in epochs.values():
        assert trial_epochs == list(range(1, len(trial_epochs) + 1))


def test_a_fresh_backend_resumes_a_paused_trial_after_its_last_result(tmp_path):
    backend = launch(tmp_path)  # e.g. in a new run of the study
    trial = Trial(0, {"x": 6.0}, last_result={"epoch": 2, "loss": 3.0, "time": 4.0})
    events = drive(backend, [(trial, True)])[0]
    assert [e.result["epoch"] for e in events[:-1]] == [3]
    assert events[0].time == 2.0  # one epoch of 2 s


class _Killed(BaseException):
    pass


class _KillAfterResults(TunerCallback):
    """After ``n`` results the tuner dies as if killed: nothing more reaches the store (its
    unwritten batch is lost), then it raises."""

    def __init__(self, n):
        self.n = n

    def on_trial_result(self, trial, result, decision):
        self.n -= 1

    def on_tick(self, tuner):
        if self.n <= 0:
            tuner._flush = lambda **_: None
            raise _Killed


def test_a_crashed_simulated_study_resumes_to_the_uninterrupted_run(monkeypatch):
    """The simulator's events are journaled in batches (durable_acks=False): a tuner killed
    mid-run loses the batch being filled, and the resumed run re-simulates it to the same
    journal as an uninterrupted run's."""
    monkeypatch.setattr(Tuner, "journal_batch", 7)
    bb = load("branin-mf", max_epochs=9)

    def run(name, callbacks=()):
        scheduler = ASHA(bb.config_space, metric="loss", max_t=9, random_seed=3)
        stop = StoppingCriterion(max_num_trials_started=15)
        backend = SimulatorBackend(bb, seed=0)
        tuner = Tuner(
            backend, scheduler, stop, n_workers=1, verbose=0, name=name, callbacks=list(callbacks)
        )
        return tuner.run()

    def journal(name):
        keep = ("trial_created", "result", "decision", "trial_completed", "trial_stopped")
        with Store() as store:
            events = store.read_events(name)
        # ts_time: the resumed clock adds the same durations in another order (float rounding)
        return [
            (e.kind.value, e.trial_id, {k: v for k, v in e.payload.items() if k != "ts_time"})
            for e in events
            if e.kind.value in keep
        ]

    run("reference")
    reference = journal("reference")
    lost = 0
    for n in (1, 5, 12, 23):
        name = f"crashed-{n}"
        with pytest.raises(_Killed):
            run(name, (_KillAfterResults(n),))
        # the batch being filled is lost: fewer results stored than the n the tuner had
        lost += n - sum(kind == "result" for kind, _, _ in journal(name))
        run(name)
        assert journal(name) == reference, f"crash after {n} results"
    assert lost > 0
