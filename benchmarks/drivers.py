"""Several drivers, one study: N driver processes run one ASHA study together
(``Tuner(..., shared=True)``), one of them is killed with SIGKILL mid-run, and the study is
audited against the side files its trials wrote.

Each driver is ``python -m tunesmith.testing.crash tune --shared`` (LocalBackend, ``--workers``
workers, ASHA with stopping, trials that report ``epochs`` times and append every acknowledged
report to their driver's side file). Figures:

* ``lost``: acknowledged reports (side files) missing from the store; ``stored_twice``:
  (trial, epoch) results stored more than once; ``duplicate_trial_ids`` and
  ``duplicate_configs``: trials created twice under one id, configs evaluated by two trials;
* ``trials`` and their end statuses (every trial ends completed or stopped, none left running);
* ``lag``: every scheduler decision records the journal position it had read (``seen``); for
  each result and each other driver, ``max_decisions_late`` is how many of that driver's
  decisions journaled after the result had not read it (1 at most: a decision made while the
  result was being committed; the next one has it), and ``ms`` the time from the result to the
  first decision of another driver that had read it (median, p99, max: bounded by how often
  drivers decide);
* ``killed``: the driver killed with SIGKILL (``--kill-after`` reports of its trials), the
  trials it was running, and the driver that re-ran each of them (from its checkpoint: the
  trials save one after each report) and how it ended.

    python benchmarks/drivers.py --json                            # 2 drivers on SQLite
    python benchmarks/drivers.py --json --drivers 4 --storage postgresql+psycopg://...
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

from tunesmith.testing.crash import side_reports


def driver_command(storage, name, side, *, workers, trials, epochs, sleep, seed):
    return [
        sys.executable,
        "-m",
        "tunesmith.testing.crash",
        "tune",
        *("--storage", storage, "--name", name, "--side", str(side)),
        *("--backend", "local", "--scheduler", "asha", "--workers", str(workers)),
        *("--trials", str(trials), "--epochs", str(epochs), "--sleep", str(sleep)),
        *("--seed", str(seed), "--shared"),
    ]


def _lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def audit(storage: str, name: str, sides: list[Path]) -> dict:
    """The figures of a shared study (see the module's doc), from its journal and side files."""
    from tunesmith.store import Store

    with Store(storage) as store:
        events = store.read_events(name)
        trials = store.trials(name)
    created = Counter(e.trial_id for e in events if e.kind.value == "trial_created")
    configs = Counter(
        json.dumps(e.payload, sort_keys=True) for e in events if e.kind.value == "trial_created"
    )
    stored = Counter((e.trial_id, e.payload["epoch"]) for e in events if e.kind.value == "result")
    written = set()
    for side in sides:
        written.update(side_reports(str(side)))
    figures = {
        "trials": len(trials),
        "statuses": dict(Counter(t["status"] for t in trials)),
        "results_stored": sum(stored.values()),
        "reports_acknowledged": len(written),
        "lost": len(written - set(stored)),
        "stored_twice": sum(n - 1 for n in stored.values() if n > 1),
        "duplicate_trial_ids": sum(n - 1 for n in created.values() if n > 1),
        "duplicate_configs": sum(n - 1 for n in configs.values() if n > 1),
    }
    figures["lag"] = _lag(events)
    return figures


def _lag(events) -> dict:
    """How soon each result reached the decisions of the other drivers."""
    runner: dict[int, str] = {}  # trial -> the driver that runs it
    results: list[tuple[int, str, float]] = []  # (seq, driver, time)
    decisions: dict[str, list[tuple[int, int, float]]] = defaultdict(list)  # (seq, seen, time)
    for e in events:
        kind = e.kind.value
        if kind == "trial_started" and "driver" in e.payload:
            runner[e.trial_id] = e.payload["driver"]
        elif kind == "result" and e.trial_id in runner:
            results.append((e.seq, runner[e.trial_id], e.time))
        elif kind == "decision" and "seen" in e.payload and e.trial_id in runner:
            decisions[runner[e.trial_id]].append((e.seq, e.payload["seen"], e.time))
    late_max, late_total, delays, checked = 0, 0, [], 0
    for seq, driver, t in results:
        for other, made in decisions.items():
            if other == driver:
                continue
            late = 0
            for d_seq, seen, d_time in made:  # in journal order
                if d_seq < seq:
                    continue
                if seen >= seq:
                    delays.append(max(0.0, d_time - t) * 1000)
                    break
                late += 1
            else:
                continue  # that driver made no decision after it had read it
            checked += 1
            late_max = max(late_max, late)
            late_total += late > 0
    delays.sort()
    out = {
        "pairs_checked": checked,
        "max_decisions_late": late_max,
        "pairs_late_by_one": late_total,
        "decisions": sum(len(v) for v in decisions.values()),
    }
    if delays:
        out["ms"] = {
            "median": round(statistics.median(delays), 1),
            "p99": round(delays[min(len(delays) - 1, int(0.99 * len(delays)))], 1),
            "max": round(delays[-1], 1),
        }
    return out


def _rerun(events, status: dict[int, str], victim: str) -> dict:
    """The trials the killed driver ``victim`` left unfinished, and who re-ran them."""
    holder: dict[int, str] = {}  # trial -> the driver of its last start, while not ended
    orphaned, rerun_by = [], {}
    for e in events:
        kind, tid = e.kind.value, e.trial_id
        if kind == "trial_started":
            driver = e.payload.get("driver")
            if holder.get(tid) == victim and driver != victim:
                orphaned.append(tid)
                rerun_by[tid] = driver
            holder[tid] = driver
        elif kind in ("trial_completed", "trial_stopped", "trial_failed", "trial_paused"):
            holder.pop(tid, None)
    left = sorted(tid for tid, driver in holder.items() if driver == victim)
    return {
        "trials_rerun_by_others": sorted(orphaned),
        "rerun_by": sorted(set(rerun_by.values())),
        "their_end_statuses": dict(Counter(status[t] for t in orphaned)),
        "left_unfinished": left,
    }


def campaign(
    storage: str,
    tmp: Path,
    *,
    drivers: int = 2,
    workers: int = 2,
    trials: int = 200,
    epochs: int = 4,
    sleep: float = 0.05,
    kill_after: int | None = 10,
    seed: int = 0,
    how: str = "KILL",
) -> dict:
    """Run one shared study with ``drivers`` drivers (the last one killed with SIGKILL, or
    interrupted with ``how="INT"`` (Ctrl-C) or ``"TERM"``, once its trials made ``kill_after``
    reports; None: no kill) and audit it."""
    name = f"shared-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "TUNESMITH_HOME": str(tmp / "home")}
    sides = [tmp / f"{name}-driver{i}.jsonl" for i in range(drivers)]
    procs = []
    t0 = time.perf_counter()
    for side in sides:
        command = driver_command(
            storage,
            name,
            side,
            workers=workers,
            trials=trials,
            epochs=epochs,
            sleep=sleep,
            seed=seed,
        )
        procs.append(
            subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        )
    killed = None
    if kill_after is not None:
        victim, attempts = procs[-1], Path(str(sides[-1]) + ".attempts")
        deadline = time.monotonic() + 120
        while _lines(attempts) < kill_after and victim.poll() is None:
            if time.monotonic() > deadline:
                break
            time.sleep(0.01)
        if victim.poll() is None:
            victim.send_signal(getattr(signal, f"SIG{how}"))
            killed = victim.pid
    outs = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        outs.append((proc.returncode, err.decode()[-2000:]))
    elapsed = time.perf_counter() - t0
    failed = [
        err for i, (rc, err) in enumerate(outs) if rc != 0 and not (killed and i == drivers - 1)
    ]
    if failed:
        raise RuntimeError(f"a driver failed:\n{failed[0]}")
    figures = {
        "storage": storage.split(":", 1)[0],
        "drivers": drivers,
        "workers_per_driver": workers,
        "trials_asked": trials,
        "epochs": epochs,
        "step_s": sleep,
        "elapsed_s": round(elapsed, 2),
        **audit(storage, name, sides),
    }
    figures["trials_per_s"] = round(figures["trials"] / elapsed, 2)
    if killed is not None:
        from tunesmith.store import Store

        with Store(storage) as store:
            events = store.read_events(name)
            status = {t["trial_id"]: t["status"] for t in store.trials(name)}
        drivers_of = {
            e.payload.get("pid"): e.payload.get("driver")
            for e in events
            if e.kind.value == "run_started"
        }
        figures["killed"] = {
            "pid": killed,
            "signal": how,
            "after_reports": kill_after,
            **_rerun(events, status, drivers_of.get(killed)),
        }
    return figures


def ok(figures: dict) -> bool:
    good = (
        figures["lost"] == 0
        and figures["stored_twice"] == 0
        and figures["duplicate_trial_ids"] == 0
        and figures["duplicate_configs"] == 0
        and figures["trials"] == figures["trials_asked"]
        and set(figures["statuses"]) <= {"completed", "stopped"}
        and figures["lag"]["max_decisions_late"] <= 1
    )
    if "killed" in figures:
        good = good and bool(figures["killed"].get("trials_rerun_by_others"))
        good = good and not figures["killed"].get("left_unfinished")
    return good


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--storage", default=None, help="a database URL (default: SQLite)")
    parser.add_argument("--drivers", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--sleep", type=float, default=0.05)
    parser.add_argument("--kill-after", type=int, default=10, help="0: kill no driver")
    parser.add_argument("--signal", choices=["KILL", "INT", "TERM"], default="KILL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.storage or f"sqlite:///{Path(tmp) / 'drivers.db'}"
        figures = campaign(
            url,
            Path(tmp),
            drivers=args.drivers,
            workers=args.workers,
            trials=args.trials,
            epochs=args.epochs,
            sleep=args.sleep,
            kill_after=args.kill_after or None,
            how=args.signal,
        )
    figures["ok"] = ok(figures)
    print(json.dumps(figures, indent=2) if args.json else figures)
    sys.exit(0 if figures["ok"] else 1)
