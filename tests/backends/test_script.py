import errno
import json
import os
import sys

import pytest

from _wait import wait_for
from tunesmith.backends import EventKind, FailureReason, ScriptBackend, _logs
from tunesmith.backends._resources import GpuRotation
from tunesmith.backends.script import config_arguments
from tunesmith.testing.backend_contract import (
    BackendContract,
    drive,
    live_descendants,
    pid_alive,
)
from tunesmith.trial import Decision, Trial


class TestScriptBackendContract(BackendContract):
    exception_reason = FailureReason.EXIT_CODE

    def make_backend(self, trainable_name):
        return ScriptBackend(
            [sys.executable, "-m", "tunesmith.testing.trainables", trainable_name],
            stop_grace_period=0.5,
        )

    # -- ScriptBackend only ------------------------------------------------------------------
    def shell(self, script, n_workers=1, **kwargs):
        backend = ScriptBackend(["bash", "-c", script, "trial"], stop_grace_period=0.5, **kwargs)
        self._made.append(backend)
        backend.setup(self._tmp / f"run{len(self._made)}", n_workers, metric="loss")
        return backend

    def test_printed_lines_and_logs(self):
        backend = self.shell(
            'echo "hello"; echo \'[tunesmith] {"epoch": 1, "loss": 0.5}\'; echo oops >&2; '
            'printf \'[tunesmith] {"epoch": 2, "loss": 0.25}\''  # no final newline
        )
        events = drive(backend, [Trial(0, {})])[0]
        assert [e.kind for e in events] == [EventKind.RESULT] * 2 + [EventKind.COMPLETED]
        assert [(e.result["epoch"], e.result["loss"]) for e in events[:2]] == [(1, 0.5), (2, 0.25)]
        assert [e.result["ts_report"] for e in events[:2]] == [0, 1]
        assert all(e.result["ts_time"] >= 0 for e in events[:2])
        trial_dir = backend.trial_dir(0)
        stdout = (trial_dir / "stdout.log").read_text()
        assert stdout.startswith('hello\n[tunesmith] {"epoch": 1')
        assert "oops" in (trial_dir / "stderr.log").read_text()

    def test_each_trial_gets_its_gpus_free_ones_first(self):
        # two trials at once on three devices, then one more after both ended: it gets the
        # device given out least often (as Syne Tune's rotate_gpus does)
        backend = self.shell(
            'echo "$CUDA_VISIBLE_DEVICES" > "$TUNESMITH_TRIAL_DIR/devices"; '
            "echo '[tunesmith] {\"loss\": 1}'",
            n_workers=2,
            gpus_per_trial=1,
            gpus=["0", "1", "2"],
        )
        drive(backend, [Trial(0, {}), Trial(1, {})])
        drive(backend, [Trial(2, {})])

        def devices(t):
            return (backend.trial_dir(t) / "devices").read_text().strip()

        assert {devices(0), devices(1)} == {"0", "1"} and devices(2) == "2"

    def test_config_as_arguments_and_json_file(self):
        backend = self.shell(
            'echo "ARGS $*"; cat "$TUNESMITH_CONFIG"; echo "ID $TUNESMITH_TRIAL_ID"'
        )
        config = {"lr": 0.1, "layers": 3, "act": "relu", "sizes": [1, 2]}
        drive(backend, [Trial(7, config)])
        stdout = (backend.trial_dir(7) / "stdout.log").read_text()
        assert "ARGS --lr 0.1 --layers 3 --act relu --sizes [1, 2]\n" in stdout
        assert "ID 7" in stdout
        assert json.loads((backend.trial_dir(7) / "config.json").read_text()) == config

    def test_stop_decision_signals_printing_script(self):
        backend = self.shell(
            'for i in $(seq 1 1000); do echo "[tunesmith] {\\"loss\\": $i}"; sleep 0.02; done'
        )
        events = drive(backend, [Trial(0, {})], decide=lambda e: Decision.STOP)[0]
        assert events[-1].kind is EventKind.STOPPED  # signalled: it would print 1000 results
        assert len(events) < 1000

    def test_invalid_printed_result_fails_and_kills(self):
        backend = self.shell("echo '[tunesmith] {\"loss\": NaN}'; sleep 1000")
        event = drive(backend, [Trial(0, {})], timeout=60)[0][-1]
        assert (event.kind, event.reason) == (EventKind.FAILED, FailureReason.INVALID_METRIC)
        assert "'loss'" in event.detail and "nan" in event.detail

    @pytest.mark.parametrize(
        ("line", "message"),
        [("[tunesmith] {loss: 1}", "bad result line"), ('[tunesmith] {"ts_x": 1}', "reserved")],
    )
    def test_malformed_printed_result(self, line, message):
        backend = self.shell(f"echo '{line}'")
        event = drive(backend, [Trial(0, {})])[0][-1]
        assert event.reason is FailureReason.INVALID_METRIC
        assert message in event.detail

    def test_exit_code_detail_has_stderr_tail(self):
        backend = self.shell("echo 'something went wrong' >&2; exit 4")
        event = drive(backend, [Trial(0, {})])[0][-1]
        assert (event.kind, event.reason) == (EventKind.FAILED, FailureReason.EXIT_CODE)
        assert event.detail.startswith("exit code 4")
        assert event.detail.endswith("something went wrong")

    def test_exit_after_stop_is_stopped_whatever_the_code(self):
        backend = self.shell(
            'trap "exit 7" TERM; echo "[tunesmith] {\\"loss\\": 1}"; sleep 100 & wait'
        )
        backend.start(Trial(0, {}))
        assert backend.next_event(timeout=60).kind is EventKind.RESULT
        backend.reply(0, Decision.CONTINUE)
        backend.stop(0)
        event = backend.next_event(timeout=60)
        assert event.kind is EventKind.STOPPED

    def test_command_not_found_is_start_failed(self):
        backend = ScriptBackend("tunesmith-no-such-program --x 1")
        self._made.append(backend)
        backend.setup(self._tmp / "run", 1)
        event = drive(backend, [Trial(0, {})])[0][-1]
        assert (event.kind, event.reason) == (EventKind.FAILED, FailureReason.START_FAILED)
        assert "tunesmith-no-such-program" in event.detail

    def test_grandchildren_gone_after_stop_and_after_shutdown(self):
        script = 'sleep 1000 & echo "[tunesmith] {\\"pid\\": $!}"; wait'
        backend = self.shell(script, n_workers=2)
        pids = []
        for tid in (0, 1):
            backend.start(Trial(tid, {}))
            event = backend.next_event(timeout=60)
            assert event.kind is EventKind.RESULT
            pids.append(event.result["pid"])
            backend.reply(tid, Decision.CONTINUE)
        assert all(pid_alive(pid) for pid in pids)
        backend.stop(0)
        assert backend.next_event(timeout=60).kind is EventKind.STOPPED
        wait_for(lambda: not pid_alive(pids[0]), "the stopped trial's `sleep 1000` to end")
        assert pid_alive(pids[1])
        backend.shutdown()
        wait_for(lambda: not pid_alive(pids[1]), "the other `sleep 1000` to end at shutdown")
        assert live_descendants() == set()

    def test_leftover_background_process_killed_at_exit(self):
        backend = self.shell('sleep 1000 & echo "[tunesmith] {\\"pid\\": $!}"')
        events = drive(backend, [Trial(0, {})])[0]
        assert events[-1].kind is EventKind.COMPLETED
        wait_for(lambda: not pid_alive(events[0].result["pid"]), "the left `sleep 1000` to end")

    def test_env_and_cwd(self, tmp_path):
        backend = self.shell(
            'echo "[tunesmith] {\\"loss\\": $LOSS}"; pwd', env={"LOSS": "0.75"}, cwd=tmp_path
        )
        events = drive(backend, [Trial(0, {})])[0]
        assert events[0].result["loss"] == 0.75
        assert str(tmp_path) in (backend.trial_dir(0) / "stdout.log").read_text()

    # -- log caps (issue 15) ---------------------------------------------------------------
    def test_logs_are_capped_and_keep_the_tail(self):
        backend = self.shell(
            'for i in $(seq 1 3000); do echo "line $i"; echo "err $i" >&2; done; '
            'echo "[tunesmith] {\\"loss\\": 0.5}"; echo "last words" >&2; exit 3',
            max_log_bytes=1000,
        )
        events = drive(backend, [Trial(0, {})])[0]
        assert events[0].result["loss"] == 0.5  # parsing is unaffected by the cap
        assert (events[-1].kind, events[-1].reason) == (EventKind.FAILED, FailureReason.EXIT_CODE)
        assert events[-1].detail.endswith("err 3000\nlast words")  # the tail, from memory
        folder = backend.trial_dir(0)
        for name, first, last in (
            ("stdout", "line 1\n", '[tunesmith] {"loss": 0.5}\n'),
            ("stderr", "err 1\n", "last words\n"),
        ):
            log, old = folder / f"{name}.log", folder / f"{name}.log.1"
            assert log.stat().st_size <= 1000 and old.stat().st_size == 1000
            text = "\n" + old.read_text() + log.read_text()
            assert text.endswith(last) and f"\n{first}" not in text  # the tail, not the head
        stdout = (folder / "stdout.log.1").read_text() + (folder / "stdout.log").read_text()
        assert "line 2999\nline 3000\n" in stdout

    def test_no_cap(self):
        backend = self.shell("for i in $(seq 1 300); do echo 0123456789; done", max_log_bytes=None)
        drive(backend, [Trial(0, {})])
        assert (backend.trial_dir(0) / "stdout.log").stat().st_size == 300 * 11
        assert not (backend.trial_dir(0) / "stdout.log.1").exists()

    # -- folders that cannot be written ------------------------------------------------------
    def test_full_disk_is_start_failed_naming_the_folder(self, monkeypatch):
        backend = self.shell("echo '[tunesmith] {\"loss\": 1}'")

        def full(path):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

        monkeypatch.setattr(_logs, "open_log", full)
        event = drive(backend, [Trial(2, {})])[2][-1]
        folder = backend.run_dir / "trials" / "2"
        assert (event.kind, event.reason) == (EventKind.FAILED, FailureReason.START_FAILED)
        assert event.detail == (
            f"cannot write the trial folder {folder}: [Errno 28] No space left on device: "
            f"'{folder / 'stdout.log'}'"
        )


