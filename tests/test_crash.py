"""The crash test, small: SIGKILL the tuner at random moments, resume; nothing is lost."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import crash

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")


def test_killed_tuner_loses_nothing_and_resumes_exactly():
    figures = crash.run(kills=3, trials=8, seed=1, max_delay=1.0, sleep=0.05)
    assert figures["reports_written_by_trials"] > 0
    assert figures["lost"] == 0
    assert figures["stored_twice"] == 0
    assert figures["same_as_uninterrupted"]
