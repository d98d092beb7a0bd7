"""Between two trials in a LocalBackend worker (private): what one trial changed in its worker
must not reach the next one.

- :class:`ProcessState`: the environment (``os.environ``), the working folder, the umask and
  the resource limits, saved before a trial and put back after it. A limit that cannot be put
  back (an unprivileged process cannot raise a hard limit it lowered) retires the worker.
- :func:`kill_leftovers`: kills and reaps every process the trial started and left running.
  On Linux the worker is a child subreaper (``PR_SET_CHILD_SUBREAPER``), so even processes
  that left its process group (``setsid``, daemons) stay its descendants and are found in
  ``/proc``; elsewhere psutil is used if installed, else the worker's children are left alone
  until the worker exits.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import time

try:
    import resource
except ImportError:  # not Unix
    resource = None  # type: ignore[assignment]

__all__ = [
    "ProcessState",
    "become_subreaper",
    "die_with_parent",
    "flush_c_stdio",
    "kill_leftovers",
]

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
_LINUX = sys.platform.startswith("linux")
_LIMITS = sorted(
    (name, getattr(resource, name))
    for name in dir(resource)
    if name.startswith("RLIMIT_") and isinstance(getattr(resource, name), int)
)
_subreaper = False


def _load_libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


_libc = _load_libc()
_fflush = getattr(_libc, "fflush", None)


def become_subreaper() -> bool:
    """Make this process adopt its orphaned descendants (Linux). True if it worked."""
    global _subreaper
    if _LINUX and _libc is not None:
        with contextlib.suppress(AttributeError):
            _subreaper = _libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    return _subreaper


def die_with_parent(parent_pid: int) -> None:
    """Be killed (SIGKILL) when the parent dies (Linux); exit now if it already has."""
    if _LINUX and _libc is not None:
        with contextlib.suppress(AttributeError):
            _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:
        os._exit(1)


def flush_c_stdio() -> None:
    """``fflush(NULL)``: output that C code buffered in its ``stdout`` reaches the pipe now."""
    if _fflush is not None:
        _fflush(None)


class ProcessState:
    """The process state a trial may change, saved when made; :meth:`restore` puts it back."""

    def __init__(self) -> None:
        # os.environ keeps its encoded data in a plain dict: a copy of it is taken in a
        # microsecond, where decoding every variable takes a hundred
        self._data = getattr(os.environ, "_data", None)
        self.environ = dict(os.environ if self._data is None else self._data)
        try:
            self.cwd: str | None = os.getcwd()
        except OSError:
            self.cwd = None
        self.umask = os.umask(0o022)
        os.umask(self.umask)
        self.limits = {}
        for name, limit in _LIMITS:
            with contextlib.suppress(OSError, ValueError):
                self.limits[name] = (limit, resource.getrlimit(limit))

    def restore(self) -> str | None:
        """Put the saved state back; what could not be put back (None: all of it)."""
        problems = []
        if self._data is None:
            saved: dict[str, str] | None = self.environ
        elif getattr(os.environ, "_data", None) is self._data and self._data == self.environ:
            saved = None  # unchanged: the usual case
        else:
            saved = {os.fsdecode(k): os.fsdecode(v) for k, v in self.environ.items()}
        if saved is not None:
            self._restore_environ(saved)
        if self.cwd is not None:
            try:
                if os.getcwd() != self.cwd:
                    os.chdir(self.cwd)
            except OSError as exc:
                problems.append(f"the working folder {self.cwd}: {exc}")
        os.umask(self.umask)
        for name, (limit, saved) in self.limits.items():
            try:
                if resource.getrlimit(limit) != saved:
                    resource.setrlimit(limit, saved)
            except (OSError, ValueError) as exc:
                problems.append(f"{name} {saved}: {exc}")
        return "; ".join(problems) or None

    @staticmethod
    def _restore_environ(saved: dict[str, str]) -> None:
        env = os.environ
        current = dict(env)
        for key in current.keys() - saved.keys():
            with contextlib.suppress(KeyError, OSError):
                del env[key]
        for key, value in saved.items():
            if current.get(key) != value:
                with contextlib.suppress(OSError, ValueError):
                    env[key] = value


def _children_of(pid: int) -> list[int] | None:
    """The children of ``pid`` from ``/proc/PID/task/*/children`` (None: not available)."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    out: list[int] = []
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(child) for child in f.read().split()]
        except FileNotFoundError:
            if not os.path.exists(f"/proc/{pid}/task/{task}"):
                continue  # the thread ended
            return None  # a kernel without CONFIG_PROC_CHILDREN
        except (OSError, ValueError):
            continue
    return out


def _descendants_from_stat(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rpartition(")")[2].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def _descendants(pid: int) -> set[int]:
    if _LINUX:
        direct = _children_of(pid)
        if direct is not None and not direct:
            return set()  # the usual case, in microseconds
        if direct is not None:
            out, todo = set(), list(direct)
            while todo:
                child = todo.pop()
                if child not in out:
                    out.add(child)
                    todo += _children_of(child) or []
            return out
        return _descendants_from_stat(pid)
    try:
        import psutil
    except ImportError:
        return set()
    with contextlib.suppress(psutil.Error):
        return {child.pid for child in psutil.Process(pid).children(recursive=True)}
    return set()


def _reap_exited() -> None:
    """Reap the children that have exited (without waiting for the others)."""
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0] != 0:
            pass


def kill_leftovers(timeout: float = 5.0) -> int:
    """SIGKILL every descendant of this process and reap its children; the number killed.
    Gives up after ``timeout`` seconds (a process stuck in the kernel)."""
    me, killed = os.getpid(), set()
    deadline = time.monotonic() + timeout
    while True:
        found = _descendants(me)
        if not found or time.monotonic() > deadline:
            return len(killed)
        if found <= killed:  # killed but not exited yet: they take microseconds
            time.sleep(0.001)
        for pid in found:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        killed |= found
        _reap_exited()
