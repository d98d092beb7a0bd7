"""tunesmith.compat.synetune.optimizer: every Syne Tune baseline tunesmith has makes the
decisions of the native call it maps to (same seed: same suggestions, stops and promotions on a
short ask/tell run); ``FIFOScheduler``/``HyperbandScheduler`` searcher names build the
baselines; arguments Syne Tune lacks are ``TypeError``s and those tunesmith cannot run are
``NotSupported``, as are the names it lacks."""

from __future__ import annotations

import numpy as np
import pytest

import tunesmith
from tunesmith import AskTell, Decision, TransferLearningTaskEvaluations
from tunesmith.compat.synetune import StoppingCriterion, Tuner
from tunesmith.compat.synetune import config_space as cs
from tunesmith.compat.synetune.errors import InvalidArgument, NotSupported
from tunesmith.compat.synetune.optimizer import baselines as bl
from tunesmith.compat.synetune.optimizer import schedulers as st_schedulers
from tunesmith.compat.synetune.optimizer.schedulers import transfer_learning as st_transfer
from tunesmith.searchers import BORESearcher, CQRSearcher, QuantileBasedSurrogateSearcher

#: the baselines of Syne Tune's API reference (seed 002, ``syne_tune.optimizer.baselines``)
SEED_BASELINES = {
    "RandomSearch", "GridSearch", "BayesianOptimization", "ASHA", "MOBSTER", "HyperTune",
    "DyHPO", "PASHA", "BOHB", "SyncHyperband", "SyncBOHB", "DEHB", "SyncMOBSTER", "BORE",
    "ASHABORE", "BoTorch", "REA", "create_gaussian_process_estimator",
    "MORandomScalarizationBayesOpt", "NSGA2", "MOREA", "MOLinearScalarizationBayesOpt",
    "ConstrainedBayesianOptimization", "ZeroShotTransfer", "ASHACTS", "KDE", "CQR", "ASHACQR",
}  # fmt: skip
#: the ones tunesmith does not have
MISSING = {"BoTorch", "create_gaussian_process_estimator"}

# -- decisions: the same as the native calls --------------------------------------------------

SPACE = {"lr": cs.loguniform(1e-3, 1e-1), "units": cs.randint(4, 64), "epochs": 9}


def _loss(config, epoch):
    return (config["lr"] - 0.02) ** 2 * 100 + 1.0 / (config["units"] * epoch)


def _drive(scheduler, steps: int = 14, max_t: int = 9):
    """Run the scheduler on _loss with one worker, by hand: what it suggested and decided."""
    at = AskTell(scheduler)
    progress: dict[int, int] = {}
    log = []
    for _ in range(steps):
        trial = at.ask()
        if trial is None:
            break
        start = progress.get(trial.trial_id, 0) + 1
        for epoch in range(start, max_t + 1):
            result = {"epoch": epoch, "loss": _loss(trial.config, epoch)}
            progress[trial.trial_id] = epoch
            if epoch == max_t:
                at.tell(trial, result)
                log.append((trial.trial_id, dict(trial.config), epoch, "done"))
                break
            decision = at.report(trial, result)
            if decision is not Decision.CONTINUE:
                log.append((trial.trial_id, dict(trial.config), epoch, decision.value))
                break
    return log


def _single(scheduler, steps: int = 8):
    at = AskTell(scheduler)
    log = []
    for _ in range(steps):
        trial = at.ask()
        if trial is None:
            break
        at.tell(trial, {"epoch": 9, "loss": _loss(trial.config, 9)})
        log.append(dict(trial.config))
    return log


def _size(config):
    return config["units"] / 64 + 0.1 * config["lr"]


def _single_mo(scheduler, steps: int = 8):
    """Two objectives (loss, size), every trial to its end: the configs suggested."""
    at = AskTell(scheduler)
    log = []
    for _ in range(steps):
        trial = at.ask()
        if trial is None:
            break
        at.tell(trial, {"loss": _loss(trial.config, 9), "size": _size(trial.config)})
        log.append(dict(trial.config))
    return log


