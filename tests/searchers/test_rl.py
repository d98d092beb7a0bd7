import doctest
import inspect
import json
import re

import numpy as np
import pytest

import tunesmith.schedulers.rl as rl_scheduler_module
import tunesmith.searchers.rl as rl_module
from tunesmith import AskTell, FIFOScheduler, HyperbandScheduler
from tunesmith.schedulers.rl import RLScheduler
from tunesmith.searchers.random import RandomSearcher
from tunesmith.searchers.rl import LSTMController, RLSearcher
from tunesmith.space import (
    choice,
    config_errors,
    finrange,
    lograndint,
    loguniform,
    ordinal,
    randint,
    uniform,
)
from tunesmith.spec import build
from tunesmith.testing.scheduler_contract import SchedulerContract
from tunesmith.testing.searcher_contract import SearcherContract
from tunesmith.testing.spaces import MIXED_SPACE, objective


class TestRLSearcherContract(SearcherContract):
    def make_searcher(self, config_space, *, random_seed, **kwargs):
        # batches of 2: the contract's runs make updates, and its splits fall inside a batch
        return RLSearcher(
            config_space,
            metric="loss",
            random_seed=random_seed,
            controller_batch_size=2,
            controller_lr=0.05,
            hidden_size=16,
            **kwargs,
        )


class TestRLSchedulerContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return RLScheduler(
            config_space,
            metric=metric,
            mode=mode,
            controller_batch_size=2,
            hidden_size=16,
            random_seed=random_seed,
        )


class TestRLSearcherInHyperbandContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        searcher = RLSearcher(
            config_space, controller_batch_size=2, hidden_size=16, random_seed=random_seed
        )
        return HyperbandScheduler(
            config_space,
            searcher=searcher,
            metric=metric,
            mode=mode,
            max_t=9,
            type="promotion",
            brackets=2,
        )


def test_doctests():
    assert doctest.testmod(rl_module).failed == 0
    assert doctest.testmod(rl_scheduler_module).failed == 0


# -- the controller's gradient -----------------------------------------------------------------
def _perturbed_controller(seed: int) -> LSTMController:
    """A small controller with weights large enough to bend every nonlinearity."""
    controller = LSTMController([3, 4, 2], hidden_size=5, softmax_temperature=0.7, seed=seed)
    rng = np.random.default_rng(seed + 100)
    for value in controller.params.values():
        value[...] = rng.normal(0.0, 0.8, size=value.shape)
    return controller


@pytest.mark.parametrize("seed", [0, 1])
def test_gradient_matches_finite_differences(seed):
    controller = _perturbed_controller(seed)
    rng = np.random.default_rng(seed)
    actions = np.stack([rng.integers(0, n, size=5) for n in controller.sizes], axis=1)
    actions[1] = actions[0]  # a repeated row: gradients of shared embedding rows add up
    weights = rng.normal(size=5)
    loss, grads = controller.loss_and_grads(actions, weights)
    assert loss == pytest.approx(-float(weights @ controller.log_probs(actions)))
    eps = 1e-6
    for name, param in controller.params.items():
        numeric = np.zeros_like(param)
        for index in np.ndindex(param.shape):
            saved = param[index]
            param[index] = saved + eps
            up = controller.loss_and_grads(actions, weights)[0]
            param[index] = saved - eps
            down = controller.loss_and_grads(actions, weights)[0]
            param[index] = saved
            numeric[index] = (up - down) / (2 * eps)
        assert np.abs(numeric).max() > 0 or name.startswith("embedding"), name
        np.testing.assert_allclose(grads[name], numeric, rtol=1e-5, atol=1e-7, err_msg=name)


def test_log_probs_are_a_distribution():
    controller = _perturbed_controller(3)
    every = np.array([[a, b, c] for a in range(3) for b in range(4) for c in range(2)])
    assert np.exp(controller.log_probs(every)).sum() == pytest.approx(1.0)
    # and the sampler draws from it
    rng = np.random.default_rng(0)
    counts = np.zeros(len(every))
    index = {tuple(row): i for i, row in enumerate(every.tolist())}
    for _ in range(4000):
        counts[index[tuple(controller.sample(rng))]] += 1
    expected = 4000 * np.exp(controller.log_probs(every))
    assert np.abs(counts - expected).max() < 5 * np.sqrt(expected.max()) + 5


