"""Every example runs (with small budgets) and prints a best config."""

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize(
    "args",
    [
        ["function_trainable.py", "--trials", "4"],
        ["tune_script.py", "--trials", "3"],
        ["tune_shell.py", "--trials", "4"],
        pytest.param(["demo.py", "--trials", "3"], marks=pytest.mark.slow),  # scikit-learn
    ],
)
def test_example_runs(args, tmp_path):
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / args[0]), *args[1:]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "best config: {" in out.stdout


def test_shell_trainable_prints_tunesmith_lines():
    out = subprocess.run(
        ["bash", str(EXAMPLES / "train_shell.sh"), "--x", "3", "--epochs", "2"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.splitlines() == [
        '[tunesmith] {"epoch": 1, "loss": 1.000000}',
        '[tunesmith] {"epoch": 2, "loss": 0.500000}',
    ]
