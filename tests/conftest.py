import pytest


@pytest.fixture(autouse=True)
def _tunesmith_home(tmp_path_factory, monkeypatch):
    """Studies and the default store of every test live in a fresh temporary folder."""
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path_factory.mktemp("home")))
