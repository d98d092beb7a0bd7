import doctest
import math

import pytest

from tunesmith import choice, randint, uniform
from tunesmith.schedulers import hyperband, rungs
from tunesmith.schedulers.rungs import (
    async_bracket_probabilities,
    geometric_rung_levels,
    linear_rung_levels,
    make_rung_spec,
    resolve_max_t,
    sync_hyperband_brackets,
)

# (grace_period, reduction_factor, max_t) -> rung levels, computed by hand:
# round(grace * eta**j) while < max_t
GEOMETRIC = [
    (1, 3, 10, [1, 3, 9]),
    (1, 3, 81, [1, 3, 9, 27]),  # 81 = max_t is not a rung
    (1, 3, 82, [1, 3, 9, 27, 81]),
    (1, 3, 200, [1, 3, 9, 27, 81]),
    (1, 2, 16, [1, 2, 4, 8]),
    (2, 3, 100, [2, 6, 18, 54]),
    (3, 2, 50, [3, 6, 12, 24, 48]),
    (1, 4, 64, [1, 4, 16]),
    (1, 2.5, 40, [1, 3, 6, 16, 39]),  # 2.5 -> 3, 6.25 -> 6, 15.625 -> 16, 39.06 -> 39
    (5, 3, 5, []),  # grace_period == max_t: every trial runs to max_t
    (1, 3, 1, []),
]


@pytest.mark.parametrize(("grace", "eta", "max_t", "levels"), GEOMETRIC)
def test_geometric_rung_levels(grace, eta, max_t, levels):
    assert geometric_rung_levels(grace, eta, max_t) == levels
    spec = make_rung_spec(max_t=max_t, grace_period=grace, reduction_factor=eta)
    assert list(spec.levels) == levels
    # promotion quantile q_j = r_j / r_{j+1}, max_t the last level (Syne Tune, AutoGluon)
    upper = [*levels[1:], max_t][: len(levels)]
    assert list(spec.quantiles) == list(zip(levels, upper, strict=True))
    eta_spec = make_rung_spec(
        max_t=max_t, grace_period=grace, reduction_factor=eta, quantiles="eta"
    )
    assert eta_spec.levels == spec.levels
    assert all(q == (1, eta) for q in eta_spec.quantiles)


@pytest.mark.parametrize(
    ("max_t", "quantiles"),
    [
        # max_t is not a power of eta: the top rung lets r_top / max_t go on
        (10, [(1, 3), (3, 9), (9, 10)]),
        (100, [(1, 3), (3, 9), (9, 27), (27, 81), (81, 100)]),
        # max_t is the next power of eta: every quantile is 1/eta, as before
        (27, [(1, 3), (3, 9), (9, 27)]),
        (81, [(1, 3), (3, 9), (9, 27), (27, 81)]),
    ],
)
def test_promotion_quantiles_are_ratios_of_successive_levels(max_t, quantiles):
    spec = make_rung_spec(max_t=max_t, grace_period=1, reduction_factor=3)
    assert list(spec.quantiles) == quantiles
    # the seeds' example: of 10 trials at rung 9 below max_t=10, 9 may go on (not 3)
    if max_t == 10:
        assert spec.top_count(2, 10) == 9
        assert make_rung_spec(max_t=10, quantiles="eta").top_count(2, 10) == 3


@pytest.mark.parametrize(
    ("grace", "increment", "max_t", "levels"),
    [(2, 3, 12, [2, 5, 8, 11]), (1, 1, 5, [1, 2, 3, 4]), (1, 10, 10, [1]), (4, 2, 4, [])],
)
def test_linear_rung_levels(grace, increment, max_t, levels):
    assert linear_rung_levels(grace, increment, max_t) == levels
    spec = make_rung_spec(max_t=max_t, grace_period=grace, rung_increment=increment)
    assert list(spec.levels) == levels
    # promotion quantile: ratio of successive levels (the last one against max_t)
    assert list(spec.quantiles) == list(
        zip(levels, [*levels[1:], max_t][: len(levels)], strict=True)
    )


def test_explicit_rung_levels_and_quantiles():
    spec = make_rung_spec(max_t=10, rung_levels=[1, 5, 10])  # a last level == max_t is dropped
    assert spec.levels == (1, 5)
    assert spec.quantiles == ((1, 5), (5, 10))
    assert spec.top_count(0, 10) == 2  # floor(10 * 1/5)
    assert spec.top_count(1, 5) == 2  # floor(5 * 1/2)


