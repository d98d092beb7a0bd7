"""What the logging callbacks (TensorBoard, MLflow) share: the values of a report worth logging,
its step, a config as flat parameters, and the import of an optional package with its install
line."""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["hparam_value", "missing_extra", "numbers_of", "prefetch", "step_of"]

#: fields of a result that are not the trial's metrics
_NOT_METRICS = ("trial_id", "status")


def numbers_of(result: Mapping[str, Any], *, skip: str | None = None) -> dict[str, float]:
    """The finite numbers of a report, as floats, without tunesmith's ``ts_`` fields and
    ``skip`` (the step's own name)."""
    out = {}
    for name, value in result.items():
        if name == skip or name in _NOT_METRICS or name.startswith("ts_"):
            continue
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = float(value)
            if math.isfinite(value):
                out[name] = value
    return out


def step_of(result: Mapping[str, Any], resource_attr: str | None, count: int) -> int:
    """The report's step: its ``resource_attr`` value (an epoch, ...) when it has one, else its
    number among the trial's reports (``count``, from 1)."""
    value = result.get(resource_attr) if resource_attr else None
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return int(value)
    return count


def hparam_value(value: Any) -> str | float | bool:
    """A config value as TensorBoard's hparams and MLflow's params take it: numbers, strings
    and booleans as they are, anything else as its ``str``."""
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        return float(value) if isinstance(value, float) else value
    return str(value)


def missing_extra(module: str, extra: str, what: str) -> ImportError:
    """The error for a missing optional package: what needs it and the install line."""
    return ImportError(f'{what} needs the {module!r} package: pip install "tunesmith[{extra}]"')


def prefetch(load: Callable[[], Any], name: str) -> None:
    """Run ``load`` (a function importing a slow package) in a background thread, so that the
    import overlaps the tuner's start-up; a missing package is reported when it is used."""

    def run() -> None:
        with contextlib.suppress(ImportError):
            load()

    threading.Thread(target=run, name=name, daemon=True).start()