def test_adam_step_lowers_the_loss():
    controller = _perturbed_controller(4)
    actions = np.array([[0, 1, 1], [2, 3, 0]])
    weights = np.array([1.0, 0.5])
    before = controller.loss_and_grads(actions, weights)[0]
    for _ in range(5):
        controller.step(controller.loss_and_grads(actions, weights)[1], 0.01)
    assert controller.loss_and_grads(actions, weights)[0] < before
    assert controller.num_steps == 5


# -- learning ----------------------------------------------------------------------------------
def _mixture():
    """The reward of AutoGluon's RL tutorial: two Gaussians over x, y in 0..99."""
    grid = np.arange(100.0)
    x, y = np.meshgrid(grid, grid)
    z = np.zeros(x.shape)
    for x0, y0, xa, ya, a in [(20, 70, 35, 40, 1.0), (80, 40, 20, 20, 0.7)]:
        z += a * np.exp(-(((x - x0) / xa) ** 2) - ((y - y0) / ya) ** 2)
    return z


TOY_SPACE = {"x": choice(list(range(100))), "y": choice(list(range(100)))}


def _rewards(searcher, z, n):
    out = []
    for _ in range(n):
        config = searcher.suggest()
        out.append(z[config["y"]][config["x"]])
        searcher.observe(config, {"accuracy": out[-1]})
    return np.array(out)


def test_the_controller_learns_on_the_tutorials_mixture():
    z = _mixture()
    rl, rnd = [], []
    for seed in range(3):
        kwargs = {"metric": "accuracy", "mode": "max", "random_seed": seed}
        rl.append(
            _rewards(
                RLSearcher(TOY_SPACE, controller_batch_size=4, controller_lr=5e-3, **kwargs),
                z,
                200,
            )
        )
        rnd.append(_rewards(RandomSearcher(TOY_SPACE, **kwargs), z, 200))
    rl, rnd = np.array(rl), np.array(rnd)
    first, last = rl[:, :40].mean(axis=1), rl[:, -40:].mean(axis=1)
    assert (last > first + 0.1).all(), (first, last)  # every seed improves
    assert last.mean() > rnd[:, -40:].mean() + 0.15, (last, rnd[:, -40:].mean(axis=1))


def test_mode_min_negates_the_reward():
    z = _mixture()
    best = RLSearcher(TOY_SPACE, metric="acc", mode="max", random_seed=5, controller_batch_size=2)
    worst = RLSearcher(TOY_SPACE, metric="loss", mode="min", random_seed=5, controller_batch_size=2)
    for _ in range(30):
        a, b = best.suggest(), worst.suggest()
        assert a == b
        best.observe(a, {"acc": z[a["y"]][a["x"]]})
        worst.observe(b, {"loss": -z[b["y"]][b["x"]]})
    assert best.baseline == worst.baseline  # rewards: the metric, negated for "min"


def test_updates_every_batch_with_an_ema_baseline():
    searcher = RLSearcher(TOY_SPACE, metric="r", mode="max", random_seed=0, controller_batch_size=3)
    rewards = [0.5, 0.1, 0.9, 0.3, 0.2, 0.7, 0.4]
    configs = [searcher.suggest() for _ in rewards]
    for i, (config, reward) in enumerate(zip(configs, rewards, strict=True)):
        searcher.observe(config, {"r": reward})
        assert searcher.num_updates == (i + 1) // 3
    baseline = 0.5  # the first reward, then a moving average after each batch
    for reward in rewards[:6]:
        baseline = 0.95 * baseline + 0.05 * reward
    assert searcher.baseline == pytest.approx(baseline)


