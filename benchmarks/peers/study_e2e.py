"""A trivial 20-trial study end to end, tunesmith against Optuna on the same machine: each run
is a fresh process (start to exit: interpreter, imports, the study, shut-down) in a fresh empty
folder, so each one creates its study as a newcomer's first run does.

* ``tunesmith``: ``tunesmith_study.py``, the README's form: ``LocalBackend`` (trials in worker
  processes, the README's 2 workers), ``RandomSearch``, the default store (SQLite in
  ``./tunesmith-results``), a study name.
* ``optuna``: ``optuna_study.py memory``, ``optuna.create_study()`` as Optuna's quickstart
  writes it (in memory, trials in the calling process); random sampling, like RandomSearch.
* ``optuna-sqlite`` and ``optuna-journal``: the same with Optuna's durable storages (a SQLite
  database, as tunesmith's default; an append-only journal file).
* not run unless named in ``--variants``, to take tunesmith's time apart:
  ``tunesmith-1-worker`` (``n_workers=1``) and ``tunesmith-memory`` (``storage="memory"``: no
  store, so no SQLAlchemy); ``tunesmith-baseline`` (the README form run from
  ``--baseline-src``, another checkout's ``src``: two commits measured in one run).

The variants take turns within each repeat (the first one rotates), so load changes on the
machine hit all of them alike; figures are medians (and minima) over ``--repeat`` runs, after
one untimed warm-up run of each (compiled modules are cached, as for any user). By
default each process runs in a pseudo-terminal, as in a newcomer's shell (tunesmith then shows
its live progress, Optuna logs a line per trial); ``--no-tty`` runs them with pipes.

    bash benchmarks/peers/setup_optuna.sh            # once: Optuna in /tmp/optuna-venv
    python3 benchmarks/peers/study_e2e.py --json
    python3 benchmarks/peers/study_e2e.py --repeat 21 --variants tunesmith optuna

Only the standard library is used here: any ``python3`` runs it. ``--tunesmith-python``
(default: this checkout's ``.venv/bin/python``) and ``--optuna-python`` (default
``/tmp/optuna-venv/bin/python``, made by ``setup_optuna.sh``) pick the interpreters.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import pty
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

#: variant -> (interpreter option, script, arguments)
VARIANTS = {
    "tunesmith": ("tunesmith", "tunesmith_study.py", []),
    "tunesmith-1-worker": ("tunesmith", "tunesmith_study.py", ["1"]),
    "tunesmith-memory": ("tunesmith", "tunesmith_study.py", ["2", "memory"]),
    # the README form run from --baseline-src (another checkout, e.g. the commit before a change)
    "tunesmith-baseline": ("baseline", "tunesmith_study.py", []),
    "optuna": ("optuna", "optuna_study.py", ["memory"]),
    "optuna-sqlite": ("optuna", "optuna_study.py", ["sqlite"]),
    "optuna-journal": ("optuna", "optuna_study.py", ["journal"]),
}
DEFAULT_VARIANTS = ["tunesmith", "optuna", "optuna-sqlite", "optuna-journal"]


def with_bytecode_cache(env: dict[str, str]) -> dict[str, str]:
    """``env`` for Python as users run it: compiled modules cached (the warm-up run writes
    them) and read back, here under one folder outside the checkouts. Without it
    (``PYTHONDONTWRITEBYTECODE``, which some sandboxes set) every process compiles every
    module it imports from source."""
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "tunesmith-benchmarks-pycache")
    return env


def _drain(fd: int, sink: bytearray) -> None:
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the last process holding the terminal closed it
            return
        if not data:
            return
        sink += data


def run_once(
    python: str, script: Path, args: list[str], tty: bool, timeout: float, src: str | None = None
) -> float:
    """Seconds from starting ``python script args`` in a fresh empty folder to its exit
    (``src``: a folder put first on the module path)."""
    env = with_bytecode_cache({k: v for k, v in os.environ.items() if "TUNESMITH_" not in k})
    if src:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory(prefix="peers-study-") as folder:
        local = Path(folder) / script.name
        shutil.copy(script, local)
        output = bytearray()
        if tty:
            leader, follower = pty.openpty()
            reader = threading.Thread(target=_drain, args=(leader, output), daemon=True)
            reader.start()
            start = time.perf_counter()
            proc = subprocess.Popen(
                [python, str(local), *args],
                cwd=folder,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=follower,
                stderr=follower,
            )
            os.close(follower)
            # a blocking wait returns the moment the process exits; wait(timeout=...) polls
            # with sleeps of up to 50 ms, which rounded every figure up to that grain
            watchdog = threading.Timer(timeout, proc.kill)
            watchdog.start()
            code = proc.wait()
            seconds = time.perf_counter() - start
            watchdog.cancel()
            reader.join(timeout=5)
            os.close(leader)
        else:
            start = time.perf_counter()
            proc = subprocess.run(
                [python, str(local), *args],
                cwd=folder,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout,
            )
            seconds = time.perf_counter() - start
            code = proc.returncode
            output += proc.stdout + proc.stderr
        if code != 0:
            text = output.decode(errors="replace")
            raise RuntimeError(f"{script.name} {' '.join(args)} exited with {code}:\n{text}")
    return seconds


def measure(
    variants: list[str],
    pythons: dict[str, str],
    repeat: int,
    tty: bool,
    src: str | None,
    baseline: str | None = None,
) -> dict:
    srcs = {"tunesmith": src, "baseline": baseline}
    times: dict[str, list[float]] = {v: [] for v in variants}
    for name in variants:  # warm-up, not timed: compiled modules cached, files in the OS cache
        which, script, args = VARIANTS[name]
        run_once(pythons[which], HERE / script, args, tty, timeout=300, src=srcs.get(which))
    for i in range(repeat):
        order = variants[i % len(variants) :] + variants[: i % len(variants)]
        for name in order:
            which, script, args = VARIANTS[name]
            path = HERE / script
            seconds = run_once(pythons[which], path, args, tty, timeout=300, src=srcs.get(which))
            times[name].append(seconds)
    return {
        name: {
            "median_s": round(statistics.median(values), 4),
            "min_s": round(min(values), 4),
            "max_s": round(max(values), 4),
            "runs_s": [round(v, 4) for v in values],
        }
        for name, values in times.items()
    }


def _version(python: str, module: str) -> str | None:
    code = f"import importlib.metadata as m; print(m.version({module!r}))"
    proc = subprocess.run([python, "-c", code], capture_output=True, text=True)
    return proc.stdout.strip() or None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON only")
    parser.add_argument("--repeat", type=int, default=11, help="runs of each variant")
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=DEFAULT_VARIANTS)
    parser.add_argument("--no-tty", dest="tty", action="store_false", help="pipes, no terminal")
    parser.add_argument("--tunesmith-python", default=str(ROOT / ".venv" / "bin" / "python"))
    parser.add_argument("--optuna-python", default="/tmp/optuna-venv/bin/python")
    parser.add_argument(
        "--tunesmith-src", help="another checkout's src folder (e.g. an older commit) to run"
    )
    parser.add_argument(
        "--baseline-src",
        help="a src folder for the tunesmith-baseline variant (added to --variants), to compare "
        "two commits in one run",
    )
    args = parser.parse_args()
    pythons = {
        "tunesmith": args.tunesmith_python,
        "baseline": args.tunesmith_python,
        "optuna": args.optuna_python,
    }
    if args.baseline_src and "tunesmith-baseline" not in args.variants:
        args.variants.append("tunesmith-baseline")
    if "tunesmith-baseline" in args.variants and not args.baseline_src:
        sys.exit("the tunesmith-baseline variant needs --baseline-src")
    for which in {VARIANTS[v][0] for v in args.variants}:
        if not os.access(pythons[which], os.X_OK):
            hint = " (run bash benchmarks/peers/setup_optuna.sh)" if which == "optuna" else ""
            sys.exit(f"no {which} interpreter at {pythons[which]}{hint}")
    load_before = os.getloadavg()[0]
    figures = measure(
        args.variants, pythons, args.repeat, args.tty, args.tunesmith_src, args.baseline_src
    )
    out: dict = {
        "task": "20 trials of (x-2)^2, x ~ uniform(-10, 10), random search, process start to exit",
        "repeat": args.repeat,
        "tty": args.tty,
        "tunesmith_src": args.tunesmith_src,
        "baseline_src": args.baseline_src,
        "seconds": figures,
    }
    if "tunesmith" in figures:
        ours = figures["tunesmith"]["median_s"]
        out["ratio_tunesmith_to"] = {
            name: round(ours / f["median_s"], 3)
            for name, f in figures.items()
            if name.startswith("optuna")
        }
        out["tunesmith_within"] = {
            name: ours <= f["median_s"] for name, f in figures.items() if name.startswith("optuna")
        }
    out["versions"] = {
        "tunesmith": _version(pythons["tunesmith"], "tunesmith"),
        "optuna": _version(pythons["optuna"], "optuna")
        if os.access(pythons["optuna"], os.X_OK)
        else None,
    }
    out["machine"] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_1min_before": round(load_before, 2),
        "load_1min_after": round(os.getloadavg()[0], 2),
    }
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(json.dumps({k: v for k, v in out.items() if k != "seconds"}, indent=2))
    for name, f in figures.items():
        print(f"  {name:20s} median {f['median_s']:.3f} s  min {f['min_s']:.3f} s")


if __name__ == "__main__":
    main()
