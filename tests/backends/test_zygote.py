"""LocalBackend's fork server (``start_method="forkserver"``, :mod:`tunesmith.backends._zygote`):
workers are forked by a server that imported the script once, not by the tuner; each gets fresh
global random streams; a script whose import starts threads gets fresh interpreters instead; a
killed tuner takes the server and its workers along."""

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from _wait import wait_for
from tunesmith.backends import EventKind, LocalBackend, _zygote
from tunesmith.testing import trainables
from tunesmith.testing.backend_contract import pid_alive
from tunesmith.trial import Trial

pytestmark = pytest.mark.skipif(not _zygote.available(), reason="needs Linux with pidfd_open")


def _processes(backend, tmp_path, n_workers=2):
    backend.setup(tmp_path / "run", n_workers, metric="loss")
    try:
        # two trials at once, so that each runs in its own worker
        backend.start(Trial(0, {}))
        backend.start(Trial(1, {}))
        results = []
        while len(results) < 2:
            event = backend.next_event(timeout=30)
            assert event is not None, "no result within 30 s"
            if event.kind is EventKind.RESULT:
                results.append(event.result)
                backend.reply(event.trial_id, "continue")
        return results
    finally:
        backend.shutdown()


def test_workers_are_children_of_the_fork_server_with_their_own_random_streams(tmp_path):
    backend = LocalBackend(trainables.report_process)
    server = backend._zygote
    assert server is not None and server.pid != os.getpid()
    results = _processes(backend, tmp_path)
    assert {r["ppid"] for r in results} == {server.pid}
    assert len({r["pid"] for r in results}) == 2
    assert results[0]["draw"] != results[1]["draw"]
    assert results[0]["np_draw"] != results[1]["np_draw"]
    wait_for(lambda: not pid_alive(server.pid), "the fork server to end at shutdown")


def test_spawn_start_method_makes_fresh_interpreters(tmp_path):
    backend = LocalBackend(trainables.report_process, start_method="spawn")
    assert backend._zygote is None
    results = _processes(backend, tmp_path)
    assert {r["ppid"] for r in results} == {os.getpid()}


def test_bad_start_method():
    with pytest.raises(ValueError, match=r"`start_method` must be one of 'forkserver', 'spawn', "):
        LocalBackend(trainables.report_process, start_method="fork")


def test_unused_backend_ends_its_server():
    backend = LocalBackend(trainables.report_process)
    pid = backend._zygote.pid
    backend.shutdown()
    assert not pid_alive(pid)


# a script whose import starts a thread: forking would copy the thread's locks, not the thread
THREADED_SCRIPT = textwrap.dedent(
    """
    import os, sys, threading, time
    import tunesmith
    from tunesmith.backends import LocalBackend
    from tunesmith.trial import Trial

    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()

    def trial(config):
        tunesmith.report(loss=0.0, ppid=os.getppid())

    if __name__ == "__main__":
        backend = LocalBackend(trial)
        backend.setup(sys.argv[1], 1, metric="loss")
        backend.start(Trial(0, {}))
        while True:
            event = backend.next_event(timeout=30)
            if event.kind.value == "result":
                print(event.result["ppid"], os.getpid(), flush=True)
                backend.reply(0, "continue")
            elif event.kind.value != "result":
                break
        backend.shutdown()
    """
)


def test_a_script_that_starts_threads_gets_fresh_interpreters(tmp_path):
    script = tmp_path / "threaded.py"
    script.write_text(THREADED_SCRIPT)
    out = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "run")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    ppid, tuner = out.stdout.split()
    assert ppid == tuner  # the worker is the tuner's own child: no fork server


KILLED_TUNER = textwrap.dedent(
    """
    import json, sys
    from tunesmith.backends import LocalBackend
    from tunesmith.testing import trainables
    from tunesmith.trial import Trial

    backend = LocalBackend(trainables.report_env)
    backend.setup(sys.argv[1], 2, metric="loss")
    backend.start(Trial(0, {"sleep": 1000}))
    backend.start(Trial(1, {"sleep": 1000}))
    print(json.dumps(backend._zygote.pid), flush=True)
    backend.next_event(timeout=1000)
    """
)


def test_killed_tuner_takes_the_server_and_its_workers_along(tmp_path):
    tuner = subprocess.Popen(
        [sys.executable, "-c", KILLED_TUNER, str(tmp_path / "run")],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    server = json.loads(tuner.stdout.readline())
    wait_for(lambda: len(_children(server)) == 2, "the two workers")
    workers = _children(server)
    os.kill(tuner.pid, signal.SIGKILL)
    tuner.wait()
    tuner.stdout.close()
    wait_for(
        lambda: not any(pid_alive(p) for p in [server, *workers]),
        "the fork server and its workers to end",
    )


def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []
