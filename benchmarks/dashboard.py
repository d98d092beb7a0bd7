"""Response times of the dashboard's API on a study of 100,000 results (target: the trials and
curves endpoints under 200 ms).

A study of ``--trials`` trials x ``--reports`` results each (default 2,000 x 50 = 100,000;
each result journaled with its decision, as the tuner does) is written to a SQLite file in a
temporary folder; a dashboard server on it answers over HTTP on 127.0.0.1 (a real socket, a
real request, JSON parsed by the client). Reported, in milliseconds:

* ``first_request_ms``: the first request on the study, which starts reading its journal into
  the dashboard's cache (it answers after 0.2 s of reading, with what it has read; a
  background thread reads the rest) and ``journal_read_s``, until the whole journal is read
  (once per server and study);
* for each endpoint below, the median and the largest of ``--repeat`` requests on the warm
  cache: the trial table as the page asks for it (500 rows, sorted by id; sorted by value;
  filtered by status and value), one page of 100 rows, the learning curves of the 30 best trials
  (all points, and 200 points per curve), the curves of 200 trials, best over time;
* ``after_new_results_ms``: a request after 1,000 more results were appended (the cache reads
  those events only);
* ``first_read``: the whole journal read into a new cache (``StudyCache.refresh()``, no server,
  no HTTP), ``--first-reads`` times, as real seconds and CPU seconds of the process (the
  least and the median of each). With ``--baseline REV``, the same for the cache of git
  revision ``REV`` (``src/tunesmith/dashboard/cache.py`` there, on the working tree's store),
  the two alternated (before first in even runs, after first in odd ones), each new cache
  checked to hold the same trials, reports, cursor and times as the other's; and
  ``server_first_read``: per side, a new server's first request and the time until its whole
  journal is read (as ``first_request_ms`` and ``journal_read_s``), alternated the same way.

    python benchmarks/dashboard.py --json
    python benchmarks/dashboard.py --trials 10000 --reports 10   # more, shorter trials
    python benchmarks/dashboard.py --baseline HEAD~1 --first-reads 5   # before/after
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tunesmith import ASHA, choice, loguniform, randint
from tunesmith.dashboard import cache as cache_now
from tunesmith.dashboard import make_server
from tunesmith.space import space_to_json
from tunesmith.spec import spec_of
from tunesmith.store import Event, Store

SPACE = {"lr": loguniform(1e-4, 1e-1), "width": randint(4, 512), "opt": choice(["sgd", "adam"])}


def trial_events(tid: int, reports: int, t0: float) -> list[Event]:
    config = {"lr": 10 ** (-4 + 3 * ((tid * 7919) % 997) / 996), "width": 4 + tid % 500}
    config["opt"] = "adam" if tid % 3 else "sgd"
    events = [
        Event("trial_created", trial_id=tid, payload=config, time=t0),
        Event("trial_started", trial_id=tid, payload={"resume": False}, time=t0),
    ]
    for epoch in range(1, reports + 1):
        loss = abs(config["lr"] - 0.01) + 1.0 / (epoch * config["width"]) + 1e-4 * (tid % 17)
        t = t0 + epoch
        events.append(Event("result", trial_id=tid, payload={"epoch": epoch, "loss": loss}, time=t))
        events.append(Event("decision", trial_id=tid, payload={"decision": "continue"}, time=t))
    events.append(Event("trial_completed", trial_id=tid, time=t0 + reports + 1))
    return events


def build(url: str, trials: int, reports: int) -> float:
    start = time.perf_counter()
    with Store(url) as store:
        scheduler = ASHA(SPACE, metric="loss", max_t=reports, random_seed=0)
        study = store.create_study(
            "big",
            config_space_json=space_to_json(SPACE),
            scheduler_spec=spec_of(scheduler),
            metric="loss",
            mode="min",
            seed=0,
        )
        batch: list[Event] = []
        for tid in range(trials):
            batch += trial_events(tid, reports, float(tid))
            if len(batch) >= 20_000:
                store.append(study, batch)
                batch = []
        if batch:
            store.append(study, batch)
    return time.perf_counter() - start


def baseline_cache(revision: str):
    """The module ``tunesmith.dashboard.cache`` of git revision ``revision`` (it imports
    only the package's stable parts: the working tree's are used)."""
    root = Path(__file__).resolve().parent.parent
    text = subprocess.run(
        ["git", "show", f"{revision}:src/tunesmith/dashboard/cache.py"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module = type(sys)(f"cache_at_{revision}")
    exec(compile(text, f"{revision}:cache.py", "exec"), module.__dict__)
    return module


def cache_state(cache) -> tuple:
    slots = (
        "trial_id", "config", "status", "created_time", "updated_time", "started_time",
        "ended_time", "failure_reason", "failure_detail", "reports", "seqs", "times", "seq",
        "best_value",
    )  # fmt: skip
    trials = {tid: tuple(getattr(t, name) for name in slots) for tid, t in cache.trials.items()}
    times = (cache.first_time, cache.last_time)
    return (trials, cache.results, list(cache.keys), cache.cursor, times)


def first_reads(url: str, sides: dict[str, object], runs: int) -> dict[str, dict[str, float]]:
    """``runs`` whole reads of study "big" into a new cache of each side, alternated."""
    import gc

    names = list(sides)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    with Store(url) as store:
        study = store.get_study("big")
        for run in range(runs):
            states = []
            for name in names if run % 2 == 0 else names[::-1]:
                gc.collect()
                cache = sides[name].StudyCache(store, study)
                real, cpu = time.perf_counter(), time.process_time()
                cache.refresh()
                times[name].append((time.perf_counter() - real, time.process_time() - cpu))
                states.append(cache_state(cache))
                del cache
            if any(state != states[0] for state in states[1:]):
                raise AssertionError("the caches of the sides differ after a whole read")
    out = {}
    for name in names:
        real, cpu = [t[0] for t in times[name]], [t[1] for t in times[name]]
        out[name] = {
            "real_s_least": round(min(real), 3),
            "real_s_median": round(statistics.median(real), 3),
            "cpu_s_least": round(min(cpu), 3),
            "cpu_s_median": round(statistics.median(cpu), 3),
        }
    if len(names) == 2:
        before, after = out[names[0]], out[names[1]]
        out["after_over_before"] = {
            key: round(after[key] / before[key], 2) for key in ("real_s_least", "cpu_s_least")
        }
    return out


def read_by_server(url: str, cache_module) -> tuple[float, float]:
    """A new server (its caches of ``cache_module``) on study "big": the first request's ms,
    and the seconds until the study's summary stops saying ``loading``."""
    from tunesmith.dashboard import api

    kept = api.StudyCache
    api.StudyCache = cache_module.StudyCache
    server = make_server(url, port=0)
    try:
        server.serve_in_thread()
        base = server.url + "api/studies/big"
        first = request_ms(base + "/trials?limit=500")
        start = time.perf_counter()
        while json.loads(urllib.request.urlopen(base).read())["loading"]:
            time.sleep(0.05)  # a benchmark: polls the summary as the page does
        return first, time.perf_counter() - start + first / 1000.0
    finally:
        server.close()
        api.StudyCache = kept


