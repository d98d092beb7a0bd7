"""A live terminal view of a run (rich): trial counts, best result so far, elapsed time."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from tunesmith.callbacks.base import TunerCallback
from tunesmith.trial import Decision, Trial

if TYPE_CHECKING:
    from tunesmith.results import TuningResult
    from tunesmith.tuner import Tuner

__all__ = ["ProgressCallback"]


class ProgressCallback(TunerCallback):
    """Redraws at most ``refresh_per_second`` times a second; the tuner adds it when
    ``verbose >= 1`` and stdout is a terminal."""

    def __init__(self, refresh_per_second: float = 4.0):
        self.min_interval = 1.0 / refresh_per_second
        self._last = 0.0
        self._live = None
        self._tuner: Tuner | None = None
        # rich takes ~50 ms to import: a background thread does it while the tuner opens the
        # store and waits for its workers to boot (the thread mostly runs while the tuner
        # waits); on_tuning_start then finds it imported
        threading.Thread(target=_import_rich, name="tunesmith-import-rich", daemon=True).start()

    def on_tuning_start(self, tuner: Tuner) -> None:
        from rich.live import Live

        self._tuner = tuner
        self._live = Live(self._render(), auto_refresh=False, transient=False)
        self._live.start()

    def _render(self):
        from rich.table import Table

        tuner = self._tuner
        table = Table(show_header=False, box=None, pad_edge=False)
        if tuner is None:
            return table
        s = tuner.status
        table.add_row(
            "[bold]tunesmith[/bold]",
            f"{tuner.elapsed:7.1f} s",
            f"running {tuner.num_running}",
            f"completed {s.num_trials_completed}",
            f"stopped {s.num_trials_stopped}",
            f"paused {s.num_trials_paused}",
            f"failed {s.num_trials_failed}",
            f"results {s.num_evaluations}",
        )
        if not isinstance(tuner.result.metric, str):  # several objectives: no single best
            front = tuner.result.pareto_front()
            if front:
                table.add_row("Pareto front (last report)", f"{len(front)} trials")
            return table
        best = tuner.result.best_result()
        if best is not None:
            config = tuner.trials[best["trial_id"]].config
            shown = ", ".join(f"{k}={_short(v)}" for k, v in list(config.items())[:6])
            table.add_row(
                "best (last report)",
                f"{tuner.result.metric}={best[tuner.result.metric]:.6g}",
                f"trial {best['trial_id']}",
                shown,
            )
        return table

    def _refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if self._live is not None and (force or now - self._last >= self.min_interval):
            self._last = now
            self._live.update(self._render(), refresh=True)

    def on_trial_start(self, trial: Trial, *, resumed: bool) -> None:
        self._refresh()

    def on_trial_result(self, trial: Trial, result: dict[str, Any], decision: Decision) -> None:
        self._refresh()

    def on_trial_complete(self, trial: Trial) -> None:
        self._refresh()

    def on_trial_error(self, trial: Trial) -> None:
        self._refresh()

    def on_tick(self, tuner: Tuner) -> None:
        self._refresh()

    def on_tuning_end(self, tuner: Tuner, result: TuningResult) -> None:
        if self._live is not None:
            self._refresh(force=True)
            self._live.stop()
            self._live.console.print(f"[bold]done[/bold]: {result.summary()}")
            self._live = None


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _import_rich() -> tuple[type, type]:
    from rich.live import Live
    from rich.table import Table

    return Live, Table
