import json
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tunesmith import space as sp
from tunesmith.space import (
    choice,
    config_errors,
    default_config,
    finrange,
    grid,
    grid_size,
    logfinrange,
    lograndint,
    loguniform,
    ordinal,
    randint,
    reverseloguniform,
    sample_config,
    space_from_json,
    space_to_json,
    uniform,
    validate_config,
)

# -- strategies ----------------------------------------------------------------------------

finite_floats = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
positive_floats = st.floats(min_value=1e-6, max_value=1e6)
category = st.one_of(
    st.text(max_size=5), st.integers(-1000, 1000), st.booleans(), st.none(), finite_floats
)


@st.composite
def float_bounds(draw, positive=False):
    base = positive_floats if positive else finite_floats
    lower = draw(base)
    upper = draw(base.filter(lambda u: u > lower * 1.001 + 1e-9 and u - lower > 1e-6))
    return lower, upper


@st.composite
def int_bounds(draw, positive=False):
    lower = draw(st.integers(1 if positive else -1000, 1000))
    return lower, draw(st.integers(lower + 1, lower + 5000))


def _distinct(values):
    out = []
    for v in values:
        if v not in out:
            out.append(v)
    return out


@st.composite
def below_one_bounds(draw):
    lower = draw(st.floats(min_value=0.0, max_value=0.999))
    upper = draw(st.floats(min_value=lower + 1e-6, max_value=0.999999))
    return lower, upper


categories = st.lists(category, min_size=1, max_size=6).map(_distinct)

domains = st.one_of(
    float_bounds().map(lambda b: uniform(*b)),
    float_bounds(positive=True).map(lambda b: loguniform(*b)),
    below_one_bounds().map(lambda b: reverseloguniform(*b)),
    int_bounds().map(lambda b: randint(*b)),
    int_bounds(positive=True).map(lambda b: lograndint(*b)),
    categories.map(choice),
    categories.map(ordinal),
    st.tuples(float_bounds(), st.integers(2, 20)).map(lambda a: finrange(*a[0], a[1])),
    st.tuples(float_bounds(positive=True), st.integers(2, 20)).map(
        lambda a: logfinrange(*a[0], a[1])
    ),
)
constants = st.one_of(st.integers(), st.text(max_size=8), st.booleans(), finite_floats)
spaces = st.dictionaries(
    st.text(min_size=1, max_size=6), st.one_of(domains, domains, constants), max_size=6
)

# -- properties ----------------------------------------------------------------------------


@given(domains, st.integers(0, 2**32 - 1))
def test_samples_are_valid_and_of_the_cast_type(domain, seed):
    rng = np.random.default_rng(seed)
    for value in [domain.sample(rng), *domain.sample(rng, size=5)]:
        assert domain.is_valid(value)
        assert domain.cast(value) == value
        assert type(domain.cast(value)) is type(value)


@given(domains, st.integers(0, 2**32 - 1))
def test_encode_decode_round_trip(domain, seed):
    value = domain.sample(np.random.default_rng(seed))
    x = domain.encode(value)
    assert len(x) == domain.dim
    assert all(0.0 <= v <= 1.0 for v in x)
    decoded = domain.decode(x)
    if isinstance(domain, sp.Float):
        assert decoded == pytest.approx(value, rel=1e-9, abs=1e-9)
    else:
        assert decoded == value


@given(domains, st.lists(st.floats(0, 1), min_size=1, max_size=20))
def test_decode_of_any_unit_vector_is_valid(domain, xs):
    x = (xs * domain.dim)[: domain.dim]
    assert domain.is_valid(domain.decode(x))


@given(spaces)
def test_space_json_round_trip(space):
    text = space_to_json(space)
    again = space_from_json(text)
    assert again == space
    assert space_from_json(json.loads(text)) == space


@given(spaces, st.integers(0, 2**32 - 1))
def test_sampled_and_default_configs_validate(space, seed):
    config = sample_config(space, np.random.default_rng(seed))
    assert config_errors(space, config) == []
    assert validate_config(space, config) == config
    assert config_errors(space, default_config(space)) == []
    json.dumps(config)  # configs hold plain JSON types


