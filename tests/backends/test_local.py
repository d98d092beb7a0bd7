import errno
import json
import math
import os
import resource
import sys
import time
import types

import pytest

from _wait import wait_for
from tunesmith.backends import EventKind, FailureReason, LocalBackend, _logs, _zygote, local
from tunesmith.backends.local import check_resources
from tunesmith.testing import trainables
from tunesmith.testing.backend_contract import (
    BackendContract,
    drive,
    live_descendants,
    pid_alive,
)
from tunesmith.trial import Trial


class TestLocalBackendContract(BackendContract):
    exception_reason = FailureReason.EXCEPTION

    def make_backend(self, trainable_name):
        return LocalBackend(getattr(trainables, trainable_name), stop_grace_period=0.5)

    # -- LocalBackend only -------------------------------------------------------------------
    def test_exception_detail_is_the_traceback(self):
        backend = self.launch("misbehave")
        detail = drive(backend, [Trial(0, {"do": "raise"})])[0][-1].detail
        assert detail.startswith("Traceback (most recent call last)")
        assert "trainables.py" in detail and "_worker.py" not in detail
        assert detail.strip().endswith("ValueError: boom from the trial")

    def test_workers_are_reused(self):
        backend = self.launch("report_env")
        events = drive(backend, [Trial(0, {})])[0] + drive(backend, [Trial(1, {})])[1]
        pids = {e.result["pid"] for e in events if e.kind is EventKind.RESULT}
        assert len(pids) == 1 and os.getpid() not in pids
        assert [e.result["trial"] for e in events if e.kind is EventKind.RESULT] == [0, 1]

    def test_a_crashed_worker_is_replaced(self):
        backend = self.launch("misbehave")
        drive(backend, [Trial(0, {"do": "exit3"})])
        # the next start may come while the replacement starts: it is queued
        events = drive(backend, [Trial(1, {"do": "ok"})])[1]
        assert [e.kind for e in events] == [EventKind.RESULT, EventKind.COMPLETED]

    def test_replacement_worker_that_cannot_start(self, monkeypatch):
        backend = self.launch("misbehave")

        def no_more_processes(*args, **kwargs):
            raise OSError("fork failed (simulated)")

        monkeypatch.setattr(local, "popen", no_more_processes)
        monkeypatch.setattr(_zygote.Zygote, "fork", no_more_processes)
        drive(backend, [Trial(0, {"do": "exit3"})])  # the worker dies; no replacement
        event = drive(backend, [Trial(1, {"do": "ok"})])[1][-1]
        assert (event.kind, event.reason) == (EventKind.FAILED, FailureReason.START_FAILED)
        assert "fork failed (simulated)" in event.detail

    def test_stop_of_a_queued_trial(self):
        backend = self.launch("misbehave")
        backend.start(Trial(0, {"do": "hang"}))
        backend.start(Trial(1, {"do": "ok"}))  # no free worker: queued
        backend.stop(1)
        event = backend.next_event(timeout=60)
        if event is not None and event.trial_id == 0:  # trial 0 may report first
            event = backend.next_event(timeout=60)
        assert (event.kind, event.trial_id) == (EventKind.STOPPED, 1)

    def test_running_since_tells_a_queued_trial_from_a_running_one(self):
        backend = self.launch("misbehave")
        before = time.time()
        backend.start(Trial(0, {"do": "hang"}))
        backend.start(Trial(1, {"do": "ok"}))  # no free worker: queued
        assert before <= backend.running_since(0) <= time.time()
        assert backend.running_since(1) == math.inf
        backend.stop(0)
        wait_for(lambda: backend.running_since(1) != math.inf, "trial 1 to get the worker")
        assert backend.running_since(1) >= before
        assert backend.running_since(7) is None  # not a trial of the backend

    def test_unpicklable_config_is_start_failed(self):
        backend = self.launch("misbehave")
        event = drive(backend, [Trial(0, {"do": "ok", "f": lambda: 1})])[0][-1]
        assert (event.kind, event.reason) == (EventKind.FAILED, FailureReason.START_FAILED)
        assert "pickle" in event.detail

    def test_returned_number_without_metric_is_invalid(self, tmp_path):
        backend = LocalBackend(trainables.returns_value)
        self._made.append(backend)
        backend.setup(tmp_path / "run", 1, metric=None)
        event = drive(backend, [Trial(0, {})])[0][-1]
        assert event.reason is FailureReason.INVALID_METRIC
        assert "no metric name" in event.detail

    def test_gpus_one_per_worker(self, tmp_path):
        backend = LocalBackend(trainables.report_env, resources={"gpus": 1, "cpus": 2}, gpus=[0, 1])
        self._made.append(backend)
        backend.setup(tmp_path / "run", 2, metric="loss")
        events = drive(backend, [Trial(0, {"sleep": 0.3}), Trial(1, {"sleep": 0.3})])
        results = [evs[0].result for evs in events.values()]
        assert sorted(r["cuda"] for r in results) == [0, 1]
        if "OMP_NUM_THREADS" not in os.environ:
            assert {r["omp"] for r in results} == {2}

    def test_too_many_gpus_fails_in_setup(self, tmp_path):
        backend = LocalBackend(trainables.report_env, resources={"gpus": 1}, gpus=[0])
        with pytest.raises(ValueError, match=r"needs 2 GPU\(s\), but 1 are available"):
            backend.setup(tmp_path / "run", 2)
        backend.shutdown()

    def test_worker_that_cannot_import_the_function(self, tmp_path, monkeypatch):
        module = types.ModuleType("tunesmith_nowhere")
        exec("def train(config):\n    return 1.0\n", module.__dict__)
        monkeypatch.setitem(sys.modules, "tunesmith_nowhere", module)
        backend = LocalBackend(module.train)
        with pytest.raises(RuntimeError, match="No module named 'tunesmith_nowhere'"):
            backend.setup(tmp_path / "run", 1)
        backend.shutdown()
        assert live_descendants() == set()

    # -- what one trial leaves behind (issue 15) -------------------------------------------------
    def test_children_left_running_die_when_their_trial_ends(self):
        backend = self.launch("leaves_children")
        events = drive(backend, [Trial(0, {}), Trial(1, {})])
        for trial_events in events.values():
            assert trial_events[-1].kind is EventKind.COMPLETED
            result = trial_events[0].result
            # gone as soon as the trial ended, long before the study ends: the `sleep 60` in
            # the worker's process group, and the one that left it with setsid
            assert not pid_alive(result["pid"]) and not pid_alive(result["escaped"])
        assert events[0][0].result["worker"] == events[1][0].result["worker"]  # not replaced

    def test_process_state_does_not_leak_to_the_next_trial(self, monkeypatch):
        monkeypatch.delenv("TUNESMITH_TEST_VAR", raising=False)
        backend = self.launch("process_state")
        elsewhere = self._tmp / "elsewhere"
        elsewhere.mkdir()
        events = drive(backend, [Trial(0, {"change": True, "dir": str(elsewhere)})])
        events.update(drive(backend, [Trial(1, {})]))
        assert events[0][0].result["pid"] == events[1][0].result["pid"]  # the same worker
        first, second = (
            json.loads((backend.trial_dir(i) / "seen.json").read_text()) for i in (0, 1)
        )
        assert second == first
        assert second["var"] is None and second["home"] == os.environ.get("HOME")
        assert second["cwd"] == os.getcwd()
        assert second["nofile"] == list(resource.getrlimit(resource.RLIMIT_NOFILE))

    def test_worker_that_cannot_restore_its_state_is_replaced(self):
        backend = self.launch("process_state")
        elsewhere = self._tmp / "elsewhere"
        elsewhere.mkdir()
        config = {"change": True, "dir": str(elsewhere), "unrestorable": True}
        first = drive(backend, [Trial(0, config)])[0]
        assert first[-1].kind is EventKind.COMPLETED  # the trial itself is fine
        second = drive(backend, [Trial(1, {})])[1]
        assert second[-1].kind is EventKind.COMPLETED
        assert second[0].result["pid"] != first[0].result["pid"]  # a fresh worker
        seen = json.loads((backend.trial_dir(1) / "seen.json").read_text())
        assert seen["nofile"] == list(resource.getrlimit(resource.RLIMIT_NOFILE))
        assert seen["cwd"] == os.getcwd()

    # -- trial output ------------------------------------------------------------------------
    def test_output_goes_to_the_trial_logs_and_is_echoed_with_the_trial_id(self, capsys):
        backend = self.launch("prints")
        events = drive(backend, [Trial(3, {"lines": 2})])[3]
        assert events[-1].kind is EventKind.COMPLETED
        stdout = (backend.trial_dir(3) / "stdout.log").read_text()
        stderr = (backend.trial_dir(3) / "stderr.log").read_text()
        for text in ("python stdout", "fd 1", "C printf", "child stdout", "line 2"):
            assert f"{text}\n" in stdout
        assert stdout.endswith("no newline")
        for text in ("python stderr", "fd 2", "child stderr"):
            assert f"{text}\n" in stderr
        out, err = capsys.readouterr()
        assert "[trial 3] python stdout\n" in out and "[trial 3] line 2\n" in out
        assert "[trial 3] no newline\n" in out
        assert "[trial 3] child stderr\n" in err and "python stdout" not in err
        # a resumed or restarted trial appends to its logs
        drive(backend, [(Trial(3, {}), True)])
        assert (backend.trial_dir(3) / "stdout.log").read_text().count("python stdout") == 2

    def test_echo_output_off(self, capsys):
        backend = LocalBackend(trainables.prints, echo_output=False)
        self._made.append(backend)
        backend.setup(self._tmp / "run", 1, metric="loss")
        drive(backend, [Trial(0, {})])
        assert "fd 1" in (backend.trial_dir(0) / "stdout.log").read_text()
        out, err = capsys.readouterr()
        assert "fd 1" not in out and "fd 2" not in err

    def test_trial_log_is_capped_and_keeps_the_tail(self):
        backend = LocalBackend(trainables.prints, max_log_bytes=1000, echo_output=False)
        self._made.append(backend)
        backend.setup(self._tmp / "run", 1, metric="loss")
        drive(backend, [Trial(0, {"lines": 3000})])
        log = backend.trial_dir(0) / "stdout.log"
        old = log.with_name("stdout.log.1")
        assert log.stat().st_size <= 1000 and old.stat().st_size == 1000
        text = old.read_text() + log.read_text()
        assert text.endswith("line 3000\nno newline")
        assert "python stdout" not in text and "line 2000\n" not in text

    # -- the worker's start-up data ----------------------------------------------------------
    def test_no_start_up_file_in_run_dir(self):
        run_dir = self._tmp / "run"
        run_dir.mkdir()
        stale = run_dir / ".tunesmith-worker-123-456.pkl"  # left by a crashed older version
        stale.write_bytes(b"old")
        backend = LocalBackend(trainables.report_env)
        self._made.append(backend)
        backend.setup(run_dir, 2, metric="loss")
        assert not stale.exists()
        assert [p.name for p in run_dir.iterdir()] in ([], ["trials"])
        for worker in backend._workers:
            with open(f"/proc/{worker.proc.pid}/environ", "rb") as f:
                assert b"TUNESMITH_WORKER_INIT" not in f.read()
        drive(backend, [Trial(0, {}), Trial(1, {})])
        backend.shutdown()
        assert not list(run_dir.rglob("*.pkl"))

    # -- folders that cannot be written ------------------------------------------------------
    def test_full_disk_is_start_failed_naming_the_folder(self, monkeypatch):
        backend = self.launch("three_reports")
        mkdir = os.mkdir

        def full(path, *args, **kwargs):
            if "trials" in str(path):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
            return mkdir(path, *args, **kwargs)

        monkeypatch.setattr(os, "mkdir", full)
        event = drive(backend, [Trial(2, {})])[2][-1]
        folder = backend.run_dir / "trials" / "2"
        assert (event.kind, event.reason) == (EventKind.FAILED, FailureReason.START_FAILED)
        assert event.detail == (
            f"cannot write the trial folder {folder}: [Errno 28] No space left on device: "
            f"'{folder}'"
        )

    def test_log_that_cannot_be_written_does_not_fail_the_trial(self, monkeypatch, caplog):
        backend = self.launch("prints")

        def full(path):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

        monkeypatch.setattr(_logs, "open_log", full)
        events = drive(backend, [Trial(1, {})])[1]
        assert events[-1].kind is EventKind.COMPLETED
        log = backend.trial_dir(1) / "stdout.log"
        assert f"cannot write the log {log}: [Errno 28] No space left on device" in caplog.text


