"""The fork server of :class:`~tunesmith.backends.local.LocalBackend` (private).

Booting a worker (a fresh interpreter that imports tunesmith and the user's script) takes
about 0.1 s of CPU; with several workers on a small machine that is most of a short study's
time. So the backend starts one *fork server* as soon as it is made: a fresh interpreter that
imports the user's script once, as each worker used to (``__mp_main__``), and then forks one
worker per request. A forked worker is ready in about a millisecond. This is what Python's
``multiprocessing`` calls the "forkserver" start method, with the main module preloaded: the
workers never inherit the tuner's threads, open files or state, only the server's, which has
done nothing but import the script.

The server refuses to fork if importing the script started threads (a fork copies only the
thread that forks, so a lock held by another thread would stay locked in the workers): it says
so when ready, and the backend starts each worker as a fresh interpreter instead, as it does on
systems without ``os.pidfd_open``.

Protocol, over a ``SOCK_SEQPACKET`` socket pair (one pickled tuple per datagram):

- tuner -> server: ``("init", data)`` first (the pickled trial function and what is needed to
  import the script, as a worker gets it); ``("fork", env, cwd, metric)`` with three file
  descriptors attached (the worker's end of its socket, the write ends of its stdout and stderr
  pipes); ``("wait", pid)``: reap that worker once it has exited.
- server -> tuner: ``("ready", refusal)`` (``refusal`` is None, or why it cannot fork) or
  ``("init_failed", traceback)``; ``("forked", pid)`` or ``("fork_failed", why)``;
  ``("status", pid, returncode)`` (negative: killed by that signal, as ``Popen.returncode``).

A worker is the server's child: the server reaps it only when asked, so its id cannot be
reused while the tuner may still signal its process group. When the tuner closes the socket
(or dies) the server kills what is left of its workers and exits; the workers also die with the
server (``PR_SET_PDEATHSIG``), and the server with the thread that started it. At the end of a
run, once its workers are reaped, the backend kills the server.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from typing import Any

#: ``python -c`` code that starts the server; ``{path}`` is the folder holding tunesmith
ZYGOTE_CODE = (
    "import sys; sys.path.insert(0, {path!r}); "
    "from tunesmith.backends._zygote import main; main()"
)
#: the largest datagram: the pickled trial function must fit (a function sent by value with
#: large globals does not, and its workers start as fresh interpreters)
MAX_MESSAGE = 4 << 20
_FD_VAR = "TUNESMITH_ZYGOTE_FD"


def available() -> bool:
    """Whether this system can run workers from a fork server (Linux: pidfds, fd passing)."""
    return (
        sys.platform.startswith("linux")
        and hasattr(os, "pidfd_open")
        and hasattr(socket, "send_fds")
        and hasattr(os, "fork")
    )


class ZygoteError(Exception):
    """The fork server cannot start a worker (it is gone, or it refused): start a fresh
    interpreter instead."""


class Zygote:
    """The tuner's end of a fork server. Thread-safe; each call is one request and its reply."""

    def __init__(self, init: bytes, env: dict[str, str], popen: Any) -> None:
        """Start the server (``popen``: how the backend starts its children) and send it
        ``init``. Raises ZygoteError if it cannot be started or ``init`` is too large."""
        self._lock = threading.Lock()
        self._refusal: str | None = None  # set once it cannot fork
        self._lost = False  # it did not answer (or is gone)
        self._ready = False
        self.proc: subprocess.Popen | None = None
        self._sock, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            for option in (socket.SO_SNDBUF, socket.SO_RCVBUF):
                with contextlib.suppress(OSError):
                    self._sock.setsockopt(socket.SOL_SOCKET, option, MAX_MESSAGE)
            message = pickle.dumps(("init", init), protocol=pickle.HIGHEST_PROTOCOL)
            if len(message) > MAX_MESSAGE:
                raise ZygoteError(f"the trial function is too large ({len(message)} bytes)")
            path = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
            self.proc = popen(
                [sys.executable, "-c", ZYGOTE_CODE.format(path=path)],
                env={**env, _FD_VAR: str(child.fileno())},
                stdin=subprocess.DEVNULL,
                pass_fds=(child.fileno(),),
            )
            self._sock.sendall(message)
        except (OSError, subprocess.SubprocessError) as exc:
            self.close()
            raise ZygoteError(f"the fork server could not start: {exc}") from None
        except BaseException:
            self.close()
            raise
        finally:
            child.close()

    @property
    def pid(self) -> int | None:
        return None if self.proc is None else self.proc.pid

    def _request(self, message: tuple, fds: tuple[int, ...] = (), timeout: float | None = None):
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self._sock.settimeout(None)
            if fds:
                socket.send_fds(self._sock, [data], list(fds))
            else:
                self._sock.sendall(data)
            deadline = None if timeout is None else time.monotonic() + timeout
            while True:
                if deadline is not None:
                    self._sock.settimeout(max(deadline - time.monotonic(), 0.001))
                reply = self._sock.recv(MAX_MESSAGE)
                if not reply:
                    raise ZygoteError("the fork server exited")
                answer = pickle.loads(reply)
                if answer[0] == "ready":
                    self._ready = True
                    if answer[1] is not None:
                        self._refusal = answer[1]
                        raise ZygoteError(answer[1])
                    continue
                if answer[0] == "init_failed":
                    self._refusal = "importing the script failed in the fork server"
                    raise ZygoteError(f"{self._refusal}:\n{answer[1]}")
                return answer
        except (OSError, EOFError, pickle.UnpicklingError) as exc:
            self._lost = True
            self._refusal = self._refusal or f"the fork server does not answer ({exc})"
            raise ZygoteError(self._refusal) from None

    def fork(
        self,
        env: dict[str, str],
        cwd: str,
        metric: Any,
        fds: tuple[int, int, int],
        timeout: float,
    ) -> ForkedProcess:
        """A new worker with ``fds`` (its socket, stdout and stderr) as its own; the caller
        keeps (and closes) its copies. Raises ZygoteError (start a fresh interpreter instead)
        or OSError (the fork itself failed: the system is out of processes or memory)."""
        with self._lock:
            if self._refusal is not None:
                raise ZygoteError(self._refusal)
            answer = self._request(("fork", env, cwd, metric), fds, timeout=timeout)
            if answer[0] == "fork_failed":
                raise OSError(answer[1])
            return ForkedProcess(self, answer[1])

    def reap(self, pid: int) -> int:
        """Reap worker ``pid`` (it has exited) and return its exit status."""
        with self._lock:
            if self._lost:  # replies may be out of step: leave it a zombie until the end
                return -signal.SIGKILL
            try:
                answer = self._request(("wait", pid), timeout=10.0)
            except ZygoteError:
                return -signal.SIGKILL  # the server died: its workers were killed with it
            return answer[2] if answer[:2] == ("status", pid) else -signal.SIGKILL

    def close(self) -> None:
        """End the server and reap it. Idempotent. It is killed rather than waited for: it
        holds nothing to save, and its interpreter's orderly exit took 35 ms of every run's
        end; workers it still has die with it (their parent-death signal), and the backend
        kills their process groups."""
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        if self.proc is not None:
            if self.proc.returncode is None:
                with contextlib.suppress(OSError):
                    self.proc.kill()
            self.proc.wait()


