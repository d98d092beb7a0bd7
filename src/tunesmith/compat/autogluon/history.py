"""AutoGluon's ``training_history``: ``{task_id (str): [report, ...]}`` in the order the reports
came, kept live by a tuner callback in the tuner's thread, under a lock that readers in other
threads share (it also calls ``training_history_callback`` every time a task ends, at most once
per ``training_history_callback_delta_secs``), the best reward and config by AutoGluon's rule,
and ``get_training_curves``."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from tunesmith.callbacks import TunerCallback

__all__ = ["HistoryCallback", "best_of", "clean_report", "plot_training_curves"]


def clean_report(result: Mapping[str, Any]) -> dict[str, Any]:
    """A report as the training function made it (without tunesmith's ``ts_`` entries)."""
    return {k: v for k, v in result.items() if not k.startswith("ts_") and k != "trial_id"}


class HistoryCallback(TunerCallback):
    """Keeps ``history`` (task id -> reports) and ``configs`` (task id -> config) while the
    tuner runs; task ids are the tuner's trial ids plus ``offset``."""

    def __init__(
        self,
        history: OrderedDict,
        configs: OrderedDict,
        *,
        offset: int = 0,
        callback: Callable[..., Any] | None = None,
        delta_secs: float = 60,
        on_task_end: Callable[[], None] | None = None,
        lock: threading.RLock | None = None,
    ):
        self.history, self.configs, self.offset = history, configs, offset
        #: held while ``history`` and ``configs`` change (another thread reads them under it)
        self.lock = lock if lock is not None else threading.RLock()
        self.callback, self.delta_secs = callback, float(delta_secs)
        self.on_task_end = on_task_end
        self.start_time = time.time()
        self._last_block = -1

    def _key(self, trial: Any) -> str:
        return str(trial.trial_id + self.offset)

    def on_tuning_start(self, tuner: Any) -> None:
        self.start_time = time.time()
        self._last_block = -1

    def on_trial_start(self, trial: Any, *, resumed: bool) -> None:
        with self.lock:
            self.configs.setdefault(self._key(trial), dict(trial.config))

    def on_trial_result(self, trial: Any, result: dict[str, Any], decision: Any) -> None:
        report = clean_report(result)
        with self.lock:
            self.history.setdefault(self._key(trial), []).append(report)

    def on_trial_complete(self, trial: Any) -> None:
        self._ended()

    def on_trial_error(self, trial: Any) -> None:
        self._ended()

    def _ended(self) -> None:
        if self.on_task_end is not None:
            self.on_task_end()
        if self.callback is None:
            return
        block = math.floor((time.time() - self.start_time) / self.delta_secs)
        if block > self._last_block:
            with self.lock:
                self.callback(self.history, self.start_time)
            self._last_block = math.floor((time.time() - self.start_time) / self.delta_secs)


def best_of(
    history: Mapping[str, list[dict[str, Any]]],
    reward_attr: str,
    counts: Callable[[list[dict[str, Any]]], Iterable[dict[str, Any]]],
) -> tuple[str | None, float | None]:
    """The task with the highest reward among the reports ``counts`` picks of each task (the
    ones AutoGluon's searcher is given), and that reward; ties: the first task."""
    best_task, best = None, None
    for task, reports in history.items():
        for report in counts(reports):
            value = report.get(reward_attr)
            if isinstance(value, int | float) and (best is None or value > best):
                best_task, best = task, value
    return best_task, best


def plot_training_curves(
    history: Mapping[str, list[dict[str, Any]]],
    *,
    reward_attr: str,
    time_attr: str,
    filename: str | None = None,
    plot: bool = False,
    use_legend: bool = True,
) -> None:
    """AutoGluon's plot: each task's reward against ``time_attr`` (the report's index where a
    report has no ``time_attr``), saved to ``filename`` and/or shown."""
    from tunesmith.viz.figure import import_matplotlib

    import_matplotlib()
    import matplotlib.pyplot as plt

    plt.ylabel(reward_attr)
    plt.xlabel(time_attr)
    plt.title("Performance vs Training-Time in each HPO Trial")
    for task, reports in history.items():
        points = [
            (r.get(time_attr, i + 1), r[reward_attr])
            for i, r in enumerate(reports)
            if reward_attr in r
        ]
        if points:
            xs, ys = zip(*points, strict=True)
            plt.plot(xs, ys, label=f"task {task}")
    if use_legend:
        plt.legend(loc="best")
    if filename:
        plt.savefig(filename)
    if plot:
        plt.show()
