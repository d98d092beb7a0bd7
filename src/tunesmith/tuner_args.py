"""The checks on :class:`~tunesmith.tuner.Tuner`'s arguments: each bad one is refused before
anything runs, with a message naming the argument, the value and what is allowed."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from numbers import Real
from typing import Any

from tunesmith.backends.base import Backend
from tunesmith.callbacks.base import TunerCallback
from tunesmith.schedulers.base import Scheduler

__all__ = [
    "RESERVED_METADATA",
    "check_max_failures",
    "check_metadata",
    "check_tuner_arguments",
    "checkpoint_removal_of",
]

#: keys of a study's stored metadata that tunesmith writes itself (``metadata=`` may not use
#: them): the scheduler's state before its first call, and the trial folders
RESERVED_METADATA = ("scheduler_state", "run_dir")


def check_tuner_arguments(
    *,
    backend: Any,
    scheduler: Any,
    stop_criterion: Any,
    n_workers: Any,
    max_trial_time: Any,
    max_failures: Any,
    callbacks: Sequence[Any],
    verbose: Any,
    if_exists: Any,
    delete_checkpoints: Any,
    name: Any,
) -> None:
    """A ``TypeError``/``ValueError`` for the first bad argument of ``Tuner(...)``."""
    if not isinstance(backend, Backend):
        raise TypeError(
            f"`backend` must be a Backend (LocalBackend, ScriptBackend, ...), but got {backend!r}"
        )
    if not isinstance(scheduler, Scheduler):
        raise TypeError(
            f"`scheduler` must be a Scheduler (RandomSearch, ASHA, ...), but got {scheduler!r}"
        )
    if stop_criterion is not None and not callable(stop_criterion):
        raise TypeError(
            "`stop_criterion` must be a StoppingCriterion, a callable(status) -> bool or "
            f"None, but got {stop_criterion!r}"
        )
    if not isinstance(n_workers, int) or isinstance(n_workers, bool) or n_workers < 1:
        raise ValueError(f"`n_workers` must be an int >= 1, but got n_workers={n_workers!r}")
    if max_trial_time is not None and (
        not isinstance(max_trial_time, Real) or not max_trial_time > 0
    ):
        raise ValueError(
            f"`max_trial_time` must be a positive number of seconds or None, but got "
            f"max_trial_time={max_trial_time!r}"
        )
    check_max_failures(max_failures)
    for cb in callbacks:
        if not isinstance(cb, TunerCallback):
            raise TypeError(f"every callback must be a TunerCallback, but got {cb!r}")
    if verbose not in (0, 1, 2):
        raise ValueError(f"`verbose` must be 0, 1 or 2, but got verbose={verbose!r}")
    if if_exists not in ("resume", "error", "overwrite"):
        raise ValueError(
            "`if_exists` must be 'resume', 'error' or 'overwrite', but got "
            f"if_exists={if_exists!r}"
        )
    if not isinstance(delete_checkpoints, bool):
        raise ValueError(
            "`delete_checkpoints` must be True or False, but got "
            f"delete_checkpoints={delete_checkpoints!r}"
        )
    if name is not None:
        from tunesmith.store.study import check_study_name

        check_study_name(name)


def check_max_failures(value: Any) -> None:
    if isinstance(value, bool):
        ok = False
    elif isinstance(value, int):
        ok = value >= 0
    elif isinstance(value, float):
        ok = 0.0 < value <= 1.0
    else:
        ok = False
    if not ok:
        raise ValueError(
            "`max_failures` must be an int >= 0 (a count) or a float in (0, 1] (a fraction of "
            f"finished trials), but got max_failures={value!r}"
        )


def check_metadata(metadata: Any) -> dict[str, Any]:
    """A copy of ``metadata`` (None: empty) after checking that it is a dict of JSON data with
    string keys, none of them one tunesmith stores itself; else an error naming the key."""
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise TypeError(
            f"`metadata` must be a dict of JSON-serializable values or None, but got "
            f"metadata={metadata!r} ({type(metadata).__name__})"
        )
    out: dict[str, Any] = {}
    for key, value in metadata.items():
        if not isinstance(key, str) or not key:
            raise TypeError(f"`metadata` keys must be non-empty strings, but got key {key!r}")
        if key in RESERVED_METADATA:
            raise ValueError(
                f"`metadata` may not use the key {key!r}: tunesmith stores the study's "
                f"{' and '.join(RESERVED_METADATA)} under those names; rename it"
            )
        try:
            text = json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as err:
            raise TypeError(
                f"`metadata[{key!r}]` must be JSON-serializable (str, int, float, bool, None "
                f"and lists and dicts of them, no NaN), but got {_short(value)}: {err}"
            ) from None
        out[key] = json.loads(text)  # a copy, as it is stored and read back
    return out


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def checkpoint_removal_of(scheduler: Any, callbacks: Sequence[Any]) -> Any:
    """The :class:`~tunesmith.callbacks.checkpoint_removal.RemoveCheckpointsCallback` that the
    scheduler's ``early_checkpoint_removal_kwargs`` ask for, or None; a ``ValueError`` when
    ``callbacks`` hold one already (two would remove checkpoints against each other)."""
    kwargs = getattr(scheduler, "early_checkpoint_removal_kwargs", None)
    if not kwargs:
        return None
    from tunesmith.callbacks.checkpoint_removal import RemoveCheckpointsCallback

    for cb in callbacks:
        if isinstance(cb, RemoveCheckpointsCallback):
            raise ValueError(
                f"the scheduler's early_checkpoint_removal_kwargs={dict(kwargs)!r} and the "
                f"callback {cb!r} both remove checkpoints; keep one of them"
            )
    return RemoveCheckpointsCallback.from_kwargs(kwargs)
