import pytest

from tunesmith import GridSearcher, choice, finrange, loguniform, randint, uniform
from tunesmith.testing.searcher_contract import SearcherContract


class TestGridSearcherContract(SearcherContract):
    def make_searcher(self, config_space, *, random_seed, **kwargs):
        return GridSearcher(
            config_space, metric="loss", random_seed=random_seed, num_samples=3, **kwargs
        )


def _all(searcher):
    out = []
    while (config := searcher.suggest()) is not None:
        out.append(config)
    return out


def test_ordered_grid_is_the_full_product_last_key_fastest():
    space = {"a": randint(1, 2), "b": choice(["x", "y"]), "c": uniform(0, 1), "k": "const"}
    configs = _all(GridSearcher(space, num_samples=3, shuffle=False))
    assert [(c["a"], c["b"], c["c"]) for c in configs[:4]] == [
        (1, "x", 0.0),
        (1, "x", 0.5),
        (1, "x", 1.0),
        (1, "y", 0.0),
    ]
    assert len(configs) == 2 * 2 * 3
    assert all(c["k"] == "const" for c in configs)


def test_shuffled_grid_has_the_same_configs_in_a_seeded_order():
    space = {"a": randint(1, 4), "f": finrange(0.0, 1.0, 3)}
    ordered = _all(GridSearcher(space, shuffle=False))
    shuffled = _all(GridSearcher(space, random_seed=1))
    assert shuffled != ordered
    assert sorted(map(str, shuffled)) == sorted(map(str, ordered))
    assert _all(GridSearcher(space, random_seed=1)) == shuffled


def test_num_samples_per_name_and_log_spacing():
    space = {"lr": loguniform(1e-4, 1e-2), "x": uniform(0, 1)}
    configs = _all(GridSearcher(space, num_samples={"lr": 3, "x": 2}, shuffle=False))
    assert sorted({c["lr"] for c in configs}) == pytest.approx([1e-4, 1e-3, 1e-2])
    assert len(configs) == 6


def test_centred_grid_is_syne_tunes():
    # Syne Tune's GridSearcher: the centres (i + 0.5) / n of n equal bins of each numeric
    # domain's encoding, integer domains included (min(n, size) values, not every int)
    space = {
        "x": uniform(0, 1),
        "lr": loguniform(1e-4, 1),
        "a": randint(1, 100),
        "b": randint(1, 3),
        "c": choice(["p", "q"]),
        "f": finrange(0.0, 1.0, 3),
    }
    searcher = GridSearcher(space, num_samples={"x": 5, "lr": 2}, shuffle=False, centred=True)
    configs = _all(searcher)
    assert sorted({c["x"] for c in configs}) == pytest.approx([0.1, 0.3, 0.5, 0.7, 0.9])
    assert sorted({c["lr"] for c in configs}) == pytest.approx([1e-3, 1e-1])
    assert sorted({c["a"] for c in configs}) == [10, 30, 50, 70, 90]  # 10.5 rounds to even
    assert sorted({c["b"] for c in configs}) == [1, 2, 3]  # min(5, 3) bins: every int
    assert sorted({c["c"] for c in configs}) == ["p", "q"]
    assert sorted({c["f"] for c in configs}) == [0.0, 0.5, 1.0]
    assert len(configs) == searcher.size == 5 * 2 * 5 * 3 * 2 * 3
    # the default grid keeps both ends and every int
    assert GridSearcher(space, num_samples={"x": 5, "lr": 2}).size == 5 * 2 * 100 * 3 * 2 * 3


def test_points_to_evaluate_first_and_not_repeated():
    space = {"a": randint(1, 3)}
    configs = _all(GridSearcher(space, points_to_evaluate=[{"a": 3}], shuffle=False))
    assert [c["a"] for c in configs] == [3, 1, 2]


def test_bad_num_samples():
    with pytest.raises(ValueError, match="`num_samples` for 'x' must be an int >= 1, but got 0"):
        GridSearcher({"x": uniform(0, 1)}, num_samples=0)
    with pytest.raises(ValueError, match=r"`num_samples` has keys \['y'\] that are not"):
        GridSearcher({"x": uniform(0, 1)}, num_samples={"y": 3})


def test_too_big_to_shuffle():
    space = {f"x{i}": randint(0, 99) for i in range(5)}
    with pytest.raises(ValueError, match="too many to shuffle"):
        GridSearcher(space)
    assert GridSearcher(space, shuffle=False).suggest() is not None