def test_top_count_is_exact():
    spec = make_rung_spec(max_t=10, grace_period=1, reduction_factor=3)
    assert [spec.top_count(0, n) for n in range(10)] == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3]


# Li et al. (2017), Table 1: R = 81, eta = 3; bracket s -> [(n_i, r_i)]
HYPERBAND_TABLE_1 = [
    [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)],
    [(34, 3), (11, 9), (3, 27), (1, 81)],
    [(15, 9), (5, 27), (1, 81)],
    [(8, 27), (2, 81)],
    [(5, 81)],
]


def test_sync_brackets_match_hyperband_paper_table():
    assert sync_hyperband_brackets(81, 1, 3) == HYPERBAND_TABLE_1


@pytest.mark.parametrize(
    ("max_t", "grace", "eta", "brackets", "table"),
    [
        # s_max = 2; n = ceil(3/(s+1) * 3**s); r_i = round(10 * 3**(i-s))
        (10, 1, 3, None, [[(9, 1), (3, 3), (1, 10)], [(5, 3), (1, 10)], [(3, 10)]]),
        (
            27,
            1,
            3,
            None,
            [
                [(27, 1), (9, 3), (3, 9), (1, 27)],
                [(12, 3), (4, 9), (1, 27)],
                [(6, 9), (2, 27)],
                [(4, 27)],
            ],
        ),
        (
            16,
            1,
            2,
            None,
            [
                [(16, 1), (8, 2), (4, 4), (2, 8), (1, 16)],
                [(10, 2), (5, 4), (2, 8), (1, 16)],
                [(7, 4), (3, 8), (1, 16)],
                [(5, 8), (2, 16)],
                [(5, 16)],
            ],
        ),
        (
            16,
            2,
            2,
            None,
            [
                [(8, 2), (4, 4), (2, 8), (1, 16)],
                [(6, 4), (3, 8), (1, 16)],
                [(4, 8), (2, 16)],
                [(4, 16)],
            ],
        ),
        (81, 1, 3, 1, [HYPERBAND_TABLE_1[0]]),  # successive halving
        (81, 1, 3, 2, HYPERBAND_TABLE_1[:2]),
        (2, 1, 3, None, [[(1, 2)]]),  # max_t < eta: one bracket, full budget
    ],
)
def test_sync_bracket_tables(max_t, grace, eta, brackets, table):
    assert sync_hyperband_brackets(max_t, grace, eta, brackets) == table


def test_async_bracket_probabilities_are_syne_tunes_default():
    # Syne Tune's DefaultHyperbandBracketDistribution (and AutoGluon's bracket sampling):
    # p_b proportional to (s_max + 1) / ((s + 1) * r_b), levels r = rung levels + [max_t].
    # Syne Tune's tutorial example: rungs 1, 3, 9, 27, 81 and max_t 200, 6 brackets; weights
    # 6/6, 6/(5*3), 6/(4*9), 6/(3*27), 6/(2*81), 6/200, i.e. 2700 : 1080 : 450 : 200 : 100 : 81
    spec = make_rung_spec(max_t=200, grace_period=1, reduction_factor=3)
    probs = async_bracket_probabilities(spec, 6)
    assert [round(p * 4611, 9) for p in probs] == [2700, 1080, 450, 200, 100, 81]
    assert [round(p, 4) for p in probs] == [0.5856, 0.2342, 0.0976, 0.0434, 0.0217, 0.0176]
    spec = make_rung_spec(max_t=10, grace_period=1, reduction_factor=3)
    assert async_bracket_probabilities(spec, 1) == [1.0]
    # 4/4, 4/(3*3), 4/(2*9): as synchronous Hyperband's 27 : 12 : 6 while the levels are powers
    assert [round(p * 45, 9) for p in async_bracket_probabilities(spec, 3)] == [27, 12, 6]
    # the bracket starting at max_t = 10 (not 27): 4/10, so 45 : 20 : 10 : 18
    assert [round(p * 93, 9) for p in async_bracket_probabilities(spec, 4)] == [45, 20, 10, 18]
    # explicit levels: 3/(3*2), 3/(2*5), 3/(1*20)
    spec = make_rung_spec(max_t=20, rung_levels=[2, 5])
    assert [round(p * 19, 9) for p in async_bracket_probabilities(spec, 3)] == [10, 6, 3]


