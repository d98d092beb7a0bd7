import json
import sys

import numpy as np
import pytest

from tunesmith import (
    AskTell,
    Decision,
    LocalBackend,
    PopulationBasedTraining,
    ScriptBackend,
    StoppingCriterion,
    Tuner,
    choice,
    load_study,
    loguniform,
    ordinal,
    randint,
    uniform,
)
from tunesmith.backends.simulator import SimulatorBackend
from tunesmith.bench.functions import FunctionBlackbox
from tunesmith.schedulers.pbt import explore
from tunesmith.spec import build
from tunesmith.testing.inline_backend import InlineBackend
from tunesmith.testing.scheduler_contract import (
    Crash,
    CrashAfter,
    SchedulerContract,
    learning_curve,
    study_journal,
)
from tunesmith.testing.spaces import MIXED_SPACE, objective


class TestPBTContract(SchedulerContract):
    exhausts_finite_space = False  # the population is complete before the space is exhausted

    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return PopulationBasedTraining(
            config_space,
            metric=metric,
            mode=mode,
            population_size=20,
            perturbation_interval=2,
            random_seed=random_seed,
        )


class TestSmallPopulationPBTContract(SchedulerContract):
    """A population of 4 that exploits often (every other epoch, half of it at each end)."""

    exhausts_finite_space = False
    test_suggestions_are_valid_and_decisions_typed = None  # it starts 4 trials, not 20

    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return PopulationBasedTraining(
            config_space,
            metric=metric,
            mode=mode,
            population_size=4,
            perturbation_interval=2,
            quantile_fraction=0.5,
            random_seed=random_seed,
        )


def pbt(**kwargs):
    space = kwargs.pop("space", MIXED_SPACE)
    args = {
        "metric": "loss",
        "population_size": 4,
        "perturbation_interval": 2,
        "quantile_fraction": 0.5,
        "random_seed": 0,
    }
    args.update(kwargs)
    return PopulationBasedTraining(space, **args)


class UnevenInlineBackend(InlineBackend):
    """Odd trials get every other turn only: they fall behind, so an exploiting trial is at
    another epoch than its donor, and going on from the donor's checkpoint shows. (Not for
    crash tests: a resumed run's turns would not be those of the uninterrupted one.)"""

    def __init__(self, fn):
        super().__init__(fn)
        self._turn = 0

    def next_event(self, timeout=None):
        self._turn += 1
        if self._order and self._order[0] % 2 == 1 and self._turn % 2 and len(self._order) > 1:
            self._order.rotate(-1)
        return super().next_event(timeout)


def inline_tuner(
    tmp_path, scheduler, *, name=None, storage=None, callbacks=(), trials=4, backend=InlineBackend
):
    return Tuner(
        backend(learning_curve),
        scheduler,
        StoppingCriterion(max_num_trials_started=trials),
        n_workers=2,
        verbose=0,
        name=name,
        storage=storage or "memory",
        run_dir=tmp_path / (name or "run"),
        callbacks=list(callbacks),
    )


def inline_run(tmp_path, scheduler, **kwargs):
    return inline_tuner(tmp_path, scheduler, **kwargs).run()


def results_of(result, trial_id):
    return [r for r in result.results if r["trial_id"] == trial_id]


def first_reports_after_exploits(journal):
    """``(exploit start payload, the trial's next report)`` for each exploit of a journal."""
    out, waiting = [], {}
    for event in journal:
        kind = event.kind.value
        if kind == "trial_started" and event.payload.get("checkpoint_from") is not None:
            waiting[event.trial_id] = event.payload
        elif kind == "result" and event.trial_id in waiting:
            out.append((waiting.pop(event.trial_id), event.payload))
    return out


def test_an_exploiting_trial_continues_the_donors_curve(tmp_path):
    tuner = inline_tuner(tmp_path, pbt(), backend=UnevenInlineBackend)
    result = tuner.run()
    assert result.exploits, "the run made no exploit"
    pairs = first_reports_after_exploits(tuner.journal)
    assert pairs
    own_epoch = {}  # the exploiting trial's last epoch before the exploit
    for event in tuner.journal:
        if event.kind.value == "result":
            own_epoch[event.trial_id] = event.payload["epoch"]
        elif event.kind.value == "trial_started" and "checkpoint_from" in event.payload:
            event.payload["own_epoch"] = own_epoch[event.trial_id]
    assert any(start["own_epoch"] != start["donor_result"]["epoch"] for start, _ in pairs)
    for start, first in pairs:
        # the trial's first report after the exploit is the donor's next epoch, with the
        # perturbed config: it went on from the donor's checkpoint
        assert first["epoch"] == start["donor_result"]["epoch"] + 1
        assert first["loss"] == pytest.approx(
            objective(start["config"], MIXED_SPACE, first["epoch"])
        )
    for exploit in result.exploits:
        assert exploit.config != exploit.previous_config
        assert exploit.donor != exploit.trial_id


