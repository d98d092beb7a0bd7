"""Earlier tasks for the transfer-learning tests: the contract suites' objective, shifted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from tunesmith.searchers.transfer import TransferLearningTaskEvaluations
from tunesmith.space import sample_config
from tunesmith.testing.spaces import objective


def earlier_tasks(
    space: Mapping[str, Any], *, n: int = 40, tasks: int = 2, steps=(1, 3, 9), seed: int = 0
) -> dict[str, TransferLearningTaskEvaluations]:
    """``tasks`` earlier tasks that evaluated the same ``n`` configs of ``space`` at ``steps``
    (one seed): the objective plus ``0.1 * task``, so every task ranks configs alike."""
    rng = np.random.default_rng(seed)
    configs, seen = [], set()
    for _ in range(20 * n):
        config = sample_config(space, rng)
        key = tuple(map(str, config.values()))
        if key not in seen:
            seen.add(key)
            configs.append(config)
        if len(configs) == n:
            break
    out = {}
    for t in range(tasks):
        values = np.array([[[objective(c, space, s) + 0.1 * t for s in steps]] for c in configs])
        out[f"task{t}"] = TransferLearningTaskEvaluations(
            configuration_space=dict(space),
            hyperparameters=configs,
            objectives_names=["loss"],
            objectives_evaluations=values[..., None],
        )
    return out
