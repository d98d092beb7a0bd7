"""Small trial functions for backend tests, importable by worker processes.

Each is ``fn(config)``. Run one as a script (for script backends) with::

    python -m tunesmith.testing.trainables NAME [--key value ...]

The script reads its config from ``$TUNESMITH_CONFIG`` (falling back to ``--key value``
arguments); a returned number is reported as ``loss``, a returned dict as it is.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import subprocess
import sys
import time
from typing import Any

from tunesmith.reporting import checkpoint_dir, report, trial_id

__all__ = [
    "TRAINABLES",
    "checkpointing",
    "forgetful",
    "grandchild",
    "leaves_children",
    "misbehave",
    "noop",
    "prints",
    "process_state",
    "report_env",
    "resumable",
    "returns_value",
    "slow_reports",
    "three_reports",
]


def noop(config: dict[str, Any]) -> None:
    """Does nothing (for measuring a backend's own overhead)."""


def three_reports(config: dict[str, Any]) -> None:
    """Reports ``epoch`` 1..3 and ``loss = x / epoch``."""
    x = float(config.get("x", 1.0))
    for epoch in (1, 2, 3):
        report(epoch=epoch, loss=x / epoch)


def returns_value(config: dict[str, Any]) -> float:
    """Reports nothing, returns ``x`` (a final report of the backend's metric)."""
    return float(config.get("x", 0.25))


def checkpointing(config: dict[str, Any]) -> None:
    """Reports epochs 1..5, saving the epoch in its checkpoint folder before each report; a
    resumed run continues after the saved epoch and reports ``resumed_from``."""
    folder = checkpoint_dir()
    assert folder is not None, "checkpointing must run inside a trial"
    state = folder / "state.json"
    start = json.loads(state.read_text())["epoch"] if state.exists() else 0
    for epoch in range(start + 1, 6):
        state.write_text(json.dumps({"epoch": epoch}))
        report(epoch=epoch, loss=1.0 / epoch, resumed_from=start)


def resumable(config: dict[str, Any]) -> None:
    """Reports ``epoch`` 1..``epochs`` (default 9) with ``loss = x + 1 / epoch`` and ``start``,
    the epoch it started after: it saves the epoch in its checkpoint folder before each report,
    and a resumed run continues after the saved epoch."""
    folder = checkpoint_dir()
    assert folder is not None, "resumable must run inside a trial"
    state = folder / "epoch"
    start = int(state.read_text()) if state.exists() else 0
    x = float(config.get("x", 0.5))
    for epoch in range(start + 1, int(config.get("epochs", 9)) + 1):
        state.write_text(str(epoch))
        report(epoch=epoch, loss=x + 1.0 / epoch, start=start)


def forgetful(config: dict[str, Any]) -> None:
    """Like :func:`resumable`, but ignores checkpoints: every run starts again at epoch 1."""
    x = float(config.get("x", 0.5))
    for epoch in range(1, int(config.get("epochs", 9)) + 1):
        report(epoch=epoch, loss=x + 1.0 / epoch, start=0)


def slow_reports(config: dict[str, Any]) -> None:
    """Reports ``epoch`` every ``delay`` seconds (default 0.02), ``n`` times (default 500)."""
    delay = float(config.get("delay", 0.02))
    for epoch in range(1, int(config.get("n", 500)) + 1):
        report(epoch=epoch, loss=1.0 / epoch)
        time.sleep(delay)


def misbehave(config: dict[str, Any]) -> None:
    """Does what ``config["do"]`` says: "ok" (one report), "raise", "nan", "reserved",
    "string" (reports a string), "sysexit" (``sys.exit(2)``), "exit3" (``os._exit(3)``),
    "segfault", "hang" (reports once, then sleeps), "swallow" (reports in a loop, ignoring
    TrialStopped/TrialPaused)."""
    do = config.get("do", "ok")
    if do == "ok":
        report(loss=0.5)
    elif do == "raise":
        raise ValueError("boom from the trial")
    elif do == "nan":
        report(loss=float("nan"))
    elif do == "reserved":
        report(ts_loss=1.0)
    elif do == "string":
        report(loss="low")
    elif do == "sysexit":
        sys.exit(2)
    elif do == "exit3":
        sys.stdout.flush()
        os._exit(3)
    elif do == "segfault":
        ctypes.string_at(0)
    elif do == "hang":
        report(loss=0.5)
        time.sleep(1000)
    elif do == "swallow":
        while True:
            with contextlib.suppress(SystemExit):
                report(loss=0.5)
            time.sleep(0.01)
    else:
        raise ValueError(f"unknown behaviour {do!r}")


def report_env(config: dict[str, Any]) -> None:
    """Reports the worker's pid, ``CUDA_VISIBLE_DEVICES`` (as a number, -1 if unset) and
    ``OMP_NUM_THREADS``; sleeps ``sleep`` seconds first."""
    time.sleep(float(config.get("sleep", 0.0)))
    cuda = os.environ.get("CUDA_VISIBLE_DEVICES", "-1")
    report(
        pid=os.getpid(),
        cuda=int(cuda) if cuda.lstrip("-").isdigit() else -2,
        omp=int(os.environ.get("OMP_NUM_THREADS", "0")),
        trial=trial_id() if trial_id() is not None else -1,
    )


def grandchild(config: dict[str, Any]) -> None:
    """Starts ``sleep 1000`` (a grandchild of the tuner), reports its pid, then hangs."""
    child = subprocess.Popen(["sleep", "1000"])
    report(pid=child.pid)
    time.sleep(1000)


def leaves_children(config: dict[str, Any]) -> None:
    """Starts ``sleep 60`` without waiting for it, and ``setsid sleep 60`` through a shell that
    exits at once (a process outside the trial's process group whose parent is gone); reports
    both pids (``pid``, ``escaped``) and its own (``worker``) and returns."""
    child = subprocess.Popen(["sleep", "60"])
    shell = subprocess.run(
        ["sh", "-c", "setsid sleep 60 </dev/null >/dev/null 2>&1 & echo $!"],
        capture_output=True,
        text=True,
        check=True,
    )
    report(pid=child.pid, escaped=int(shell.stdout), worker=os.getpid())


def process_state(config: dict[str, Any]) -> None:
    """Writes what it sees of its process (an environment variable, the working folder, the
    umask, the limit on open files) to ``seen.json`` in its trial folder, then with
    ``config["change"]`` changes all of them (``chdir`` to ``config["dir"]``). With
    ``config["unrestorable"]`` it also makes ``resource.setrlimit`` fail in its worker, as for an
    unprivileged process that lowered a hard limit. Reports its process id."""
    import resource

    folder = checkpoint_dir()
    assert folder is not None, "process_state must run inside a trial"
    umask = os.umask(0o022)
    os.umask(umask)
    seen = {
        "var": os.environ.get("TUNESMITH_TEST_VAR"),
        "home": os.environ.get("HOME"),
        "cwd": os.getcwd(),
        "umask": umask,
        "nofile": list(resource.getrlimit(resource.RLIMIT_NOFILE)),
    }
    (folder.parent / "seen.json").write_text(json.dumps(seen))
    if config.get("change"):
        os.environ["TUNESMITH_TEST_VAR"] = "set by a trial"
        os.environ["HOME"] = "/nowhere"
        os.chdir(config["dir"])
        os.umask(0o077)
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, 64), hard))
    if config.get("unrestorable"):

        def refuse(*args: Any) -> None:
            raise PermissionError(1, "Operation not permitted (simulated)")

        resource.setrlimit = refuse  # type: ignore[assignment]
    report(pid=os.getpid())


