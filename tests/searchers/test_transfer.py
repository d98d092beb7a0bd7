import numpy as np
import pytest

from _transfer import earlier_tasks
from tunesmith import TransferLearningTaskEvaluations, Tuner, uniform
from tunesmith.schedulers import ASHA
from tunesmith.searchers import ZeroShotSearcher
from tunesmith.searchers.transfer import top_configs_per_task
from tunesmith.stopping import StoppingCriterion
from tunesmith.store import Store
from tunesmith.testing.inline_backend import InlineBackend
from tunesmith.testing.scheduler_contract import learning_curve
from tunesmith.testing.searcher_contract import SearcherContract
from tunesmith.testing.spaces import MIXED_SPACE, objective


class TestZeroShotSearcherContract(SearcherContract):
    def make_searcher(self, config_space, *, random_seed, **kwargs):
        return ZeroShotSearcher(
            config_space,
            transfer_learning_evaluations=earlier_tasks(config_space, n=12),
            metric="loss",
            random_seed=random_seed,
            **kwargs,
        )


class TestZeroShotSurrogatesContract(SearcherContract):
    def make_searcher(self, config_space, *, random_seed, **kwargs):
        return ZeroShotSearcher(
            config_space,
            transfer_learning_evaluations=earlier_tasks(config_space, n=12),
            metric="loss",
            use_surrogates=True,
            num_candidates=50,
            random_seed=random_seed,
            **kwargs,
        )


def _evals(values, configs=None, names=("loss",)):
    values = np.asarray(values, dtype=float)
    values = values[..., None] if values.ndim == 3 else values
    configs = configs or [{"x": round(0.1 * (i + 1), 1)} for i in range(values.shape[0])]
    return TransferLearningTaskEvaluations({"x": uniform(0, 1)}, configs, list(names), values)


def test_ranking_prefers_higher_fidelity_then_value():
    # config 0 stopped after the first fidelity with the lowest value; 1 and 2 ran to the end
    ev = _evals([[[0.1, np.nan]], [[0.5, 0.4]], [[0.6, 0.3]]][:3])
    assert ev.ranking("loss").tolist() == [2, 1, 0]
    assert ev.ranking("loss", "max").tolist() == [1, 2, 0]
    values, level = ev.final_values("loss")
    assert values.tolist() == [0.1, 0.4, 0.3] and level.tolist() == [0, 1, 1]
    assert ev.top_k_hyperparameter_configurations(1, "min", "loss") == [{"x": 0.3}]


def test_seeds_are_averaged_ignoring_missing():
    ev = _evals([[[1.0], [np.nan], [3.0]], [[2.5], [2.5], [2.5]]])
    assert ev.final_values("loss")[0].tolist() == [2.0, 2.5]
    assert ev.ranking("loss").tolist() == [0, 1]


def test_bad_evaluations_rejected():
    with pytest.raises(ValueError, match=r"must have shape \(configs, seeds, fidelities"):
        TransferLearningTaskEvaluations({"x": uniform(0, 1)}, [{"x": 0.5}], ["loss"], [[1.0]])
    with pytest.raises(ValueError, match="unknown objective 'acc'"):
        _evals([[[1.0]]]).objective_values("acc")
    with pytest.raises(ValueError, match="`objectives_names` must be a list"):
        TransferLearningTaskEvaluations({"x": uniform(0, 1)}, [{"x": 0.5}], "loss", [[[[1.0]]]])
    with pytest.raises(ValueError, match="`k` must be an int >= 1, but got k=0"):
        _evals([[[1.0]]]).top_k_hyperparameter_configurations(0, "min", "loss")


def test_repr_is_stable_and_names_the_data():
    a, b = _evals([[[1.0]], [[2.0]]]), _evals([[[1.0]], [[2.0]]])
    assert repr(a) == repr(b) and "2 configs" in repr(a)
    assert repr(a) != repr(_evals([[[1.0]], [[2.5]]]))


def test_from_blackbox_takes_every_seed_and_fidelity():
    from tunesmith import bench

    table = bench.load("gbm-breast_cancer")
    ev = TransferLearningTaskEvaluations.from_blackbox(table)
    assert ev.objectives_names == ["val_error"]
    assert ev.objectives_evaluations.shape == (1024, 3, 81, 1)
    config, value = table.best()
    best = ev.top_k_hyperparameter_configurations(1, "min", "val_error")[0]
    assert table.evaluate(best)["val_error"] == pytest.approx(value)
    with pytest.raises(ValueError, match="unknown objective 'acc'"):
        TransferLearningTaskEvaluations.from_blackbox(table, objectives="acc")


