"""ScriptBackend.setup() warns, before any trial starts, about a command that cannot run."""

import logging
import sys

import pytest

from tunesmith.backends import ScriptBackend


@pytest.fixture
def setup(tmp_path, caplog):
    made = []

    def run(command, **kwargs):
        backend = ScriptBackend(command, **kwargs)
        made.append(backend)
        with caplog.at_level(logging.WARNING, logger="tunesmith"):
            backend.setup(tmp_path / f"run{len(made)}", 1, metric="loss")
        return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]

    yield run
    for backend in made:
        backend.shutdown()


def test_a_program_not_on_the_path(setup):
    (message,) = setup("no-such-program-xyz --lr 1")
    assert "'no-such-program-xyz' is not an executable program" in message


def test_a_python_script_that_does_not_exist(setup, tmp_path):
    (message,) = setup("python trian.py", cwd=tmp_path)
    assert f"the script 'trian.py' is not in {tmp_path.resolve()}" in message
    assert "cwd= sets it" in message


def test_a_command_that_can_run_warns_nothing(setup, tmp_path):
    (tmp_path / "train.py").write_text("print('hi')\n")
    assert setup("python train.py --epochs 2", cwd=tmp_path) == []
    assert setup([sys.executable, "-c", "print(1)"]) == []
