import importlib
import logging
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tunesmith.reporting import (
    FdChannel,
    InvalidMetricError,
    TrialContext,
    TrialPaused,
    TrialStopped,
    _set_context,
    check_metrics,
    checkpoint_dir,
    report,
    trial_id,
)

# not ``from tunesmith import report``: the package exports the function under that name
report_module = importlib.import_module("tunesmith.reporting")


@pytest.fixture
def outside(monkeypatch):
    """No trial context, and the 'outside a trial' warning not yet given."""
    monkeypatch.setattr(report_module, "_current", None)
    monkeypatch.setattr(report_module, "_env_checked", True)
    monkeypatch.setattr(report_module, "_warned_outside", False)


class FakeChannel:
    def __init__(self, decisions):
        self.decisions = list(decisions)
        self.sent = []
        self.invalids = []

    def exchange(self, result):
        self.sent.append(result)
        return self.decisions.pop(0)

    def invalid(self, detail):
        self.invalids.append(detail)


@pytest.fixture
def inside(tmp_path):
    def make(*decisions):
        channel = FakeChannel(decisions)
        context = TrialContext(3, channel, tmp_path, tmp_path / "checkpoint")
        previous = _set_context(context)
        contexts.append(previous)
        return channel

    contexts = []
    yield make
    for previous in contexts:
        _set_context(previous)


def test_outside_a_trial_checks_and_warns_once(outside, caplog):
    with caplog.at_level(logging.WARNING, logger="tunesmith"):
        assert report(loss=0.5) is None
        report(loss=0.4)
    warnings = [r for r in caplog.records if "outside a trial" in r.getMessage()]
    assert len(warnings) == 1
    assert checkpoint_dir() is None and trial_id() is None
    with pytest.raises(InvalidMetricError, match="'loss' must be finite, but got nan"):
        report(loss=float("nan"))


@pytest.mark.parametrize(
    ("metrics", "message"),
    [
        ({"loss": float("inf")}, "'loss' must be finite, but got inf"),
        ({"loss": True}, "'loss' must be a real number, but got True"),
        ({"loss": "0.5"}, "'loss' must be a real number, but got '0.5' \\(str\\)"),
        ({"loss": None}, "must be a real number"),
        ({"loss": np.array([1.0])}, "must be a real number"),
        ({"loss": np.bool_(True)}, "must be a real number"),
        ({"ts_time": 1.0}, "'ts_time' is reserved"),
        ({"ts_anything": 1.0}, "reserved"),
        (
            {"loss": 0.5, "trial_id": 99},
            "metric name 'trial_id' is reserved: records and exports have a 'trial_id' column "
            "of their own \\(reserved: trial_id, status and names starting with 'ts_'\\); "
            "rename the metric, e.g. 'my_trial_id'",
        ),
        ({"status": 1.0}, "metric name 'status' is reserved"),
        ({}, "at least one metric"),
    ],
)
def test_invalid_metrics(metrics, message):
    with pytest.raises(InvalidMetricError, match=message):
        check_metrics(metrics)
    assert issubclass(InvalidMetricError, ValueError)


def test_numbers_are_converted():
    out = check_metrics({"a": np.float32(0.5), "b": np.int64(3), "c": 2, "d": 1.5})
    assert out == {"a": 0.5, "b": 3, "c": 2, "d": 1.5}
    assert [type(v) for v in out.values()] == [float, int, int, float]
    assert check_metrics({"ts_time": 1.0}, allow_auto=True) == {"ts_time": 1.0}


def test_reserved_column_names_are_refused_even_with_allow_auto():
    for name in ("trial_id", "status"):
        with pytest.raises(InvalidMetricError, match=f"metric name '{name}' is reserved"):
            check_metrics({name: 1, "loss": 0.5}, allow_auto=True)
    # only the exact names: longer ones are ordinary metrics
    assert check_metrics({"trial_ids": 1, "my_status": 2}) == {"trial_ids": 1, "my_status": 2}


def test_reserved_name_inside_a_trial_fails_it(inside):
    channel = inside("continue")
    with pytest.raises(InvalidMetricError, match="'trial_id' is reserved"):
        report(trial_id=99, loss=0.5)
    assert channel.sent == [] and "'trial_id' is reserved" in channel.invalids[0]


def test_interrupts_are_quiet_system_exits():
    for cls in (TrialStopped, TrialPaused):
        exc = cls("stopped here")
        assert isinstance(exc, SystemExit) and not isinstance(exc, Exception)
        assert exc.code == 0 and str(exc) == "stopped here"
    code = "from tunesmith.reporting import TrialStopped\nraise TrialStopped('bye')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert (done.returncode, done.stderr) == (0, "")


def test_inside_a_trial(inside, tmp_path):
    channel = inside("continue", "continue", "stop")
    report(loss=1.0, epoch=1)
    report(loss=np.float64(0.5), epoch=2)
    with pytest.raises(TrialStopped, match="trial 3 was stopped by the tuner at report 2"):
        report(loss=0.25, epoch=3)
    assert [r["ts_report"] for r in channel.sent] == [0, 1, 2]
    assert list(channel.sent[0]) == ["loss", "epoch", "ts_time", "ts_report"]
    assert 0 <= channel.sent[0]["ts_time"] <= channel.sent[1]["ts_time"]
    assert trial_id() == 3
    folder = checkpoint_dir()
    assert folder == tmp_path / "checkpoint" and folder.is_dir()


def test_pause_decision_raises(inside):
    inside("pause")
    with pytest.raises(TrialPaused):
        report(loss=1.0)


def test_invalid_inside_a_trial_fails_it(inside):
    channel = inside("continue")
    with pytest.raises(InvalidMetricError, match="'acc'"):
        report(acc=float("nan"))
    assert channel.invalids and "'acc'" in channel.invalids[0]
    with pytest.raises(InvalidMetricError):  # the trial stays failed
        report(acc=0.5)
    assert channel.sent == []


def test_fd_channel_round_trip_and_tuner_gone():
    report_r, report_w = os.pipe()
    ack_r, ack_w = os.pipe()
    channel = FdChannel(report_w, ack_r)
    os.write(ack_w, b"continue\nstop\n")
    assert channel.exchange({"loss": 1.0}) == "continue"
    assert channel.exchange({"loss": 0.5}) == "stop"
    assert os.read(report_r, 1000).decode().splitlines() == [
        '{"result": {"loss": 1.0}}',
        '{"result": {"loss": 0.5}}',
    ]
    os.close(ack_w)  # the tuner is gone: EOF on the answer pipe
    with pytest.raises(TrialStopped, match="tuner is gone"):
        channel.exchange({"loss": 0.25})
    os.close(report_r)  # ... and on the result pipe: a broken pipe
    with pytest.raises(TrialStopped, match="tuner is gone"):
        channel.exchange({"loss": 0.25})
    os.close(report_w)
    os.close(ack_r)


def test_script_without_pipes_prints_lines(tmp_path):
    code = textwrap.dedent(
        """
        import tunesmith.reporting as r
        r.report(loss=0.5)
        print(r.trial_id(), r.checkpoint_dir())
        """
    )
    env = {
        **os.environ,
        "TUNESMITH_TRIAL_ID": "4",
        "TUNESMITH_CHECKPOINT_DIR": str(tmp_path / "ck"),
    }
    env.pop("TUNESMITH_REPORT_FD", None)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith('[tunesmith] {"loss": 0.5, "ts_time": ')
    assert lines[0].endswith('"ts_report": 0}')
    assert lines[1] == f"4 {tmp_path / 'ck'}"