def test_softmax_bracket_distribution():
    spec = make_rung_spec(max_t=81, grace_period=1, reduction_factor=3)
    probs = async_bracket_probabilities(spec, 3, "softmax")
    total = 1 + math.exp(-1) + math.exp(-2)
    assert probs == pytest.approx([1 / total, math.exp(-1) / total, math.exp(-2) / total])
    with pytest.raises(ValueError, match=r"`bracket_distribution` must be one of"):
        async_bracket_probabilities(spec, 3, "uniform")


@pytest.mark.parametrize(
    ("space", "kwargs", "max_t"),
    [
        ({"x": uniform(0, 1), "epochs": 10}, {}, 10),
        ({"x": uniform(0, 1), "max_t": 5}, {}, 5),
        ({"x": uniform(0, 1), "max_epochs": randint(1, 20)}, {}, 20),
        ({"x": uniform(0, 1), "epochs": choice([5, 50, 20])}, {}, 50),
        ({"x": uniform(0, 1), "budget": 27}, {"max_resource_attr": "budget"}, 27),
        ({"x": uniform(0, 1), "epochs": 10}, {"max_t": 3}, 3),  # max_t wins
    ],
)
def test_resolve_max_t(space, kwargs, max_t):
    assert resolve_max_t(space, **kwargs) == max_t


@pytest.mark.parametrize(
    ("space", "kwargs", "message"),
    [
        ({"x": uniform(0, 1)}, {}, r"the maximum resource max_t is unknown: pass `max_t`"),
        ({"epochs": uniform(1, 10)}, {}, r"config_space\['epochs'\] is uniform.*continuous"),
        ({"epochs": "ten"}, {}, r"config_space\['epochs'\] = 'ten' cannot be the maximum"),
        ({"epochs": 0}, {}, r"`config_space\['epochs'\]` must be an int >= 1"),
        ({"x": 1}, {"max_resource_attr": "y"}, r"`max_resource_attr` must name an entry"),
        ({}, {"max_t": 0}, r"`max_t` must be an int >= 1, but got max_t=0"),
        ({}, {"max_t": 2.5}, r"`max_t` must be an int >= 1, but got max_t=2.5"),
    ],
)
def test_resolve_max_t_errors(space, kwargs, message):
    with pytest.raises(ValueError, match=message):
        resolve_max_t(space, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"grace_period": 0}, r"`grace_period` must be an int >= 1, but got grace_period=0"),
        ({"grace_period": 1.5}, r"`grace_period` must be an int >= 1, but got grace_period=1.5"),
        ({"reduction_factor": 1.5}, r"`reduction_factor` must be a number >= 2.*=1.5"),
        ({"reduction_factor": "3"}, r"`reduction_factor` must be a number >= 2.*='3'"),
        (
            {"grace_period": 20},
            r"`max_t` must be >= `grace_period`, but got max_t=10, grace_period=20",
        ),
        ({"rung_increment": 0}, r"`rung_increment` must be an int >= 1, but got rung_increment=0"),
        ({"rung_levels": [3, 2]}, r"`rung_levels` must be strictly increasing.*\[3, 2\]"),
        ({"rung_levels": [1, 1]}, r"`rung_levels` must be strictly increasing"),
        ({"rung_levels": [1, 11]}, r"`rung_levels` must all be < max_t=10"),
        ({"rung_levels": [0, 2]}, r"`rung_levels` must hold positive ints.*rung_levels\[0\]=0"),
        ({"rung_levels": []}, r"`rung_levels` must not be empty"),
        ({"rung_levels": [1], "rung_increment": 2}, r"either `rung_levels` or `rung_increment`"),
        ({"quantiles": "half"}, r"`rung_quantiles` must be one of \['ratio', 'eta'\]"),
    ],
)
def test_rung_spec_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_rung_spec(max_t=10, **kwargs)


def test_rung_levels_must_be_a_list():
    with pytest.raises(TypeError, match="`rung_levels` must be a list of ints"):
        make_rung_spec(max_t=10, rung_levels="1,3")


@pytest.mark.parametrize("brackets", [0, 5, 1.0])
def test_bad_async_brackets(brackets):
    spec = make_rung_spec(max_t=10)
    with pytest.raises(ValueError, match=r"`brackets` must be an int in \[1, 4\]"):
        async_bracket_probabilities(spec, brackets)


def test_bad_sync_brackets():
    with pytest.raises(ValueError, match=r"`brackets` must be an int in \[1, 5\].*brackets=6"):
        sync_hyperband_brackets(81, 1, 3, 6)


@pytest.mark.parametrize("module", [rungs, hyperband])
def test_docstring_examples_run(module):
    assert doctest.testmod(module).failed == 0