def test_config_arguments():
    assert config_arguments({"a": 1, "b": 0.5, "c": "x", "d": True, "e": None, "f": [1]}) == [
        "--a", "1", "--b", "0.5", "--c", "x", "--d", "True", "--e", "null", "--f", "[1]",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"command": ""}, ValueError, "`command` is empty"),
        ({"command": ["python", 3]}, TypeError, "list of strings"),
        ({"command": "x", "env": {"A": 1}}, TypeError, "strings to strings"),
        ({"command": "x", "stop_grace_period": -2}, ValueError, "stop_grace_period"),
        ({"command": "x", "max_log_bytes": 0}, ValueError, r"`max_log_bytes` .* but got 0$"),
        ({"command": "x", "max_log_bytes": 2.5}, ValueError, r"`max_log_bytes` .* but got 2.5$"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        ScriptBackend(**kwargs)


def test_command_string_is_split():
    assert ScriptBackend("bash 'my train.sh' --fast").command == [
        "bash",
        "my train.sh",
        "--fast",
    ]


@pytest.mark.parametrize("python", ["python", "python3"])
def test_python_runs_with_the_tuners_interpreter(python, tmp_path, monkeypatch):
    backend = ScriptBackend(f"{python} 'my train.py' --fast")
    assert backend.command == [sys.executable, "my train.py", "--fast"]
    assert ScriptBackend(["/usr/bin/python3", "x.py"]).command[0] == "/usr/bin/python3"
    # no python on PATH (a venv not activated): the trial still finds tunesmith
    monkeypatch.setenv("PATH", str(tmp_path))
    code = "import tunesmith; tunesmith.report(loss=1.0)"
    backend = ScriptBackend([python, "-c", code])
    backend.setup(tmp_path / "run", 1, metric="loss")
    try:
        events = drive(backend, [Trial(0, {})])[0]
    finally:
        backend.shutdown()
    assert [e.kind for e in events] == [EventKind.RESULT, EventKind.COMPLETED], events


def test_capped_log_keeps_the_tail_of_a_large_write(tmp_path):
    log = _logs.CappedLog(tmp_path / "stdout.log", 10)
    log.write(b"0123456789abcdefghijklmnopqrstuvwxyz")  # more than twice the cap at once
    log.write(b"!")
    log.close()
    log.write(b"after close")  # ignored
    old, new = (tmp_path / "stdout.log.1").read_bytes(), (tmp_path / "stdout.log").read_bytes()
    assert len(old) == 10 and len(new) <= 10
    assert (old + new).endswith(b"qrstuvwxyz!")


def test_gpu_rotation_gives_free_devices_then_the_least_given():
    rotation = GpuRotation(1, ["0", "1", "2"])
    assert [rotation.take(), rotation.take()] == ["0", "1"]
    rotation.give_back("0")
    assert rotation.take() == "2"  # free, and never given (0 was)
    assert rotation.take() == "0"  # the only free one
    assert rotation.take() == "1"  # all busy once: "1" and "2" were given once, "0" twice
    pairs = GpuRotation(2, ["0", "1", "2", "3"])
    assert [pairs.take(), pairs.take(), pairs.take()] == ["0,1", "2,3", "0,1"]


def test_gpus_per_trial_needs_enough_devices(tmp_path):
    with pytest.raises(ValueError, match=r"`gpus_per_trial` must be an integer >= 0, but got -1"):
        ScriptBackend("true", gpus_per_trial=-1)
    backend = ScriptBackend("true", gpus_per_trial=2, gpus=[0])
    with pytest.raises(
        ValueError,
        match=r"ScriptBackend: 2 GPU\(s\) per trial, but 1 are available \(\['0'\]\); lower "
        r"the GPUs per trial or list more devices, from gpus=\['0'\]",
    ):
        backend.setup(tmp_path / "run", 1)