# -- decisions ---------------------------------------------------------------------------------
def test_decisions_per_domain():
    space = {
        "c": choice(["a", "b", "c"]),
        "o": ordinal([1, 2, 4, 8]),
        "f": finrange(0.0, 1.0, 6),
        "small": randint(1, 5),
        "wide": randint(0, 999),
        "logwide": lograndint(1, 4096),
        "u": uniform(-1.0, 1.0),
        "lu": loguniform(1e-5, 1e-1),
        "const": 7,
    }
    searcher = RLSearcher(space, metric="loss", random_seed=0, num_bins=8)
    assert searcher.controller.sizes == [3, 4, 6, 5, 8, 8, 8, 8]
    values = {name: set() for name in ("u", "lu", "wide")}
    for _ in range(300):
        config = searcher.suggest()
        assert config_errors(space, config) == []
        for name in values:
            values[name].add(config[name])
        # a value lies in the bin (of the domain's unit encoding) it was drawn from
        decisions = searcher._decisions_of(config)
        u = space["lu"].encode(config["lu"])[0]
        assert int(u * 8) == decisions[7]
    assert len(values["u"]) == len(values["lu"]) == 300  # continuous values stay continuous
    assert len(values["wide"]) > 200


def test_a_finite_space_is_enumerated_without_rejections():
    # masks of exhausted prefixes: every draw is new, and the space ends after 100 configs
    searcher = RLSearcher(TOY_SPACE | {"x": choice(list(range(10)))}, random_seed=0)
    searcher.max_retries = 1
    seen = {tuple(searcher.suggest().values()) for _ in range(1000)}
    assert len(seen) == 1000
    assert searcher.suggest() is None


def test_duplicates_when_allowed():
    searcher = RLSearcher(
        {"x": choice([0, 1])}, metric="r", mode="max", random_seed=0, allow_duplicates=True
    )
    values = []
    for _ in range(20):
        config = searcher.suggest()
        values.append(config["x"])
        searcher.observe(config, {"r": config["x"]})
    assert len(values) == 20 and set(values) == {0, 1}
    assert searcher.num_updates == 20


def test_a_trial_counts_once_failures_not_at_all():
    searcher = RLSearcher(MIXED_SPACE, metric="loss", random_seed=0)
    a, b, c = searcher.suggest(), searcher.suggest(), searcher.suggest()
    for resource in (1, 3, 9):  # rungs of one trial: only the first counts
        searcher.observe(a, {"loss": objective(a, MIXED_SPACE, resource)}, resource=resource)
    searcher.failed(b)
    searcher.observe(b, {"loss": 1.0})  # late result of a failed config: already seen, ignored
    assert searcher.num_updates == 1
    searcher.observe(c, {"loss": 2.0})
    outside = {**a, "layers": 5 if a["layers"] != 5 else 4}  # told from outside: counts
    searcher.observe(outside, {"loss": 3.0})
    assert searcher.num_updates == 3
    assert [r for _, r in searcher.state_dict()["rewards"]] == [
        -objective(a, MIXED_SPACE, 1),
        -2.0,
        -3.0,
    ]


def test_restrict_configurations_follow_the_controller():
    z = _mixture()
    rng = np.random.default_rng(0)
    allowed = [{"x": int(x), "y": int(y)} for x, y in rng.integers(0, 100, size=(400, 2))]
    searcher = RLSearcher(
        TOY_SPACE,
        metric="accuracy",
        mode="max",
        random_seed=0,
        controller_batch_size=4,
        controller_lr=5e-3,
        restrict_configurations=allowed,
    )
    rewards = _rewards(searcher, z, 200)
    assert rewards[-50:].mean() > rewards[:50].mean()


# -- state -------------------------------------------------------------------------------------
def test_state_round_trip_restores_the_weights_exactly():
    original = RLSearcher(
        MIXED_SPACE, metric="loss", random_seed=2, controller_batch_size=3, hidden_size=20
    )
    pending = []
    for i in range(20):
        config = original.suggest()
        if i % 4 == 3:
            pending.append(config)  # still running at the split
        else:
            original.observe(config, {"loss": objective(config, MIXED_SPACE)})
    state = json.loads(json.dumps(original.state_dict()))
    assert "embedding" not in json.dumps(state)  # data, not weights
    clone = RLSearcher(
        MIXED_SPACE, metric="loss", random_seed=2, controller_batch_size=3, hidden_size=20
    )
    clone.load_state_dict(state)
    for name, value in original.controller.params.items():
        assert np.array_equal(clone.controller.params[name], value), name
    assert clone.baseline == original.baseline and clone.num_updates == original.num_updates
    for searcher in (original, clone):
        for config in pending:
            searcher.observe(config, {"loss": objective(config, MIXED_SPACE)})
    assert [clone.suggest() for _ in range(10)] == [original.suggest() for _ in range(10)]