def test_not_callable():
    with pytest.raises(TypeError, match=r"fn\(config\)"):
        LocalBackend("train.py")


def test_resources_defaults():
    assert check_resources(None) == {"cpus": 1, "gpus": 0}
    assert check_resources({"gpus": 2}) == {"cpus": 1, "gpus": 2}


@pytest.mark.parametrize(
    ("resources", "error", "message"),
    [
        ([1, 0], TypeError, "must be a dict"),
        ({"memory": 4}, ValueError, r"unknown key\(s\) \['memory'\]; the allowed keys"),
        ({"cpus": 1.5}, TypeError, r"resources\['cpus'\] must be an integer, but got 1.5"),
        ({"gpus": True}, TypeError, r"resources\['gpus'\] must be an integer"),
        ({"cpus": 0}, ValueError, r"resources\['cpus'\] must be >= 1, but got 0"),
        ({"gpus": -1}, ValueError, r"resources\['gpus'\] must be >= 0, but got -1"),
    ],
)
def test_bad_resources(resources, error, message):
    with pytest.raises(error, match=message):
        LocalBackend(trainables.three_reports, resources=resources)


@pytest.mark.parametrize(
    ("gpus", "error", "message"),
    [
        (True, TypeError, "a count or a list"),
        (-1, ValueError, "must be >= 0"),
        ("0,1", TypeError, "a count or a list"),
        ([0, 0], ValueError, "lists a device twice"),
        ([0.5], TypeError, "ints or strings"),
    ],
)
def test_bad_gpus(gpus, error, message):
    with pytest.raises(error, match=message):
        LocalBackend(trainables.three_reports, gpus=gpus)


@pytest.mark.parametrize("value", [0, -5, 1.5, True, "10MB"])
def test_bad_max_log_bytes(value):
    with pytest.raises(
        ValueError, match=rf"`max_log_bytes` must be an integer >= 1 .* got {value!r}"
    ):
        LocalBackend(trainables.three_reports, max_log_bytes=value)


def test_bad_echo_output():
    with pytest.raises(TypeError, match="`echo_output` must be True or False, but got 'yes'"):
        LocalBackend(trainables.three_reports, echo_output="yes")


def test_bad_grace_period():
    with pytest.raises(ValueError, match="stop_grace_period"):
        LocalBackend(trainables.three_reports, stop_grace_period=-1)


def test_start_before_setup():
    with pytest.raises(RuntimeError, match="setup"):
        LocalBackend(trainables.three_reports).start(Trial(0, {}))


def test_shutdown_without_setup_is_a_no_op():
    backend = LocalBackend(trainables.three_reports)
    backend.shutdown()
    backend.shutdown()