def _evaluations() -> dict[str, TransferLearningTaskEvaluations]:
    """Two earlier tasks that evaluated the same 24 configs (optimum near lr = 0.01, 0.03)."""
    rng = np.random.default_rng(3)
    configs = [
        {"lr": float(10 ** rng.uniform(-3, -1)), "units": int(rng.integers(4, 65)), "epochs": 9}
        for _ in range(24)
    ]
    out = {}
    for task, best in (("task-a", 0.01), ("task-b", 0.03)):
        values = [(c["lr"] - best) ** 2 * 100 + 1.0 / (c["units"] * 9) for c in configs]
        out[task] = TransferLearningTaskEvaluations(
            configuration_space=SPACE,
            hyperparameters=configs,
            objectives_names=["loss"],
            objectives_evaluations=np.array(values).reshape(-1, 1, 1, 1),
        )
    return out


EVALUATIONS = _evaluations()


HB = {"resource_attr": "epoch", "max_t": 9, "random_seed": 7, "points_to_evaluate": [{}]}
ASYNC = {**HB, "cutoff": "interpolated"}
ASYNC_KW = {"mode": "min", "grace_period": 1, "reduction_factor": 3}

#: (baseline call, the native call it maps to, multi-fidelity)
CASES = {
    "RandomSearch": (
        lambda: bl.RandomSearch(SPACE, metric="loss", random_seed=7),
        lambda: tunesmith.RandomSearch(
            SPACE, metric="loss", random_seed=7, points_to_evaluate=[{}]
        ),
        False,
    ),
    "GridSearch": (
        lambda: bl.GridSearch(SPACE, metric="loss", random_seed=7),
        lambda: tunesmith.GridSearch(
            SPACE, metric="loss", random_seed=7, points_to_evaluate=[{}], centred=True
        ),
        False,
    ),
    "BayesianOptimization": (
        lambda: bl.BayesianOptimization(
            SPACE, metric="loss", random_seed=7, search_options={"num_init_random": 3}
        ),
        lambda: tunesmith.BayesianOptimization(
            SPACE, metric="loss", random_seed=7, points_to_evaluate=[{}], num_init_random=3
        ),
        False,
    ),
    "KDE": (
        lambda: bl.KDE(SPACE, metric="loss", search_options={"random_seed": 7}),
        lambda: tunesmith.TPE(SPACE, metric="loss", random_seed=7, points_to_evaluate=[{}]),
        False,
    ),
    "REA": (
        lambda: bl.REA(SPACE, metric="loss", population_size=4, sample_size=2, random_seed=7),
        lambda: tunesmith.REA(
            SPACE,
            metric="loss",
            population_size=4,
            sample_size=2,
            random_seed=7,
            points_to_evaluate=[{}],
        ),
        False,
    ),
    "ConstrainedBayesianOptimization": (
        lambda: bl.ConstrainedBayesianOptimization(
            SPACE, metric="loss", constraint_attr="epoch", random_seed=7
        ),
        lambda: tunesmith.ConstrainedBayesianOptimization(
            SPACE, metric="loss", constraint_attr="epoch", random_seed=7, points_to_evaluate=[{}]
        ),
        False,
    ),
    "ASHA": (
        lambda: bl.ASHA(SPACE, "loss", "epoch", max_t=9, random_seed=7),
        lambda: tunesmith.ASHA(SPACE, metric="loss", **ASYNC_KW, **ASYNC),
        True,
    ),
    "ASHA-brackets": (
        lambda: bl.ASHA(SPACE, "loss", "epoch", max_t=9, random_seed=7, brackets=2),
        lambda: tunesmith.HyperbandScheduler(
            SPACE, metric="loss", brackets=2, rung_system_per_bracket=False, **ASYNC_KW, **ASYNC
        ),
        True,
    ),
    "MOBSTER": (
        lambda: bl.MOBSTER(
            SPACE,
            "loss",
            "epoch",
            max_t=9,
            random_seed=7,
            search_options={"model": "gp_independent", "num_init_random": 3},
        ),
        lambda: tunesmith.MOBSTER(
            SPACE,
            metric="loss",
            model="independent",
            num_init_random=3,
            rung_system_per_bracket=False,
            **ASYNC_KW,
            **HB,
        ),  # fmt: skip
        True,
    ),
    "HyperTune": (
        lambda: bl.HyperTune(
            SPACE,
            "loss",
            "epoch",
            max_t=9,
            brackets=2,
            random_seed=7,
            search_options={"num_init_random": 3},
        ),
        lambda: tunesmith.HyperTune(
            SPACE,
            metric="loss",
            brackets=2,
            num_init_random=3,
            rung_system_per_bracket=False,
            **ASYNC_KW,
            **HB,
        ),  # fmt: skip
        True,
    ),
    "DyHPO": (
        lambda: bl.DyHPO(
            SPACE,
            "loss",
            "epoch",
            max_t=9,
            probability_sh=0.5,
            random_seed=7,
            search_options={"num_init_random": 3},
        ),
        lambda: tunesmith.DyHPO(
            SPACE, metric="loss", probability_sh=0.5, num_init_random=3, grace_period=1, **HB
        ),
        True,
    ),
    "PASHA": (
        lambda: bl.PASHA(SPACE, "loss", "epoch", max_t=9, random_seed=7),
        lambda: tunesmith.PASHA(SPACE, metric="loss", **ASYNC_KW, **ASYNC),
        True,
    ),
    "BOHB": (
        lambda: bl.BOHB(SPACE, "loss", "epoch", max_t=9, random_seed=7),
        lambda: tunesmith.BOHB(
            SPACE, metric="loss", rung_system_per_bracket=False, **ASYNC_KW, **HB
        ),
        True,
    ),
    "SyncHyperband": (
        lambda: bl.SyncHyperband(SPACE, "loss", "epoch", max_resource_level=9, random_seed=7),
        lambda: tunesmith.SyncHyperband(SPACE, metric="loss", bracket_rule="geometric", **HB),
        True,
    ),
    "SyncBOHB": (
        lambda: bl.SyncBOHB(SPACE, "loss", "epoch", max_resource_attr="epochs", random_seed=7),
        lambda: tunesmith.SyncBOHB(
            SPACE,
            metric="loss",
            resource_attr="epoch",
            max_resource_attr="epochs",
            random_seed=7,
            points_to_evaluate=[{}],
        ),
        True,
    ),
    "SyncMOBSTER": (
        lambda: bl.SyncMOBSTER(
            SPACE,
            "loss",
            "epoch",
            max_resource_level=9,
            random_seed=7,
            search_options={"num_init_random": 3},
        ),
        lambda: tunesmith.SyncMOBSTER(
            SPACE, metric="loss", bracket_rule="geometric", num_init_random=3, **HB
        ),
        True,
    ),
    "DEHB": (
        lambda: bl.DEHB(SPACE, "loss", "epoch", max_t=9, random_seed=7),
        lambda: tunesmith.DEHB(SPACE, metric="loss", **HB),
        True,
    ),
    "BORE": (
        lambda: bl.BORE(SPACE, "loss", random_seed=7, search_options={"init_random": 3}),
        lambda: tunesmith.BORE(
            SPACE, metric="loss", random_seed=7, points_to_evaluate=[{}], init_random=3
        ),
        False,
    ),
    "CQR": (
        lambda: bl.CQR(
            SPACE,
            "loss",
            search_options={"num_init_random_draws": 3, "update_frequency": 2, "random_seed": 7},
        ),
        lambda: tunesmith.CQR(
            SPACE, metric="loss", random_seed=7, points_to_evaluate=[{}], num_init_random=3
        ),
        False,
    ),
    "ZeroShotTransfer": (
        lambda: bl.ZeroShotTransfer(
            SPACE, EVALUATIONS, "loss", sort_transfer_learning_evaluations=False, random_seed=7
        ),
        lambda: tunesmith.ZeroShotTransfer(
            SPACE,
            metric="loss",
            transfer_learning_evaluations=EVALUATIONS,
            random_seed=7,
            points_to_evaluate=[{}],
        ),
        False,
    ),
    "ASHABORE": (
        lambda: bl.ASHABORE(
            SPACE, "loss", "epoch", max_t=9, random_seed=7, search_options={"init_random": 3}
        ),
        lambda: tunesmith.ASHABORE(SPACE, metric="loss", init_random=3, **ASYNC_KW, **HB),
        True,
    ),
    "ASHABORE-brackets": (  # one rung system for the brackets, as in Syne Tune
        lambda: bl.ASHABORE(SPACE, "loss", "epoch", max_t=9, random_seed=7, brackets=2),
        lambda: tunesmith.HyperbandScheduler(
            SPACE,
            searcher=BORESearcher(SPACE, metric="loss", random_seed=7, points_to_evaluate=[{}]),
            metric="loss",
            resource_attr="epoch",
            max_t=9,
            brackets=2,
            rung_system_per_bracket=False,
            cutoff="interpolated",
            **ASYNC_KW,
        ),
        True,
    ),
    "ASHACQR": (
        lambda: bl.ASHACQR(
            SPACE,
            "loss",
            "epoch",
            max_t=9,
            random_seed=7,
            search_options={"num_init_random_draws": 3},
        ),
        lambda: tunesmith.ASHACQR(SPACE, metric="loss", num_init_random=3, **ASYNC_KW, **HB),
        True,
    ),
    "ASHACQR-rung_levels": (
        lambda: bl.ASHACQR(SPACE, "loss", "epoch", max_t=9, random_seed=7, rung_levels=[1, 3]),
        lambda: tunesmith.HyperbandScheduler(
            SPACE,
            searcher=CQRSearcher(SPACE, metric="loss", random_seed=7, points_to_evaluate=[{}]),
            metric="loss",
            resource_attr="epoch",
            max_t=9,
            rung_levels=[1, 3],
            rung_system_per_bracket=False,
            cutoff="interpolated",
            **ASYNC_KW,
        ),
        True,
    ),
    "ASHACTS": (
        lambda: bl.ASHACTS(
            SPACE,
            "loss",
            "epoch",
            EVALUATIONS,
            max_t=9,
            random_seed=7,
            search_options={"max_fit_samples": 32},
        ),
        lambda: tunesmith.ASHACTS(
            SPACE,
            metric="loss",
            transfer_learning_evaluations=EVALUATIONS,
            max_fit_samples=32,
            **ASYNC_KW,
            **HB,
        ),
        True,
    ),
    "ASHACTS-brackets": (
        lambda: bl.ASHACTS(SPACE, "loss", "epoch", EVALUATIONS, max_t=9, random_seed=7, brackets=3),
        lambda: tunesmith.HyperbandScheduler(
            SPACE,
            searcher=QuantileBasedSurrogateSearcher(
                SPACE,
                metric="loss",
                transfer_learning_evaluations=EVALUATIONS,
                random_seed=7,
                points_to_evaluate=[{}],
            ),
            metric="loss",
            resource_attr="epoch",
            max_t=9,
            brackets=3,
            rung_system_per_bracket=False,
            cutoff="interpolated",
            **ASYNC_KW,
        ),
        True,
    ),
}