def test_from_study_reads_configs_and_reports(tmp_path):
    storage = f"sqlite:///{tmp_path / 's.db'}"
    space = MIXED_SPACE  # epochs: 9
    Tuner(
        InlineBackend(learning_curve),
        ASHA(space, metric="loss", max_t=9, random_seed=0),
        StoppingCriterion(max_num_trials_started=8),
        n_workers=2,
        verbose=0,
        name="earlier",
        storage=storage,
        run_dir=tmp_path / "run",
    ).run()
    with Store(storage) as store:
        ev = TransferLearningTaskEvaluations.from_study(store, "earlier", resource_attr="epoch")
        last = TransferLearningTaskEvaluations.from_study(store, "earlier")
        trials = store.trials("earlier")
    assert len(ev.hyperparameters) == len(trials) == 8
    assert ev.objectives_evaluations.shape[:3] == (8, 1, 9)
    assert last.objectives_evaluations.shape == (8, 1, 1, 1)
    for i, trial in enumerate(trials):
        assert ev.hyperparameters[i] == {
            k: trial["config"][k] for k in ev.configuration_space if k != "epochs"
        }
        assert last.objectives_evaluations[i, 0, 0, 0] == trial["last_result"]["loss"]
    # stopped trials have NaN after their last epoch; the best is one that ran to the end
    values, level = ev.final_values("loss")
    assert level[ev.ranking("loss")[0]] == 8


def test_zero_shot_picks_greedily_by_mean_rank():
    space = {"x": uniform(0, 1)}
    configs = [{"x": v} for v in (0.1, 0.2, 0.3, 0.4)]
    # task a likes 0.1 then 0.2; task b likes 0.4 then 0.2: 0.2 is best on average, then the
    # portfolio improves most by adding 0.1 or 0.4 (each best on one task)
    a = TransferLearningTaskEvaluations(space, configs, ["loss"], [[[[v]]] for v in (1, 2, 3, 4)])
    b = TransferLearningTaskEvaluations(space, configs, ["loss"], [[[[v]]] for v in (4, 2, 3, 1)])
    searcher = ZeroShotSearcher(
        space, transfer_learning_evaluations={"a": a, "b": b}, metric="loss", random_seed=0
    )
    picks = [searcher.suggest()["x"] for _ in range(4)]
    assert picks[0] == 0.2
    assert set(picks[1:3]) == {0.1, 0.4}
    assert picks[3] == 0.3
    assert searcher.suggest()["x"] not in (0.1, 0.2, 0.3, 0.4)  # then at random


def test_zero_shot_beats_random_on_a_related_task():
    tasks = earlier_tasks(MIXED_SPACE, n=200)
    searcher = ZeroShotSearcher(
        MIXED_SPACE, transfer_learning_evaluations=tasks, metric="loss", random_seed=0
    )
    first = [objective(searcher.suggest(), MIXED_SPACE, 9) for _ in range(3)]
    assert min(first) == pytest.approx(
        min(objective(c, MIXED_SPACE, 9) for c in tasks["task0"].hyperparameters)
    )


def test_zero_shot_needs_common_configs():
    space = {"x": uniform(0, 1)}
    a = TransferLearningTaskEvaluations(space, [{"x": 0.1}], ["loss"], [[[[1.0]]]])
    b = TransferLearningTaskEvaluations(space, [{"x": 0.2}], ["loss"], [[[[1.0]]]])
    with pytest.raises(ValueError, match="no config in common .* use_surrogates=True"):
        ZeroShotSearcher(space, transfer_learning_evaluations={"a": a, "b": b}, metric="loss")
    with pytest.raises(ValueError, match="has no objective 'acc'"):
        ZeroShotSearcher(space, transfer_learning_evaluations={"a": a}, metric="acc")
    with pytest.raises(ValueError, match="must be a non-empty dict"):
        ZeroShotSearcher(space, transfer_learning_evaluations={}, metric="loss")
    with pytest.raises(TypeError, match=r"transfer_learning_evaluations\['a'\] must be a"):
        ZeroShotSearcher(space, transfer_learning_evaluations={"a": [1]}, metric="loss")


def test_top_configs_per_task_keeps_configs_that_fit():
    space = {"x": uniform(0, 0.25)}
    ev = _evals([[[1.0]], [[2.0]], [[3.0]]])  # x = 0.1, 0.2, 0.3
    assert top_configs_per_task({"t": ev}, 5, metric="loss", mode="max", config_space=space) == {
        "t": [{"x": 0.2}, {"x": 0.1}]
    }