def test_no_trial_exploits_a_donor_without_a_checkpoint(tmp_path):
    # the InlineBackend writes a trial's checkpoint after its first report is answered: first
    # reports come without one, and a trial whose last report had none is never a donor
    result = inline_run(tmp_path, pbt(perturbation_interval=1))
    assert result.exploits
    assert any(not r["ts_checkpoint"] for r in result.results)
    for exploit in result.exploits:
        assert exploit.donor_result is not None
        donor_reports = [
            r
            for r in results_of(result, exploit.donor)
            if r["epoch"] == exploit.donor_result["epoch"]
        ]
        assert donor_reports[-1]["ts_checkpoint"] is True


def test_donors_without_checkpoint_are_skipped_by_the_scheduler():
    scheduler = pbt(population_size=2, perturbation_interval=1)
    at = AskTell(scheduler)
    a, b = at.ask(), at.ask()
    assert at.report(a, {"epoch": 1, "loss": 0.1, "ts_checkpoint": False}) is Decision.CONTINUE
    # b is at the bottom, a at the top but without a checkpoint: nothing to exploit
    assert at.report(b, {"epoch": 1, "loss": 0.9, "ts_checkpoint": True}) is Decision.CONTINUE
    assert at.report(a, {"epoch": 2, "loss": 0.1, "ts_checkpoint": True}) is Decision.CONTINUE
    assert at.report(b, {"epoch": 2, "loss": 0.9, "ts_checkpoint": True}) is Decision.PAUSE
    again = at.ask()
    assert again is b and again.metadata["checkpoint_from"] == a.trial_id


def test_exploit_takes_the_donors_config_perturbed():
    space = {"lr": loguniform(1e-4, 1.0), "n": randint(1, 100)}
    scheduler = PopulationBasedTraining(
        space,
        metric="loss",
        population_size=2,
        perturbation_interval=1,
        resample_probability=0.0,
        random_seed=1,
    )
    at = AskTell(scheduler)
    a, b = at.ask(), at.ask()
    at.report(a, {"epoch": 1, "loss": 0.1})
    assert at.report(b, {"epoch": 1, "loss": 0.5}) is Decision.PAUSE
    donor_config = dict(a.config)
    exploiter = at.ask()
    assert exploiter is b
    assert exploiter.config["lr"] / donor_config["lr"] in (pytest.approx(0.8), pytest.approx(1.2))
    assert exploiter.config["n"] != donor_config["n"]
    assert abs(exploiter.config["n"] - donor_config["n"]) <= max(1, 0.2 * donor_config["n"] + 1)


def test_explore_keeps_every_value_in_its_domain():
    space = {
        "lr": loguniform(1e-3, 1e-1),
        "p": uniform(0.0, 1.0),
        "n": randint(1, 4),
        "size": ordinal(["s", "m", "l"]),
        "act": choice(["relu", "tanh"]),
        "fixed": 3,
    }
    rng = np.random.default_rng(0)
    config = {"lr": 0.1, "p": 0.95, "n": 4, "size": "l", "act": "relu", "fixed": 3}
    seen_sizes = set()
    for _ in range(200):
        new = explore(config, space, rng, 0.25)
        assert 1e-3 <= new["lr"] <= 0.1 and 0.0 <= new["p"] <= 1.0 and 1 <= new["n"] <= 4
        assert new["fixed"] == 3 and new["act"] in ("relu", "tanh")
        seen_sizes.add(new["size"])
        json.dumps(new)
    assert seen_sizes >= {"m", "l"}  # a neighbour, or itself at the edge / resampled


def test_custom_explore_fn_replaces_the_rules():
    def halve(config):
        return {**config, "x": config["x"] / 2}

    scheduler = PopulationBasedTraining(
        {"x": uniform(0, 1)},
        metric="loss",
        population_size=2,
        perturbation_interval=1,
        custom_explore_fn=halve,
        random_seed=0,
    )
    at = AskTell(scheduler)
    a, b = at.ask(), at.ask()
    at.report(a, {"epoch": 1, "loss": 0.1})
    at.report(b, {"epoch": 1, "loss": 0.2})
    x = a.config["x"]
    assert at.ask().config == {"x": pytest.approx(x / 2)}
    # stored by name: the spec is the same in every run
    assert scheduler.spec() == scheduler.spec()
    assert "halve" in json.dumps(scheduler.spec())


