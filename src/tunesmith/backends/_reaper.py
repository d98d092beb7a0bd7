"""The reaper process of the local backends (private; standard library only).

Workers and scripts die with the tuner through ``PR_SET_PDEATHSIG``, but what *they* started
(``sleep 1000 &`` in a script, ``subprocess.Popen`` in a trial function) does not: that signal
is not inherited. Each backend therefore starts one reaper (:class:`~._procs.Reaper`), run as
``python -I -S _reaper.py TUNER_PID``: no site, no tunesmith, no ``signal`` (``enum``) and no
``contextlib`` imports, so it starts in about 12 ms, off the tuner's path. Its stdin is the read
end of a pipe whose write end only the tuner holds; the tuner writes one line per message:

- ``+PGID``: a process group it created (a worker, a script);
- ``-PGID``: that group is gone (killed and its leader reaped);
- ``q``: a normal shutdown (the tuner killed everything itself): exit, killing nothing.

At end-of-file (the tuner died) the reaper sends SIGKILL to every group still registered and
exits. It also dies with the tuner the same way if the pipe stays open (a forked child of the
tuner may hold its write end): its own parent-death signal makes it read what is left and reap.
"""

import os
import sys

try:  # the C module: ``signal`` imports ``enum``, a third of the start-up time
    import _signal as signal
except ImportError:  # not CPython
    import signal

_PR_SET_PDEATHSIG = 1
_PARENT_DIED = signal.SIGUSR1


def _stop_waiting(*_: object) -> None:
    """The tuner is gone: read what was sent without waiting for more, then reap."""
    os.set_blocking(0, False)  # a read blocked now returns (PEP 475 retries it non-blocking)


def _die_with_parent(parent: int) -> None:
    signal.signal(_PARENT_DIED, _stop_waiting)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [_PARENT_DIED])
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            prctl = ctypes.CDLL(None, use_errno=True).prctl
            prctl(_PR_SET_PDEATHSIG, ctypes.c_ulong(_PARENT_DIED), *[ctypes.c_ulong(0)] * 3)
        except (ImportError, OSError, AttributeError):
            pass  # end-of-file on the pipe is enough
    if os.getppid() != parent:  # the tuner died before the signal was set up
        _stop_waiting()


def reap(groups: set[int]) -> None:
    for pgid in groups:
        try:  # noqa: SIM105 (contextlib costs start-up time)
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def main(argv: list[str]) -> None:
    _die_with_parent(int(argv[1]))
    groups: set[int] = set()
    rest = b""
    while True:
        try:
            data = os.read(0, 1 << 16)
        except BlockingIOError:  # the tuner died and everything it sent is read
            data = b""
        if not data:
            break
        *lines, rest = (rest + data).split(b"\n")
        for line in lines:
            if line == b"q":
                return
            try:
                pgid = int(line[1:])
            except ValueError:
                continue
            if pgid <= 1:  # never our own group (0) or init's
                continue
            if line[:1] == b"+":
                groups.add(pgid)
            elif line[:1] == b"-":
                groups.discard(pgid)
    reap(groups)


if __name__ == "__main__":
    main(sys.argv)
