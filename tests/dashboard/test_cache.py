"""The dashboard's cache of a study follows the journal as the store's trials table does:
after every batch of events, each trial's status, config, failure, result count and best
value equal what ``Store.trials()`` says, and reading on from the cursor equals reading from
the start."""

from __future__ import annotations

import math

from _dashdata import create_study

from tunesmith.dashboard.cache import StudyCache
from tunesmith.store import Event, Store


def batches() -> list[list[Event]]:
    def result(tid, epoch, loss, t):
        return [
            Event("result", trial_id=tid, payload={"epoch": epoch, "loss": loss}, time=t),
            # later than its result, as a real clock has it: the decision sets updated_time
            Event("decision", trial_id=tid, payload={"decision": "continue"}, time=t + 0.25),
        ]

    c = {"lr": 0.01, "width": 8, "opt": "sgd"}
    return [
        [Event("run_started", payload={"n_workers": 2}, time=0.0)],
        [Event("trial_created", trial_id=i, payload={**c, "width": i}, time=0.0) for i in range(4)],
        [Event("trial_started", trial_id=i, payload={"resume": False}, time=1.0) for i in range(3)],
        result(0, 1, 0.9, 2.0) + result(1, 1, math.nan, 2.0) + result(2, 1, 0.5, 2.0),
        [Event("trial_paused", trial_id=0, time=3.0), Event("trial_stopped", trial_id=2, time=3.0)],
        [*result(1, 2, math.inf, 4.0), Event("scheduler_call", payload={"what": "x"}, time=4.0)],
        [
            Event("trial_failed", trial_id=1, payload={"reason": "nan", "detail": "NaN"}, time=5.0),
            Event(
                "trial_started",
                trial_id=0,
                payload={"resume": True, "config": {**c, "lr": 0.02}},
                time=5.0,
            ),
        ],
        result(0, 2, 0.4, 6.0) + result(0, 3, 0.7, 7.0),
        [Event("trial_interrupted", trial_id=0, time=8.0), Event("run_ended", time=8.0)],
        [Event("trial_started", trial_id=1, payload={"resume": False}, time=9.0)],
        [*result(1, 1, 0.3, 10.0), Event("trial_completed", trial_id=1, time=11.0)],
    ]


def test_the_cache_agrees_with_the_stores_trials_after_every_batch(tmp_path):
    with Store(f"sqlite:///{tmp_path / 'c.db'}") as store:
        study = create_study(store, "c")
        live = StudyCache(store, study)
        for batch in batches():
            store.append(study, batch)
            live.refresh()
            journal = store.read_events(study)
            # the cursor and last time are the journal's last event's, a decision or not
            assert live.cursor == journal[-1].seq == store.last_seq(study)
            assert live.last_time == journal[-1].time
            stored = {t["trial_id"]: t for t in store.trials(study)}
            assert sorted(live.trials) == sorted(stored)
            for tid, trial in live.trials.items():
                row = stored[tid]
                assert trial.status == row["status"], (tid, batch)
                assert trial.config == row["config"]
                assert (trial.failure_reason, trial.failure_detail) == (
                    row["failure_reason"],
                    row["failure_detail"],
                )
                assert len(trial.reports) == row["num_results"]
                assert trial.best_value == row["best_value"]
                assert trial.updated_time == row["updated_time"]
                # the seq of the trial's last event (decisions included)
                assert trial.seq == max(e.seq for e in journal if e.trial_id == tid), tid
        fresh = StudyCache(store, study)
        assert fresh.refresh() == live.cursor == len(store.read_events(study))
        assert {t: (s.status, s.reports) for t, s in fresh.trials.items()} == {
            t: (s.status, s.reports) for t, s in live.trials.items()
        }
        # NaN and infinities are no values: trial 1's last report is finite again
        assert live.trials[1].value("loss") == 0.3 and live.trials[3].value("loss") is None
        assert [t.trial_id for t in live.ranked("loss")] == [1, 2, 0]
        assert [(p[3], p[4]) for p in live.improvements("loss")] == [
            (0.9, 0),
            (0.5, 2),
            (0.4, 0),
            (0.3, 1),
        ]


def test_the_cache_agrees_with_the_store_on_a_tuner_run(tmp_path):
    """A real run's journal (the simulated ASHA of docs/bench.md, with its scheduler calls and
    decisions), stopped halfway and resumed: the cache agrees with the store's trials."""
    from tunesmith import ASHA, RandomSearcher, StoppingCriterion, Tuner, bench
    from tunesmith.backends.simulator import SimulatorBackend

    table = bench.load("mlp-digits")
    url = f"sqlite:///{tmp_path / 'run.db'}"
    with Store(url) as store:
        live = None
        for trials in (30, 60):  # the second run resumes the study and extends it
            searcher = RandomSearcher(
                table.config_space, restrict_configurations=table.configurations(), random_seed=0
            )
            Tuner(
                SimulatorBackend(table, seed=0),
                ASHA(table.config_space, searcher=searcher, metric="val_error", max_t=81),
                StoppingCriterion(max_num_trials_started=trials),
                n_workers=4,
                name="asha",
                storage=url,
            ).run()
            live = live or StudyCache(store, store.get_study("asha"))
            live.refresh()
            stored = {t["trial_id"]: t for t in store.trials("asha")}
            assert len(live.trials) == len(stored) == trials
            for tid, trial in live.trials.items():
                row = stored[tid]
                assert (trial.status, trial.config, len(trial.reports), trial.best_value) == (
                    row["status"],
                    row["config"],
                    row["num_results"],
                    row["best_value"],
                )
        best = store.best("asha", 3)
        assert [t.trial_id for t in live.ranked("val_error")[:3]] == [t["trial_id"] for t in best]


def test_a_long_journal_is_read_on_in_the_background(tmp_path, monkeypatch):
    from _dashdata import fill_study

    import tunesmith.dashboard.cache as cache_module
    from _wait import wait_for

    monkeypatch.setattr(cache_module, "CHUNK", 25)
    with Store(f"sqlite:///{tmp_path / 'long.db'}") as store:
        study = create_study(store, "long")
        fill_study(store, study, 20)
        last = len(store.read_events(study))
        # a chunk: 25 events other than decisions (and the decisions among them)
        first_chunk = store.read_events(study, kinds=cache_module.WHOLE_KINDS, limit=25)[-1].seq
        partial = StudyCache(store, study)
        assert partial.refresh(budget=0.0) == first_chunk and partial.loading  # then returns
        wait_for(lambda: not partial.loading, "the background read to catch up")
        assert partial.cursor == last
        whole = StudyCache(store, study)
        assert whole.refresh() == last and not whole.loading

        def seen(cache):
            return {
                t: (s.status, s.reports, s.seq, s.updated_time) for t, s in cache.trials.items()
            }

        assert seen(partial) == seen(whole)
        assert (partial.first_time, partial.last_time) == (whole.first_time, whole.last_time)
        assert partial.results == whole.results
