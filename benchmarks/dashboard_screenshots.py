"""The screenshots of docs/dashboard.md: three studies run by the tuner into a fresh store,
the dashboard served on it, and each page taken by headless Chromium (Debian's ``chromium``,
driven by Playwright's Python API).

* ``mlp-asha``: ASHA on the ``mlp-digits`` table (simulated, 4 workers, 200 trials);
* ``mlp-moasha``: MOASHA on the same table, minimizing ``val_error`` and training ``time``;
* ``flaky``: real trials in worker processes (LocalBackend), some of which raise.

    python benchmarks/dashboard_screenshots.py --out docs/figures
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import tempfile
from pathlib import Path

import tunesmith
from tunesmith import (
    ASHA,
    MOASHA,
    LocalBackend,
    RandomSearch,
    RandomSearcher,
    StoppingCriterion,
    Tuner,
    bench,
    loguniform,
    randint,
)
from tunesmith.backends.simulator import SimulatorBackend
from tunesmith.dashboard import make_server


def flaky_train(config):
    for epoch in range(1, 6):
        if config["lr"] > 0.01 and epoch == 3:
            raise FloatingPointError(f"loss diverged at epoch {epoch} (lr={config['lr']:.3g})")
        loss = (math.log10(config["lr"]) + 2) ** 2 + 1.0 / (epoch * config["width"])
        tunesmith.report(epoch=epoch, loss=loss)


def run_studies(storage: str) -> None:
    table = bench.load("mlp-digits")

    def searcher(seed: int) -> RandomSearcher:  # the table answers for its configs only
        return RandomSearcher(
            table.config_space, restrict_configurations=table.configurations(), random_seed=seed
        )

    Tuner(
        SimulatorBackend(table, seed=0),
        ASHA(table.config_space, searcher=searcher(0), metric="val_error", max_t=81),
        StoppingCriterion(max_num_trials_started=200),
        n_workers=4,
        name="mlp-asha",
        storage=storage,
    ).run()
    Tuner(
        SimulatorBackend(table, seed=1),
        MOASHA(
            table.config_space,
            searcher=searcher(1),
            metric=["val_error", "time"],
            mode="min",
            max_t=81,
        ),
        StoppingCriterion(max_num_trials_started=150),
        n_workers=4,
        name="mlp-moasha",
        storage=storage,
    ).run()
    space = {"lr": loguniform(1e-4, 1e-1), "width": randint(4, 64)}
    Tuner(
        LocalBackend(flaky_train),
        RandomSearch(space, metric="loss", mode="min", random_seed=3),
        StoppingCriterion(max_num_trials_started=16),
        n_workers=2,
        name="flaky",
        storage=storage,
    ).run()


PAGES = [
    ("dashboard-studies.png", "", "#studies-table"),
    ("dashboard-trials.png", "#/study/mlp-asha/trials", "#trials-table"),
    ("dashboard-curves.png", "#/study/mlp-asha/curves", "#curves canvas"),
    ("dashboard-best.png", "#/study/mlp-asha/best", "#best canvas"),
    ("dashboard-parallel.jpg", "#/study/mlp-asha/parallel", "#parallel"),
    ("dashboard-rungs.png", "#/study/mlp-asha/rungs", "#rungs"),
    ("dashboard-importance.png", "#/study/mlp-asha/importance", "#importance"),
    ("dashboard-failures.png", "#/study/flaky/failures", "#failure-counts"),
    ("dashboard-pareto.png", "#/study/mlp-moasha/pareto", "#pareto-plot canvas"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="docs/figures")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tunesmith-screens-") as folder:
        os.environ["TUNESMITH_HOME"] = folder
        storage = f"sqlite:///{Path(folder) / 'tunesmith.db'}"
        run_studies(storage)
        server = make_server(storage, port=0)
        server.serve_in_thread()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=args.chromium, args=["--no-sandbox"]
                )
                page = browser.new_page(viewport={"width": 1280, "height": 820})
                for name, route, ready in PAGES:
                    page.goto(server.url + route)
                    page.wait_for_selector(ready, timeout=60_000)
                    page.wait_for_timeout(300)
                    # JPEG for the parallel coordinates: a PNG of their thousand blended lines
                    # weighs 800 kB
                    jpeg = {"type": "jpeg", "quality": 85} if name.endswith(".jpg") else {}
                    page.screenshot(path=str(out / name), **jpeg)
                    print(out / name)
                browser.close()
        finally:
            server.close()


if __name__ == "__main__":
    main()
