"""What RayBackend asks of Ray and of the cluster (private): Ray imported lazily with the
install line when missing, ``resources_per_trial`` checked against the cluster's nodes, the
machines a run needs, what Ray says of a lost actor, and the actor processes of this machine
(waited for at shutdown)."""

from __future__ import annotations

import importlib.util
import math
import numbers
import re
import time
from collections.abc import Mapping
from typing import Any

__all__ = [
    "INSTALL",
    "actor_pids_here",
    "check_fits",
    "check_nodes",
    "check_ray_installed",
    "check_ray_resources",
    "describe_loss",
    "import_ray",
    "ray_resources",
    "wait_gone",
]

INSTALL = 'pip install "tunesmith[ray]"'


def import_ray() -> Any:
    """The ``ray`` module, or an ImportError with the install line."""
    try:
        import ray
    except ImportError as exc:
        raise ImportError(
            f"RayBackend needs Ray, which is not installed ({exc}); install it with: {INSTALL}"
        ) from exc
    return ray


def check_ray_installed() -> None:
    """An ImportError with the install line where Ray is missing (without importing it)."""
    if importlib.util.find_spec("ray") is None:
        raise ImportError(
            f"RayBackend needs Ray, which is not installed; install it with: {INSTALL}"
        )


def check_ray_resources(resources: Mapping[str, Any] | None) -> dict[str, float]:
    """Validate ``resources_per_trial``: ``cpus`` (default 1), ``gpus`` (default 0; fractions
    share a device), ``memory`` (bytes) and custom Ray resources, each a number >= 0."""
    out: dict[str, float] = {"cpus": 1.0, "gpus": 0.0}
    if resources is None:
        return out
    if not isinstance(resources, Mapping):
        raise TypeError(
            "`resources_per_trial` must be a dict such as {'cpus': 1, 'gpus': 0.5}, but got "
            f"{resources!r}"
        )
    for key, value in resources.items():
        if not isinstance(key, str) or not key:
            raise TypeError(
                f"`resources_per_trial` keys must be resource names ('cpus', 'gpus', 'memory' "
                f"or a custom Ray resource), but got {key!r}"
            )
        if key in ("CPU", "GPU", "num_cpus", "num_gpus"):
            raise ValueError(
                f"`resources_per_trial` has {key!r}; write 'cpus' and 'gpus' (e.g. "
                "{'cpus': 2, 'gpus': 0.5}), other keys are custom Ray resources"
            )
        if (
            isinstance(value, bool)
            or not isinstance(value, numbers.Real)
            or not math.isfinite(value)
            or value < 0
        ):
            raise ValueError(
                f"resources_per_trial[{key!r}] must be a number >= 0, but got {value!r}"
            )
        out[key] = float(value)
    return out


def check_nodes(ray: Any, nodes: list[str] | None) -> None:
    """Refuse to run where a machine of ``nodes`` (IP addresses or host names) is not a
    node of the cluster, naming the ``ray start`` line that joins it."""
    if not nodes:
        return
    names: set[str] = set()
    for node in ray.nodes():
        if node.get("Alive"):
            names.update(
                str(node.get(key)) for key in ("NodeManagerAddress", "NodeManagerHostname")
            )
    missing = [n for n in nodes if n not in names]
    if missing:
        head = ray.get_runtime_context().gcs_address
        raise ValueError(
            f"`nodes` lists {missing!r}, which are not nodes of the Ray cluster at {head} "
            f"(its nodes: {sorted(names)!r}); on each of them run: ray start --address={head}"
        )


def check_fits(ray: Any, resources: dict[str, float]) -> None:
    """Refuse resources no node of the cluster has (the actors would wait forever)."""
    wanted = ray_resources(resources)
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    if not nodes:
        return
    for node in nodes:
        have = node.get("Resources", {})
        if all(have.get(key, 0.0) >= value for key, value in wanted.items() if value > 0):
            return
    totals = ray.cluster_resources()
    raise ValueError(
        f"`resources_per_trial`={resources!r} fits no node of the Ray cluster (its "
        f"resources: {dict(sorted(totals.items()))!r}); ask for less, or add nodes that "
        "have it"
    )


def ray_resources(resources: dict[str, float]) -> dict[str, float]:
    """``resources_per_trial`` in Ray's names (CPU, GPU, memory, custom ones)."""
    names = {"cpus": "CPU", "gpus": "GPU", "memory": "memory"}
    return {names.get(key, key): value for key, value in resources.items()}


def describe_loss(exc: BaseException) -> str:
    """What Ray says of a lost actor, in a line: the error its creation raised (the last
    line of that traceback), else the first line of Ray's message."""
    inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None
    if inner is not None:
        lines = [line.strip() for line in str(inner).splitlines() if line.strip()]
        errors = [line for line in lines if re.match(r"^[\w.]+(Error|Exception)\b", line)]
        if errors:
            return errors[-1]
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[0] if lines else ''}".strip()


def actor_pids_here(ray: Any, actors: list[Any]) -> list[int]:
    """The process ids of the actors placed on this machine's Ray node (best effort: Ray's
    actor table, which has them from placement on, also for an actor still being created)."""
    try:
        from ray._private import state

        node = ray.get_runtime_context().get_node_id()
        pids = []
        for actor in actors:
            info = state.actors(actor._actor_id.hex())
            if info.get("Address", {}).get("NodeID") == node and info.get("Pid"):
                pids.append(int(info["Pid"]))
        return pids
    except Exception:
        return []


def wait_gone(pids: list[int], timeout: float = 10.0) -> None:
    """Wait until the actor processes of this machine have exited (Ray ends them after
    ``ray.kill`` in the background)."""
    from tunesmith.store.owner import process_alive

    deadline = time.monotonic() + timeout
    for pid in pids:
        while process_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.01)
