"""The generator of tunesmith's multi-fidelity tables: learning curves of real models.

``tunesmith bench build NAME`` (or :func:`build`) trains ``n_configs`` configs sampled from a
config space, each with ``n_seeds`` seeds, and records after every fidelity step the validation
metrics and the training time, then writes a compressed
:class:`~tunesmith.bench.tabular.TabularBlackbox` (float32). The tables shipped in
``tunesmith/bench/data/`` were made with the defaults.

=====================  ===========================================================================
name                   what
=====================  ===========================================================================
``mlp-digits``         a numpy MLP (1-3 ReLU layers, SGD with momentum, weight decay, constant or
                       cosine learning rate) on scikit-learn's digits, ``epoch = 1..81``
``gbm-breast_cancer``  scikit-learn's GradientBoostingClassifier on breast_cancer, fidelity
                       ``trees = 1..81`` (boosting stages)
=====================  ===========================================================================

Metrics: ``val_error`` (misclassified fraction of the validation set, the objective),
``val_loss`` (cross-entropy), ``time`` (cumulative training seconds, measured as the thread's
CPU time of the training steps with BLAS on one thread, so that a busy machine does not inflate
it; evaluation is not counted). The data split is fixed; the seed sets the model's
initialization and minibatch order (MLP) or subsampling (boosting). A diverged MLP (non-finite
loss) reports chance level from then on.

The catalogue also offers each table with ``val_loss`` as the objective (``NAME-loss``), capped
at ``ln(n_classes)``, the loss of a uniform guess: a continuous objective, where ``val_error``
counts a few hundred validation examples and so ties the best configs (see ``docs/bench.md``).

The tables are sampled, not full grids: restrict searchers to ``blackbox.configurations()``
or use a :class:`~tunesmith.bench.surrogate.SurrogateBlackbox`.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tunesmith.bench.tabular import TabularBlackbox
from tunesmith.space import choice, lograndint, loguniform, ordinal, randint, sample_config, uniform

logger = logging.getLogger("tunesmith")

__all__ = ["BUILDERS", "DATA_DIR", "build", "names"]

#: where the shipped tables live
DATA_DIR = Path(__file__).resolve().parent / "data"

SKLEARN_INSTALL = 'pip install "tunesmith[bench]"'

METRICS = {"val_error": "min", "val_loss": "min", "time": "min"}

#: (progress callback) called with (configs done, configs in all)
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Builder:
    """How to make one table: its config space, fidelity and training function
    ``train(config, seed, data, max_fidelity) -> array (max_fidelity, 3 metrics)``."""

    name: str
    description: str
    space: Callable[[], dict[str, Any]]
    fidelity_name: str
    data: Callable[[], tuple[np.ndarray, ...]]
    train: Callable[[dict[str, Any], int, tuple[np.ndarray, ...], int], np.ndarray]
    n_classes: int  # of the dataset: ln(n_classes) is the cross-entropy of a uniform guess


# -- data ---------------------------------------------------------------------------------------


def _sklearn():
    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise ImportError(f"building tables needs scikit-learn: {SKLEARN_INSTALL}") from None


def _split(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
    from sklearn.model_selection import train_test_split

    xtr, xva, ytr, yva = train_test_split(x, y, test_size=1 / 3, random_state=0, stratify=y)
    return xtr, ytr, xva, yva


def _digits() -> tuple[np.ndarray, ...]:
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return _split((x / 16.0).astype(np.float32), y)


def _breast_cancer() -> tuple[np.ndarray, ...]:
    from sklearn.datasets import load_breast_cancer

    x, y = load_breast_cancer(return_X_y=True)
    return _split(x, y)


# -- the MLP ------------------------------------------------------------------------------------


def _mlp_space() -> dict[str, Any]:
    return {
        "learning_rate": loguniform(1e-3, 1.0),
        "momentum": uniform(0.0, 0.99),
        "weight_decay": loguniform(1e-6, 1e-1),
        "batch_size": ordinal([16, 32, 64, 128, 256]),
        "num_layers": randint(1, 3),
        "width": lograndint(16, 256),
        "lr_schedule": choice(["constant", "cosine"]),
    }


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def _train_mlp(
    config: dict[str, Any], seed: int, data: tuple[np.ndarray, ...], epochs: int
) -> np.ndarray:
    xtr, ytr, xva, yva = data
    rng = np.random.default_rng(seed)
    n_classes = int(ytr.max()) + 1
    sizes = [xtr.shape[1]] + [int(config["width"])] * int(config["num_layers"]) + [n_classes]
    weights = [
        (rng.standard_normal((a, b)) * math.sqrt(2.0 / a)).astype(np.float32)
        for a, b in itertools.pairwise(sizes)
    ]
    biases = [np.zeros(b, dtype=np.float32) for b in sizes[1:]]
    velocity = [np.zeros_like(w) for w in weights] + [np.zeros_like(b) for b in biases]
    onehot = np.eye(n_classes, dtype=np.float32)[ytr]
    lr0, mu = float(config["learning_rate"]), float(config["momentum"])
    wd, bs = float(config["weight_decay"]), int(config["batch_size"])
    cosine = config["lr_schedule"] == "cosine"
    out = np.empty((epochs, 3))
    elapsed, per_epoch, diverged = 0.0, 0.0, False
    n = len(xtr)
    for epoch in range(epochs):
        if diverged:
            out[epoch] = (1.0 - 1.0 / n_classes, math.log(n_classes), elapsed + per_epoch)
            elapsed += per_epoch
            continue
        lr = lr0 * (0.5 * (1.0 + math.cos(math.pi * epoch / epochs)) if cosine else 1.0)
        t0 = time.thread_time()
        with np.errstate(all="ignore"):
            perm = rng.permutation(n)
            for start in range(0, n, bs):
                idx = perm[start : start + bs]
                acts = [xtr[idx]]
                for w, b in zip(weights[:-1], biases[:-1], strict=True):
                    acts.append(np.maximum(acts[-1] @ w + b, 0.0))
                z = acts[-1] @ weights[-1] + biases[-1]
                p = np.exp(_log_softmax(z))
                g = (p - onehot[idx]) / len(idx)
                for i in range(len(weights) - 1, -1, -1):
                    gw = acts[i].T @ g + wd * weights[i]
                    gb = g.sum(axis=0)
                    if i:
                        g = (g @ weights[i].T) * (acts[i] > 0)
                    vw, vb = velocity[i], velocity[len(weights) + i]
                    vw *= mu
                    vw -= lr * gw
                    vb *= mu
                    vb -= lr * gb
                    weights[i] += vw
                    biases[i] += vb
        per_epoch = time.thread_time() - t0
        elapsed += per_epoch
        with np.errstate(all="ignore"):
            h = xva
            for w, b in zip(weights[:-1], biases[:-1], strict=True):
                h = np.maximum(h @ w + b, 0.0)
            logp = _log_softmax(h @ weights[-1] + biases[-1])
            loss = float(-logp[np.arange(len(yva)), yva].mean())
        if not math.isfinite(loss):
            diverged = True
            out[epoch] = (1.0 - 1.0 / n_classes, math.log(n_classes), elapsed)
            continue
        error = float((logp.argmax(axis=1) != yva).mean())
        out[epoch] = (error, loss, elapsed)
    return out


# -- gradient boosting --------------------------------------------------------------------------


def _gbm_space() -> dict[str, Any]:
    return {
        "learning_rate": loguniform(0.01, 1.0),
        "max_depth": randint(1, 6),
        "subsample": uniform(0.3, 1.0),
        "max_features": uniform(0.1, 1.0),
        "min_samples_leaf": lograndint(1, 64),
    }


def _train_gbm(
    config: dict[str, Any], seed: int, data: tuple[np.ndarray, ...], trees: int
) -> np.ndarray:
    from sklearn.ensemble import GradientBoostingClassifier

    xtr, ytr, xva, yva = data
    model = GradientBoostingClassifier(
        n_estimators=trees,
        learning_rate=float(config["learning_rate"]),
        max_depth=int(config["max_depth"]),
        subsample=float(config["subsample"]),
        max_features=float(config["max_features"]),
        min_samples_leaf=int(config["min_samples_leaf"]),
        random_state=seed,
    )
    stamps: list[float] = []

    def monitor(i: int, est: Any, local: Any) -> bool:
        stamps.append(time.thread_time())
        return False

    t0 = time.thread_time()
    model.fit(xtr, ytr, monitor=monitor)
    out = np.empty((trees, 3))
    eps = 1e-15
    for i, proba in enumerate(model.staged_predict_proba(xva)):
        p = np.clip(proba[np.arange(len(yva)), yva], eps, 1.0)
        out[i] = (float((proba.argmax(axis=1) != yva).mean()), float(-np.log(p).mean()), 0.0)
    out[:, 2] = np.asarray(stamps[:trees]) - t0
    return out


BUILDERS: dict[str, Builder] = {
    "mlp-digits": Builder(
        "mlp-digits",
        "numpy MLP on scikit-learn's digits, learning curves over 81 epochs",
        _mlp_space,
        "epoch",
        _digits,
        _train_mlp,
        10,
    ),
    "gbm-breast_cancer": Builder(
        "gbm-breast_cancer",
        "gradient boosting on scikit-learn's breast_cancer, curves over 81 trees",
        _gbm_space,
        "trees",
        _breast_cancer,
        _train_gbm,
        2,
    ),
}


def names() -> list[str]:
    """The names of the tables :func:`build` makes."""
    return sorted(BUILDERS)


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1):
        yield


def build(
    name: str,
    out: str | Path | None = None,
    *,
    n_configs: int = 1024,
    n_seeds: int = 3,
    max_fidelity: int = 81,
    random_seed: int = 0,
    progress: Progress | None = None,
) -> Path:
    """Train the table ``name`` (see :func:`names`) and write it to ``out`` (default:
    ``tunesmith/bench/data/<name>.npz``, where :func:`tunesmith.bench.load` finds it); returns
    the path. The shipped tables use the defaults (on one core: about 5 minutes for
    ``gbm-breast_cancer``, 25 for ``mlp-digits``)."""
    if name not in BUILDERS:
        raise ValueError(f"unknown table {name!r}; tables to build: {names()}")
    for arg, value in (
        ("n_configs", n_configs),
        ("n_seeds", n_seeds),
        ("max_fidelity", max_fidelity),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"`{arg}` must be an int >= 1, but got {arg}={value!r}")
    _sklearn()
    builder = BUILDERS[name]
    space = builder.space()
    rng = np.random.default_rng(random_seed)
    configs: list[dict[str, Any]] = []
    seen: set[tuple] = set()
    while len(configs) < n_configs:
        config = sample_config(space, rng)
        key = tuple(config.values())
        if key not in seen:
            seen.add(key)
            configs.append(config)
    data = builder.data()
    values = np.empty((n_configs, n_seeds, max_fidelity, len(METRICS)))
    start = time.perf_counter()
    with _one_blas_thread():
        for i, config in enumerate(configs):
            for seed in range(n_seeds):
                values[i, seed] = builder.train(config, seed, data, max_fidelity)
            if progress is not None:
                progress(i + 1, n_configs)
    logger.info("built %s in %.0f s", name, time.perf_counter() - start)
    table = TabularBlackbox(
        configs,
        values,
        metrics=METRICS,
        objective="val_error",
        fidelity_name=builder.fidelity_name,
        fidelities=range(1, max_fidelity + 1),
        time_attr="time",
        config_space=space,
        name=name,
        info={
            "source": "tunesmith bench build",
            "description": builder.description,
            "random_seed": random_seed,
        },
    )
    path = Path(out) if out is not None else DATA_DIR / f"{name}.npz"
    return table.save(path, dtype=np.float32)