def test_spec_rebuilds_the_scheduler():
    scheduler = RLScheduler(MIXED_SPACE, metric="loss", random_seed=3, controller_batch_size=4)
    rebuilt = build(scheduler.spec())
    assert type(rebuilt) is RLScheduler
    assert rebuilt.searcher.controller_batch_size == 4
    assert rebuilt.suggest(0).config == scheduler.suggest(0).config


def test_scheduler_defaults_are_the_searchers():
    searcher = inspect.signature(RLSearcher).parameters
    for name, parameter in inspect.signature(RLScheduler).parameters.items():
        if name in searcher and name not in ("metric", "mode"):
            assert parameter.default == searcher[name].default, name


def test_with_fifo_and_hyperband_schedulers():
    z = _mixture()
    for scheduler in (
        FIFOScheduler(
            TOY_SPACE,
            searcher=RLSearcher(TOY_SPACE, random_seed=0, controller_batch_size=2),
            metric="accuracy",
            mode="max",
        ),
        HyperbandScheduler(
            TOY_SPACE | {"epochs": 9},
            searcher=RLSearcher(TOY_SPACE | {"epochs": 9}, random_seed=0, controller_batch_size=2),
            metric="accuracy",
            mode="max",
            max_t=9,
        ),
    ):
        at = AskTell(scheduler)
        for _ in range(12):
            trial = at.ask()
            for epoch in range(1, 10):
                reward = z[trial.config["y"]][trial.config["x"]] * epoch / 9
                if at.report(trial, {"epoch": epoch, "accuracy": reward}).value != "continue":
                    break
            else:
                at.tell(trial, {"epoch": 9, "accuracy": reward})
        assert scheduler.searcher.num_updates == 6  # every trial counted once, batches of 2


# -- bad arguments -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"controller_batch_size": 0},
            ValueError,
            "`controller_batch_size` must be an int >= 1, but got controller_batch_size=0",
        ),
        (
            {"controller_batch_size": 4.0},
            TypeError,
            "`controller_batch_size` must be an int >= 1, but got controller_batch_size=4.0 "
            "(float)",
        ),
        (
            {"controller_lr": 0},
            ValueError,
            "`controller_lr` must be a number > 0, but got controller_lr=0",
        ),
        (
            {"controller_lr": "5e-3"},
            TypeError,
            "`controller_lr` must be a number > 0, but got controller_lr='5e-3' (str)",
        ),
        (
            {"ema_baseline_decay": 1.0},
            ValueError,
            "`ema_baseline_decay` must be a number in (0, 1), but got ema_baseline_decay=1.0",
        ),
        (
            {"ema_baseline_decay": float("nan")},
            ValueError,
            "`ema_baseline_decay` must be a number in",
        ),
        (
            {"hidden_size": 0},
            ValueError,
            "`hidden_size` must be an int >= 1, but got hidden_size=0",
        ),
        (
            {"hidden_size": True},
            TypeError,
            "`hidden_size` must be an int >= 1, but got hidden_size=True (bool)",
        ),
        (
            {"softmax_temperature": -1.0},
            ValueError,
            "`softmax_temperature` must be a number > 0, but got softmax_temperature=-1.0",
        ),
        ({"num_bins": 1}, ValueError, "`num_bins` must be an int >= 2, but got num_bins=1"),
        ({"max_retries": 0}, ValueError, "`max_retries` must be an int >= 1, but got 0"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        RLSearcher(MIXED_SPACE, metric="loss", **kwargs)
    if "max_retries" not in kwargs:  # the scheduler passes its options on: the same errors
        with pytest.raises(error, match=re.escape(message)):
            RLScheduler(MIXED_SPACE, metric="loss", **kwargs)


def test_observe_needs_the_metric():
    searcher = RLSearcher(MIXED_SPACE, random_seed=0)
    config = searcher.suggest()
    with pytest.raises(ValueError, match="the searcher has no metric"):
        searcher.observe(config, {"loss": 1.0})
    searcher.configure(metric="loss", mode="min")
    with pytest.raises(ValueError, match="the result has no metric 'loss'"):
        searcher.observe(config, {"accuracy": 1.0})
