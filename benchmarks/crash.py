"""Crash campaign: kill the tuner at random moments, resume at once, repeat; nothing is lost or
stored twice, and the study ends as an uninterrupted run does.

Each campaign runs a study whose trials append every acknowledged report to a side file
(``tunesmith.testing.crash``): first uninterrupted (the reference), then killed after a random
delay and started again right away, ``kills`` times (delays are drawn so that kills land in
start-up and journal replay, in restarts and mid-trial, measured by the reports made, so
that a slow machine gets the same mix), then run to its end; a study that ends before all the
kills were made is followed by another. Checks:

* every (trial, epoch) in the side file is in the store, and none is stored twice;
* every trial ends with the reference's status and config;
* with one worker (a deterministic order), the stored configs, results, decisions and trial
  ends equal the reference's, event for event;
* no trial failed.

``--signal`` picks what kills the tuner: KILL (default), INT (Ctrl-C), TERM, or INT2 (Ctrl-C
twice, 0.2 s apart).

    python benchmarks/crash.py --json [--kills 100] [--storage postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

from tunesmith.testing.crash import side_reports, stored_table, stored_trials

#: (backend, scheduler, workers, whether trials checkpoint): the campaigns run by default
CAMPAIGNS = (
    ("local", "random", 4, False),
    ("script", "random", 4, True),
    ("local", "asha", 1, False),
    ("script", "asha-promotion", 1, True),
    ("local", "asha-promotion", 4, True),
    ("script", "asha", 4, False),
)
SIGNALS = {"KILL": signal.SIGKILL, "INT": signal.SIGINT, "TERM": signal.SIGTERM}


def tune_command(
    storage, name, side, *, trials, epochs, seed, sleep, backend, scheduler, workers, checkpoint
):
    args = {
        "--storage": storage,
        "--name": name,
        "--side": side,
        "--trials": trials,
        "--epochs": epochs,
        "--seed": seed,
        "--sleep": sleep,
        "--backend": backend,
        "--scheduler": scheduler,
        "--workers": workers,
    }
    command = [sys.executable, "-m", "tunesmith.testing.crash", "tune"]
    for flag, value in args.items():
        command += [flag, str(value)]
    return command + ([] if checkpoint else ["--no-checkpoint"])


def _lines(path: str) -> int:
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n")
    except FileNotFoundError:
        return 0


def _wait_for_kill(proc: subprocess.Popen, side: str, rng: random.Random, max_delay: float):
    """Wait until it is time to kill ``proc``: a third of the time at a random moment of its
    first 0.6 s (start-up, journal replay, restarts), else once the trials made 1 to 8 more
    reports (a moment of the run itself, whatever the machine's speed), plus up to
    ``max_delay`` / 4 s. Raises ``subprocess.TimeoutExpired`` when the time came; returns if
    the process ended first."""
    if rng.random() < 1 / 3:
        proc.wait(timeout=rng.uniform(0.02, min(0.6, max_delay)))
        return
    attempts = side + ".attempts"
    target, extra = _lines(attempts) + rng.randint(1, 8), rng.uniform(0.0, max_delay / 4)
    deadline = time.monotonic() + 60.0
    while _lines(attempts) < target and time.monotonic() < deadline:
        if proc.poll() is not None:
            return
        time.sleep(0.005)
    proc.wait(timeout=extra)


def _interrupt(proc: subprocess.Popen, how: str) -> None:
    if how == "INT2":
        proc.send_signal(signal.SIGINT)
        time.sleep(0.2)
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    else:
        proc.send_signal(SIGNALS[how])
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:  # an interrupted tuner that does not end is a failure
        proc.kill()
        proc.wait()
        raise


def campaign(
    storage: str,
    tmp: Path,
    *,
    backend: str,
    scheduler: str,
    workers: int,
    checkpoint: bool,
    kills: int,
    trials: int = 40,
    epochs: int = 4,
    seed: int = 0,
    sleep: float = 0.02,
    max_delay: float = 2.0,
    how: str = "KILL",
    prefix: str = "",
) -> dict:
    """One campaign; its figures (study names start with ``prefix``)."""
    rng = random.Random(seed)
    label = f"{backend}-{scheduler}-{workers}w{'-ckpt' * checkpoint}-{how.lower()}-s{seed}"
    label = f"{prefix}{label}"
    env = {**os.environ, "TUNESMITH_HOME": str(tmp / "home")}
    opts = dict(
        trials=trials,
        epochs=epochs,
        seed=seed,
        sleep=sleep,
        backend=backend,
        scheduler=scheduler,
        workers=workers,
        checkpoint=checkpoint,
    )
    ref_name = f"ref-{label}"
    t0 = time.perf_counter()
    command = tune_command(storage, ref_name, str(tmp / f"{ref_name}.jsonl"), **opts)
    subprocess.run(command, check=True, env=env, capture_output=True)
    reference_s = time.perf_counter() - t0
    reference, ref_ends = stored_table(storage, ref_name), stored_trials(storage, ref_name)
    figures = {
        "campaign": label,
        "kills": 0,
        "studies": 0,
        "reports_acknowledged": 0,
        "results_stored": 0,
        "lost": 0,
        "stored_twice": 0,
        "failed_trials": 0,
        "same_statuses_and_configs": True,
        "reference_s": round(reference_s, 2),
        "crashed_s": 0.0,
    }
    if workers == 1:
        figures["same_as_uninterrupted"] = True
    while figures["kills"] < kills:  # a study that ends before all kills are made: another
        name = f"crashed-{label}-{figures['studies']}"
        side = str(tmp / f"{name}.jsonl")
        command = tune_command(storage, name, side, **opts)
        t0 = time.perf_counter()
        while figures["kills"] < kills:
            proc = subprocess.Popen(
                command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            try:
                _wait_for_kill(proc, side, rng, max_delay)
            except subprocess.TimeoutExpired:
                _interrupt(proc, how)
                figures["kills"] += 1
                continue
            if proc.returncode != 0:
                raise RuntimeError(f"{label}: the tuner failed:\n{proc.stderr.read().decode()}")
            break  # it finished before it could be killed
        final = subprocess.run(command, env=env, capture_output=True)
        if final.returncode != 0:
            raise RuntimeError(f"{label}: the final run failed:\n{final.stderr.decode()}")
        figures["crashed_s"] = round(figures["crashed_s"] + time.perf_counter() - t0, 2)
        figures["studies"] += 1
        _compare(figures, storage, name, side, reference, ref_ends, workers, scheduler)
    return figures


def _compare(figures, storage, name, side, reference, ref_ends, workers, scheduler) -> None:
    """Add the checks of the study ``name`` to ``figures``."""
    table = stored_table(storage, name)
    stored = Counter((tid, p["epoch"]) for kind, tid, p in table if kind == "result")
    written = side_reports(side)
    ends = stored_trials(storage, name)
    figures["reports_acknowledged"] += len(written)
    figures["results_stored"] += sum(stored.values())
    figures["lost"] += len(set(written) - set(stored))
    figures["stored_twice"] += sum(n - 1 for n in stored.values() if n > 1)
    figures["failed_trials"] += sum(status == "failed" for status, _ in ends.values())
    if workers == 1 or "asha" not in scheduler:
        same = ends == ref_ends
    else:  # several workers: a comparing scheduler's decisions depend on the order of results
        configs = sorted(c["x"] for _, c in ends.values())
        same = configs == sorted(c["x"] for _, c in ref_ends.values()) and all(
            status in ("completed", "stopped", "paused") for status, _ in ends.values()
        )
    figures["same_statuses_and_configs"] &= same
    if workers == 1:
        figures["same_as_uninterrupted"] &= table == reference


def ok(figures: dict) -> bool:
    """Whether a campaign's figures show nothing lost, nothing twice, the reference's end."""
    return (
        figures["lost"] == 0
        and figures["stored_twice"] == 0
        and figures["failed_trials"] == 0
        and figures["same_statuses_and_configs"]
        and figures.get("same_as_uninterrupted", True)
    )


def run(
    kills: int = 100,
    *,
    campaigns=CAMPAIGNS,
    storage: str | None = None,
    seed: int = 0,
    how: str = "KILL",
    **kwargs,
) -> dict:
    """``kills`` spread over ``campaigns``; the figures of each and the totals."""
    per = [kills // len(campaigns) + (i < kills % len(campaigns)) for i in range(len(campaigns))]
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        url = storage or f"sqlite:///{Path(tmp) / 'crash.db'}"
        prefix = "" if storage is None else f"{uuid.uuid4().hex[:8]}-"  # a store of its own
        for i, ((backend, scheduler, workers, ckpt), n) in enumerate(
            zip(campaigns, per, strict=True)
        ):
            out.append(
                campaign(
                    url,
                    Path(tmp),
                    backend=backend,
                    scheduler=scheduler,
                    workers=workers,
                    checkpoint=ckpt,
                    kills=n,
                    seed=seed + i,
                    how=how,
                    prefix=prefix,
                    **kwargs,
                )
            )
    totals = {
        key: sum(f[key] for f in out)
        for key in ("kills", "reports_acknowledged", "lost", "stored_twice", "failed_trials")
    }
    return {"campaigns": out, "totals": totals, "ok": all(ok(f) for f in out)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--storage", default=None, help="a database URL (default: SQLite)")
    parser.add_argument("--signal", choices=[*SIGNALS, "INT2"], default="KILL")
    args = parser.parse_args()
    figures = run(
        args.kills, storage=args.storage, seed=args.seed, how=args.signal, trials=args.trials
    )
    print(json.dumps(figures, indent=2) if args.json else figures)
    sys.exit(0 if figures["ok"] else 1)
