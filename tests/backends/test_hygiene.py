"""Process hygiene of the local backends, seen from outside: a tuner killed with SIGKILL takes
its workers and trials with it; a Ctrl-C reaches the tuner, not its trials."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from tunesmith.testing.backend_contract import live_descendants, pid_alive, wait_until

TUNER = textwrap.dedent(
    """
    import pathlib, sys
    from tunesmith.backends import LocalBackend, ScriptBackend
    from tunesmith.testing import trainables
    from tunesmith.trial import Trial

    run = pathlib.Path(sys.argv[1])
    local = LocalBackend(trainables.report_env, stop_grace_period=0.2)
    script = ScriptBackend(["sleep", "1000"], stop_grace_period=0.2)
    try:
        local.setup(run / "local", 2, metric="loss")
        script.setup(run / "script", 1)
        local.start(Trial(0, {"sleep": 1000}))
        script.start(Trial(0, {}))
        print("started", flush=True)
        local.next_event()  # blocks until interrupted
    finally:
        local.shutdown()
        script.shutdown()
        print("shut down", flush=True)
    """
)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")


def _start_tuner(tmp_path):
    tuner = subprocess.Popen(
        [sys.executable, "-c", TUNER, str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, like a shell job
    )
    assert tuner.stdout.readline() == "started\n", tuner.stderr.read()
    # two workers and one script process
    assert wait_until(lambda: len(live_descendants(tuner.pid)) >= 3, timeout=10)
    return tuner, live_descendants(tuner.pid)


def test_killed_tuner_takes_its_processes_along(tmp_path):
    tuner, children = _start_tuner(tmp_path)
    os.kill(tuner.pid, signal.SIGKILL)
    tuner.wait()
    assert wait_until(lambda: not any(pid_alive(pid) for pid in children), timeout=10), [
        pid for pid in children if pid_alive(pid)
    ]


def test_ctrl_c_reaches_the_tuner_which_shuts_down(tmp_path):
    tuner, children = _start_tuner(tmp_path)
    os.killpg(tuner.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
    out, err = tuner.communicate(timeout=20)
    assert "KeyboardInterrupt" in err
    assert out == "shut down\n"
    assert not any(pid_alive(pid) for pid in children)
