import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import tunesmith
from tunesmith import (
    ASHA,
    FIFOScheduler,
    GridSearcher,
    HyperbandScheduler,
    RandomSearch,
    RandomSearcher,
    choice,
    uniform,
)
from tunesmith import spec as spec_module
from tunesmith.spec import (
    Specified,
    build,
    class_of,
    diff_specs,
    normalize_spec,
    registered_classes,
    spec_name_of,
    stored_arguments,
)

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


def test_stored_arguments_are_the_plain_values_to_pass_back():
    stored = ASHA(SPACE, metric="loss", max_t=9, grace_period=1, random_seed=0).spec()
    same = ASHA(SPACE, metric="loss", max_t=9, grace_period=1, random_seed=3).spec()
    assert stored_arguments(stored, same) is None  # seeds aside, nothing differs
    now = ASHA(SPACE, metric="loss", max_t=27, grace_period=3, random_seed=0).spec()
    assert stored_arguments(stored, now) == {"grace_period": 1, "max_t": 9}
    # another class, another config space, a nested spec: nothing a keyword puts back
    assert stored_arguments(stored, RandomSearch(SPACE, metric="loss").spec()) is None
    wider = ASHA({**SPACE, "x": uniform(0, 2)}, metric="loss", max_t=9, grace_period=1)
    assert stored_arguments(stored, wider.spec()) is None
    a = FIFOScheduler(SPACE, searcher=RandomSearcher(SPACE, random_seed=1), metric="loss")
    b = FIFOScheduler(SPACE, searcher=RandomSearcher(SPACE, allow_duplicates=True), metric="loss")
    assert stored_arguments(a.spec(), b.spec()) is None
    # a nested searcher's seed is no difference (as for the mismatch check)
    a = ASHA(SPACE, metric="loss", max_t=9, searcher=RandomSearcher(SPACE, random_seed=1))
    b = ASHA(SPACE, metric="loss", max_t=3, searcher=RandomSearcher(SPACE, random_seed=2))
    assert stored_arguments(a.spec(), b.spec()) == {"max_t": 9}


def test_an_argument_added_since_a_study_was_stored_is_no_difference_at_its_old_meaning():
    # a spec stored before ASHA had `rung_quantiles` (and before HyperbandScheduler had
    # `bracket_distribution`): the default, or the value giving the old behaviour, is no
    # change; the journal replay then checks the decisions
    stored = ASHA(SPACE, metric="loss", random_seed=0).spec()
    del stored["kwargs"]["rung_quantiles"]
    for value in ("ratio", "eta"):  # the default; the old behaviour (spec_added)
        now = ASHA(SPACE, metric="loss", random_seed=0, rung_quantiles=value).spec()
        assert diff_specs(stored, now) == []
    stored = HyperbandScheduler(SPACE, metric="loss", brackets=2).spec()
    del stored["kwargs"]["bracket_distribution"]
    now = HyperbandScheduler(SPACE, metric="loss", brackets=2, bracket_distribution="softmax")
    assert diff_specs(stored, now.spec()) == ["kwargs.bracket_distribution: added 'softmax'"]
    assert diff_specs(stored, HyperbandScheduler(SPACE, metric="loss", brackets=2).spec()) == []
    # nested: a searcher spec stored inside a scheduler spec is aligned the same way
    outer = FIFOScheduler(SPACE, searcher=RandomSearcher(SPACE, random_seed=1), metric="loss")
    stored = outer.spec()
    del stored["kwargs"]["searcher"]["__spec__"]["kwargs"]["allow_duplicates"]
    assert diff_specs(stored, outer.spec()) == []


def test_unbuildable_argument_is_reported():
    spec = RandomSearch(SPACE, metric="loss").spec()
    spec["kwargs"]["metric"] = {"__repr__": "<object>"}
    with pytest.raises(ValueError, match="cannot rebuild an argument stored as <object>"):
        build(spec)


# -- stable registered class names -------------------------------------------------------------

OLD_STORE = Path(__file__).parent / "data" / "store-v0.1.0.db"


@pytest.fixture
def registry(monkeypatch):
    """Classes a test registers are forgotten afterwards."""
    monkeypatch.setattr(spec_module, "_REGISTRY", dict(registered_classes()))
    monkeypatch.setattr(spec_module, "_BY_PATH", dict(spec_module._BY_PATH))


def _searcher_class(name, module, **attrs):
    return type(name, (RandomSearcher,), {"__module__": module, "__qualname__": name, **attrs})


def _old_form(spec):
    """``spec`` as written before the registry: classes named ``module:Class``."""
    spec = dict(spec)
    cls = class_of(spec["class"])
    spec["class"] = f"{cls.__module__}:{cls.__qualname__}"
    spec["kwargs"] = {
        k: {"__spec__": _old_form(v["__spec__"])} if isinstance(v, dict) and "__spec__" in v else v
        for k, v in spec["kwargs"].items()
    }
    return spec


def test_specs_store_the_registered_name():
    searcher = GridSearcher(SPACE, num_samples=3, random_seed=1)
    spec = FIFOScheduler(SPACE, searcher=searcher, metric="loss").spec()
    assert spec["class"] == "FIFOScheduler"
    assert spec["kwargs"]["searcher"]["__spec__"]["class"] == "GridSearcher"
    assert isinstance(build(spec).searcher, GridSearcher)


def test_every_exported_scheduler_and_searcher_is_registered_under_its_name():
    exported = {
        name: getattr(tunesmith, name)
        for name in tunesmith.__all__
        if isinstance(getattr(tunesmith, name), type)
        and issubclass(getattr(tunesmith, name), Specified)
    }
    assert len(exported) > 20
    registry = registered_classes()
    for name, cls in exported.items():
        assert registry[name] is cls
        assert spec_name_of(cls) == name