class ForkedProcess:
    """A worker forked by the server: what LocalBackend uses of ``subprocess.Popen``."""

    def __init__(self, zygote: Zygote, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._zygote = zygote
        try:
            self._pidfd: int | None = os.pidfd_open(pid)
        except OSError:  # it already exited and was reaped (the server died)
            self._pidfd = None

    def has_exited(self) -> bool:
        if self.returncode is not None or self._pidfd is None:
            return True
        return bool(select.select([self._pidfd], [], [], 0)[0])

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            if self._pidfd is not None:
                if not select.select([self._pidfd], [], [], timeout)[0]:
                    raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout or 0.0)
                os.close(self._pidfd)
                self._pidfd = None
            self.returncode = self._zygote.reap(self.pid)
        return self.returncode


# -- the server process --------------------------------------------------------------------------
def _send(sock: socket.socket, message: tuple) -> None:
    sock.sendall(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))


def main() -> None:
    from tunesmith.backends import _worker

    sock = socket.socket(fileno=int(os.environ.pop(_FD_VAR)))
    try:
        message = pickle.loads(sock.recv(MAX_MESSAGE))
        fn, _ = _worker._load(message)  # imports the script, as a worker does
    except BaseException:
        with contextlib.suppress(OSError):
            _send(sock, ("init_failed", traceback.format_exc()))
        sys.exit(1)
    threads = [t.name for t in threading.enumerate() if t is not threading.current_thread()]
    if threads:
        why = f"importing the script started threads ({', '.join(threads)})"
        with contextlib.suppress(OSError):
            _send(sock, ("ready", f"the fork server cannot fork safely: {why}"))
        return
    _send(sock, ("ready", None))
    _serve(sock, fn)