@settings(max_examples=30)
@given(spaces, st.booleans())
def test_grid_size_matches_grid(space, centred):
    n = grid_size(space, num_samples=2, centred=centred)
    if n <= 2000:
        configs = list(grid(space, num_samples=2, centred=centred))
        assert len(configs) == n
        assert all(config_errors(space, c) == [] for c in configs)


# -- examples ------------------------------------------------------------------------------


def test_defaults_follow_the_midpoint_heuristic():
    space = {
        "u": uniform(0, 10),
        "lu": loguniform(1e-4, 1),
        "i": randint(0, 10),
        "o": ordinal(["s", "m", "l"]),
        "c": choice(["b", "a"]),
        "f": finrange(0.0, 1.0, 5),
        "k": "const",
    }
    assert default_config(space) == {
        "u": 5.0,
        "lu": pytest.approx(1e-2),
        "i": 5,
        "o": "m",
        "c": "b",
        "f": 0.5,
        "k": "const",
    }


@given(int_bounds(positive=True))
def test_lograndint_default_is_the_int_nearest_the_geometric_middle(bounds):
    lower, upper = bounds
    nearest = round(math.exp(0.5 * (math.log(lower) + math.log(upper))))  # as Syne Tune rounds
    assert lograndint(lower, upper).default() == min(max(nearest, lower), upper)


def test_partial_configs_are_completed_at_the_seeds_midpoints():
    # Syne Tune's points_to_evaluate test space: missing values take the middle of the range,
    # on the log scale for log domains (the int nearest it for integers), the first category
    space = {
        "int": randint(1, 5),
        "logint": lograndint(3, 15),
        "float": uniform(5.5, 6.5),
        "logfloat": loguniform(7.5, 8.5),
        "categorical": choice(["a", "b", "c"]),
        "finrange": finrange(0.1, 0.9, 9),
        "logfinrange": logfinrange(1.0, math.exp(6.0), 7),
    }
    assert default_config(space) == {
        "int": 3,
        "logint": 7,  # round(sqrt(45)) = round(6.71); not 6 = round(sqrt(2.5 * 15.5))
        "float": 6.0,
        "logfloat": pytest.approx(math.sqrt(7.5 * 8.5)),
        "categorical": "a",
        "finrange": 0.5,
        "logfinrange": pytest.approx(math.exp(3.0)),
    }
    completed = sp.complete_config(space, {"float": 5.75, "categorical": "b"})
    assert completed == {**default_config(space), "float": 5.75, "categorical": "b"}
    assert lograndint(16, 1024).default() == 128  # docs/spaces.md's example, sqrt(16 * 1024)
    assert lograndint(4, 1024).default() == 64


def test_centred_grid_values_and_sizes():
    assert uniform(0, 1).grid(5) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert uniform(0, 1).grid(5, centred=True) == pytest.approx([0.1, 0.3, 0.5, 0.7, 0.9])
    assert uniform(0, 1).grid(1, centred=True) == [0.5]
    assert randint(0, 9).grid(2, centred=True) == [2, 7]  # centres 2.0 and 7.0 of [-0.5, 9.5]
    assert randint(0, 9).grid(2) == list(range(10))
    assert ordinal(["s", "m", "l"]).grid(1, centred=True) == ["s", "m", "l"]
    space = {"x": uniform(0, 1), "n": randint(1, 50), "c": choice(["a", "b"])}
    assert grid_size(space, num_samples=4) == 4 * 50 * 2
    assert grid_size(space, num_samples=4, centred=True) == 4 * 4 * 2
    assert len(list(grid(space, num_samples=4, centred=True))) == 32


def test_finrange_values_and_cast_int():
    assert finrange(0.5, 1.5, 3).values == [0.5, 1.0, 1.5]
    assert logfinrange(8, 256, 6, cast_int=True).values == [8, 16, 32, 64, 128, 256]
    assert logfinrange(8, 256, 6).values == [8.0, 16.0, 32.0, 64.0, 128.0, 256.0]
    assert finrange(0.1, 1.0, 10).values[2] == 0.3
    assert finrange(0.1, 1.0, 10).is_valid(0.30000000000000004)  # round-off tolerated
    assert not finrange(0.1, 1.0, 10).is_valid(0.35)


@given(bounds=float_bounds(), size=st.integers(2, 60))
@settings(max_examples=200, deadline=None)
def test_finrange_values_are_numpy_linspace_to_12_digits(bounds, size):
    lower, upper = bounds
    assert finrange(lower, upper, size).values == [
        float(f"{v:.12g}") for v in np.linspace(lower, upper, size).tolist()
    ]