def test_old_module_path_specs_still_build_and_equal_new_ones():
    searcher = GridSearcher(SPACE, num_samples=3, random_seed=1)
    new = FIFOScheduler(SPACE, searcher=searcher, metric="loss").spec()
    old = _old_form(new)
    assert old["class"] == "tunesmith.schedulers.fifo:FIFOScheduler"
    assert old["kwargs"]["searcher"]["__spec__"]["class"] == "tunesmith.searchers.grid:GridSearcher"
    clone = build(old)
    assert isinstance(clone, FIFOScheduler) and isinstance(clone.searcher, GridSearcher)
    assert diff_specs(old, new) == []
    assert diff_specs(new, old) == []
    assert normalize_spec(old) == new
    # a real difference is still reported, under the registered name
    other = _old_form(RandomSearch(SPACE, metric="loss").spec())
    assert diff_specs(other, new)[0].startswith("class: was 'RandomSearch', now 'FIFOScheduler'")


@pytest.mark.parametrize("name", ["asha-done", "random-done", "crashed"])
def test_specs_in_a_store_made_before_the_registry_build_and_compare_equal(name):
    with sqlite3.connect(OLD_STORE) as conn:
        (text,) = conn.execute(
            "select scheduler_spec from tunesmith_studies where name = ?", (name,)
        ).fetchone()
    stored = json.loads(text)
    assert ":" in stored["class"]  # e.g. tunesmith.schedulers.hyperband:ASHA
    rebuilt = build(stored)
    assert diff_specs(stored, rebuilt.spec()) == []
    assert ":" not in rebuilt.spec()["class"]


def test_old_form_of_a_class_moved_to_another_module_still_builds(registry):
    moved = _searcher_class("MovedSearcher", "new_home.searchers")
    spec = moved(SPACE, metric="loss", random_seed=2).spec()
    assert spec["class"] == "MovedSearcher"
    old = {**spec, "class": "old_home_that_is_gone.searchers:MovedSearcher"}
    assert type(build(old)) is moved
    assert diff_specs(old, spec) == []


def test_two_classes_claiming_one_name_is_an_error(registry):
    _searcher_class("TwinSearcher", "first.module")
    with pytest.raises(
        ValueError,
        match=r"two classes claim the spec name 'TwinSearcher': first\.module:TwinSearcher "
        r"and second\.module:TwinSearcher; .* spec_name = 'MyTwinSearcher'",
    ):
        _searcher_class("TwinSearcher", "second.module")
    with pytest.raises(ValueError, match="two classes claim the spec name 'ASHA'"):
        type("Mine", (ASHA,), {"__module__": "mine", "spec_name": "ASHA"})


def test_a_distinct_spec_name_resolves_a_clash_and_survives_a_rename(registry):
    first = _searcher_class("Clash", "first.module")
    second = _searcher_class("Clash", "second.module", spec_name="OtherClash")
    assert class_of("Clash") is first and class_of("OtherClash") is second
    # specs of the older form find the class registered from exactly that place
    assert class_of("second.module:Clash") is second
    assert class_of("first.module:Clash") is first
    assert normalize_spec({"class": "second.module:Clash"}) == {"class": "OtherClash"}
    spec = second(SPACE, metric="loss").spec()
    assert spec["class"] == "OtherClash"
    # spec_name is not inherited: a subclass gets its own name
    child = type("ClashChild", (second,), {"__module__": "second.module"})
    assert spec_name_of(child) == "ClashChild"


def test_defining_a_class_again_replaces_it(registry):
    a = _searcher_class("Redefined", "notebook")
    b = _searcher_class("Redefined", "notebook")  # a module reloaded, a cell run again
    c = _searcher_class("Redefined", "__main__")  # the script, also imported by its name
    assert class_of("Redefined") is c
    assert spec_name_of(a) == spec_name_of(b) == "Redefined"


@pytest.mark.parametrize("bad", ["", "a:b", " padded", 3])
def test_bad_spec_name_is_refused(registry, bad):
    message = "`spec_name` must be a non-empty string .*" + re.escape(f"spec_name={bad!r}")
    with pytest.raises(ValueError, match=message):
        _searcher_class("BadName", "somewhere", spec_name=bad)


def test_classes_defined_in_a_function_keep_the_module_path():
    class Local(RandomSearcher):
        pass

    spec = Local(SPACE, metric="loss").spec()
    assert spec["class"].endswith(
        ":test_classes_defined_in_a_function_keep_the_module_path" ".<locals>.Local"
    )
    assert "Local" not in registered_classes()
    assert diff_specs(spec, Local(SPACE, metric="loss").spec()) == []


def test_unknown_name_is_a_clear_error():
    with pytest.raises(
        ValueError,
        match=r"no scheduler or searcher class is registered under "
        r"the name 'Nope' \(known: .*ASHA.*\); import the module",
    ):
        build({"class": "Nope", "args": [], "kwargs": {}})


def test_builtin_names_build_in_a_fresh_process_without_importing_schedulers_first():
    code = (
        "import sys, tunesmith\n"
        "assert 'tunesmith.schedulers' not in sys.modules  # import tunesmith stays light\n"
        "from tunesmith.spec import build\n"
        "spec = {'class': 'ASHA', 'args': [], 'kwargs': {'config_space': {}, 'metric': 'loss',"
        " 'max_t': 3}}\n"
        "print(type(build(spec)).__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ASHA"


def test_two_nans_are_no_difference():
    assert diff_specs({"a": [float("nan")]}, {"a": [float("nan")]}) == []
