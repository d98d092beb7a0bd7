"""``syne_tune.backend``: ``LocalBackend(entry_point=...)`` runs a training script per trial
(tunesmith's :class:`~tunesmith.ScriptBackend`), ``PythonBackend(tune_function, config_space)``
a function (tunesmith's :class:`~tunesmith.LocalBackend`, whose workers do not import the
launcher, so a launcher without ``if __name__ == "__main__":`` runs as written).

A script gets the config as Syne Tune passes it, ``--name value`` per entry (or
``--st_config_json_filename FILE`` with ``pass_args_as_json=True``), plus
``--st_checkpoint_dir DIR``, its trial's checkpoint folder (kept when a paused trial resumes).
It reports with :class:`~tunesmith.compat.synetune.Reporter` (``[tune-metric]: {...}`` lines),
or with :func:`tunesmith.report`.
"""

from __future__ import annotations

import inspect
import logging
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tunesmith.backends.local import LocalBackend as _NativeLocal
from tunesmith.backends.script import ScriptBackend
from tunesmith.compat.synetune.constants import ST_CHECKPOINT_DIR

__all__ = ["LocalBackend", "PythonBackend", "SageMakerBackend"]

logger = logging.getLogger("tunesmith")


def _gpu_arguments(
    rotate_gpus: bool, num_gpus_per_trial: int, gpus_to_use: list[int] | None
) -> dict[str, Any]:
    """ScriptBackend's GPU arguments for Syne Tune's: with ``rotate_gpus`` each trial gets
    ``num_gpus_per_trial`` of the GPUs (``gpus_to_use``, else those present; none present:
    nothing to rotate, as in Syne Tune), free ones first, else those given out least often;
    without it every trial sees them all."""
    from tunesmith.backends._resources import check_gpus, detect_gpus

    if (
        isinstance(num_gpus_per_trial, bool)
        or not isinstance(num_gpus_per_trial, int)
        or num_gpus_per_trial < 1
    ):
        raise ValueError(
            f"num_gpus_per_trial must be an integer >= 1, but got {num_gpus_per_trial!r}"
        )
    devices = check_gpus(gpus_to_use) if gpus_to_use is not None else detect_gpus()[0]
    if rotate_gpus and devices:
        return {"gpus_per_trial": num_gpus_per_trial, "gpus": devices}
    if gpus_to_use is not None and devices:
        return {"env": {"CUDA_VISIBLE_DEVICES": ",".join(devices)}}
    return {}


class _TrialPaths:
    """``trial_path`` and ``checkpoint_trial_path`` of Syne Tune's backends (valid once the
    tuner has set the run folder, that is during and after ``tuner.run()``)."""

    run_dir: Path | None

    def trial_path(self, trial_id: int) -> Path:
        if self.run_dir is None:
            raise RuntimeError("the trial folders are known once tuner.run() has started")
        return Path(self.run_dir) / "trials" / str(int(trial_id))

    def checkpoint_trial_path(self, trial_id: int) -> Path:
        return self.trial_path(trial_id) / "checkpoint"


class LocalBackend(_TrialPaths, ScriptBackend):
    """Syne Tune's ``LocalBackend``: run ``python entry_point --name value ...`` per trial."""

    def __init__(
        self,
        entry_point: str,
        delete_checkpoints: bool = False,
        pass_args_as_json: bool = False,
        rotate_gpus: bool = True,
        num_gpus_per_trial: int = 1,
        gpus_to_use: list[int] | None = None,
    ) -> None:
        gpu_arguments = _gpu_arguments(rotate_gpus, num_gpus_per_trial, gpus_to_use)
        path = Path(entry_point)
        if not path.is_file():
            raise ValueError(f"entry_point {entry_point!r} is not a file")
        self.entry_point = str(path.resolve())
        self.delete_checkpoints = bool(delete_checkpoints)
        self.pass_args_as_json = bool(pass_args_as_json)
        self.rotate_gpus = bool(rotate_gpus)
        launcher = [sys.executable, "-m", "tunesmith.compat.synetune._entry"]
        if self.pass_args_as_json:
            launcher.append("--json")
        self.num_gpus_per_trial = num_gpus_per_trial
        self.gpus_to_use = gpus_to_use
        super().__init__([*launcher, self.entry_point], **gpu_arguments)

    @property
    def default_tuner_name(self) -> str:
        return Path(self.entry_point).stem

    def __repr__(self) -> str:
        return f"LocalBackend(entry_point={self.entry_point!r})"


class _CallWithArguments:
    """What the worker runs: ``tune_function`` with the config entries it has parameters for
    (and ``st_checkpoint_dir``: the trial's checkpoint folder, if it takes it)."""

    def __init__(self, tune_function: Callable[..., Any]) -> None:
        self.tune_function = tune_function
        parameters = inspect.signature(tune_function).parameters
        self.takes_all = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
        self.names = set(parameters)

    def __call__(self, config: Mapping[str, Any]) -> Any:
        import tunesmith

        kwargs = {k: v for k, v in config.items() if self.takes_all or k in self.names}
        if self.takes_all or ST_CHECKPOINT_DIR in self.names:
            folder = tunesmith.checkpoint_dir()
            kwargs[ST_CHECKPOINT_DIR] = None if folder is None else str(folder)
        return self.tune_function(**kwargs)


class PythonBackend(_TrialPaths, _NativeLocal):
    """Syne Tune's ``PythonBackend``: run ``tune_function(**config)`` per trial (the entries
    of the config it has parameters for). It reports with ``Reporter`` (or
    ``tunesmith.report``)."""

    def __init__(
        self,
        tune_function: Callable[..., Any],
        config_space: dict[str, Any],
        rotate_gpus: bool = True,
        delete_checkpoints: bool = False,
    ) -> None:
        if not callable(tune_function):
            raise TypeError(f"tune_function must be callable, but got {tune_function!r}")
        self.tune_function = tune_function
        self.config_space = config_space
        self.rotate_gpus = bool(rotate_gpus)
        self.delete_checkpoints = bool(delete_checkpoints)
        super().__init__(_CallWithArguments(tune_function), import_main=False)

    @property
    def default_tuner_name(self) -> str:
        return getattr(self.tune_function, "__name__", "python-backend")

    def __repr__(self) -> str:
        return f"PythonBackend(tune_function={self.tune_function!r})"


class SageMakerBackend:
    """Syne Tune's SageMaker backend is not in tunesmith: importable (a launcher that runs
    locally imports it), ``NotSupported`` when built."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from tunesmith.compat.synetune.errors import NotSupported

        raise NotSupported(
            "SageMakerBackend: SageMaker is not in tunesmith; use LocalBackend(entry_point=...) "
            "(a script per trial, here), PythonBackend, or tunesmith's RayBackend for a cluster"
        )