def prints(config: dict[str, Any]) -> None:
    """Writes to stdout and stderr in every way: ``print``, ``os.write`` on descriptors 1 and 2,
    C ``printf`` (buffered by the C library), a child process; then ``lines`` numbered lines
    (``line 1`` ...) on stdout; a last line without a newline. Reports once."""
    print("python stdout")
    print("python stderr", file=sys.stderr)
    os.write(1, b"fd 1\n")
    os.write(2, b"fd 2\n")
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).printf(b"C printf\n")
    subprocess.run(["sh", "-c", "echo child stdout; echo child stderr >&2"], check=True)
    for i in range(1, int(config.get("lines", 0)) + 1):
        print(f"line {i}")
    report(loss=0.5)
    print("no newline", end="")


TRAINABLES = {
    fn.__name__: fn
    for fn in (
        noop,
        three_reports,
        returns_value,
        checkpointing,
        resumable,
        forgetful,
        slow_reports,
        misbehave,
        report_env,
        grandchild,
        leaves_children,
        process_state,
        prints,
    )
}


def _config_from_args(args: list[str]) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for key, value in zip(args[::2], args[1::2], strict=False):
        try:
            config[key.lstrip("-")] = json.loads(value)
        except json.JSONDecodeError:
            config[key.lstrip("-")] = value
    return config


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in TRAINABLES:
        raise SystemExit(f"usage: trainables.py {{{','.join(TRAINABLES)}}} [--key value ...]")
    path = os.environ.get("TUNESMITH_CONFIG")
    if path:
        with open(path) as f:
            config = json.load(f)
    else:
        config = _config_from_args(argv[1:])
    value = TRAINABLES[argv[0]](config)
    if isinstance(value, dict):
        report(**value)
    elif value is not None:
        report(loss=value)


if __name__ == "__main__":
    main()


def report_process(config: dict[str, Any]) -> None:
    """Reports the worker's pid and parent pid, and a draw of ``random`` and of
    ``numpy.random`` (global streams), as ``loss`` = 0."""
    import random

    import numpy

    report(
        loss=0.0,
        pid=os.getpid(),
        ppid=os.getppid(),
        draw=random.random(),
        np_draw=float(numpy.random.random()),
    )
