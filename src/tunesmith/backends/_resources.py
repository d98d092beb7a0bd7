"""Per-trial resources of LocalBackend (private): validation, and GPUs shared out to workers."""

from __future__ import annotations

import numbers
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["assign_gpus", "check_gpus", "check_resources", "detect_gpus"]


def check_resources(resources: Mapping[str, Any] | None) -> dict[str, int]:
    """Validate per-trial ``resources`` (``{"cpus": 1, "gpus": 0}`` by default)."""
    out = {"cpus": 1, "gpus": 0}
    if resources is None:
        return out
    if not isinstance(resources, Mapping):
        raise TypeError(
            f"`resources` must be a dict such as {{'cpus': 1, 'gpus': 0}}, but got {resources!r}"
        )
    unknown = sorted(str(key) for key in resources if key not in out)
    if unknown:
        raise ValueError(
            f"`resources` has unknown key(s) {unknown}; the allowed keys are 'cpus' and 'gpus'"
        )
    for key, value in resources.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"resources[{key!r}] must be an integer, but got {value!r}")
        low = 1 if key == "cpus" else 0
        if value < low:
            raise ValueError(f"resources[{key!r}] must be >= {low}, but got {value!r}")
        out[key] = int(value)
    return out


def check_gpus(gpus: int | Sequence[int | str] | None) -> list[str] | None:
    if gpus is None:
        return None
    if isinstance(gpus, bool):
        raise TypeError(f"`gpus` must be a count or a list of device ids, but got {gpus!r}")
    if isinstance(gpus, numbers.Integral):
        if gpus < 0:
            raise ValueError(f"`gpus` must be >= 0, but got {gpus!r}")
        return [str(i) for i in range(int(gpus))]
    if isinstance(gpus, str) or not isinstance(gpus, Sequence):
        raise TypeError(
            f"`gpus` must be a count or a list of device ids such as [0, 1], but got {gpus!r}"
        )
    ids = []
    for device in gpus:
        if isinstance(device, bool) or not isinstance(device, numbers.Integral | str):
            raise TypeError(f"`gpus` entries must be ints or strings, but got {device!r}")
        ids.append(str(device))
    if len(set(ids)) != len(ids):
        raise ValueError(f"`gpus` lists a device twice: {list(gpus)!r}")
    return ids


def detect_gpus() -> tuple[list[str], str]:
    """The GPUs this process may use, and where that list came from."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        ids = []
        for device in visible.split(","):
            device = device.strip()
            if not device or device.startswith("-"):
                break  # CUDA ignores everything after an invalid id
            ids.append(device)
        return ids, f"CUDA_VISIBLE_DEVICES={visible!r}"
    if shutil.which("nvidia-smi") is None:
        return [], "no CUDA_VISIBLE_DEVICES and no nvidia-smi"
    try:
        out = subprocess.run(
            ["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return [], "nvidia-smi -L failed"
    count = sum(1 for line in out.splitlines() if line.startswith("GPU "))
    return [str(i) for i in range(count)], "nvidia-smi -L"


def assign_gpus(per_trial: int, n_workers: int, gpus: list[str] | None) -> list[str | None]:
    """``CUDA_VISIBLE_DEVICES`` for each worker (None: leave it alone): worker ``i`` gets
    devices ``i*per_trial`` to ``i*per_trial+per_trial-1`` of the available ones (``gpus``, or
    those detected). Raises ``ValueError`` when there are not enough."""
    if per_trial == 0:
        return [None] * n_workers
    if gpus is not None:
        available, source = gpus, f"gpus={gpus!r}"
    else:
        available, source = detect_gpus()
    needed = per_trial * n_workers
    if len(available) < needed:
        raise ValueError(
            f"resources={{'gpus': {per_trial}}} with n_workers={n_workers} needs {needed} "
            f"GPU(s), but {len(available)} are available ({source}); lower n_workers or "
            "the GPUs per trial, or pass gpus=[...] to LocalBackend"
        )
    return [",".join(available[i * per_trial : (i + 1) * per_trial]) for i in range(n_workers)]


class GpuRotation:
    """Devices for trials that each start a process of their own (ScriptBackend): ``take()``
    gives the next trial ``per_trial`` of ``devices`` as a ``CUDA_VISIBLE_DEVICES`` value (free
    devices first; among equally busy ones, those given out least often so far, then in the
    listed order), ``give_back()`` returns them when it ends. With more running trials than
    devices allow, devices are shared rather than trials delayed."""

    def __init__(self, per_trial: int, devices: list[str]):
        if per_trial > len(devices):
            raise ValueError(
                f"{per_trial} GPU(s) per trial, but {len(devices)} are available "
                f"({devices!r}); lower the GPUs per trial or list more devices"
            )
        self.per_trial, self.devices = per_trial, list(devices)
        self.busy = dict.fromkeys(self.devices, 0)
        self.given = dict.fromkeys(self.devices, 0)

    def take(self) -> str:
        order = sorted(
            range(len(self.devices)),
            key=lambda i: (self.busy[self.devices[i]], self.given[self.devices[i]], i),
        )
        chosen = sorted(order[: self.per_trial])
        for i in chosen:
            self.busy[self.devices[i]] += 1
            self.given[self.devices[i]] += 1
        return ",".join(self.devices[i] for i in chosen)

    def give_back(self, visible: str) -> None:
        for device in visible.split(","):
            if self.busy.get(device, 0) > 0:
                self.busy[device] -= 1
