"""Studies: a named, durable tuning run, and the checks on what describes it."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tunesmith.store.events import to_json
from tunesmith.trial import as_list, check_metric_mode

__all__ = ["Study", "StudyExistsError", "StudyNotFoundError", "check_study_name"]

MAX_NAME_LENGTH = 128
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:+=@-]*")
_NAME_RULE = (
    f"1 to {MAX_NAME_LENGTH} characters: letters, digits and '_ . : + = @ -', starting with a "
    "letter or digit"
)


class StudyExistsError(ValueError):
    """A study of that name is already in the store."""


class StudyNotFoundError(LookupError):
    """No study of that name (or id) is in the store."""

    def __str__(self) -> str:  # LookupError would quote the message like a KeyError
        return str(self.args[0]) if self.args else ""


class _JSONText(str):
    """JSON text given for a field of :class:`Study` that :class:`_DecodedOnRead` decodes
    when the field is first read."""


class _DecodedOnRead:
    """A field of :class:`Study` that may be given as :class:`_JSONText`, decoded on its first
    read: a study's scheduler spec may hold a table's configs (``restrict_configurations``:
    180 kB of JSON for mlp-digits, several ms to decode), and the tuner never reads the spec
    of a study it has just created."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.key = f"_{name}"

    def __get__(self, study: Any, owner: type | None = None) -> Any:
        if study is None:
            raise AttributeError(self.key)  # (for dataclass: a field without a default)
        value = study.__dict__[self.key]
        if type(value) is _JSONText:
            value = study.__dict__[self.key] = json.loads(value)
        return value

    def __set__(self, study: Any, value: Any) -> None:
        study.__dict__[self.key] = value


@dataclass(frozen=True)
class Study:
    """A study as stored. ``metric``/``mode`` are a name and ``"min"``/``"max"``, or lists of
    them for several objectives; the first one is the study's primary metric."""

    name: str
    study_id: int
    created_time: float
    config_space_json: str
    scheduler_spec: dict[str, Any] = _DecodedOnRead()  # type: ignore[assignment]
    metric: str | list[str]
    mode: str | list[str]
    seed: int | None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def metrics(self) -> list[str]:
        return as_list(self.metric)

    @property
    def modes(self) -> list[str]:
        return as_list(self.mode)


def check_study_name(name: Any) -> str:
    """``name`` if it is a valid study name, else a ``ValueError`` stating the rule."""
    if not isinstance(name, str) or len(name) > MAX_NAME_LENGTH or not _NAME.fullmatch(name):
        raise ValueError(f"a study `name` must be {_NAME_RULE}, but got name={name!r}")
    return name


def check_metrics(metric: Any, mode: Any) -> tuple[str | list[str], str | list[str]]:
    """Validate one metric/mode pair, or a list of distinct metrics and their modes (a list of
    modes as long as it, or one mode for all)."""
    return check_metric_mode(metric, mode)


def study_row(
    name: Any,
    *,
    config_space_json: Any,
    scheduler_spec: Any,
    metric: Any,
    mode: Any,
    seed: Any,
    metadata: Any,
) -> dict[str, Any]:
    """The studies-table row for :meth:`Store.create_study`'s arguments, after checking them."""
    check_study_name(name)
    if isinstance(config_space_json, str):
        try:
            json.loads(config_space_json)
        except ValueError:
            raise ValueError(
                "`config_space_json` must be JSON text (see tunesmith.space_to_json), but got "
                f"config_space_json={config_space_json[:80]!r}"
            ) from None
        space_text = config_space_json
    elif isinstance(config_space_json, Mapping):
        space_text = to_json(dict(config_space_json), "`config_space_json`")
    else:
        raise TypeError(
            "`config_space_json` must be the JSON text of a config space (tunesmith.space_to_json),"
            f" but got {type(config_space_json).__name__}"
        )
    if not isinstance(scheduler_spec, Mapping):
        raise TypeError(
            f"`scheduler_spec` must be a dict, but got scheduler_spec={scheduler_spec!r}"
        )
    metric, mode = check_metrics(metric, mode)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ValueError(f"`seed` must be an int or None, but got seed={seed!r}")
    if metadata is not None and not isinstance(metadata, Mapping):
        raise TypeError(f"`metadata` must be a dict or None, but got metadata={metadata!r}")
    return {
        "name": name,
        "config_space": space_text,
        "scheduler_spec": to_json(dict(scheduler_spec), "`scheduler_spec`"),
        "metric": json.dumps(metric),
        "mode": json.dumps(mode),
        "seed": seed,
        "metadata": to_json(dict(metadata or {}), "`metadata`"),
    }


def study_from_row(m: Mapping[str, Any]) -> Study:
    """A :class:`Study` from a row of the studies table, as a dict by column name."""
    return Study(
        name=m["name"],
        study_id=m["id"],
        created_time=m["created_time"],
        config_space_json=m["config_space"],
        scheduler_spec=_JSONText(m["scheduler_spec"]),
        metric=json.loads(m["metric"]),
        mode=json.loads(m["mode"]),
        seed=m["seed"],
        metadata=json.loads(m["metadata"]),
    )
