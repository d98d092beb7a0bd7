"""The events of a study's journal.

Every event has a ``kind``, an optional ``trial_id``, a JSON-serializable ``payload`` dict and a
``time`` (seconds, from the tuner's clock; the store's wall clock when None). The store assigns
``seq``, the event's position in its study's journal (1, 2, 3, ...).

=================  ==========  ===========================================================
kind               trial_id    payload
=================  ==========  ===========================================================
trial_created      required    the trial's config
trial_started      required    ``{"resume": bool}``, optionally ``"config"`` (a changed config);
                               an exploit (PBT) adds ``"checkpoint_from"`` (the donor trial),
                               ``"previous_config"`` and ``"donor_result"``; a shared
                               study's (``Tuner(shared=True)``) the ``"driver"`` that runs it
result             required    the reported metrics
decision           required    ``{"decision": "continue" | "pause" | "stop"}``; in a shared
                               study also ``"seen"``: the journal's seq the decision had read
trial_completed    required    free-form
trial_paused       required    free-form
trial_stopped      required    free-form
trial_failed       required    ``{"reason": str, "detail": str or None}``
trial_interrupted  required    free-form: the run ended while the trial ran; it restarts on resume
scheduler_call     optional    free-form: what the tuner needs to replay a scheduler call
run_started        optional    free-form
run_ended          optional    free-form
=================  ==========  ===========================================================
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from enum import Enum
from numbers import Real
from typing import Any

__all__ = ["Event", "EventKind"]


class EventKind(str, Enum):
    """What happened. The values are what the journal stores."""

    TRIAL_CREATED = "trial_created"
    TRIAL_STARTED = "trial_started"
    RESULT = "result"
    DECISION = "decision"
    TRIAL_COMPLETED = "trial_completed"
    TRIAL_PAUSED = "trial_paused"
    TRIAL_STOPPED = "trial_stopped"
    TRIAL_FAILED = "trial_failed"
    TRIAL_INTERRUPTED = "trial_interrupted"
    SCHEDULER_CALL = "scheduler_call"
    RUN_STARTED = "run_started"
    RUN_ENDED = "run_ended"

    @property
    def needs_trial(self) -> bool:
        return self not in (EventKind.SCHEDULER_CALL, EventKind.RUN_STARTED, EventKind.RUN_ENDED)

    def __str__(self) -> str:
        return self.value


_KINDS = [k.value for k in EventKind]
_DECISIONS = ("continue", "pause", "stop")


@dataclass(frozen=True)
class Event:
    """One entry of a study's journal: ``Event("result", trial_id=3, payload={"loss": 0.2},
    time=12.5)``. ``seq`` is None until the store assigned it (events read back have it)."""

    kind: EventKind
    _: KW_ONLY
    trial_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    time: float | None = None
    seq: int | None = None

    def __post_init__(self) -> None:
        try:
            kind = EventKind(self.kind)
        except ValueError:
            raise ValueError(
                f"`kind` must be one of {_KINDS}, but got kind={self.kind!r}"
            ) from None
        object.__setattr__(self, "kind", kind)
        trial_id = self.trial_id
        if trial_id is not None and (
            isinstance(trial_id, bool) or not isinstance(trial_id, int) or trial_id < 0
        ):
            raise ValueError(
                f"`trial_id` of a {kind.value!r} event must be an int >= 0 or None, but got "
                f"trial_id={trial_id!r}"
            )
        if kind.needs_trial and trial_id is None:
            raise ValueError(f"a {kind.value!r} event needs a `trial_id`, but got trial_id=None")
        if not isinstance(self.payload, Mapping):
            raise TypeError(
                f"`payload` of a {kind.value!r} event must be a dict, but got "
                f"payload={self.payload!r}"
            )
        if not isinstance(self.payload, dict):
            object.__setattr__(self, "payload", dict(self.payload))
        if self.time is not None and (
            isinstance(self.time, bool)
            or not isinstance(self.time, Real)
            or not math.isfinite(self.time)
        ):
            raise ValueError(
                f"`time` of a {kind.value!r} event must be a finite number of seconds or None, "
                f"but got time={self.time!r}"
            )
        _check_payload(kind, self.payload)


def _check_payload(kind: EventKind, payload: dict[str, Any]) -> None:
    if kind is EventKind.DECISION and payload.get("decision") not in _DECISIONS:
        raise ValueError(
            f"the payload of a 'decision' event must be {{'decision': one of {list(_DECISIONS)}}}, "
            f"but got payload={payload!r}"
        )
    if kind is EventKind.TRIAL_FAILED:
        reason, detail = payload.get("reason"), payload.get("detail")
        if not isinstance(reason, str) or not reason:
            raise ValueError(
                "the payload of a 'trial_failed' event must have a non-empty str 'reason' "
                f"(e.g. 'exception', 'timeout'), but got payload={payload!r}"
            )
        if detail is not None and not isinstance(detail, str):
            raise ValueError(
                "the 'detail' of a 'trial_failed' event must be a str or None, but got "
                f"detail={detail!r}"
            )
    if kind is EventKind.TRIAL_STARTED:
        if not isinstance(payload.get("resume", False), bool):
            raise ValueError(
                "the 'resume' of a 'trial_started' event must be True or False, but got "
                f"resume={payload['resume']!r}"
            )
        if "config" in payload and not isinstance(payload["config"], Mapping):
            raise ValueError(
                "the 'config' of a 'trial_started' event must be a dict, but got "
                f"config={payload['config']!r}"
            )
        donor = payload.get("checkpoint_from")
        if donor is not None and (isinstance(donor, bool) or not isinstance(donor, int)):
            raise ValueError(
                "the 'checkpoint_from' of a 'trial_started' event must be a trial id (an int), "
                f"but got checkpoint_from={donor!r}"
            )


def _json_default(value: Any) -> Any:
    # numpy scalars and arrays (reported metrics often are), without importing numpy
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


# one encoder for every payload: json.dumps with arguments builds a new one per call, a
# sizeable part of journaling a small payload
_ENCODER = json.JSONEncoder(default=_json_default, separators=(",", ":"))


def _c_encoder() -> Callable[[Any, int], list[str]] | None:
    """:data:`_ENCODER`'s C encoder, made once (``encode`` makes one per call): called as
    ``encoder(value, 0)``, it gives the pieces of the same text, without the check for circular
    references (a circular value makes it raise RecursionError instead; :func:`to_json` then
    asks ``_ENCODER`` for the error). None where the C encoder is missing or takes other
    arguments."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - CPython has it
        return None
    e = _ENCODER
    try:
        args = (e.default, json.encoder.encode_basestring_ascii, e.indent, e.key_separator)
        encoder = make(None, *args, e.item_separator, e.sort_keys, e.skipkeys, e.allow_nan)
        probe = {"a": [1.5, None, "\u00e9", math.nan]}
        if "".join(encoder(probe, 0)) != e.encode(probe):
            return None  # pragma: no cover
    except TypeError:  # pragma: no cover - another Python's signature
        return None
    return encoder


#: the pieces of a value's JSON text (``"".join(_PIECES(value, 0))``), or None
_PIECES = _c_encoder()
_ENCODE = _ENCODER.encode if _PIECES is None else lambda value: "".join(_PIECES(value, 0))


def to_json(value: Any, what: str | Callable[[], str]) -> str:
    """JSON text of ``value`` (NaN and infinities allowed), or a TypeError naming ``what``
    (a string, or a function that makes it, called only on an error)."""
    try:
        return _ENCODE(value)
    except Exception:
        pass  # the slow encoder says what is wrong (a circular value, a type it can't encode)
    try:
        return _ENCODER.encode(value)
    except (TypeError, ValueError) as err:
        name = what if isinstance(what, str) else what()
        raise TypeError(f"{name} must be JSON-serializable, but it is not: {err}") from None
