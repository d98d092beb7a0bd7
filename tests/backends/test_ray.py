"""RayBackend on a Ray instance started once for this module (the backend contract suite and
what only Ray has). Skipped where Ray is not installed: pip install "tunesmith[ray]"."""

import json
import os
import signal
import sys
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason='Ray is not installed (pip install "tunesmith[ray]")')

from tunesmith.backends import EventKind, FailureReason  # noqa: E402
from tunesmith.backends.ray import RayBackend  # noqa: E402
from tunesmith.testing import trainables  # noqa: E402
from tunesmith.testing.backend_contract import BackendContract, drive  # noqa: E402
from tunesmith.trial import Decision, Trial  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def ray_instance():
    # no pool of idle Ray workers (prestarted ones would count as processes left behind)
    system = {"enable_worker_prestart": False, "prestart_worker_first_driver": False}
    ray.init(
        num_cpus=4,
        num_gpus=1,
        resources={"slot": 2},
        include_dashboard=False,
        log_to_driver=False,
        _system_config=system,
    )
    yield
    ray.shutdown()


class TestRayBackendContract(BackendContract):
    exception_reason = FailureReason.EXCEPTION
    # an actor still being created when shutdown() gives up waiting for it (10 s, reached on
    # a loaded machine) is killed, and Ray may then start a worker process for it, which the
    # raylet ends on its own (a stress run found one left at shutdown()'s return)
    shutdown_grace = 60.0

    def make_backend(self, trainable_name):
        return RayBackend(getattr(trainables, trainable_name), stop_grace_period=0.5)


# -- what only RayBackend has ----------------------------------------------------------------------


def _launch(tmp_path, fn_or_command, n_workers=1, **kwargs):
    backend = RayBackend(fn_or_command, stop_grace_period=0.5, **kwargs)
    backend.setup(tmp_path / "run", n_workers, metric="loss")
    return backend


def _parent(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rpartition(")")[2].split()[1])


def test_a_command_runs_on_ray(tmp_path):
    command = f"{sys.executable} -m tunesmith.testing.trainables three_reports"
    backend = _launch(tmp_path, command)
    try:
        events = drive(backend, [Trial(0, {"x": 6.0})])[0]
    finally:
        backend.shutdown()
    assert [e.kind for e in events] == [EventKind.RESULT] * 3 + [EventKind.COMPLETED]
    assert [e.result["loss"] for e in events[:3]] == [6.0, 3.0, 2.0]
    assert (tmp_path / "run" / "trials" / "0" / "config.json").exists()


def test_checkpoints_are_copied_back_and_forth(tmp_path):
    # copy_checkpoints=True: trials keep their folders on the node, as on a machine that does
    # not share the tuner's file system; the checkpoint travels with the end and the resume
    backend = _launch(tmp_path, trainables.checkpointing, n_workers=2, copy_checkpoints=True)
    pause_at_2 = lambda e: Decision.PAUSE if e.result["epoch"] == 2 else Decision.CONTINUE  # noqa: E731
    try:
        events = drive(backend, [Trial(0, {})], decide=pause_at_2)[0]
        assert events[-1].kind is EventKind.PAUSED
        saved = tmp_path / "run" / "trials" / "0" / "checkpoint" / "state.json"
        assert json.loads(saved.read_text()) == {"epoch": 2}  # back on the tuner's side
        events = drive(backend, [(Trial(0, {}), True)])[0]
    finally:
        backend.shutdown()
    assert [e.result["epoch"] for e in events[:3]] == [3, 4, 5]
    assert {e.result["resumed_from"] for e in events[:3]} == {2}
    assert json.loads(saved.read_text()) == {"epoch": 5}


@pytest.mark.slow
def test_a_killed_actor_fails_its_trial_as_worker_lost_and_is_replaced(tmp_path):
    backend = _launch(tmp_path, trainables.report_env)
    try:
        backend.start(Trial(0, {}))
        event = backend.next_event(timeout=60)  # the trial waits for the answer
        assert event.kind is EventKind.RESULT
        actor = _parent(event.result["pid"])  # the trial's worker <- ... <- its actor
        while "TrialHost" not in Path(f"/proc/{actor}/cmdline").read_text():
            actor = _parent(actor)
        os.kill(actor, signal.SIGKILL)
        backend.reply(0, Decision.CONTINUE)
        event = backend.next_event(timeout=60)
        assert (event.kind, event.trial_id) == (EventKind.FAILED, 0)
        assert event.reason is FailureReason.WORKER_LOST
        assert "Ray actor" in event.detail and "lost" in event.detail
        events = drive(backend, [Trial(1, {})], timeout=60)[1]  # a new actor runs it
        assert events[0].kind is EventKind.RESULT
    finally:
        backend.shutdown()


def test_fractional_gpus_and_custom_resources(tmp_path):
    # the Ray instance of this module declares one GPU and two "slot"s: the two actors (half a
    # GPU and a slot each) are up at once (setup waits for both), and share the device
    backend = _launch(
        tmp_path,
        trainables.report_env,
        n_workers=2,
        resources_per_trial={"cpus": 1, "gpus": 0.5, "slot": 1},
    )
    try:
        events = drive(backend, [Trial(0, {"sleep": 0.2}), Trial(1, {"sleep": 0.2})])
    finally:
        backend.shutdown()
    assert [events[t][0].result["cuda"] for t in (0, 1)] == [0, 0]


def test_resources_no_node_has_are_refused(tmp_path):
    backend = RayBackend(trainables.noop, resources_per_trial={"cpus": 1, "tpu_pod": 1})
    with pytest.raises(ValueError, match=r"fits no node of the Ray cluster") as info:
        backend.setup(tmp_path / "run", 1, metric="loss")
    assert "tpu_pod" in str(info.value)
    backend.shutdown()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"resources_per_trial": {"cpus": -1}},
            ValueError,
            r"resources_per_trial\['cpus'\] must be a number >= 0, but got -1",
        ),
        (
            {"resources_per_trial": {"num_gpus": 1}},
            ValueError,
            r"has 'num_gpus'; write 'cpus' and 'gpus'",
        ),
        ({"resources_per_trial": [1]}, TypeError, r"`resources_per_trial` must be a dict"),
        ({"address": ""}, ValueError, r"`address` must be None .* but got ''"),
        (
            {"copy_checkpoints": "yes"},
            TypeError,
            r"`copy_checkpoints` must be None, True or False, but got 'yes'",
        ),
        (
            {"stop_grace_period": -1},
            ValueError,
            r"`stop_grace_period` must be a number of seconds >= 0, but got -1",
        ),
        ({"env": {"A": "1"}}, ValueError, r"`env`, `cwd` and `script_backend` are for commands"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        RayBackend(trainables.noop, **kwargs)


@pytest.mark.parametrize(("target", "message"), [(42, "must be a function"), ("", "empty command")])
def test_bad_function_or_command(target, message):
    with pytest.raises((TypeError, ValueError), match=message):
        RayBackend(target)


def test_missing_ray_names_the_install_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if it were not installed
    with pytest.raises(ImportError, match=r'pip install "tunesmith\[ray\]"'):
        RayBackend(trainables.noop)
