"""One-sided Mann-Whitney tests of anytime values (tunesmith bench table --versus)."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from tunesmith.cli import main
from tunesmith.experiments import run_experiments
from tunesmith.experiments.compare import Comparison, Curve, anytime_tests, iqm, rank_table


def _curve(method, per_seed):
    per_seed = np.asarray(per_seed, dtype=float)
    times = np.linspace(0.0, 1.0, per_seed.shape[1])
    center = iqm(per_seed)
    return Curve(method, list(range(len(per_seed))), times, per_seed, center, center, center)


def _comparison(curves_by_benchmark):
    out = Comparison(
        sorted(curves_by_benchmark), sorted({m for c in curves_by_benchmark.values() for m in c})
    )
    for benchmark, curves in curves_by_benchmark.items():
        out.budgets[benchmark] = 1.0
        out.normalized[benchmark] = True
        out.curves[benchmark] = {m: _curve(m, rows) for m, rows in curves.items()}
    return out


def test_the_p_value_is_that_of_the_exact_one_sided_test():
    # every anytime value of A is below every one of B: 1 of the C(6, 3) = 20 orders
    comparison = _comparison(
        {
            "t": {
                "A": [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]],
                "B": [[3.0, 3.0], [4.0, 4.0], [5.0, 5.0]],
            }
        }
    )
    assert anytime_tests(comparison, "B") == {"t": {"A": pytest.approx(1 / 20)}}
    assert anytime_tests(comparison, "A") == {"t": {"B": pytest.approx(1.0)}}


def test_a_seed_is_tested_by_the_mean_of_its_curve():
    # A's curves end lower but are higher on average over the budget: A is behind
    a = [[1.0, 1.0, 1.0, 0.0]] * 4  # anytime 0.75
    b = [[0.5, 0.5, 0.5, 0.5]] * 4  # anytime 0.5
    comparison = _comparison({"t": {"A": a, "B": b}})
    assert anytime_tests(comparison, "B")["t"]["A"] > 0.9


def test_the_table_carries_the_tests_and_the_seed_counts():
    rng = np.random.default_rng(0)
    comparison = _comparison(
        {
            "t1": {"A": rng.uniform(0, 1, (8, 5)), "B": rng.uniform(1, 2, (6, 5))},
            "t2": {"A": rng.uniform(0, 1, (8, 5))},  # no B: not tested
        }
    )
    table = rank_table(comparison, [1.0], versus="B")
    assert table["anytime"]["versus"] == "B"
    assert set(table["anytime"]["p_lower"]) == {"t1"}
    assert table["anytime"]["p_lower"]["t1"]["A"] < 0.01
    assert table["anytime"]["seeds"] == {"t1": {"A": 8, "B": 6}, "t2": {"A": 8}}
    assert "p_lower" not in rank_table(comparison, [1.0])["anytime"]
    per_seed = table["anytime"]["per_seed"]
    assert set(per_seed) == {"t1", "t2"} and set(per_seed["t1"]) == {"A", "B"}
    a = comparison.curves["t1"]["A"]
    assert per_seed["t1"]["A"]["seeds"] == list(range(8))
    assert per_seed["t1"]["A"]["anytime"] == pytest.approx(a.per_seed.mean(axis=1).tolist())
    assert per_seed["t1"]["A"]["at"]["1.0"] == pytest.approx(a.per_seed[:, -1].tolist())
    # the IQM of the values per seed is the table's value at that fraction
    assert iqm(np.array(per_seed["t1"]["B"]["at"]["1.0"])) == pytest.approx(
        table["values"]["1.0"]["t1"]["B"]
    )
    with pytest.raises(
        ValueError, match=r"method 'C' to test against; the methods are \['A', 'B'\]"
    ):
        anytime_tests(comparison, "C")


def test_bench_table_versus(tmp_path):
    storage = f"sqlite:///{tmp_path / 'bench.db'}"
    run_experiments(
        ["RandomSearch", "ASHA"],
        ["branin-mf"],
        [0, 1, 2],
        budget=None,
        n_workers=2,
        storage=storage,
        processes=1,
        max_trials=4,
    )
    runner = CliRunner()
    args = ["bench", "table", "--storage", storage, "--versus", "RandomSearch"]
    out = runner.invoke(main, [*args, "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    p = data["anytime"]["p_lower"]["branin-mf"]["ASHA"]
    assert 0.0 < p <= 1.0
    assert data["anytime"]["seeds"]["branin-mf"] == {"ASHA": 3, "RandomSearch": 3}
    asha = data["anytime"]["per_seed"]["branin-mf"]["ASHA"]
    assert asha["seeds"] == [0, 1, 2] and len(asha["anytime"]) == 3
    assert set(asha["at"]) == {"0.25", "0.5", "1.0"}
    out = runner.invoke(main, args, env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    assert "one-sided Mann-Whitney p" in out.output
    assert f"{p:.3g} (3/3)" in out.output
    out = runner.invoke(main, ["bench", "table", "--storage", storage, "--versus", "Nope"])
    assert out.exit_code == 2
    assert "Error: no benchmark has results of the method 'Nope'" in out.output
