import numpy as np
import pytest

from tunesmith import RandomSearcher, choice, randint, uniform
from tunesmith.testing.searcher_contract import SearcherContract


class TestRandomSearcherContract(SearcherContract):
    def make_searcher(self, config_space, *, random_seed, **kwargs):
        return RandomSearcher(config_space, metric="loss", random_seed=random_seed, **kwargs)


def test_allow_duplicates_repeats_and_never_exhausts():
    searcher = RandomSearcher({"a": randint(0, 1)}, random_seed=0, allow_duplicates=True)
    values = [searcher.suggest()["a"] for _ in range(50)]
    assert sorted(set(values)) == [0, 1]


def test_enumerates_the_rest_of_a_nearly_exhausted_space():
    # 1 + 1,000 configs; rejection sampling stalls at the end, enumeration finishes the job
    searcher = RandomSearcher({"a": randint(0, 999)}, random_seed=0, max_retries=3)
    seen = {searcher.suggest()["a"] for _ in range(1000)}
    assert seen == set(range(1000))
    assert searcher.suggest() is None


def test_space_of_constants_has_one_config():
    searcher = RandomSearcher({"epochs": 3}, random_seed=0)
    assert searcher.suggest() == {"epochs": 3}
    assert searcher.suggest() is None


def test_sampling_is_uniform_over_categories():
    searcher = RandomSearcher({"c": choice(list("abcd")), "x": uniform(0, 1)}, random_seed=0)
    counts = {}
    for _ in range(4000):
        c = searcher.suggest()["c"]
        counts[c] = counts.get(c, 0) + 1
    assert all(900 < n < 1100 for n in counts.values())


def test_unseeded_searcher_draws_and_keeps_a_seed():
    a, b = RandomSearcher({"x": uniform(0, 1)}), RandomSearcher({"x": uniform(0, 1)})
    assert isinstance(a.random_seed, int)
    assert a.random_seed != b.random_seed
    replay = RandomSearcher({"x": uniform(0, 1)}, random_seed=a.random_seed)
    assert replay.suggest() == a.suggest()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"random_seed": -1}, ValueError, "`random_seed` must be >= 0, but got random_seed=-1"),
        ({"random_seed": 1.5}, TypeError, "`random_seed` must be an int or None, but got 1.5"),
        ({"random_seed": True}, TypeError, "`random_seed` must be an int or None, but got True"),
        ({"mode": "maximize"}, ValueError, "`mode` must be 'min' or 'max', but got mode='max"),
        ({"max_retries": 0}, ValueError, "`max_retries` must be an int >= 1, but got 0"),
        (
            {"points_to_evaluate": {"x": 0.5}},
            TypeError,
            "`points_to_evaluate` must be a list of \\(partial\\) configs",
        ),
        (
            {"points_to_evaluate": [{"x": 2.0}]},
            ValueError,
            r"invalid points_to_evaluate\[0\]: 'x'=2.0 is invalid: must be a real number in \[0, 1",
        ),
    ],
)
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        RandomSearcher({"x": uniform(0, 1)}, **kwargs)


def test_numpy_int_seed_accepted():
    assert RandomSearcher({"x": uniform(0, 1)}, random_seed=np.int64(3)).random_seed == 3