def test_custom_explore_fn_outside_the_space_is_an_error():
    scheduler = PopulationBasedTraining(
        {"x": uniform(0, 1)},
        metric="loss",
        population_size=2,
        perturbation_interval=1,
        custom_explore_fn=lambda c: {"x": 5.0},
        random_seed=0,
    )
    at = AskTell(scheduler)
    a, b = at.ask(), at.ask()
    at.report(a, {"epoch": 1, "loss": 0.1})
    at.report(b, {"epoch": 1, "loss": 0.2})
    with pytest.raises(ValueError, match="custom_explore_fn returned a config outside"):
        at.ask()


def test_max_t_stops_and_the_population_is_replaced_only_after_failures():
    scheduler = pbt(population_size=2, max_t=3, perturbation_interval=10)
    at = AskTell(scheduler)
    a, b = at.ask(), at.ask()
    assert at.ask() is None  # the population is complete
    assert at.report(a, {"epoch": 3, "loss": 0.1}) is Decision.STOP
    at.fail(b)
    assert at.ask() is not None  # a failed member is replaced


def test_a_result_without_the_resource_is_a_value_error():
    at = AskTell(pbt())
    trial = at.ask()
    with pytest.raises(ValueError, match="the result has no 'epoch'"):
        at.report(trial, {"loss": 0.3})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"population_size": 1}, "`population_size` must be an int >= 2.*population_size=1"),
        ({"population_size": 2.5}, "population_size=2.5"),
        ({"quantile_fraction": 0.0}, r"`quantile_fraction` must be in \(0, 0.5\].*=0.0"),
        ({"quantile_fraction": 0.75}, r"`quantile_fraction` must be in \(0, 0.5\].*=0.75"),
        ({"perturbation_interval": 0}, "`perturbation_interval` must be a number > 0"),
        ({"resample_probability": 1.5}, r"`resample_probability` must be in \[0, 1\]"),
        ({"max_t": -1}, "`max_t` must be a number > 0 or None, but got max_t=-1"),
        ({"resource_attr": ""}, "`resource_attr` must be the non-empty name"),
        ({"custom_explore_fn": 3}, "`custom_explore_fn` must be a function"),
    ],
)
def test_bad_input_names_the_parameter(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PopulationBasedTraining(MIXED_SPACE, metric="loss", **kwargs)


def test_spec_rebuilds_the_same_scheduler():
    scheduler = pbt(max_t=9)
    rebuilt = build(json.loads(json.dumps(scheduler.spec())))
    assert rebuilt.spec() == scheduler.spec()


def test_lineage_is_stored_and_survives_a_crash(tmp_path):
    storage = f"sqlite:///{tmp_path / 'studies.db'}"
    whole = inline_run(tmp_path, pbt(), name="whole", storage=storage, trials=4)
    assert whole.exploits
    best = whole.best_trial().trial_id
    assert load_study("whole", storage).exploits() == whole.exploits
    assert load_study("whole", storage).lineage() == whole.lineage(best)
    for exploit in whole.lineage(best):
        assert exploit.describe("loss").startswith(f"trial {exploit.trial_id} <- trial")

    counter = CrashAfter()
    inline_run(tmp_path, pbt(), name="count", storage=storage, callbacks=[counter])
    for k in (counter.calls // 3, counter.calls // 2, 2 * counter.calls // 3):
        name = f"crash-{k}"
        with pytest.raises(Crash):
            inline_run(tmp_path, pbt(), name=name, storage=storage, callbacks=[CrashAfter(k)])
        resumed = inline_run(tmp_path, pbt(), name=name, storage=storage)
        assert study_journal(storage, name) == study_journal(storage, "whole")
        assert [(e.trial_id, e.donor, e.config) for e in resumed.exploits] == [
            (e.trial_id, e.donor, e.config) for e in whole.exploits
        ]
        assert load_study(name, storage).lineage(best) == resumed.lineage(best)


def test_a_crash_in_the_middle_of_the_copy_is_repaired_on_resume(tmp_path, monkeypatch):
    """Killed after the exploit is journaled, while the donor's checkpoint is being copied: the
    resumed study copies it again and makes the same decisions."""
    import shutil

    import tunesmith.backends.base as base

    storage = f"sqlite:///{tmp_path / 'studies.db'}"
    inline_run(tmp_path, pbt(), name="whole", storage=storage)
    real = shutil.copytree
    calls = []

    def crashing_copytree(src, dst, *args, **kwargs):
        calls.append(dst)
        real(src, dst, *args, **kwargs)
        if len(calls) == 2:
            (dst / "step").write_text("garbage")  # half written
            raise Crash

    monkeypatch.setattr(base.shutil, "copytree", crashing_copytree)
    with pytest.raises(Crash):
        inline_run(tmp_path, pbt(), name="cut", storage=storage)
    monkeypatch.setattr(base.shutil, "copytree", real)
    inline_run(tmp_path, pbt(), name="cut", storage=storage)
    assert study_journal(storage, "cut") == study_journal(storage, "whole")


def test_exploits_on_the_simulator_continue_at_the_donors_fidelity():
    blackbox = FunctionBlackbox(
        lambda config, fidelity, seed: {"loss": (config["x"] - 0.3) ** 2 + 1.0 / fidelity},
        {"x": uniform(0, 1)},
        fidelities=list(range(1, 13)),
        fidelity_name="epoch",
    )
    tuner = Tuner(
        SimulatorBackend(blackbox, seed=0),
        PopulationBasedTraining(
            blackbox.config_space,
            metric="loss",
            population_size=4,
            perturbation_interval=3,
            quantile_fraction=0.5,
            random_seed=0,
        ),
        StoppingCriterion(max_num_trials_started=4),
        n_workers=4,
        verbose=0,
        storage="memory",
    )
    result = tuner.run()
    assert result.exploits
    pairs = first_reports_after_exploits(tuner.journal)
    assert pairs
    for start, first in pairs:
        assert first["epoch"] == start["donor_result"]["epoch"] + 1
        x = start["config"]["x"]
        assert first["loss"] == pytest.approx((x - 0.3) ** 2 + 1.0 / first["epoch"])
    assert all(t.last_result["epoch"] == 12 for t in result.trials.values())


TRAIN = """
import json, os, time, tunesmith

def train(config):
    # reads its hyperparameters from the config, its progress from the checkpoint, which it
    # writes atomically (a donor may be running while its checkpoint is copied)
    folder = tunesmith.checkpoint_dir()
    state = folder / "epoch"
    start = int(state.read_text()) if state.exists() else 0
    for epoch in range(start + 1, int(config["epochs"]) + 1):
        partial = folder / "epoch.partial"
        partial.write_text(str(epoch))
        os.replace(partial, state)
        time.sleep(0.05)  # training: the two trials of the population overlap
        tunesmith.report(epoch=epoch, loss=config["x"] + 1.0 / epoch, start=start)
"""
namespace: dict = {}
exec(TRAIN, namespace)  # the LocalBackend's function, and the ScriptBackend's script below
train = namespace["train"]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["local", "script"])
def test_exploits_copy_real_checkpoints(tmp_path, kind):
    """LocalBackend and ScriptBackend: the exploiting trial's first report says it started
    after the donor's saved epoch (``start``), and goes on from there."""
    if kind == "local":
        backend = LocalBackend(train)
    else:
        script = tmp_path / "train.py"
        script.write_text(
            TRAIN + "config = json.loads(open(os.environ['TUNESMITH_CONFIG']).read())\n"
            "train(config)\n"
        )
        backend = ScriptBackend([sys.executable, str(script)])
    tuner = Tuner(
        backend,
        PopulationBasedTraining(
            {"x": uniform(0, 1), "epochs": 40},
            metric="loss",
            population_size=2,
            perturbation_interval=4,
            quantile_fraction=0.5,
            random_seed=3,
        ),
        StoppingCriterion(max_num_trials_started=2),
        n_workers=2,
        verbose=0,
        storage="memory",
        run_dir=tmp_path / "run",
    )
    result = tuner.run()
    assert result.exploits
    pairs = first_reports_after_exploits(tuner.journal)
    assert pairs
    for start, first in pairs:
        # the donor saves its epoch before each report: it may have saved its next one
        saved = start["donor_result"]["epoch"]
        assert first["start"] in (saved, saved + 1)
        assert first["epoch"] == first["start"] + 1
        assert first["loss"] == pytest.approx(start["config"]["x"] + 1.0 / first["epoch"])


def test_an_overwritten_study_copies_its_own_exploits_again(tmp_path, monkeypatch):
    """Every exploit copies, also in a study run again under its name with
    if_exists="overwrite" in the same folders (whose markers of finished copies name the
    exploit and its time, so an earlier study's marker is never taken for this one's)."""
    import shutil

    import tunesmith.backends.base as base
    from tunesmith.store import Store

    storage = f"sqlite:///{tmp_path / 'studies.db'}"
    copies = []
    real = shutil.copytree

    def counting_copytree(*args, **kwargs):
        copies.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(base.shutil, "copytree", counting_copytree)
    for _ in range(2):
        copies.clear()
        result = Tuner(
            UnevenInlineBackend(learning_curve),
            pbt(),
            StoppingCriterion(max_num_trials_started=4),
            n_workers=2,
            verbose=0,
            name="again",
            storage=storage,
            if_exists="overwrite",
            run_dir=tmp_path / "again",
        ).run()
        assert len(copies) == len(result.exploits) > 0
        with Store(storage) as store:
            pairs = first_reports_after_exploits(store.read_events("again"))
        assert pairs
        for start, first in pairs:
            assert first["epoch"] == start["donor_result"]["epoch"] + 1
