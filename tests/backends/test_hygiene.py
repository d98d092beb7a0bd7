"""Process hygiene of the local backends, seen from outside: a tuner killed with SIGKILL takes
its workers and trials with it, and what the trials started (through the backends' reapers); a
Ctrl-C reaches the tuner, not its trials."""

import contextlib
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from _wait import wait_for
from tunesmith.backends import _procs
from tunesmith.store.owner import _process_start, process_alive
from tunesmith.testing.backend_contract import live_descendants, pid_alive

TUNER = textwrap.dedent(
    """
    import faulthandler, pathlib, signal, sys
    faulthandler.register(signal.SIGUSR1)  # the test dumps the threads' stacks if it hangs
    # Ctrl-C raises, as in a terminal, also when the tests run as a background job (which
    # starts with SIGINT ignored, and a child inherits that)
    signal.signal(signal.SIGINT, signal.default_int_handler)
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
        while True:  # until interrupted; with a timeout, as the tuner waits, so that a SIGINT
            local.next_event(timeout=1.0)  # just before a wait is handled after it at the latest
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
    # two workers, one script process and the two backends' reapers (a SIGINT that comes while
    # the main thread is on its way into a lock wait is handled only when the wait ends, CPython:
    # the script waits with a timeout, as the tuner does)
    wait_for(lambda: len(live_descendants(tuner.pid)) >= 5, "the run's 5 processes")
    return tuner, live_descendants(tuner.pid)


def test_killed_tuner_takes_its_processes_along(tmp_path):
    tuner, children = _start_tuner(tmp_path)
    os.kill(tuner.pid, signal.SIGKILL)
    tuner.wait()
    wait_for(
        lambda: not any(pid_alive(pid) for pid in children),
        f"the killed tuner's processes to end: {[p for p in children if pid_alive(p)]} live",
    )
    # the workers got their start-up data (the pickled trial function, which they execute)
    # through their sockets: no file of it is left in run_dir for a later run to trust
    assert [p.name for p in (tmp_path / "local").iterdir()] == ["trials"]
    assert not list((tmp_path / "local").rglob("*.pkl"))


def test_ctrl_c_reaches_the_tuner_which_shuts_down(tmp_path):
    tuner, children = _start_tuner(tmp_path)
    os.killpg(tuner.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
    try:
        out, err = tuner.communicate(timeout=60)
    except subprocess.TimeoutExpired:  # say where it hangs, and leave nothing running
        tuner.send_signal(signal.SIGUSR1)
        with contextlib.suppress(subprocess.TimeoutExpired):
            tuner.wait(timeout=5)
        for pid in [tuner.pid, *children]:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        out, err = tuner.communicate()
        pytest.fail(f"the tuner did not end within 60 s of a Ctrl-C; its stderr:\n{err}")
    assert "KeyboardInterrupt" in err
    assert out == "shut down\n"
    assert not any(pid_alive(pid) for pid in children)


# a tuner whose trials start processes of their own: PR_SET_PDEATHSIG does not reach those
GRANDCHILDREN_TUNER = textwrap.dedent(
    """
    import pathlib, sys
    from tunesmith.backends import LocalBackend, ScriptBackend
    from tunesmith.testing import trainables
    from tunesmith.trial import Trial

    run = pathlib.Path(sys.argv[1])
    local = LocalBackend(trainables.grandchild, stop_grace_period=0.2)
    script = ScriptBackend(["bash", "-c", "sleep 1000 & sleep 1000 & wait"])
    local.setup(run / "local", 1, metric="loss")
    script.setup(run / "script", 1)
    script.start(Trial(0, {}))
    local.start(Trial(0, {}))
    print(local.next_event().result["pid"], flush=True)  # the trial's `sleep 1000`
    local.next_event()  # blocks until killed
    """
)


def test_killed_tuner_takes_what_its_trials_started(tmp_path):
    tuner = subprocess.Popen(
        [sys.executable, "-c", GRANDCHILDREN_TUNER, str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        line = tuner.stdout.readline()
        assert line.strip().isdigit(), tuner.stderr.read()
        # 2 reapers, the worker and its trial's sleep, bash and its 2 sleeps
        wait_for(lambda: len(live_descendants(tuner.pid)) >= 7, "the run's 7 processes")
        processes = live_descendants(tuner.pid)
        assert int(line) in processes
        described = {pid: _describe(pid) for pid in processes}
        # each process by its start time too: on a busy machine (pid_max 32768) a pid of one
        # that ended may be given to a new process of other work before the check sees it
        starts = {pid: _process_start(pid) for pid in processes}

        def alive(pid: int) -> bool:
            return process_alive(pid, starts[pid])

        os.kill(tuner.pid, signal.SIGKILL)
        tuner.wait()
        try:
            wait_for(lambda: not any(alive(pid) for pid in processes), "the processes to end")
        except AssertionError:  # which ones (stress runs found 3 of them "alive" twice)
            live = [described[pid] for pid in sorted(processes) if alive(pid)]
            raise AssertionError(
                "processes alive 60 s after the tuner was killed:\n"
                + "\n".join(live)
                + "\nall of the run's, when it was killed:\n"
                + "\n".join(described.values())
            ) from None
    finally:
        tuner.kill()
        tuner.wait()
        tuner.stdout.close()
        tuner.stderr.close()


def _describe(pid: int) -> str:
    """``pid``, its parent, process group and command line (for a failure's message)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            command = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return f"{pid}: gone"
    return f"{pid}: parent {fields[1]}, group {fields[2]}: {command[:200]}"


def _group() -> subprocess.Popen:
    """A process group like a worker's: a leader and a child that PR_SET_PDEATHSIG misses."""
    return subprocess.Popen(["bash", "-c", "sleep 1000 & wait"], start_new_session=True)


def _reaper(messages: bytes) -> subprocess.Popen:
    reaper = subprocess.Popen(
        [sys.executable, "-I", "-S", _procs._REAPER, str(os.getpid())],
        stdin=subprocess.PIPE,
        start_new_session=True,  # should it kill its own group (0), it does not kill pytest
    )
    reaper.stdin.write(messages)
    reaper.stdin.flush()
    return reaper


def _members(group: subprocess.Popen) -> set[int]:
    wait_for(lambda: len(live_descendants(group.pid)) == 1, "the group's `sleep 1000`")
    return {group.pid, *live_descendants(group.pid)}


def test_reaper_kills_the_registered_groups_at_end_of_file():
    kept, killed = _group(), _group()
    try:
        members = _members(killed)
        reaper = _reaper(b"+%d\n+%d\n-%d\n+0\n+1\n+x\n" % (kept.pid, killed.pid, kept.pid))
        reaper.stdin.close()  # what the kernel does when the tuner dies
        assert reaper.wait(timeout=60) == 0
        wait_for(lambda: not any(pid_alive(pid) for pid in members), "the group to be killed")
        assert killed.wait(timeout=60) == -signal.SIGKILL
        assert kept.poll() is None  # unregistered: left alone
    finally:
        for group in (kept, killed):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group.pid, signal.SIGKILL)
            group.wait()


def test_reaper_told_to_quit_kills_nothing():
    group = _group()
    try:
        reaper = _reaper(b"+%d\nq\n" % group.pid)
        assert reaper.wait(timeout=60) == 0  # exits while its stdin is still open
        reaper.stdin.close()
        assert group.poll() is None
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group.pid, signal.SIGKILL)
        group.wait()


