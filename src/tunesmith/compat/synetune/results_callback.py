"""``syne_tune.results_callback``: ``StoreResultsCallback`` and ``ExtraResultsComposer``.

Syne Tune's tuner stores its results through ``StoreResultsCallback`` (a CSV file it writes now
and then); tunesmith's tuner journals every result in the study before answering it, so the
callback has nothing to add: it is accepted (a launcher that lists it runs as written), and
``load_experiment(name).results`` reads the results. Extra columns composed from the tuner's
state (``extra_results_composer``) are not supported: they read the internals of Syne Tune's
schedulers and callbacks."""

from __future__ import annotations

from typing import Any

from tunesmith.callbacks.base import TunerCallback
from tunesmith.compat.synetune.errors import NotSupported

__all__ = ["ExtraResultsComposer", "StoreResultsCallback"]


class ExtraResultsComposer:
    """Syne Tune's base class of extra result composers (``__call__(tuner)`` and ``keys()``);
    :class:`StoreResultsCallback` does not take one here."""

    def __call__(self, tuner: Any) -> dict[str, Any] | None:
        raise NotImplementedError

    def keys(self) -> list[str]:
        raise NotImplementedError


class StoreResultsCallback(TunerCallback):
    """Accepted, nothing to do: the study stores every result (with the seconds since the
    study began, ``add_wallclock_time``). ``extra_results_composer`` is not supported."""

    def __init__(
        self,
        add_wallclock_time: bool = True,
        extra_results_composer: ExtraResultsComposer | None = None,
    ) -> None:
        if extra_results_composer is not None:
            raise NotSupported(
                "StoreResultsCallback(extra_results_composer=...) is not supported: the extra "
                "columns read Syne Tune's scheduler and callback internals; report the values "
                "from the training script, or read tuner.native (tunesmith's Tuner) in a "
                "tunesmith.TunerCallback"
            )
        self.add_wallclock_time = bool(add_wallclock_time)
