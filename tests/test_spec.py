import pytest

from tunesmith import FIFOScheduler, GridSearcher, RandomSearch, choice, uniform
from tunesmith.spec import build, diff_specs

SPACE = {"x": uniform(0, 1), "c": choice(["a", "b"]), "epochs": 5}


def test_spec_is_json_and_rebuilds_an_identical_scheduler():
    import json

    original = RandomSearch(SPACE, metric="loss", random_seed=3, points_to_evaluate=[{"x": 0.5}])
    spec = json.loads(json.dumps(original.spec()))
    clone = build(spec)
    assert [clone.suggest(i).config for i in range(5)] == [
        original.suggest(i).config for i in range(5)
    ]


def test_nested_searcher_instances_are_rebuilt():
    searcher = GridSearcher(SPACE, num_samples=3, random_seed=1)
    scheduler = FIFOScheduler(SPACE, searcher=searcher, metric="loss")
    clone = build(scheduler.spec())
    assert isinstance(clone.searcher, GridSearcher)
    assert clone.searcher.size == searcher.size
    assert clone.suggest(0).config == scheduler.suggest(0).config


def test_overrides_replace_arguments():
    spec = RandomSearch(SPACE, metric="loss").spec(random_seed=11)
    assert build(spec).random_seed == 11


def test_diff_names_what_changed():
    a = RandomSearch(SPACE, metric="loss", random_seed=0).spec()
    b = RandomSearch({**SPACE, "x": uniform(0, 2)}, metric="loss", mode="max", random_seed=0)
    assert diff_specs(a, b.spec()) == [
        "kwargs.config_space.x.__domain__.upper: was 1.0, now 2.0",
        "kwargs.mode: was 'min', now 'max'",
    ]
    assert diff_specs(a, a) == []


def test_unbuildable_argument_is_reported():
    spec = RandomSearch(SPACE, metric="loss").spec()
    spec["kwargs"]["metric"] = {"__repr__": "<object>"}
    with pytest.raises(ValueError, match="cannot rebuild an argument stored as <object>"):
        build(spec)