def server_reads(url: str, sides: dict[str, object], runs: int) -> dict[str, dict[str, float]]:
    names = list(sides)
    got: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    for run in range(runs):
        for name in names if run % 2 == 0 else names[::-1]:
            got[name].append(read_by_server(url, sides[name]))
    out = {}
    for name in names:
        firsts, reads = [g[0] for g in got[name]], [g[1] for g in got[name]]
        out[name] = {
            "first_request_ms_median": round(statistics.median(firsts), 1),
            "journal_read_s_least": round(min(reads), 2),
            "journal_read_s_median": round(statistics.median(reads), 2),
        }
    return out


def request_ms(url: str) -> float:
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as response:
        json.loads(response.read())
    return (time.perf_counter() - start) * 1000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=2_000)
    parser.add_argument("--reports", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--json", action="store_true", help="print JSON only")
    parser.add_argument("--first-reads", type=int, default=3, help="whole reads per side")
    parser.add_argument("--baseline", help="git revision whose cache is 'before' in first_read")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="tunesmith-dashboard-bench-") as folder:
        url = f"sqlite:///{Path(folder) / 'big.db'}"
        build_s = build(url, args.trials, args.reports)
        sides: dict[str, object] = {"working_tree": cache_now}
        if args.baseline:
            sides = {f"before ({args.baseline})": baseline_cache(args.baseline), "after": cache_now}
        first_read = first_reads(url, sides, args.first_reads)
        server_first_read = server_reads(url, sides, args.first_reads) if args.baseline else None
        server = make_server(url, port=0)
        server.serve_in_thread()
        base = server.url + "api/studies/big"
        try:
            first = request_ms(base + "/trials?limit=500")
            start = time.perf_counter()
            while json.loads(urllib.request.urlopen(base).read())["loading"]:
                time.sleep(0.05)  # a benchmark: polls the summary as the page does
            caught_up = time.perf_counter() - start + first / 1000.0
            ranked = json.loads(
                urllib.request.urlopen(base + "/trials?sort=value&limit=200").read()
            )["trials"]
            top200 = ",".join(str(t["trial_id"]) for t in ranked)
            # the filter keeps about the better half of the 200 best (all, with fewer trials)
            cut = ranked[min(100, len(ranked) - 1)]["value"]
            endpoints = {
                "trials_500_by_id": "/trials?limit=500",
                "trials_500_by_value": "/trials?limit=500&sort=value",
                "trials_filtered": f"/trials?limit=500&status=completed&max_value={cut}"
                "&sort=-best_value",
                "trials_page_100": "/trials?limit=100&offset=1000&sort=-updated",
                "curves_30_best_all_points": f"/curves?limit=30&max_points={max(10, args.reports)}",
                "curves_30_best_200_points": "/curves?limit=30&max_points=200",
                "curves_200_trials": f"/curves?trials={top200}&limit=200&max_points=50",
                "best_over_time": "/best",
                "summary": "",
            }
            timings = {}
            for name, path in endpoints.items():
                times = [request_ms(base + path) for _ in range(args.repeat)]
                timings[name] = {
                    "median_ms": round(statistics.median(times), 2),
                    "max_ms": round(max(times), 2),
                }
            with Store(url) as store:
                study = store.get_study("big")
                extra = []
                for tid in range(args.trials, args.trials + 20):
                    extra += trial_events(tid, 50, float(tid))
                store.append(study, extra)
            after = request_ms(base + "/trials?limit=500")
        finally:
            server.close()
    out = {
        "benchmark": "dashboard",
        "study": {
            "trials": args.trials,
            "results_per_trial": args.reports,
            "results": args.trials * args.reports,
        },
        "build_s": round(build_s, 2),
        "first_request_ms": round(first, 1),
        "journal_read_s": round(caught_up, 2),
        "warm": timings,
        "after_new_results_ms": round(after, 2),
        "first_read": first_read,
        "server_first_read": server_first_read,
        "target_ms": 200,
        "trials_and_curves_under_target": all(
            t["median_ms"] < 200 for n, t in timings.items() if n.startswith(("trials", "curves"))
        ),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }
    if args.json:
        print(json.dumps(out))
    else:
        print(json.dumps(out, indent=2))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
