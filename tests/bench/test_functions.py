"""Synthetic functions: known minima, multi-fidelity curves that fool early stopping."""

import math

import numpy as np
import pytest

from tunesmith.bench import FunctionBlackbox, load
from tunesmith.bench.functions import (
    BRANIN_MIN,
    HARTMANN3_MIN,
    HARTMANN6_MIN,
    branin,
    hartmann3,
    hartmann6,
)
from tunesmith.space import sample_config, uniform


def test_known_minima():
    for x1, x2 in [(-math.pi, 12.275), (math.pi, 2.275), (9.42478, 2.475)]:
        assert branin(x1, x2) == pytest.approx(BRANIN_MIN, abs=1e-5)
    assert hartmann3(0.114614, 0.555649, 0.852547) == pytest.approx(HARTMANN3_MIN, abs=1e-5)
    x6 = (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573)
    assert hartmann6(*x6) == pytest.approx(HARTMANN6_MIN, abs=1e-5)


@pytest.mark.parametrize("name", ["branin", "hartmann3", "hartmann6"])
def test_single_fidelity_blackboxes(name):
    bb = load(name)
    assert bb.fidelities is None and bb.objective == "loss" and bb.mode == "min"
    rng = np.random.default_rng(0)
    values = [bb.evaluate(sample_config(bb.config_space, rng))["loss"] for _ in range(200)]
    low = {"branin": BRANIN_MIN, "hartmann3": HARTMANN3_MIN, "hartmann6": HARTMANN6_MIN}[name]
    assert min(values) >= low - 1e-9
    assert bb.evaluate(sample_config(bb.config_space, rng))["time"] == 1.0
    with pytest.raises(ValueError, match="has no fidelity"):
        bb.evaluate(sample_config(bb.config_space, rng), fidelity=3)


@pytest.mark.parametrize("name", ["branin", "hartmann3", "hartmann6"])
def test_curves_end_at_the_function_and_fool_early_stopping(name):
    mf, single = load(f"{name}-mf"), load(name)
    assert mf.fidelities == list(range(1, 82)) and mf.fidelity_name == "epoch"
    rng = np.random.default_rng(1)
    configs = [sample_config(mf.config_space, rng) for _ in range(400)]
    final = np.array([mf.evaluate(c)["loss"] for c in configs])
    assert final == pytest.approx([single.evaluate(c)["loss"] for c in configs])
    early = np.array([mf.evaluate(c, fidelity=1)["loss"] for c in configs])
    # the 10 configs that end best are not the 10 best after one epoch
    best_final = set(np.argsort(final)[:10].tolist())
    best_early = set(np.argsort(early)[:10].tolist())
    assert len(best_final & best_early) <= 6
    # curves go down to their final value
    curve = [mf.evaluate(configs[0], fidelity=t)["loss"] for t in (1, 9, 27, 81)]
    assert curve == sorted(curve, reverse=True)
    # time: 10 to 30 s per epoch, depending on the config
    per_epoch = [mf.evaluate(c, fidelity=3)["time"] / 3 for c in configs]
    assert min(per_epoch) >= 10 and max(per_epoch) <= 30 and max(per_epoch) > 2 * min(per_epoch)


def test_mf_options():
    bb = load("branin-mf", max_epochs=9, time_per_step=0.5)
    assert bb.max_fidelity == 9
    config = {"x1": 1.0, "x2": 2.0}
    assert bb.evaluate(config, fidelity=4)["time"] == 2.0
    assert bb.evaluate(config)["loss"] == pytest.approx(branin(1.0, 2.0))
    with pytest.raises(ValueError, match="max_epochs"):
        load("branin-mf", max_epochs=0)


def test_function_blackbox_of_your_own():
    def fn(config, fidelity, seed):
        return {"acc": config["x"] * fidelity + (seed or 0)}

    bb = FunctionBlackbox(
        fn,
        {"x": uniform(0, 1)},
        metrics={"acc": "max"},
        fidelity_name="epoch",
        fidelities=[1, 2, 4],
        time_per_step=lambda config: 2.0,
        num_seeds=2,
    )
    assert bb.mode == "max" and bb.metrics == {"acc": "max", "time": "min"}
    assert bb.evaluate({"x": 0.5}, fidelity=4, seed=1) == {"acc": 3.0, "time": 8.0}
    with pytest.raises(ValueError, match="it has \\[1, 2, 4\\]"):
        bb.evaluate({"x": 0.5}, fidelity=3)
    with pytest.raises(ValueError, match="time_per_step"):
        FunctionBlackbox(fn, {"x": uniform(0, 1)}, time_per_step=-1)
