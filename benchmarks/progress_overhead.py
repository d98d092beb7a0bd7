"""What the progress view costs the tuner's loop, as JSON.

An ASHA study of ``--trials`` trials (up to 27 epochs each, 4 workers) runs on the in-process
InlineBackend with ``storage="memory"``, so the loop itself is what is timed: once without a
progress view, once with each ``ProgressCallback`` mode (``terminal`` drawing on a rich console
that writes to nothing, ``lines`` every 30 s as in a log), ``--repeat`` times each, alternating.
For each: the median CPU time of the run (this process, all threads), and the added CPU time
per result against the run without a view.
``snapshot_ms``: one snapshot (what a redraw computes) at the end of the run, best recomputed.

    python benchmarks/progress_overhead.py --trials 2000
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import statistics
import time

from tunesmith import ASHA, StoppingCriterion, Tuner, uniform
from tunesmith.callbacks import ProgressCallback, TunerCallback
from tunesmith.testing.inline_backend import InlineBackend

SPACE = {"x": uniform(0, 1), "y": uniform(0, 1), "epochs": 27}


def curve(config, start):
    for epoch in range(start + 1, config["epochs"] + 1):
        yield {"epoch": epoch, "loss": config["x"] + config["y"] / epoch}


class _TimeSnapshot(TunerCallback):
    """Times one snapshot of the finished run (listed before the view, so that it still has
    the run when this hook runs)."""

    def __init__(self, progress: ProgressCallback):
        self.progress = progress
        self.ms: float | None = None

    def on_tuning_end(self, tuner, result):
        t0 = time.perf_counter()
        self.progress.snapshot(force=True)
        self.ms = 1000 * (time.perf_counter() - t0)


def run(trials: int, mode: str | None) -> tuple[float, int, float | None]:
    callbacks = []
    timer = None
    if mode is not None:
        from rich.console import Console

        console = Console(file=io.StringIO(), force_terminal=True, width=120)
        progress = ProgressCallback(mode=mode, console=console, delay=0)
        timer = _TimeSnapshot(progress)
        callbacks += [timer, progress]
    tuner = Tuner(
        InlineBackend(curve),
        ASHA(SPACE, metric="loss", resource_attr="epoch", max_t=27, random_seed=0),
        StoppingCriterion(max_num_trials_started=trials),
        4,
        callbacks=callbacks,
        verbose=0,
        storage="memory",
    )
    start = time.process_time()  # CPU time: the machine may be shared, waits are not cost
    result = tuner.run()
    took = time.process_time() - start
    return took, len(result.results), None if timer is None else timer.ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    modes = [None, "terminal", "lines"]
    times: dict[str, list[float]] = {str(m): [] for m in modes}
    snaps: dict[str, list[float]] = {str(m): [] for m in modes if m}
    results = 0
    for _ in range(args.repeat):
        for mode in modes:
            took, results, snap = run(args.trials, mode)
            times[str(mode)].append(took)
            if snap is not None:
                snaps[str(mode)].append(snap)
    base = statistics.median(times["None"])
    out = {
        "trials": args.trials,
        "results": results,
        "repeat": args.repeat,
        "python": platform.python_version(),
        "no_view_s": round(base, 3),
    }
    for mode in ("terminal", "lines"):
        median = statistics.median(times[mode])
        out[mode] = {
            "run_s": round(median, 3),
            "added_us_per_result": round(1e6 * (median - base) / results, 1),
            "snapshot_ms": round(statistics.median(snaps[mode]), 2),
        }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
