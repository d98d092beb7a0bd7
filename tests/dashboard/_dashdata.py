"""Studies for the dashboard's tests, written straight into a store as the tuner journals them
(trial created, started, results with decisions, then completed or failed), and a writer
thread that keeps appending to one while a test watches the dashboard."""

from __future__ import annotations

import json
import math
import threading
import urllib.error
import urllib.request
from typing import Any

from tunesmith import ASHA, choice, loguniform, randint
from tunesmith.space import space_to_json
from tunesmith.spec import spec_of
from tunesmith.store import Event

SPACE = {"lr": loguniform(1e-4, 1e-1), "width": randint(4, 64), "opt": choice(["sgd", "adam"])}
MAX_T = 9


def create_study(store: Any, name: str, *, metrics: tuple[str, ...] = ("loss",)) -> Any:
    scheduler = ASHA(SPACE, metric="loss", mode="min", max_t=MAX_T, random_seed=0)
    spec = spec_of(scheduler)
    several = len(metrics) > 1
    return store.create_study(
        name,
        config_space_json=space_to_json(SPACE),
        scheduler_spec=spec,
        metric=list(metrics) if several else metrics[0],
        mode=["min"] * len(metrics) if several else "min",
        seed=0,
    )


def config_of(trial_id: int) -> dict[str, Any]:
    return {
        "lr": 10 ** (-4 + 3 * ((trial_id * 7919) % 101) / 100),
        "width": 4 + (trial_id * 31) % 60,
        "opt": "adam" if trial_id % 3 else "sgd",
    }


def loss_of(config: dict[str, Any], epoch: int) -> float:
    return (
        (math.log10(config["lr"]) + 2.0) ** 2
        + 1.0 / (epoch * config["width"])
        + (0.05 if config["opt"] == "sgd" else 0.0)
    )


def trial_events(
    trial_id: int,
    epochs: int,
    *,
    end: str | None = "completed",
    time: float = 0.0,
    metrics: tuple[str, ...] = ("loss",),
) -> list[Event]:
    """A trial's events: created, started, ``epochs`` results, then ``end`` ("completed",
    "stopped", "failed" or None: still running)."""
    config = config_of(trial_id)
    events = [
        Event("trial_created", trial_id=trial_id, payload=config, time=time),
        Event("trial_started", trial_id=trial_id, payload={"resume": False}, time=time),
    ]
    for epoch in range(1, epochs + 1):
        loss = loss_of(config, epoch)
        payload = {"epoch": epoch, "loss": loss}
        if "cost" in metrics:
            payload["cost"] = config["width"] * epoch / 10.0 + 1.0 / (1.0 + loss)
        t = time + epoch
        events.append(Event("result", trial_id=trial_id, payload=payload, time=t))
        events.append(
            Event("decision", trial_id=trial_id, payload={"decision": "continue"}, time=t)
        )
    t = time + epochs + 0.5
    if end == "failed":
        detail = (
            "Traceback (most recent call last):\n"
            + "".join(f'  File "train.py", line {i}, in step\n' for i in range(40))
            + "RuntimeError: CUDA out of memory"
        )
        events.append(
            Event(
                "trial_failed",
                trial_id=trial_id,
                payload={"reason": "exception", "detail": detail},
                time=t,
            )
        )
    elif end == "completed":
        events.append(Event("trial_completed", trial_id=trial_id, time=t))
    elif end == "stopped":
        events.append(Event("trial_stopped", trial_id=trial_id, time=t))
    return events


def fill_study(
    store: Any, study: Any, n_trials: int, *, metrics: tuple[str, ...] = ("loss",)
) -> None:
    """``n_trials`` trials: most completed (9 epochs) or stopped early at a rung, every 7th
    failed."""
    events: list[Event] = []
    for tid in range(n_trials):
        if tid % 7 == 6:
            events += trial_events(tid, 2, end="failed", time=tid, metrics=metrics)
        elif tid % 2:
            events += trial_events(
                tid, 3 if tid % 4 == 1 else 1, end="stopped", time=tid, metrics=metrics
            )
        else:
            events += trial_events(tid, MAX_T, end="completed", time=tid, metrics=metrics)
    store.append(study, events)


class Writer:
    """Appends to ``study`` from a thread: trial after trial, one result per ``step()`` call of
    the thread's loop, until :meth:`stop`. ``written`` counts the trials begun."""

    def __init__(self, store: Any, study: Any, first_trial: int, *, epochs: int = 5):
        self.store, self.study = store, study
        self.next_trial = first_trial
        self.epochs = epochs
        self.written = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Writer:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            tid = self.next_trial
            events = trial_events(tid, self.epochs, end="completed", time=1000.0 + tid)
            self.written += 1
            self.next_trial += 1
            # created+started, then each result with its decision, then the end: a few appends
            # per trial, each a moment apart (waits on the stop flag, not a sleep)
            self.store.append(self.study, events[:2])
            for i in range(2, len(events) - 1, 2):
                if self._stop.wait(0.05):
                    return
                self.store.append(self.study, events[i : i + 2])
            self.store.append(self.study, events[-1:])

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)


def get(
    url: str, *, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, Any, Any]:
    """``(status, body, headers)``: the body parsed as JSON when it is JSON, else bytes."""
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, body, head = response.status, response.read(), response.headers
    except urllib.error.HTTPError as err:
        status, body, head = err.code, err.read(), err.headers
    if (head.get("Content-Type") or "").startswith("application/json"):
        body = json.loads(body)
    return status, body, head