@given(bounds=float_bounds(positive=True), size=st.integers(2, 60))
@settings(max_examples=200, deadline=None)
def test_logfinrange_values_are_numpy_geomspace_to_12_digits(bounds, size):
    lower, upper = bounds
    raw = np.exp(np.linspace(math.log(lower), math.log(upper), size))
    raw[0], raw[-1] = lower, upper
    assert logfinrange(lower, upper, size).values == [float(f"{v:.12g}") for v in raw.tolist()]


def test_lograndint_covers_both_ends_about_evenly_in_log_space():
    values = lograndint(1, 4).sample(np.random.default_rng(0), size=20000)
    counts = np.bincount(values)[1:]
    assert counts.min() > 0
    # log(1.5/0.5) vs log(4.5/3.5): 1 is drawn about 4.4x as often as 4
    assert counts[0] / counts[3] == pytest.approx(math.log(3) / math.log(4.5 / 3.5), rel=0.1)


def test_cast_from_strings_as_read_from_a_command_line():
    assert randint(0, 9).cast("3") == 3
    assert uniform(0, 1).cast("0.25") == 0.25
    assert choice([1, 2, 3]).cast("2") == 2
    assert choice([True, False]).cast("false") is False
    assert ordinal(["a", "b"]).cast("b") == "b"
    with pytest.raises(ValueError, match=r"'z' is not one of \['a', 'b'\]"):
        choice(["a", "b"]).cast("z")


def test_config_errors_name_every_bad_key():
    space = {"x": uniform(0, 1), "n": randint(1, 3), "k": 7}
    errors = config_errors(space, {"x": 2.0, "k": 8, "extra": 1})
    assert errors == [
        "'x'=2.0 is invalid: must be a real number in [0, 1]",
        "'n' is missing",
        "'k'=8 differs from the space's constant 7",
        "'extra' is not in the config space (keys: ['k', 'n', 'x'])",
    ]
    with pytest.raises(ValueError, match="invalid config: 'x'=2.0 is invalid"):
        validate_config(space, {"x": 2.0, "n": 1, "k": 7})
    assert config_errors(space, [1, 2]) == ["a config must be a dict, but got list: [1, 2]"]


def test_integer_domains_reject_fractions_and_bools():
    assert not randint(0, 5).is_valid(2.5)
    assert not randint(0, 5).is_valid(True)
    assert randint(0, 5).is_valid(2.0)
    assert not uniform(0, 1).is_valid("0.5")


def test_choice_is_one_hot_and_ordinal_is_one_number():
    c = choice(["a", "b", "c"])
    assert c.encode("b") == [0.0, 1.0, 0.0]
    assert c.decode([0.1, 0.2, 0.9]) == "c"
    o = ordinal(["a", "b", "c", "d"])
    assert o.encode("a") == [0.125] and o.encode("d") == [0.875]
    assert o.decode([0.3]) == "b"


def test_reverseloguniform_is_log_uniform_in_one_minus_x():
    d = reverseloguniform(0.9, 0.9999)
    assert d.value_at(0.0) == pytest.approx(0.9) and d.value_at(1.0) == pytest.approx(0.9999)
    # each decade of 1 - x gets a third of the mass: 0.99 and 0.999 at the thirds
    assert d.value_at(1 / 3) == pytest.approx(0.99) and d.value_at(2 / 3) == pytest.approx(0.999)
    assert d.encode(0.99) == [pytest.approx(1 / 3)]
    assert d.default() == pytest.approx(1 - math.sqrt(0.1 * 0.0001))
    values = np.asarray(d.sample(np.random.default_rng(0), size=3000))
    counts = np.histogram(-np.log10(1 - values), bins=[1, 2, 3, 4])[0]
    assert counts.min() > 900  # about 1000 in each decade
    assert d.to_dict() == {"type": "reverseloguniform", "lower": 0.9, "upper": 0.9999}
    assert space_from_json(space_to_json({"beta": d})) == {"beta": d}
    assert d != sp.uniform(0.9, 0.9999) and d.describe().endswith("log-scale in 1 - x")


# -- bad input -----------------------------------------------------------------------------

