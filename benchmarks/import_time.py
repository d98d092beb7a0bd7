"""Import time of tunesmith, each figure the median over fresh interpreters.

* ``import_tunesmith_s``: ``import tunesmith``, timed inside the process.
* ``import_and_build_s``: ``import tunesmith``, the README's ``from tunesmith import ...`` line
  and building its ``Tuner`` (``LocalBackend``, ``RandomSearch``, ``StoppingCriterion``, a
  study name), timed inside the process: what a user waits for before ``run()``. The target
  is under 0.3 s (``meets_target``).
* ``import_and_build_process_s``: the same script, process start to exit (adds the interpreter's
  start-up, ``interpreter_s``, and its shut-down).
* ``top_modules``: the modules with the largest cumulative import time in that script, from
  ``python -X importtime`` (median per module over ``--importtime-runs`` runs; ``self_ms`` is
  the module's own code, ``cumulative_ms`` adds what it imported): tunesmith's modules and
  top-level packages (``numpy``, not its parts).
* ``heavy_loaded``: which of scipy, SQLAlchemy, pandas, matplotlib, rich, cloudpickle and the
  Gaussian-process modules the script loaded (none should be).

The script is a file (as a user's is): worker processes of a ``LocalBackend`` import it. Each
script runs once untimed first, so that its compiled modules are cached, as for any user.
``--src DIR`` puts another checkout's ``src`` first on the path, to compare two versions in one
run (e.g. a ``git worktree`` of an older commit).

    python benchmarks/import_time.py --json
    python benchmarks/import_time.py --repeat 30 --src /tmp/old/src
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

TARGET_S = 0.3

HEAVY = ("scipy", "sqlalchemy", "pandas", "matplotlib", "rich", "cloudpickle")
GP_MODULES = (
    "tunesmith.searchers.bayesopt",
    "tunesmith.searchers.gp",
    "tunesmith.searchers.mobster",
    "tunesmith.searchers.acquisition",
    "tunesmith.schedulers.bayesian",
)

IMPORT_ONLY = """
import time
_t0 = time.perf_counter()
import tunesmith
_t1 = time.perf_counter()
print("FIGURES", {"import": _t1 - _t0})
"""

#: the README's example up to run(); timings printed as a dict literal (no json import timed)
README_BUILD = """
import time
_t0 = time.perf_counter()
import tunesmith
from tunesmith import LocalBackend, RandomSearch, StoppingCriterion, Tuner, loguniform, randint
_t1 = time.perf_counter()


def train(config):
    for epoch in range(1, config["epochs"] + 1):
        loss = (config["lr"] - 0.01) ** 2 + 1.0 / (epoch * config["width"])
        tunesmith.report(epoch=epoch, loss=loss)


if __name__ == "__main__":
    space = {"lr": loguniform(1e-4, 1e-1), "width": randint(4, 64), "epochs": 10}
    tuner = Tuner(
        LocalBackend(train),
        RandomSearch(space, metric="loss", mode="min", random_seed=0),
        StoppingCriterion(max_num_trials_started=20),
        n_workers=2,
        name="lr-width",
    )
    _t2 = time.perf_counter()
    import sys

    print(
        "FIGURES",
        {
            "import": _t1 - _t0,
            "build": _t2 - _t0,
            "modules": sorted(sys.modules),
            "from": tunesmith.__file__,
        },
    )
"""


def _env(src: str | None, home: str) -> dict[str, str]:
    """The environment of the measured processes: Python as users run it, compiled modules
    cached (the warm-up run writes them, under one folder outside the checkouts) and read
    back; ``PYTHONDONTWRITEBYTECODE``, which some sandboxes set, would compile every module
    from source in every process."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "tunesmith-benchmarks-pycache")
    env["TUNESMITH_HOME"] = home
    if src:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    return env