# the tuner dies but its pipe to the reaper stays open (a child of the tuner holds it)
HELD_PIPE_TUNER = textwrap.dedent(
    """
    import subprocess, sys, time
    from tunesmith.backends._procs import Reaper

    reaper = Reaper()
    reaper.start()
    group = subprocess.Popen(["sleep", "1000"], start_new_session=True)
    reaper.add(group.pid)
    holder = subprocess.Popen(["sleep", "1000"], pass_fds=(reaper._write_fd,))
    print(reaper._proc.pid, group.pid, holder.pid, flush=True)
    time.sleep(1000)
    """
)


def _reading_its_pipe(pid: int) -> bool:
    """Whether process ``pid`` is blocked reading a pipe (what the reaper does once it set up
    its parent-death signal)."""
    try:
        with open(f"/proc/{pid}/wchan") as f:
            return f.read().endswith("pipe_read")  # pipe_read, anon_pipe_read (Linux 6.x)
    except OSError:
        return False


def _catches(pid: int, sig: int) -> bool:
    with open(f"/proc/{pid}/status") as f:
        caught = next(line.split()[1] for line in f if line.startswith("SigCgt:"))
    return bool(int(caught, 16) >> (sig - 1) & 1)


@pytest.mark.parametrize("settled", [True, False])
def test_reaper_dies_with_the_tuner_even_if_the_pipe_stays_open(settled):
    tuner = subprocess.Popen(
        [sys.executable, "-c", HELD_PIPE_TUNER],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    line = tuner.stdout.readline()
    assert line, tuner.stderr.read()
    reaper, group, holder = map(int, line.split())
    try:
        if settled:  # it set up its parent-death signal (else it sees its parent is gone)
            wait_for(lambda: _catches(reaper, signal.SIGUSR1), "the reaper's SIGUSR1 handler")
            wait_for(lambda: _reading_its_pipe(reaper), "the reaper to wait on its pipe")
        os.kill(tuner.pid, signal.SIGKILL)
        tuner.wait()
        assert pid_alive(holder)  # the pipe is still open
        wait_for(
            lambda: not pid_alive(group) and not pid_alive(reaper),
            "the reaper to kill the group and end",
        )
    finally:
        tuner.kill()
        tuner.wait()
        for pid in (holder, group):
            if pid_alive(pid):
                os.kill(pid, signal.SIGKILL)
        tuner.stdout.close()
        tuner.stderr.close()