MO = {"metric": ["loss", "size"], "random_seed": 7, "points_to_evaluate": [{}]}

#: multi-objective (baseline call, the native call it maps to)
MO_CASES = {
    "MORandomScalarizationBayesOpt": (
        lambda: bl.MORandomScalarizationBayesOpt(
            SPACE,
            ["loss", "size"],
            random_seed=7,
            search_options={"num_initial_random_choices": 3, "num_init_candidates": 10},
        ),
        lambda: tunesmith.MORandomScalarizationBayesOpt(SPACE, num_init_random=3, **MO),
    ),
    "MOLinearScalarizationBayesOpt": (
        lambda: bl.MOLinearScalarizationBayesOpt(
            SPACE,
            ["loss", "size"],
            scalarization_weights=[1.0, 0.5],
            mode=["min", "min"],
            random_seed=7,
            search_options={"num_init_random": 3},
        ),
        lambda: tunesmith.MOLinearScalarizationBayesOpt(
            SPACE, scalarization_weights=[1.0, 0.5], mode=["min", "min"], num_init_random=3, **MO
        ),
    ),
    "NSGA2": (
        lambda: bl.NSGA2(SPACE, ["loss", "size"], population_size=4, random_seed=7),
        lambda: tunesmith.NSGA2(SPACE, population_size=4, **MO),
    ),
    "MOREA": (
        lambda: bl.MOREA(SPACE, ["loss", "size"], population_size=4, sample_size=2, random_seed=7),
        lambda: tunesmith.MOREA(SPACE, population_size=4, sample_size=2, **MO),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_baseline_makes_the_decisions_of_the_native_call(case):
    make_compat, make_native, multi_fidelity = CASES[case]
    compat, native = make_compat(), make_native()
    assert type(compat) is type(native)
    assert compat.spec() == native.spec()
    run = _drive if multi_fidelity else _single
    got, want = run(compat), run(native)
    assert got == want and len(got) >= 5
    if multi_fidelity and case.startswith("ASHA"):
        assert {entry[3] for entry in got} >= {"stop", "done"}  # it did stop trials early


@pytest.mark.parametrize("case", sorted(MO_CASES))
def test_multi_objective_baseline_makes_the_decisions_of_the_native_call(case):
    make_compat, make_native = MO_CASES[case]
    compat, native = make_compat(), make_native()
    assert type(compat) is type(native)
    assert compat.spec() == native.spec()
    got, want = _single_mo(compat), _single_mo(native)
    assert got == want and len(got) == 8


def test_estimators_replace_the_gp_of_their_metric_as_in_the_native_call():
    linear_model = pytest.importorskip("sklearn.linear_model")
    compat = bl.MORandomScalarizationBayesOpt(
        SPACE,
        ["loss", "size"],
        random_seed=7,
        estimators={"size": linear_model.BayesianRidge()},
        search_options={"num_init_random": 3},
    )
    native = tunesmith.MORandomScalarizationBayesOpt(
        SPACE, estimators={"size": linear_model.BayesianRidge()}, num_init_random=3, **MO
    )
    assert _single_mo(compat) == _single_mo(native)


def test_every_seed_baseline_is_mapped_or_names_the_closest_method():
    assert set(bl.__all__) == SEED_BASELINES
    for name in SEED_BASELINES - MISSING:
        assert "Not in tunesmith" not in (getattr(bl, name).__doc__ or ""), name


def test_search_options_reach_the_native_searchers():
    bore = bl.BORE(
        SPACE, "loss", search_options={"classifier": "logreg", "gamma": 0.3, "feval_acq": 64}
    )
    assert (bore.searcher.classifier, bore.searcher.gamma, bore.searcher.num_candidates) == (
        "logreg",
        0.3,
        64,
    )
    cqr = bl.ASHACQR(
        SPACE,
        "loss",
        "epoch",
        max_t=9,
        search_options={"regressor": "gbm", "max_fit_samples": None},
    )
    assert cqr.searcher.regressor == "gbm"
    cts = bl.ASHACTS(
        SPACE, "loss", "epoch", EVALUATIONS, max_t=9, search_options={"normalization": "standard"}
    )
    assert cts.searcher.normalization == "standard"
    mo = bl.MORandomScalarizationBayesOpt(
        SPACE, ["loss", "size"], mode=["min", "max"], search_options={"input_warping": False}
    )
    assert mo.mode == ["min", "max"] and mo.searcher.num_init_random == 5
    assert bl.NSGA2(SPACE, ["loss", "size"]).searcher.population_size == 20  # Syne Tune's
    morea = bl.MOREA(SPACE, ["loss", "size"])
    assert (morea.searcher.population_size, morea.searcher.sample_size) == (100, 10)


def test_schedulers_with_searcher_names_build_the_baselines():
    asha = st_schedulers.HyperbandScheduler(
        SPACE, searcher="random", metric="loss", max_t=9, random_seed=1
    )
    assert asha.spec() == bl.ASHA(SPACE, "loss", "epoch", max_t=9, random_seed=1).spec()
    mobster = st_schedulers.HyperbandScheduler(
        SPACE, searcher="bayesopt", metric="loss", max_t=9, random_seed=1
    )
    assert type(mobster).__name__ == "MOBSTER"
    fifo = st_schedulers.FIFOScheduler(SPACE, searcher="kde", metric="loss", random_seed=1)
    assert fifo.spec() == bl.KDE(SPACE, "loss", random_seed=1).spec()
    median = st_schedulers.MedianStoppingRule(fifo, resource_attr="epoch", grace_time=2)
    assert median.spec()["kwargs"]["grace_time"] == 1
    assert median.spec()["kwargs"]["population"] == "all"
    for searcher, baseline in (("bore", bl.BORE), ("cqr", bl.CQR)):
        fifo = st_schedulers.FIFOScheduler(SPACE, searcher=searcher, metric="loss", random_seed=1)
        assert fifo.spec() == baseline(SPACE, "loss", random_seed=1).spec()
    named = {"bore": bl.ASHABORE, "cqr": bl.ASHACQR, "hypertune": bl.HyperTune}
    for searcher, baseline in named.items():
        scheduler = st_schedulers.HyperbandScheduler(
            SPACE, searcher=searcher, metric="loss", max_t=9, random_seed=1
        )
        assert scheduler.spec() == baseline(SPACE, "loss", "epoch", max_t=9, random_seed=1).spec()
    dyhpo = st_schedulers.HyperbandScheduler(
        SPACE,
        searcher="dyhpo",
        type="dyhpo",
        metric="loss",
        max_t=9,
        rung_system_kwargs={"probability_sh": 0.5},
    )
    assert dyhpo.spec() == bl.DyHPO(SPACE, "loss", "epoch", max_t=9, probability_sh=0.5).spec()
    with pytest.raises(ValueError, match="multi-fidelity: use HyperbandScheduler"):
        st_schedulers.FIFOScheduler(SPACE, searcher="hypertune", metric="loss")
    with pytest.raises(NotSupported, match="searcher='bayesopt'"):
        st_schedulers.FIFOScheduler(SPACE, searcher="botorch", metric="loss")


def test_transfer_learning_module_has_syne_tunes_names():
    assert st_transfer.TransferLearningTaskEvaluations is TransferLearningTaskEvaluations

    def random_search(box, mode, metric):
        return bl.RandomSearch(box, metric, mode=mode, random_seed=0)

    box = st_transfer.BoundingBox(random_search, SPACE, "loss", EVALUATIONS)
    native = tunesmith.BoundingBox(
        random_search, SPACE, metric="loss", transfer_learning_evaluations=EVALUATIONS
    )
    assert box.box == native.box and box.spec() == native.spec()
    assert _single(box) == _single(native)


@pytest.mark.parametrize("kind", ["stopping", "promotion"])
def test_rush_scheduler_makes_the_decisions_of_tunesmith_rush(kind):
    rush = st_transfer.RUSHScheduler(
        SPACE, EVALUATIONS, "loss", type=kind, max_t=9, random_seed=3, grace_period=1
    )
    native = tunesmith.RUSH(
        SPACE,
        metric="loss",
        transfer_learning_evaluations=EVALUATIONS,
        type=kind,
        max_t=9,
        random_seed=3,
    )
    assert rush.spec() == native.spec()
    assert _drive(rush) == _drive(native)
    with pytest.raises(TypeError, match="unexpected keyword argument 'eta'"):
        st_transfer.RUSHScheduler(SPACE, EVALUATIONS, "loss", max_t=9, eta=3)


@pytest.mark.parametrize("name", ["MOBSTER", "BOHB", "HyperTune"])
@pytest.mark.parametrize("per_bracket", [None, False, True])
def test_several_brackets_keep_syne_tunes_rung_systems(name, per_bracket, caplog):
    """Syne Tune's ``rung_system_per_bracket`` (default False: one rung system shared by the
    brackets) goes to the native class, which takes it: the decisions are those of the native
    call with that argument, and nothing is logged."""
    given = {} if per_bracket is None else {"rung_system_per_bracket": per_bracket}
    with caplog.at_level("WARNING", logger="tunesmith"):
        compat = getattr(bl, name)(
            SPACE, "loss", "epoch", max_t=9, brackets=3, random_seed=7, **given
        )
    assert "rung system" not in caplog.text
    expected = bool(per_bracket)
    assert compat.rung_system_per_bracket is expected and len(compat._systems) == (
        3 if expected else 1
    )
    kwargs = compat.spec()["kwargs"]
    native = getattr(tunesmith, name)(SPACE, metric="loss", **{
        k: v for k, v in kwargs.items() if k not in ("config_space", "metric")
    })  # fmt: skip
    assert native.spec() == compat.spec()
    assert _drive(compat, steps=10) == _drive(native, steps=10)


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(MISSING))
def test_missing_baselines_name_the_closest_tunesmith_method(name):
    with pytest.raises(NotSupported, match=r"closest method is tunesmith\.\w+"):
        getattr(bl, name)(SPACE, metric="loss", resource_attr="epoch")


def test_unknown_arguments_are_type_errors_as_in_syne_tune():
    with pytest.raises(TypeError, match="unexpected keyword argument 'max_epochs'"):
        bl.ASHA(SPACE, "loss", "epoch", max_epochs=9)
    with pytest.raises(InvalidArgument, match="unexpected keyword argument 'foo'"):
        bl.RandomSearch(SPACE, "loss", foo=1)
    with pytest.raises(InvalidArgument, match="search_options got an unexpected key 'bar'"):
        bl.BayesianOptimization(SPACE, "loss", search_options={"bar": 1})
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        Tuner(None, None, None, 1, not_an_argument=1)
    with pytest.raises(TypeError):
        StoppingCriterion(max_trials=3)
    with pytest.raises(TypeError, match="multiple values for argument 'searcher'"):
        bl.ASHA(SPACE, "loss", "epoch", searcher="kde")
    with pytest.raises(NotSupported, match=r"type='dyhpo' .* use tunesmith.DyHPO"):
        bl.ASHA(SPACE, "loss", "epoch", max_t=9, type="dyhpo")
    with pytest.raises(NotSupported, match=r"type='rush_stopping' .* use tunesmith.RUSH"):
        bl.ASHA(SPACE, "loss", "epoch", max_t=9, type="rush_stopping")
    with pytest.raises(NotSupported, match="rung_levels"):
        bl.BOHB(SPACE, "loss", "epoch", max_t=9, rung_levels=[1, 3])
    with pytest.raises(NotSupported, match="gp_issm"):
        bl.MOBSTER(SPACE, "loss", "epoch", max_t=9, search_options={"model": "gp_issm"})


NEW_CALLS = {
    "BORE": lambda **kw: bl.BORE(SPACE, "loss", **kw),
    "ASHABORE": lambda **kw: bl.ASHABORE(SPACE, "loss", "epoch", max_t=9, **kw),
    "CQR": lambda **kw: bl.CQR(SPACE, "loss", **kw),
    "ASHACQR": lambda **kw: bl.ASHACQR(SPACE, "loss", "epoch", max_t=9, **kw),
    "MORandomScalarizationBayesOpt": lambda **kw: bl.MORandomScalarizationBayesOpt(
        SPACE, ["loss", "size"], **kw
    ),
    "MOLinearScalarizationBayesOpt": lambda **kw: bl.MOLinearScalarizationBayesOpt(
        SPACE, ["loss", "size"], **kw
    ),
    "NSGA2": lambda **kw: bl.NSGA2(SPACE, ["loss", "size"], **kw),
    "MOREA": lambda **kw: bl.MOREA(SPACE, ["loss", "size"], **kw),
    "ZeroShotTransfer": lambda **kw: bl.ZeroShotTransfer(SPACE, EVALUATIONS, "loss", **kw),
    "ASHACTS": lambda **kw: bl.ASHACTS(SPACE, "loss", "epoch", EVALUATIONS, max_t=9, **kw),
}


@pytest.mark.parametrize("name", sorted(NEW_CALLS))
def test_new_baselines_refuse_arguments_as_syne_tune_does(name):
    call = NEW_CALLS[name]
    with pytest.raises(TypeError, match=rf"{name}\(\) got an unexpected keyword argument 'foo'"):
        call(foo=1)
    with pytest.raises(InvalidArgument, match="search_options got an unexpected key 'bar'"):
        call(search_options={"bar": 1})
    with pytest.raises(TypeError, match="multiple values for argument 'searcher'"):
        call(searcher="random")


def test_arguments_tunesmith_cannot_run_are_not_supported():
    class SyneTuneEstimator:  # Syne Tune's Estimator interface: fit_from_state, no fit
        def fit_from_state(self, state, update_params):
            raise AssertionError("not called")

    with pytest.raises(NotSupported, match=r"estimators\['size'\] is a Syne Tune Estimator"):
        bl.MORandomScalarizationBayesOpt(
            SPACE, ["loss", "size"], estimators={"size": SyneTuneEstimator()}
        )
    with pytest.raises(TypeError, match="unexpected keyword argument 'estimators'"):
        bl.MOLinearScalarizationBayesOpt(SPACE, ["loss", "size"], estimators={})  # as Syne Tune
    with pytest.raises(NotSupported, match=r"input_warping=True is not supported"):
        bl.MORandomScalarizationBayesOpt(
            SPACE, ["loss", "size"], search_options={"input_warping": True}
        )
    with pytest.raises(NotSupported, match=r"max_fit_samples=100 is not supported"):
        bl.CQR(SPACE, "loss", search_options={"max_fit_samples": 100})
    with pytest.raises(NotSupported, match="base_scheduler_factory is not supported"):
        bl.MOLinearScalarizationBayesOpt(
            SPACE, ["loss", "size"], base_scheduler_factory=tunesmith.RandomSearch
        )
    with pytest.raises(NotSupported, match="time_keeper"):
        bl.BORE(SPACE, "loss", time_keeper=object())
    with pytest.raises(InvalidArgument, match="must have type='dyhpo'"):
        bl.DyHPO(SPACE, "loss", "epoch", max_t=9, type="promotion")
    with pytest.raises(NotSupported, match=r"rung_system_kwargs \['foo'\]"):
        bl.DyHPO(SPACE, "loss", "epoch", max_t=9, rung_system_kwargs={"foo": 1})
