import os
import sys
import types

import pytest

from tunesmith.backends import EventKind, FailureReason, LocalBackend, local
from tunesmith.backends.local import check_resources
from tunesmith.testing import trainables
from tunesmith.testing.backend_contract import BackendContract, drive, live_descendants
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
        drive(backend, [Trial(0, {"do": "exit3"})])  # the worker dies; no replacement
        event = drive(backend, [Trial(1, {"do": "ok"})])[1][-1]
        assert (event.kind, event.reason) == (EventKind.FAILED, FailureReason.START_FAILED)
        assert "fork failed (simulated)" in event.detail

    def test_stop_of_a_queued_trial(self):
        backend = self.launch("misbehave")
        backend.start(Trial(0, {"do": "hang"}))
        backend.start(Trial(1, {"do": "ok"}))  # no free worker: queued
        backend.stop(1)
        event = backend.next_event(timeout=10)
        assert (event.kind, event.trial_id) == (EventKind.STOPPED, 1)

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


def _local_function():
    def inner(config):
        return 0.0

    return inner


@pytest.mark.parametrize("fn", [lambda config: 0.0, _local_function()])
def test_unpicklable_function(fn):
    with pytest.raises(TypeError, match="module level"):
        LocalBackend(fn)


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