BAD = [
    (lambda: uniform(1, 1), ValueError, r"uniform: `lower < upper` must hold, but got \(lower=1"),
    (lambda: uniform(5, 1), ValueError, r"but got \(lower=5, upper=1\)"),
    (lambda: loguniform(0, 1), ValueError, "loguniform: a log domain needs `lower > 0`, but got"),
    (lambda: lograndint(-1, 5), ValueError, "lograndint: a log domain needs `lower > 0`"),
    (lambda: logfinrange(0.0, 1.0, 3), ValueError, "logfinrange: a log domain needs `lower > 0`"),
    (
        lambda: reverseloguniform(0.9, 1.0),
        ValueError,
        r"reverseloguniform: `0 <= lower < upper < 1` must hold, but got \(lower=0.9, upper=1.0\)",
    ),
    (lambda: reverseloguniform(-0.5, 0.5), ValueError, r"but got \(lower=-0.5, upper=0.5\)"),
    (lambda: reverseloguniform(0.99, 0.9), ValueError, "reverseloguniform: `lower < upper`"),
    (lambda: randint(0.5, 3), TypeError, r"randint: `lower` must be an int, but got lower=0.5"),
    (lambda: randint(0, 3.0), TypeError, r"randint: `upper` must be an int, but got upper=3.0"),
    (lambda: uniform(0, float("inf")), TypeError, "`upper` must be a finite number"),
    (lambda: uniform("a", 1), TypeError, "uniform: `lower` must be a finite number"),
    (
        lambda: choice([]),
        ValueError,
        r"choice: `categories` must not be empty, but got categories=\[\]",
    ),
    (lambda: choice(["a", "b", "a"]), ValueError, "choice: categories must be distinct, but 'a'"),
    (lambda: ordinal([1, 1.0]), ValueError, "ordinal: categories must be distinct, but 1.0 equals"),
    (lambda: choice("abc"), TypeError, "choice: `categories` must be a list, but got"),
    (lambda: choice([object]), TypeError, "every category must be JSON-serializable"),
    (lambda: choice([(1, 2)]), TypeError, r"but got \(1, 2\) \(tuple\)"),
    (lambda: choice([float("nan")]), ValueError, "categories must be finite"),
    (lambda: finrange(0, 1, 1), ValueError, "finrange: `size` must be an int >= 2, but got size=1"),
    (lambda: finrange(0, 1, 2.5), ValueError, "`size` must be an int >= 2, but got size=2.5"),
    (
        lambda: finrange(0, 2, 10, cast_int=True),
        ValueError,
        "cast_int=True maps several of the 10 values to the same integer",
    ),
    (lambda: space_to_json([uniform(0, 1)]), TypeError, "config_space must be a dict of"),
    (lambda: space_to_json({1: uniform(0, 1)}), TypeError, "keys must be non-empty strings"),
    (lambda: space_to_json({"f": print}), TypeError, r"config_space\['f'\] must be a domain"),
    (lambda: sp.domain_from_dict({"type": "gauss"}), ValueError, "unknown domain type 'gauss'"),
    (
        lambda: sp.complete_config({"x": uniform(0, 1)}, {"y": 1}),
        ValueError,
        r"unknown keys \['y'\]",
    ),
]


@pytest.mark.parametrize(("make", "error", "message"), BAD)
def test_bad_input_is_refused_with_a_clear_message(make, error, message):
    with pytest.raises(error, match=message):
        make()


# -- NaN constants (a study whose space held one could never be resumed) ------------------

NAN = float("nan")
json_leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=4), finite_floats)
json_values = st.recursive(
    json_leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)


def _around(inner):
    """``inner`` placed somewhere inside a list or a dict of other JSON values."""
    return st.one_of(
        st.tuples(st.lists(json_values, max_size=2), inner, st.lists(json_values, max_size=2)).map(
            lambda t: [*t[0], t[1], *t[2]]
        ),
        st.tuples(
            st.dictionaries(st.text(max_size=3), json_values, max_size=2),
            st.text(max_size=3),
            inner,
        ).map(lambda t: {**t[0], t[1]: t[2]}),
    )


nan_constants = st.recursive(st.sampled_from([NAN, np.float64("nan")]), _around, max_leaves=5)


