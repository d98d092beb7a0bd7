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
  those events only).

    python benchmarks/dashboard.py --json
    python benchmarks/dashboard.py --trials 10000 --reports 10   # more, shorter trials
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tunesmith import ASHA, choice, loguniform, randint
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
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="tunesmith-dashboard-bench-") as folder:
        url = f"sqlite:///{Path(folder) / 'big.db'}"
        build_s = build(url, args.trials, args.reports)
        server = make_server(url, port=0)
        server.serve_in_thread()
        base = server.url + "api/studies/big"
        try:
            first = request_ms(base + "/trials?limit=500")
            start = time.perf_counter()
            while json.loads(urllib.request.urlopen(base).read())["loading"]:
                time.sleep(0.05)  # a benchmark: polls the summary as the page does
            caught_up = time.perf_counter() - start + first / 1000.0
            _, ranked = (
                None,
                json.loads(urllib.request.urlopen(base + "/trials?sort=value&limit=200").read()),
            )
            top200 = ",".join(str(t["trial_id"]) for t in ranked["trials"])
            cut = ranked["trials"][100]["value"]
            endpoints = {
                "trials_500_by_id": "/trials?limit=500",
                "trials_500_by_value": "/trials?limit=500&sort=value",
                "trials_filtered": f"/trials?limit=500&status=completed&max_value={cut}"
                "&sort=-best_value",
                "trials_page_100": "/trials?limit=100&offset=1000&sort=-updated",
                "curves_30_best_all_points": f"/curves?limit=30&max_points={args.reports}",
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
