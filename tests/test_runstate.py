"""The run state a journal replays into: what a resumed trial may repeat."""

from tunesmith.results import TuningResult
from tunesmith.runstate import RunState
from tunesmith.stopping import TuningStatus


def _replay(events):
    state = RunState(TuningResult(metric="loss", mode="min"), TuningStatus())
    for kind, tid, payload in events:
        state.apply(kind, tid, payload)
    return state


REPORTS = [{"epoch": e, "loss": 1.0 / e} for e in (1, 2, 3)]
UNTIL_PAUSE = [
    ("trial_created", 0, {"x": 0.5}),
    ("trial_started", 0, {"resume": False}),
    *(("result", 0, r) for r in REPORTS),
    ("decision", 0, {"by": "scheduler", "decision": "pause"}),
]
RESUMED = ("trial_started", 0, {"resume": True, "config": {"x": 0.5}})


def test_a_resume_after_a_pause_the_trial_confirmed_repeats_nothing():
    state = _replay([*UNTIL_PAUSE, ("trial_paused", 0, {}), RESUMED])
    assert state.repeatable(0) == []


def test_a_resume_after_a_pause_settled_from_the_journal_may_repeat_its_reports():
    # the tuner died after the PAUSE decision, before the trial confirmed it (and maybe before
    # it checkpointed epoch 3): when it is promoted it may report epoch 3 again
    state = _replay([*UNTIL_PAUSE, ("trial_paused", 0, {"settled": True})])
    assert state.paused_in_doubt[0] == REPORTS
    state = _replay([*UNTIL_PAUSE, ("trial_paused", 0, {"settled": True}), RESUMED])
    assert state.repeatable(0) == REPORTS
    # a crash of the resumed run before it reported: its restart may repeat them too
    restarted = ("trial_started", 0, {"resume": True, "restart": True})
    state = _replay([*UNTIL_PAUSE, ("trial_paused", 0, {"settled": True}), RESUMED, restarted])
    assert state.repeatable(0) == REPORTS
    # stopped while paused: nothing is kept
    settled = ("trial_paused", 0, {"settled": True})
    state = _replay([*UNTIL_PAUSE, settled, ("trial_stopped", 0, {})])
    assert state.paused_in_doubt == {}
