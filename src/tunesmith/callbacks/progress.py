"""The progress view of a run: a live rich view on a terminal, a display that updates in place
in a Jupyter notebook, a plain line every ``line_interval`` seconds elsewhere (a CI log)."""

from __future__ import annotations

import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from tunesmith.callbacks._progress_data import (
    Snapshot,
    budgets,
    format_line,
    short_config,
    start_marks,
)
from tunesmith.callbacks.base import TunerCallback
from tunesmith.trial import Decision, Trial, TrialStatus

if TYPE_CHECKING:
    from tunesmith.results import TuningResult
    from tunesmith.tuner import Tuner

__all__ = ["ProgressCallback"]

MODES = ("auto", "terminal", "notebook", "lines")


class ProgressCallback(TunerCallback):
    """Shows how far a run is: a bar against the limit of the stopping criterion that binds
    first (trials, results, cost or time), the rate and the ETA, running/completed/stopped/
    paused/failed counts, the best value and its config (the size of the Pareto front with
    several objectives) and, for schedulers with ``rung_levels`` (ASHA, Hyperband, ...), how
    many trials reached each rung level and ``max_t``.

    The tuner adds one when ``verbose >= 1`` (unless ``callbacks`` has one); ``verbose=2``
    makes it print a line per trial as each ends (``per_trial=True``).

    ``mode``: ``"auto"`` (default) picks ``"terminal"`` when stdout is a terminal (a rich live
    view, redrawn at most ``refresh_per_second`` times a second), ``"notebook"`` in a Jupyter
    kernel (rich's HTML rendering in a display updated in place, at most once a second),
    ``"lines"`` otherwise: a plain line on stdout every ``line_interval`` seconds (0: on
    every event) and one at the end. ``console``: a ``rich.console.Console`` for the
    terminal view (default: stdout's). ``delay``: seconds of the run before the terminal
    view is drawn (as tqdm's ``delay``); a run that ends sooner prints only its final line,
    without drawing and clearing a view for a fraction of a second.
    """

    def __init__(
        self,
        refresh_per_second: float = 4.0,
        *,
        mode: str = "auto",
        line_interval: float = 30.0,
        per_trial: bool = False,
        console: Any = None,
        delay: float = 0.5,
    ):
        if mode not in MODES:
            raise ValueError(f"`mode` must be one of {list(MODES)}, but got mode={mode!r}")
        for name, value, low in (
            ("refresh_per_second", refresh_per_second, "> 0"),
            ("line_interval", line_interval, ">= 0"),
            ("delay", delay, ">= 0"),
        ):
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            if not ok or not (value > 0 if low == "> 0" else value >= 0) or value != value:
                raise ValueError(f"`{name}` must be a number {low}, but got {name}={value!r}")
        self.mode = _detect_mode() if mode == "auto" else mode
        self.min_interval = 1.0 / refresh_per_second
        if self.mode == "notebook":
            self.min_interval = max(self.min_interval, 1.0)
        self.line_interval = float(line_interval)
        self.per_trial = bool(per_trial)
        self.console = console
        self.delay = float(delay)
        self._show_at = 0.0  # monotonic time from which the terminal view is drawn
        self._tuner: Tuner | None = None
        self._view = None  # the terminal view or the notebook's display handle
        self._last = 0.0
        self._start: dict[str, float] = {}
        self._reached: dict[int, float] = {}  # trial id -> largest resource reported
        self._levels: list[float] = []  # rung levels, max_t, and how many trials reached each
        self._counts: list[int] = []
        self._resource_attr: str | None = None
        #: (results when computed, monotonic time before which not again, value)
        self._best_cache: tuple[int, float, tuple] = (-1, 0.0, (None, None, None))
        if self.mode == "notebook" or (self.mode == "terminal" and self.delay == 0):
            # rich takes ~50 ms to import: a background thread does it while the tuner opens
            # the store and waits for its workers to boot; on_tuning_start then finds it (with
            # a delay, the view's first drawing imports it: short runs never do)
            threading.Thread(target=_import_rich, name="tunesmith-import-rich", daemon=True).start()

    # -- what is shown -----------------------------------------------------------------------
    def snapshot(self, *, force: bool = False) -> Snapshot:
        """The run's progress now (after :meth:`on_tuning_start`); the best result may be up
        to a tenth of the time old unless ``force``."""
        tuner = self._tuner
        if tuner is None:
            raise RuntimeError("snapshot() needs a run: the tuner calls on_tuning_start first")
        s = tuner.status
        elapsed = tuner.elapsed
        found = budgets(
            tuner.stop_criterion,
            s,
            elapsed=elapsed,
            running=tuner.num_running,
            start=self._start,
        )
        snap = Snapshot(
            name=tuner.name,
            elapsed=elapsed,
            budget=found[0] if found else None,
            running=tuner.num_running,
            completed=s.num_trials_completed,
            stopped=s.num_trials_stopped,
            paused=s.num_trials_paused,
            failed=s.num_trials_failed,
            results=s.num_evaluations,
        )
        spent = elapsed - self._start.get("elapsed", 0.0)
        if spent > 0:
            done = s.num_trials_started - tuner.num_running - self._start.get("trials", 0.0)
            snap.trials_per_min = 60.0 * done / spent
            snap.results_per_s = (s.num_evaluations - self._start.get("results", 0.0)) / spent
        snap.best, snap.best_config, snap.front = self._best(force)
        snap.rungs = self._rungs()
        return snap

    def _best(self, force: bool) -> tuple:
        """(best text, its config, front size), recomputed when results came, but not more
        often than keeps it under a tenth of the time (ranking the trials is O(results))."""
        result = self._tuner.result
        n, ready_at, value = self._best_cache
        now = time.monotonic()
        if n == len(result.results) or (now < ready_at and not force):
            return value
        if isinstance(result.metric, str):
            best = result.best_result()
            if best is None:
                value = (None, None, None)
            else:
                config = self._tuner.trials[best["trial_id"]].config
                text = f"{result.metric}={best[result.metric]:.6g} (trial {best['trial_id']})"
                value = (text, short_config(config), None)
        else:
            value = (None, None, len(result.pareto_front()))
        took = time.monotonic() - now
        self._best_cache = (len(result.results), now + 10 * took, value)
        return value

    def _rung_levels(self, tuner: Tuner) -> tuple[list[float], str | None]:
        """The scheduler's rung levels and ``max_t`` above them, and its resource name."""
        scheduler = tuner.scheduler
        levels = list(getattr(scheduler, "rung_levels", None) or ())
        attr = getattr(scheduler, "resource_attr", None)
        if not levels or not isinstance(attr, str):
            return [], None
        max_t = getattr(scheduler, "max_t", None)
        if isinstance(max_t, int | float) and max_t > levels[-1]:
            levels.append(max_t)  # the trials trained to the end
        return levels, attr

    def _rungs(self) -> list[tuple[int, int]]:
        return list(zip(self._levels, self._counts, strict=True))

    def _note_resource(self, trial_id: int, result: dict[str, Any]) -> None:
        """Count the levels a trial's new largest resource passed (O(levels) a result)."""
        if self._resource_attr is None:
            return
        value = result.get(self._resource_attr)
        if not isinstance(value, int | float) or isinstance(value, bool):
            return
        before = self._reached.get(trial_id, float("-inf"))
        if value > before:
            self._reached[trial_id] = value
            for i, level in enumerate(self._levels):
                if before < level <= value:
                    self._counts[i] += 1

    # -- drawing -----------------------------------------------------------------------------
    def on_tuning_start(self, tuner: Tuner) -> None:
        self._tuner = tuner
        self._start = start_marks(tuner)
        self._best_cache = (-1, 0.0, (None, None, None))
        self._reached = {}
        self._levels, self._resource_attr = self._rung_levels(tuner)
        self._counts = [0] * len(self._levels)
        for row in tuner.result.results:  # a resumed study: what it reported before
            self._note_resource(row["trial_id"], row)
        self._last = time.monotonic()
        self._show_at = self._last + self.delay
        if self.mode == "terminal" and self.delay == 0:
            self._open_terminal_view()
        elif self.mode == "notebook":
            from tunesmith.callbacks._progress_rich import NotebookView

            self._view = NotebookView(self.snapshot())

    def _open_terminal_view(self) -> None:
        from rich.errors import LiveError

        from tunesmith.callbacks._progress_rich import TerminalView

        try:
            self._view = TerminalView(self.snapshot(), self.console)
        except LiveError:  # another run's live view (a tuner in another thread)
            self.mode = "lines"

    def _refresh(self, force: bool = False) -> None:
        if self._tuner is None:
            return
        now = time.monotonic()
        if self.mode == "terminal" and self._view is None:
            if now < self._show_at:
                return
            self._open_terminal_view()
            self._last = now
            return
        interval = self.line_interval if self.mode == "lines" else self.min_interval
        if not force and now - self._last < interval:
            return
        self._last = now
        if self.mode == "lines":
            print(format_line(self.snapshot(force=True)), flush=True)
        elif self._view is not None:
            self._view.update(self.snapshot())

    def _say(self, line: str) -> None:
        if self._view is not None and self.mode == "terminal":
            self._view.print(line)
        else:
            print(line, flush=True)

    def on_trial_start(self, trial: Trial, *, resumed: bool) -> None:
        self._refresh()

    def on_trial_result(self, trial: Trial, result: dict[str, Any], decision: Decision) -> None:
        if self._tuner is not None:
            self._note_resource(trial.trial_id, result)
        self._refresh()

    def on_trial_complete(self, trial: Trial) -> None:
        if self.per_trial and self._tuner is not None:
            self._say(self.trial_line(trial))
        self._refresh()

    def on_trial_error(self, trial: Trial) -> None:
        if self.per_trial and self._tuner is not None:
            self._say(self.trial_line(trial))
        self._refresh()

    def on_tick(self, tuner: Tuner) -> None:
        self._refresh()

    def on_tuning_end(self, tuner: Tuner, result: TuningResult) -> None:
        if self._tuner is None:
            return
        if self._view is not None:
            self._view.update(self.snapshot(force=True))
            self._view.close(f"done: {result.summary()}")
        else:
            print(f"tunesmith {tuner.name} done: {result.summary()}", flush=True)
        self._view = None
        self._tuner = None

    def trial_line(self, trial: Trial) -> str:
        """``trial 3 completed after 10 results: loss=0.0123 epoch=10 | lr=0.01, width=32``."""
        status = trial.status.value
        if trial.status is TrialStatus.FAILED:
            detail = (trial.failure_detail or "").strip().splitlines()
            tail = f": {detail[-1].strip()}" if detail else ""
            return f"trial {trial.trial_id} failed ({trial.failure_reason}){tail}"
        last = trial.last_result or {}
        shown = [*self._tuner.result.metrics]
        attr = getattr(self._tuner.scheduler, "resource_attr", None)
        if isinstance(attr, str):
            shown.append(attr)
        values = " ".join(
            f"{k}={last[k]:.6g}" if isinstance(last[k], float) else f"{k}={last[k]}"
            for k in shown
            if k in last
        )
        n = trial.num_results
        return (
            f"trial {trial.trial_id} {status} after {n} result{'s' if n != 1 else ''}"
            f"{': ' + values if values else ''} | {short_config(trial.config)}"
        )


def _detect_mode() -> str:
    try:
        if sys.stdout is not None and sys.stdout.isatty():
            return "terminal"
    except ValueError:  # a closed stdout
        return "lines"
    ipython = sys.modules.get("IPython")
    if ipython is not None:
        shell = getattr(ipython, "get_ipython", lambda: None)()
        if type(shell).__name__ == "ZMQInteractiveShell":  # a Jupyter kernel
            return "notebook"
    return "lines"


def _import_rich() -> None:
    import tunesmith.callbacks._progress_rich  # noqa: F401
