"""``syne_tune.backend.sagemaker_backend.sagemaker_utils``: importable, not callable (SageMaker
is not in tunesmith)."""

from __future__ import annotations

from typing import Any

from tunesmith.compat.synetune.errors import NotSupported

__all__ = ["default_sagemaker_session", "get_execution_role"]


def _not_here(name: str) -> NotSupported:
    return NotSupported(
        f"{name}(): SageMaker is not in tunesmith; run the trials with LocalBackend (a script) "
        "or PythonBackend, or on a Ray cluster with tunesmith's RayBackend"
    )


def get_execution_role(*args: Any, **kwargs: Any) -> Any:
    raise _not_here("get_execution_role")


def default_sagemaker_session(*args: Any, **kwargs: Any) -> Any:
    raise _not_here("default_sagemaker_session")
