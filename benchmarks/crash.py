"""Crash test: SIGKILL the tuner at random moments, resume, repeat; nothing reported is lost.

A study runs with a ScriptBackend whose trials append every acknowledged report to a side file
(``tunesmith.testing.crash``). The tuner process is killed with SIGKILL after a random delay and
started again, ``--kills`` times, then runs to the end. Checks:

* every report in the side file is in the store, and no (trial, epoch) is stored twice;
* with n_workers=1, a fixed seed and a deterministic objective, the stored configs, results and
  decisions equal those of an uninterrupted run.

    python benchmarks/crash.py --json [--kills 10] [--trials 30]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from tunesmith.testing.crash import side_reports, stored_table


def tune_command(storage, name, side, trials, seed, sleep):
    args = {
        "--storage": storage,
        "--name": name,
        "--side": side,
        "--trials": trials,
        "--seed": seed,
        "--sleep": sleep,
    }
    command = [sys.executable, "-m", "tunesmith.testing.crash", "tune"]
    for flag, value in args.items():
        command += [flag, str(value)]
    return command


def run(
    kills: int = 10, trials: int = 30, seed: int = 0, max_delay: float = 1.5, sleep: float = 0.1
) -> dict:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        storage = f"sqlite:///{tmp / 'crash.db'}"
        env_home = {"TUNESMITH_HOME": str(tmp / "home")}
        env = {**os.environ, **env_home}
        t0 = time.perf_counter()
        subprocess.run(
            tune_command(storage, "reference", str(tmp / "ref.jsonl"), trials, seed, sleep),
            check=True,
            env=env,
            capture_output=True,
        )
        reference_s = time.perf_counter() - t0
        side = str(tmp / "side.jsonl")
        done_kills = 0
        t0 = time.perf_counter()
        while done_kills < kills:
            proc = subprocess.Popen(
                tune_command(storage, "crashed", side, trials, seed, sleep),
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            try:
                proc.wait(timeout=rng.uniform(0.3, max_delay))
                break  # it finished before we could kill it
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                done_kills += 1
        subprocess.run(
            tune_command(storage, "crashed", side, trials, seed, sleep),
            check=True,
            env=env,
            capture_output=True,
        )
        crashed_s = time.perf_counter() - t0
        table = stored_table(storage, "crashed")
        reference = stored_table(storage, "reference")
        stored = Counter((tid, p["epoch"]) for kind, tid, p in table if kind == "result")
        written = side_reports(side)
        lost = sorted(set(written) - set(stored))
        duplicated = sorted(k for k, n in stored.items() if n > 1)
    return {
        "kills": done_kills,
        "trials": trials,
        "reports_written_by_trials": len(written),
        "results_stored": sum(stored.values()),
        "lost": len(lost),
        "stored_twice": len(duplicated),
        "same_as_uninterrupted": table == reference,
        "reference_run_s": round(reference_s, 2),
        "crashed_runs_s": round(crashed_s, 2),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    figures = run(args.kills, args.trials, args.seed)
    print(json.dumps(figures, indent=2) if args.json else figures)
    ok = figures["lost"] == 0 and figures["stored_twice"] == 0 and figures["same_as_uninterrupted"]
    sys.exit(0 if ok else 1)
