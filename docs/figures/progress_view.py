"""Makes docs/figures/progress-view.png: the terminal view of a real run, as drawn.

A small ASHA study runs on LocalBackend (4 workers, trials that sleep 30 ms an epoch) with
``verbose=2``. When 60% of its trials are done, the frame the live view draws at that moment
(``tunesmith.callbacks._progress_rich.render`` of the callback's snapshot) and the last trial
lines printed above it are rendered by a recording rich console to SVG, which headless Chromium
(Debian's ``chromium``) turns into the PNG.

    python docs/figures/progress_view.py
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tunesmith
from tunesmith import ASHA, LocalBackend, StoppingCriterion, Tuner, choice, loguniform, randint
from tunesmith.callbacks import ProgressCallback, TunerCallback

HERE = Path(__file__).resolve().parent
N_TRIALS = 40


def train(config):
    for epoch in range(1, 28):
        time.sleep(0.03)
        noise = 0.02 if config["act"] == "relu" else 0.05
        loss = (config["lr"] - 0.01) ** 2 * 100 + 8.0 / (epoch * config["width"]) + noise
        tunesmith.report(epoch=epoch, loss=loss)


class Capture(TunerCallback):
    """Renders the view once 60% of the trials are done, with the trial lines printed so far."""

    def __init__(self, progress: ProgressCallback):
        self.progress = progress
        self.lines: list[str] = []
        self.svg: str | None = None

    def on_trial_complete(self, trial):
        self.lines.append(self.progress.trial_line(trial))
        self._maybe()

    def on_trial_error(self, trial):
        self.lines.append(self.progress.trial_line(trial))

    def _maybe(self):
        snap = self.progress.snapshot(force=True)
        if self.svg is None and snap.budget and snap.budget.done >= 0.6 * snap.budget.total:
            from rich.console import Console
            from rich.text import Text

            from tunesmith.callbacks._progress_rich import render

            console = Console(record=True, width=118, force_terminal=True, file=_Null())
            for line in self.lines[-5:]:
                console.print(Text(line), soft_wrap=True)
            console.print(render(snap))
            self.svg = console.export_svg(title="python tune.py")


class _Null:
    def write(self, text):
        return len(text)

    def flush(self):
        pass


def main() -> None:
    space = {
        "lr": loguniform(1e-4, 1e-1),
        "width": randint(4, 256),
        "act": choice(["relu", "tanh"]),
    }
    progress = ProgressCallback(mode="lines", line_interval=3600)  # drawn by Capture
    capture = Capture(progress)
    Tuner(
        LocalBackend(train),
        ASHA(space, metric="loss", resource_attr="epoch", max_t=27, random_seed=3),
        StoppingCriterion(max_num_trials_started=N_TRIALS, max_wallclock_time=600),
        n_workers=4,
        callbacks=[progress, capture],
        verbose=0,
        storage="memory",
        name="mlp-asha",
    ).run()
    assert capture.svg is not None
    with tempfile.TemporaryDirectory() as tmp:
        svg = Path(tmp) / "view.svg"
        svg.write_text(capture.svg)
        width, height = (
            float(x) for x in re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', capture.svg).groups()
        )
        png = HERE / "progress-view.png"
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if chromium is None:
            sys.exit("needs Debian's chromium: apt-get install chromium")
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--window-size={int(width) + 1},{int(height) + 1}",
                f"--screenshot={png}",
                svg.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    print(png)


if __name__ == "__main__":
    main()
