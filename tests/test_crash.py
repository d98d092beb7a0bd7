"""Crash campaigns, short: SIGKILL (or Ctrl-C, SIGTERM) the tuner at random moments, resume at
once, many times; nothing acknowledged is lost, nothing is stored twice, and the study ends as
an uninterrupted run does. ``benchmarks/crash.py`` runs the long version (100+ kills)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import crash

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only"),
    pytest.mark.slow,
]


def check(figures):
    for f in figures["campaigns"]:
        assert f["reports_acknowledged"] > 0, f
        assert f["lost"] == 0, f
        assert f["stored_twice"] == 0, f
        assert f["failed_trials"] == 0, f
        assert f["same_statuses_and_configs"], f
        assert f.get("same_as_uninterrupted", True), f


def test_sigkill_campaign_loses_nothing_and_stores_nothing_twice():
    # script trials that restart from scratch repeat every stored report: the kills that land
    # between a restart and its first repeated report found the duplicates of issue 15
    figures = crash.run(
        30,
        campaigns=(("script", "random", 4, False), ("local", "asha", 1, False)),
        trials=40,
        sleep=0.05,
        max_delay=1.5,
    )
    check(figures)
    assert figures["totals"]["kills"] == 30


def test_sigkill_campaign_with_promotions_resumes_exactly():
    figures = crash.run(
        8, campaigns=(("script", "asha-promotion", 1, True),), trials=12, max_delay=1.5
    )
    check(figures)
    assert figures["totals"]["kills"] == 8


@pytest.mark.parametrize(
    "how, campaign",
    [
        ("INT", ("local", "asha", 1, True)),
        ("INT2", ("local", "asha", 1, True)),
        ("TERM", ("local", "asha", 1, True)),
        # pauses decided while the trials are being interrupted
        ("INT", ("script", "asha-promotion", 1, True)),
    ],
)
def test_interrupted_runs_resume_as_if_not_interrupted(how, campaign):
    figures = crash.run(4, campaigns=(campaign,), trials=30, max_delay=1.5, how=how)
    check(figures)
    assert figures["totals"]["kills"] == 4
