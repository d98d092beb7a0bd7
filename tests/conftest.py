import pytest
from hypothesis import settings

# no wall-clock deadline per example: Hypothesis's default (200 ms) fails a test that a loaded
# machine merely slowed down (a stress run failed test_space.py on a 305 ms example), and no
# test here asserts on time (timings live in benchmarks/)
settings.register_profile("tunesmith", deadline=None)
settings.load_profile("tunesmith")

#: tests of the contract suites in tunesmith.testing that are slow, marked ``slow`` here: the
#: suites are public and must not need this project's markers
SLOW_CONTRACT_TESTS = {
    # every scheduler: a tuner run per crash point (about 8 of them), then its resume
    "test_resume_from_the_store_makes_the_same_decisions",
}


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(items):
    for item in items:
        if getattr(item, "originalname", None) in SLOW_CONTRACT_TESTS:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _tunesmith_home(tmp_path_factory, monkeypatch):
    """Studies and the default store of every test live in a fresh temporary folder."""
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path_factory.mktemp("home")))