def _serve(sock: socket.socket, fn: Any) -> None:
    children: set[int] = set()
    try:
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(sock, MAX_MESSAGE, 3)
            except OSError:
                return
            if not data:
                return  # the tuner closed the socket, or died
            message = pickle.loads(data)
            if message[0] == "fork":
                _, env, cwd, metric = message
                pid = _fork(sock, fds, env, cwd, fn, metric)
                if pid is not None:
                    children.add(pid)
                continue
            for fd in fds:
                os.close(fd)
            if message[0] == "wait":
                pid = message[1]
                try:
                    _, status = os.waitpid(pid, 0)
                    code = os.waitstatus_to_exitcode(status)
                except ChildProcessError:
                    code = -signal.SIGKILL
                children.discard(pid)
                _send(sock, ("status", pid, code))
    finally:
        for pid in children:
            for kill in (os.killpg, os.kill):
                with contextlib.suppress(OSError):
                    kill(pid, signal.SIGKILL)


def _fork(
    sock: socket.socket, fds: list[int], env: dict[str, str], cwd: str, fn: Any, metric: Any
) -> int | None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
    server = os.getpid()
    try:
        pid = os.fork()
    except OSError as exc:
        for fd in fds:
            os.close(fd)
        _send(sock, ("fork_failed", f"could not fork a worker process: {exc}"))
        return None
    if pid == 0:  # the worker: never returns
        _become_worker(sock, fds, env, cwd, fn, metric, server)
    for fd in fds:
        os.close(fd)
    _send(sock, ("forked", pid))
    return pid


def _become_worker(
    sock: socket.socket,
    fds: list[int],
    env: dict[str, str],
    cwd: str,
    fn: Any,
    metric: Any,
    server: int,
) -> None:
    code = 1
    try:
        from tunesmith.backends import _worker
        from tunesmith.backends._hygiene import die_with_parent

        os.setsid()  # its own process group: the tuner kills it with what its trials start
        die_with_parent(server)
        sock.close()
        conn_fd, out_fd, err_fd = fds
        os.dup2(out_fd, 1)
        os.dup2(err_fd, 2)
        os.close(out_fd)
        os.close(err_fd)
        os.environ.clear()
        os.environ.update(env)
        os.chdir(cwd)
        numpy = sys.modules.get("numpy")
        if numpy is not None:  # as in a fresh interpreter, each worker its own global stream
            with contextlib.suppress(Exception):
                numpy.random.seed()
        _worker.line_buffered_output()
        _worker.serve(_worker._Connection(socket.socket(fileno=conn_fd)), fn, metric)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        with contextlib.suppress(Exception):
            traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)
