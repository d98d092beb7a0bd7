"""Tuner.stop_trial(trial_id): one running trial stopped from outside the scheduler (a
controller aborting a job), journaled before it acts like a scheduler's STOP decision, so a
resume after a crash between the request and the trial's end settles the trial as stopped
instead of restarting it, and a replay of the journal makes the same scheduler calls."""

import pytest

from tunesmith import StoppingCriterion, TrialStatus, Tuner, uniform
from tunesmith.callbacks import TunerCallback
from tunesmith.schedulers.fifo import FIFOScheduler
from tunesmith.store import Store
from tunesmith.testing.inline_backend import InlineBackend

SPACE = {"x": uniform(0, 1), "epochs": 5}


def curve(config, start):
    for epoch in range(start + 1, config["epochs"] + 1):
        yield {"epoch": epoch, "loss": config["x"] + 1.0 / epoch}


class Spy(FIFOScheduler):
    """Counts the trials it was told were removed (stopped from outside)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.removed: list[int] = []

    def on_trial_remove(self, trial):
        self.removed.append(trial.trial_id)


class Crash(BaseException):
    pass


class Abort(TunerCallback):
    """Asks ``stop_trial(trial_id)`` at the trial's report of ``epoch``; with ``crash``, the
    tuner dies at the end of that loop turn, after the request was journaled and sent."""

    def __init__(self, trial_id=1, epoch=2, crash=False):
        self.trial_id, self.epoch, self.crash = trial_id, epoch, crash
        self.tuner = None
        self.asked = False

    def on_tuning_start(self, tuner):
        self.tuner = tuner

    def on_trial_result(self, trial, result, decision):
        if trial.trial_id == self.trial_id and result["epoch"] == self.epoch:
            self.tuner.stop_trial(trial.trial_id, reason="aborted by the controller")
            self.asked = True

    def on_tick(self, tuner):
        if self.crash and self.asked:
            raise Crash


def make(name, n_trials=4, callbacks=(), n_workers=2):
    return Tuner(
        InlineBackend(curve),
        Spy(SPACE, metric="loss", random_seed=3),
        StoppingCriterion(max_num_trials_started=n_trials),
        n_workers=n_workers,
        verbose=0,
        name=name,
        callbacks=list(callbacks),
    )


def journal(name):
    with Store() as store:
        return [
            (e.kind.value, e.trial_id, {k: v for k, v in e.payload.items() if k != "ts_time"})
            for e in store.read_events(name)
        ]


def test_stop_trial_stops_that_trial_only_and_journals_the_request_first():
    tuner = make("aborted", callbacks=[Abort()])
    result = tuner.run()
    assert result.trials[1].status is TrialStatus.STOPPED
    assert {t.status for tid, t in result.trials.items() if tid != 1} == {TrialStatus.COMPLETED}
    assert tuner.scheduler.removed == [1]
    events = journal("aborted")
    request = (
        "decision",
        1,
        {"decision": "stop", "by": "user", "detail": "aborted by the controller"},
    )
    at = events.index(request)
    assert events[at - 2 : at] == [
        ("result", 1, {"epoch": 2, "loss": result.trials[1].config["x"] + 0.5}),
        ("decision", 1, {"decision": "continue", "by": "scheduler"}),
    ]
    ends = [e for e in events[at:] if e[1] == 1 and e[0].startswith("trial_")]
    assert ends == [("trial_stopped", 1, {"removed": True})]
    # trial 1 reported nothing the scheduler decided on after the request
    assert all(
        not (kind == "decision" and tid == 1 and p["by"] == "scheduler")
        for kind, tid, p in events[at:]
    )


def test_a_crash_between_the_request_and_the_trials_end_settles_it_stopped_on_resume():
    with pytest.raises(Crash):
        make("crashed", callbacks=[Abort(crash=True)]).run()
    before = journal("crashed")
    assert (
        "decision",
        1,
        {"decision": "stop", "by": "user", "detail": "aborted by the controller"},
    ) in before
    assert not any(kind == "trial_stopped" and tid == 1 for kind, tid, _ in before)
    resumed = make("crashed")
    result = resumed.run()
    assert result.trials[1].status is TrialStatus.STOPPED
    assert resumed.scheduler.removed == [1]  # told once, when the resume settled it
    after = journal("crashed")[len(before) :]
    assert ("trial_stopped", 1, {"removed": True}) in after
    assert not any(kind == "trial_started" and tid == 1 for kind, tid, _ in after)  # no restart
    assert len(result.trials) == 4
    reference = make("reference", callbacks=[Abort()]).run()
    assert {t: r.status for t, r in result.trials.items()} == {
        t: r.status for t, r in reference.trials.items()
    }
    assert {t: r.config for t, r in result.trials.items()} == {
        t: r.config for t, r in reference.trials.items()
    }


def test_a_study_with_a_stopped_trial_replays_and_extends():
    """The journal's user decision makes no scheduler call in the replay; the trial's end
    (``trial_stopped``, removed) calls ``on_trial_remove`` as the live run did."""
    make("extended", callbacks=[Abort()]).run()
    again = make("extended", n_trials=6)
    result = again.run()  # a ReplayError if the replay's scheduler answered otherwise
    assert len(result.trials) == 6
    assert result.trials[1].status is TrialStatus.STOPPED
    assert again.scheduler.removed == [1]  # from the replay


def test_stop_trial_of_a_trial_that_is_not_running_changes_nothing(caplog):
    class Late(Abort):
        def on_trial_result(self, trial, result, decision):
            if trial.trial_id == 2 and result["epoch"] == 1:
                self.tuner.stop_trial(0)  # ended by then (one worker)
                self.tuner.stop_trial(99)  # no such trial

    tuner = make("late", callbacks=[Late()], n_workers=1)
    with caplog.at_level("INFO", logger="tunesmith"):
        result = tuner.run()
    assert {t.status for t in result.trials.values()} == {TrialStatus.COMPLETED}
    assert tuner.scheduler.removed == []
    assert "stop_trial(0): the trial is not running" in caplog.text
    assert "stop_trial(99): the trial is not running" in caplog.text


def test_stop_trial_needs_an_int():
    tuner = make("bad")
    for bad in ("1", 1.0, True, None):
        with pytest.raises(TypeError, match=f"trial_id must be an int, but got trial_id={bad!r}"):
            tuner.stop_trial(bad)
