"""A small numpy network for the surrogate searchers: one tanh hidden layer (or none: a linear
model), fitted by L-BFGS to a smooth loss with L2 weight decay.

:func:`fit_mlp` takes the loss as a function of the network's outputs, so one network serves
BORE's classifier (logistic loss: :func:`logistic_loss`) and CQR's quantile regressor (a
smoothed pinball loss per output: :func:`pinball_loss`). Fitting is deterministic given the data
and the seed (the initial weights).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

__all__ = ["MLP", "fit_mlp", "logistic_loss", "pinball_loss"]

Loss = Callable[[np.ndarray], tuple[float, np.ndarray]]


@dataclass
class MLP:
    """Weights of a network with ``hidden`` tanh units (0: linear) and ``outputs`` outputs, on
    inputs in ``[0, 1]`` (mapped to ``[-1, 1]``)."""

    params: np.ndarray
    dim: int
    hidden: int
    outputs: int

    def _split(self, params: np.ndarray) -> tuple[np.ndarray, ...]:
        d, h, k = self.dim, self.hidden, self.outputs
        if h == 0:
            return params[: d * k].reshape(d, k), params[d * k :]
        w1 = params[: d * h].reshape(d, h)
        b1 = params[d * h : d * h + h]
        w2 = params[d * h + h : d * h + h + h * k].reshape(h, k)
        return w1, b1, w2, params[d * h + h + h * k :]

    def forward(self, X: np.ndarray, params: np.ndarray | None = None) -> np.ndarray:
        """The outputs (n x outputs) for inputs ``X`` (n x dim)."""
        parts = self._split(self.params if params is None else params)
        Z = 2.0 * X - 1.0
        if self.hidden == 0:
            return Z @ parts[0] + parts[1]
        w1, b1, w2, b2 = parts
        return np.tanh(Z @ w1 + b1) @ w2 + b2

    def _objective(self, params: np.ndarray, X: np.ndarray, loss: Loss, alpha: float):
        parts = self._split(params)
        Z = 2.0 * X - 1.0
        if self.hidden == 0:
            w, b = parts
            value, g = loss(Z @ w + b)
            grads = [Z.T @ g + alpha * w, g.sum(axis=0)]
            return value + 0.5 * alpha * float((w * w).sum()), np.concatenate(
                [x.ravel() for x in grads]
            )
        w1, b1, w2, b2 = parts
        H = np.tanh(Z @ w1 + b1)
        value, g = loss(H @ w2 + b2)
        gH = (g @ w2.T) * (1.0 - H * H)
        grads = [Z.T @ gH + alpha * w1, gH.sum(axis=0), H.T @ g + alpha * w2, g.sum(axis=0)]
        penalty = 0.5 * alpha * float((w1 * w1).sum() + (w2 * w2).sum())
        return value + penalty, np.concatenate([x.ravel() for x in grads])


def fit_mlp(
    X: np.ndarray,
    loss: Loss,
    *,
    outputs: int,
    seed: int,
    hidden: int = 32,
    alpha: float = 1e-2,
    max_iter: int = 200,
    init_bias: np.ndarray | None = None,
) -> MLP:
    """A network fitted to minimize ``loss(outputs) + alpha / 2 * |weights|^2`` on ``X``."""
    n, d = X.shape
    rng = np.random.default_rng(seed)
    if hidden == 0:
        params = [np.zeros(d * outputs), np.zeros(outputs)]
    else:
        params = [
            rng.normal(0.0, 1.0 / np.sqrt(max(d, 1)), d * hidden),
            rng.normal(0.0, 0.1, hidden),
            rng.normal(0.0, 1.0 / np.sqrt(hidden), hidden * outputs),
            np.zeros(outputs),
        ]
    if init_bias is not None:
        params[-1] = np.asarray(init_bias, dtype=float).copy()
    model = MLP(np.concatenate(params), d, hidden, outputs)
    result = minimize(
        model._objective,
        model.params,
        args=(X, loss, alpha),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iter},
    )
    model.params = np.asarray(result.x, dtype=float)
    return model


def logistic_loss(labels: np.ndarray) -> Loss:
    """The mean logistic loss of logits (n x 1) for 0/1 ``labels``, and its gradient."""
    z = labels.reshape(-1, 1).astype(float)
    n = len(z)

    def loss(out: np.ndarray) -> tuple[float, np.ndarray]:
        value = float((np.logaddexp(0.0, out) - z * out).sum()) / n
        return value, (_sigmoid(out) - z) / n

    return loss


def pinball_loss(y: np.ndarray, quantiles: np.ndarray, smoothing: float = 0.05) -> Loss:
    """The mean smoothed pinball loss of predictions (n x k) of the ``quantiles`` (k) of ``y``:
    ``q * r + s * log(1 + exp(-r / s))`` for the residual ``r = y - prediction`` (the pinball
    loss ``max(q * r, (q - 1) * r)`` as ``s`` goes to 0), and its gradient."""
    Y = y.reshape(-1, 1)
    q = quantiles.reshape(1, -1)
    n = len(Y)
    s = smoothing

    def loss(out: np.ndarray) -> tuple[float, np.ndarray]:
        r = Y - out
        value = float((q * r + s * np.logaddexp(0.0, -r / s)).sum()) / n
        return value, (_sigmoid(-r / s) - q) / n

    return loss


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))