def run_script_wall(path: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, str(path)], env=env, check=True, timeout=60, stdout=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def run_script(path: Path, env: dict[str, str], *flags: str) -> tuple[dict, float, str]:
    """Run ``path`` in a fresh interpreter: its printed figures, the process's wall time
    (start to exit) and its stderr."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, *flags, str(path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=path.parent,
        timeout=120,
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{path.name} failed ({proc.returncode}):\n{proc.stderr}")
    line = next(x for x in proc.stdout.splitlines() if x.startswith("FIGURES "))
    return ast.literal_eval(line.removeprefix("FIGURES ")), wall, proc.stderr


def parse_importtime(stderr: str) -> dict[str, tuple[float, float]]:
    """``-X importtime`` output as module -> (self ms, cumulative ms)."""
    out = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        self_us, cumulative_us, name = line.removeprefix("import time:").split("|")
        out[name.strip()] = (int(self_us) / 1000, int(cumulative_us) / 1000)
    return out


def measure(repeat: int, importtime_runs: int, top: int, src: str | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="tunesmith-import-") as tmp:
        folder = Path(tmp)
        env = _env(src, str(folder / "home"))
        import_only = folder / "import_only.py"
        import_only.write_text(textwrap.dedent(IMPORT_ONLY))
        build = folder / "readme_build.py"
        build.write_text(textwrap.dedent(README_BUILD))
        empty = folder / "empty.py"
        empty.write_text("")
        for script in (empty, import_only, build):  # warm-up, not timed
            run_script_wall(script, env)
        interpreter, imports, builds, build_walls = [], [], [], []
        modules: list[str] = []
        imported_from = ""
        for _ in range(repeat):  # interleaved, so that load changes hit all figures alike
            interpreter.append(run_script_wall(empty, env))
            figures, _, _ = run_script(import_only, env)
            imports.append(figures["import"])
            figures, wall, _ = run_script(build, env)
            builds.append(figures["build"])
            build_walls.append(wall)
            modules, imported_from = figures["modules"], figures["from"]
        per_module: dict[str, list[tuple[float, float]]] = {}
        for _ in range(importtime_runs):
            _, _, stderr = run_script(build, env, "-X", "importtime")
            for name, times in parse_importtime(stderr).items():
                per_module.setdefault(name, []).append(times)
    ranked = sorted(
        (
            {
                "module": name,
                "cumulative_ms": round(statistics.median(t[1] for t in times), 1),
                "self_ms": round(statistics.median(t[0] for t in times), 1),
            }
            for name, times in per_module.items()
            if "." not in name or name.startswith("tunesmith.")  # packages, not their parts
        ),
        key=lambda row: -row["cumulative_ms"],
    )
    loaded = set(modules)
    heavy = sorted(
        {m for m in HEAVY if m in loaded or any(x.startswith(m + ".") for x in loaded)}
        | (loaded & set(GP_MODULES))
    )
    build_s = statistics.median(builds)
    return {
        "tunesmith_from": str(Path(imported_from).parent),
        "repeat": repeat,
        "interpreter_s": round(statistics.median(interpreter), 4),
        "import_tunesmith_s": round(statistics.median(imports), 4),
        "import_and_build_s": round(build_s, 4),
        "import_and_build_min_s": round(min(builds), 4),
        "import_and_build_process_s": round(statistics.median(build_walls), 4),
        "modules_loaded": len(modules),
        "heavy_loaded": heavy,
        "top_modules": ranked[:top],
        "target_s": TARGET_S,
        "meets_target": build_s < TARGET_S,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON only")
    parser.add_argument("--repeat", type=int, default=15, help="fresh interpreters per figure")
    parser.add_argument("--importtime-runs", type=int, default=3)
    parser.add_argument("--top", type=int, default=15, help="modules listed in top_modules")
    parser.add_argument("--src", help="a checkout's src folder to import tunesmith from")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    figures = measure(args.repeat, args.importtime_runs, args.top, args.src)
    figures["machine"] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_1min_before": round(load_before, 2),
        "load_1min_after": round(os.getloadavg()[0], 2),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(json.dumps({k: v for k, v in figures.items() if k != "top_modules"}, indent=2))
    print("\ntop modules by cumulative import time (ms):")
    for row in figures["top_modules"]:
        print(f"  {row['cumulative_ms']:8.1f} {row['self_ms']:8.1f}  {row['module']}")


if __name__ == "__main__":
    main()