@given(nan_constants, st.text(min_size=1, max_size=6))
def test_nan_constants_are_refused_wherever_they_hide(constant, key):
    space = {key: constant, "x_hp": uniform(0, 1)} if key != "x_hp" else {key: constant}
    with pytest.raises(ValueError, match=rf"config_space\[{re.escape(repr(key))}\].* NaN"):
        sp.check_space(space)
    with pytest.raises(ValueError, match="must not be NaN"):
        space_to_json(space)


@given(json_values)
def test_nested_constants_without_nan_round_trip(constant):
    space = {"c": constant, "x": uniform(0, 1)}
    assert sp.check_space(space) == space
    assert space_from_json(space_to_json(space)) == space


@pytest.mark.parametrize(
    ("constant", "where"),
    [
        (NAN, r"config_space\['c'\] must not be NaN"),
        ([1, NAN], r"config_space\['c'\]\[1\] must not be NaN"),
        ({"betas": [0.9, NAN]}, r"config_space\['c'\]\['betas'\]\[1\] must not be NaN"),
        ({NAN: 1}, r"config_space\['c'\] \(a key\) must not be NaN"),
        ((0.1, np.float64("nan")), r"config_space\['c'\]\[1\] must not be NaN"),
    ],
)
def test_nan_constant_error_names_the_key_and_the_place(constant, where):
    with pytest.raises(ValueError, match=where + ".*got 'c'="):
        sp.check_space({"c": constant})


def test_nan_constant_is_refused_by_searchers_before_any_trial():
    from tunesmith import RandomSearch

    with pytest.raises(ValueError, match=r"config_space\['epochs'\] must not be NaN"):
        RandomSearch({"x": uniform(0, 1), "epochs": NAN}, metric="loss")


@pytest.mark.parametrize(
    "make",
    [
        lambda: uniform(NAN, 1),
        lambda: loguniform(1e-3, NAN),
        lambda: finrange(NAN, 1, 3),
        lambda: choice([1.0, NAN]),
        lambda: ordinal([np.float64("nan")]),
    ],
)
def test_nan_domain_bounds_and_categories_are_refused(make):
    with pytest.raises((TypeError, ValueError), match="finite"):
        make()


# -- grid values of continuous domains: de-duplicated in linear time, same as the naive way -------


def _naive_grid(domain, n):
    """The reference: every decoded value, keeping the first of equal ones (quadratic)."""
    if n == 1:
        return [domain.default()]
    out = []
    for i in range(n):
        value = domain.decode([i / (n - 1)])
        if value not in out:
            out.append(value)
    return out


@st.composite
def narrow_float_domains(draw):
    """Float domains, some so narrow that many grid points decode to the same float."""
    log = draw(st.booleans())
    lower = draw(st.floats(1e-3, 1e3) if log else finite_floats)
    ulps = draw(st.integers(1, 40))
    upper = lower
    for _ in range(ulps):
        upper = math.nextafter(upper, math.inf)
    if draw(st.booleans()):  # or an ordinary width
        upper = lower + draw(st.floats(1e-3, 1e3))
    return loguniform(lower, upper) if log else uniform(lower, upper)


@settings(max_examples=60)
@given(narrow_float_domains(), st.integers(1, 300))
def test_float_grid_equals_the_naive_deduplication(domain, n):
    values = domain.grid(n)
    assert values == _naive_grid(domain, n)
    assert len(values) == len(set(values)) <= n


def test_narrow_domain_grid_has_only_its_distinct_floats():
    lower = 1.0
    upper = math.nextafter(math.nextafter(lower, 2.0), 2.0)  # three floats in [lower, upper]
    values = uniform(lower, upper).grid(1000)
    assert values == [lower, math.nextafter(lower, 2.0), upper]


def test_sample_without_a_generator_draws_from_numpys_global_state():
    """``domain.sample()`` with no generator uses numpy's global random state (Syne Tune's
    domains draw so, and its examples seed it with ``np.random.seed``)."""
    import numpy as np

    from tunesmith import choice, randint, uniform

    for domain in (randint(0, 20), uniform(-1, 1), choice(["a", "b", "c"])):
        np.random.seed(7)
        first = [domain.sample(), domain.sample(size=3)]
        np.random.seed(7)
        assert [domain.sample(), domain.sample(size=3)] == first
        assert domain.is_valid(first[0]) and len(first[1]) == 3
