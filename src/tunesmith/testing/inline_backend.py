"""A deterministic backend that runs generator trainables inside the tuner's thread.

``fn(config, start_step)`` returns an iterator of result dicts; the backend advances the
running trials round robin, one result per :meth:`next_event`; a trial told to stop or pause
ends at the next :meth:`next_event`. After each acknowledged result
it writes the step into the trial's checkpoint folder, so a resumed (or restarted) trial
continues where it left off. It exists to test the tuner and
schedulers without processes; real runs use LocalBackend or ScriptBackend.
"""

from __future__ import annotations

import traceback
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tunesmith.backends.base import Backend, EventKind, FailureReason, TrialEvent
from tunesmith.trial import Decision, Trial

__all__ = ["InlineBackend"]


class InlineBackend(Backend):
    def __init__(self, fn: Callable[[dict[str, Any], int], Iterator[dict[str, Any]]]):
        super().__init__()
        self.fn = fn
        self._gens: dict[int, Iterator[dict[str, Any]]] = {}
        self._steps: dict[int, int] = {}  # results reported, survives pauses
        self._order: deque[int] = deque()
        self._ending: dict[int, TrialEvent] = {}
        self._awaiting: set[int] = set()
        self.started: list[tuple[int, bool]] = []
        self.replies: list[tuple[int, Decision]] = []

    def _checkpoint(self, trial_id: int) -> Path:
        return self.trial_dir(trial_id) / "checkpoint" / "step"

    def start(self, trial: Trial, *, resume: bool = False) -> None:
        self.started.append((trial.trial_id, resume))
        ckpt = self._checkpoint(trial.trial_id)
        step = int(ckpt.read_text()) if resume and ckpt.exists() else 0
        self._steps[trial.trial_id] = step
        self._gens[trial.trial_id] = iter(self.fn(dict(trial.config), step))
        self._order.append(trial.trial_id)

    def stop(self, trial_id: int, *, reason: FailureReason | None = None) -> None:
        if trial_id in self._gens:
            kind = EventKind.FAILED if reason else EventKind.STOPPED
            self._ending[trial_id] = TrialEvent(kind, trial_id, reason=reason)

    def pause(self, trial_id: int) -> None:
        if trial_id in self._gens:
            self._ending[trial_id] = TrialEvent(EventKind.PAUSED, trial_id)

    def reply(self, trial_id: int, decision: Decision) -> None:
        """Like a well-behaved trial, checkpoint once the result is acknowledged."""
        self.replies.append((trial_id, decision))
        ckpt = self._checkpoint(trial_id)
        ckpt.parent.mkdir(parents=True, exist_ok=True)
        ckpt.write_text(str(self._steps[trial_id]))
        self._awaiting.discard(trial_id)
        if decision is not Decision.CONTINUE and trial_id not in self._ending:
            kind = EventKind.PAUSED if decision is Decision.PAUSE else EventKind.STOPPED
            self._ending[trial_id] = TrialEvent(kind, trial_id)

    def next_event(self, timeout: float | None = None) -> TrialEvent | None:
        if self._ending:  # a trial told to end ends at once, as at its report()
            trial_id = next(iter(self._ending))
            return self._end(trial_id, self._ending.pop(trial_id))
        for _ in range(len(self._order)):
            trial_id = self._order[0]
            self._order.rotate(-1)
            if trial_id in self._ending:
                return self._end(trial_id, self._ending.pop(trial_id))
            if trial_id in self._awaiting:
                continue
            try:
                result = next(self._gens[trial_id])
            except StopIteration:
                return self._end(trial_id, TrialEvent(EventKind.COMPLETED, trial_id))
            except Exception:
                detail = traceback.format_exc()
                event = TrialEvent(
                    EventKind.FAILED, trial_id, None, FailureReason.EXCEPTION, detail
                )
                return self._end(trial_id, event)
            self._steps[trial_id] += 1
            self._awaiting.add(trial_id)
            return TrialEvent(EventKind.RESULT, trial_id, dict(result))
        return None

    def _end(self, trial_id: int, event: TrialEvent) -> TrialEvent:
        del self._gens[trial_id]
        self._order.remove(trial_id)
        self._awaiting.discard(trial_id)
        return event

    def shutdown(self) -> None:
        self._gens.clear()
        self._order.clear()
