"""Gaussian-process regression for Bayesian optimization, in numpy and scipy.

The model of :class:`GaussianProcess` is ``y = f(x) + eps`` with a constant mean ``mu``, a
Matern 5/2 kernel with automatic relevance determination (one lengthscale per input coordinate)
and Gaussian noise::

    k(x, x') = amplitude * (1 + s + s**2 / 3) * exp(-s),   s = sqrt(5) * ||(w(x) - w(x')) / ls||

Inputs live in the unit cube (the encodings of :mod:`tunesmith.space`). With input warping, the
coordinates listed in ``warped`` go through the Kumaraswamy CDF ``w(x) = 1 - (1 - x**a)**b``
(Snoek et al., 2014, "Input Warping for Bayesian Optimization of Non-Stationary Functions"), two
parameters per coordinate; other coordinates are used as they are.

Hyperparameters (a vector of logs, see :class:`ParamLayout`) are set by maximizing the log
marginal likelihood plus weak log-normal priors (a MAP estimate) with L-BFGS-B and the analytic
gradient; :meth:`GaussianProcess.fit` starts from the current values, so refits are
warm-started. Between fits, :meth:`GaussianProcess.append` extends the Cholesky factor of the
kernel matrix by new rows in O(n^2) instead of refactorizing in O(n^3).

The factor depends only on the hyperparameters, the inputs in order and where the last full
factorization ended (``n_full``), and :meth:`GaussianProcess.rebuild` reproduces it bit for bit
from those, so a searcher restored from its state continues exactly as the original.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.linalg import LinAlgError, cho_solve, cholesky, lapack, solve_triangular
from scipy.optimize import minimize

__all__ = [
    "GaussianProcess",
    "ParamLayout",
    "kumaraswamy",
    "limit_blas_threads",
    "matern52",
    "squared_distances",
]

_SQRT5 = math.sqrt(5.0)
_LOG_2PI = math.log(2.0 * math.pi)
#: added to the kernel diagonal on top of the noise variance
JITTER = 1e-8
#: inputs are kept this far from 0 and 1 before warping (the warping's gradient has log(x))
_WARP_EPS = 1e-6


_CONTROLLER: Any = None  # threadpoolctl's controller; False when threadpoolctl is missing


@contextlib.contextmanager
def limit_blas_threads(limit: int | None = 1) -> Iterator[None]:
    """Within the block, BLAS uses at most ``limit`` threads (None: no change).

    A GP's matrices are small to medium, and a multi-threaded BLAS whose threads compete with
    other busy processes (the trials, on the same cores) spends its time waiting: on a loaded
    two-core machine, suggestions took 5-10 times longer with two BLAS threads than with one.
    Needs ``threadpoolctl`` (``pip install threadpoolctl``); without it, the block runs as is
    (setting ``OPENBLAS_NUM_THREADS=1`` before starting Python has the same effect)."""
    global _CONTROLLER
    if limit is None:
        yield
        return
    if _CONTROLLER is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _CONTROLLER = False
        else:
            _CONTROLLER = ThreadpoolController()
    if _CONTROLLER is False:
        yield
        return
    with _CONTROLLER.limit(limits=limit, user_api="blas"):
        yield


def squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``d[i, j] = ||a[i] - b[j]||**2`` (clipped at 0 against round-off)."""
    d2 = np.einsum("ij,ij->i", a, a)[:, None] + np.einsum("ij,ij->i", b, b)[None, :]
    d2 -= 2.0 * (a @ b.T)
    np.maximum(d2, 0.0, out=d2)
    return d2


def matern52(d2: np.ndarray, *, gradient: bool = False):
    """Matern 5/2 correlation of squared scaled distances ``d2``; with ``gradient=True`` also
    its derivative with respect to ``d2``, ``-(5/6) (1 + s) exp(-s)`` (finite at 0)."""
    s = d2 * 5.0
    np.sqrt(s, out=s)
    e = np.negative(s)
    np.exp(e, out=e)
    k = s * s
    k *= 1.0 / 3.0
    k += s
    k += 1.0
    k *= e
    if not gradient:
        return k
    s += 1.0
    s *= e
    s *= -5.0 / 6.0
    return k, s


def kumaraswamy(x: np.ndarray, a: np.ndarray, b: np.ndarray, *, gradient: bool = False):
    """The Kumaraswamy CDF ``1 - (1 - x**a)**b`` per column; with ``gradient=True`` also its
    derivatives with respect to ``log a`` and ``log b``."""
    x = np.clip(x, _WARP_EPS, 1.0 - _WARP_EPS)
    xa = x**a
    one_m = 1.0 - xa
    pb = one_m**b
    w = 1.0 - pb
    if not gradient:
        return w
    d_loga = a * b * one_m ** (b - 1.0) * xa * np.log(x)
    d_logb = -b * pb * np.log(one_m)
    return w, d_loga, d_logb


@dataclass(frozen=True)
class ParamLayout:
    """Positions in the hyperparameter vector: ``dim`` log lengthscales, log amplitude, log
    noise variance, the constant mean, then ``log a`` and ``log b`` of each warped input."""

    dim: int
    num_warped: int = 0

    @property
    def amplitude(self) -> int:
        return self.dim

    @property
    def noise(self) -> int:
        return self.dim + 1

    @property
    def mean(self) -> int:
        return self.dim + 2

    @property
    def warp_a(self) -> slice:
        return slice(self.dim + 3, self.dim + 3 + self.num_warped)

    @property
    def warp_b(self) -> slice:
        start = self.dim + 3 + self.num_warped
        return slice(start, start + self.num_warped)

    @property
    def size(self) -> int:
        return self.dim + 3 + 2 * self.num_warped

    def prior(self) -> tuple[np.ndarray, np.ndarray]:
        """Centres and scales of the independent normal priors on the vector's entries.

        Lengthscales: centred at ``0.5 * sqrt(dim)`` (longer in more dimensions, so that the
        typical distance between points stays comparable). Amplitude and mean: about 1 and 0,
        as targets are standardized. Noise variance: centred at 1e-3, wide. Warping: centred on
        the identity ``a = b = 1``."""
        centre = np.empty(self.size)
        scale = np.empty(self.size)
        centre[: self.dim] = math.log(0.5 * math.sqrt(max(self.dim, 1)))
        scale[: self.dim] = 1.0
        centre[self.amplitude], scale[self.amplitude] = 0.0, 1.0
        centre[self.noise], scale[self.noise] = math.log(1e-3), 2.0
        centre[self.mean], scale[self.mean] = 0.0, 1.0
        centre[self.dim + 3 :] = 0.0
        scale[self.dim + 3 :] = 0.75
        return centre, scale

    def bounds(self) -> list[tuple[float, float]]:
        out = [(math.log(1e-2), math.log(1e2))] * self.dim
        out += [(math.log(1e-2), math.log(1e2)), (math.log(1e-6), math.log(1.0)), (-5.0, 5.0)]
        out += [(math.log(0.1), math.log(10.0))] * (2 * self.num_warped)
        return out

    def default(self) -> np.ndarray:
        centre, _ = self.prior()
        return centre.copy()


class GaussianProcess:
    """A GP over ``dim`` unit-interval inputs (see the module docstring).

    Use: :meth:`fit` (hyperparameters and factor) or :meth:`set_data` (factor only), then
    :meth:`append` for new inputs, :meth:`set_targets` for the targets of all inputs, and
    :meth:`predict`. ``warped``: indices of the inputs to warp (numeric ones; not one-hot).
    """

    def __init__(self, dim: int, *, warped: Sequence[int] = ()):
        self.dim = int(dim)
        self.warped = np.asarray(sorted(set(int(i) for i in warped)), dtype=int)
        self.layout = ParamLayout(self.dim, len(self.warped))
        self.params = self.layout.default()
        self._prior = self.layout.prior()
        self._clear()

    def _clear(self) -> None:
        self.X = np.empty((0, self.dim))
        self._Xs = np.empty((0, self.dim))  # warped and scaled inputs
        self.L = np.empty((0, 0))
        self.n_full = 0
        self.alpha = np.empty(0)

    # -- hyperparameters -------------------------------------------------------------------
    @property
    def lengthscales(self) -> np.ndarray:
        return np.exp(self.params[: self.dim])

    @property
    def amplitude(self) -> float:
        return float(np.exp(self.params[self.layout.amplitude]))

    @property
    def noise(self) -> float:
        return float(np.exp(self.params[self.layout.noise]))

    @property
    def mean(self) -> float:
        return float(self.params[self.layout.mean])

    def set_params(self, params: Sequence[float]) -> None:
        params = np.asarray(params, dtype=float)
        if params.shape != (self.layout.size,):
            raise ValueError(
                f"expected {self.layout.size} hyperparameters, but got shape {params.shape}"
            )
        self.params = params.copy()

    def _scale(self, X: np.ndarray, params: np.ndarray) -> np.ndarray:
        """Warped inputs divided by the lengthscales."""
        Xw = X
        if len(self.warped):
            Xw = X.copy()
            a = np.exp(params[self.layout.warp_a])
            b = np.exp(params[self.layout.warp_b])
            Xw[:, self.warped] = kumaraswamy(X[:, self.warped], a, b)
        return Xw / np.exp(params[: self.dim])

    # The factor and the predictions see the model through these four methods; a subclass with
    # another kernel or mean function overrides them and :meth:`neg_log_posterior`.
    def _prepare(self, X: np.ndarray) -> np.ndarray:
        """Inputs in the form :meth:`_cov` takes (here: warped and scaled), one row each."""
        return self._scale(X, self.params)

    def _cov(self, A: np.ndarray, B: np.ndarray) -> np.ndarray:
        """Kernel matrix between prepared inputs (no noise)."""
        return self.amplitude * matern52(squared_distances(A, B))

    def _prior_var(self, A: np.ndarray) -> np.ndarray:
        """Prior variance of ``f`` at prepared inputs."""
        return np.full(len(A), self.amplitude)

    def _prior_mean(self, X: np.ndarray) -> np.ndarray:
        """Prior mean at (raw) inputs."""
        return np.full(len(X), self.mean)

    def kernel(self, A: np.ndarray, B: np.ndarray) -> np.ndarray:
        """``k(A, B)`` with the current hyperparameters (no noise)."""
        return self._cov(self._prepare(np.asarray(A, float)), self._prepare(np.asarray(B, float)))

    # -- marginal likelihood ---------------------------------------------------------------
    def neg_log_posterior(
        self, params: np.ndarray, X: np.ndarray, y: np.ndarray
    ) -> tuple[float, np.ndarray]:
        """Minus (log marginal likelihood of ``y`` + log prior of ``params``), and its gradient
        with respect to ``params``."""
        lay = self.layout
        n = len(y)
        ls = np.exp(params[: self.dim])
        amp = math.exp(params[lay.amplitude])
        noise = math.exp(params[lay.noise])
        mu = params[lay.mean]
        warp = None
        if len(self.warped):
            a = np.exp(params[lay.warp_a])
            b = np.exp(params[lay.warp_b])
            Xw = X.copy()
            w, dw_a, dw_b = kumaraswamy(X[:, self.warped], a, b, gradient=True)
            Xw[:, self.warped] = w
            warp = (dw_a, dw_b)
        else:
            Xw = X
        S = Xw / ls
        k0, g0 = matern52(squared_distances(S, S), gradient=True)
        K = amp * k0
        K[np.diag_indices(n)] += noise + JITTER
        L, _ = _cholesky(K)
        r = y - mu
        alpha = cho_solve((L, True), r)
        value = 0.5 * float(r @ alpha) + float(np.log(np.diag(L)).sum()) + 0.5 * n * _LOG_2PI
        # d(log ML)/d theta = 0.5 * sum(W * dK/dtheta), W = alpha alpha^T - K^-1
        Kinv, info = lapack.dpotri(L, lower=1)
        if info != 0:
            raise LinAlgError(f"dpotri failed with info={info}")
        Kinv = np.tril(Kinv)
        Kinv += np.tril(Kinv, -1).T
        W = np.outer(alpha, alpha)
        W -= Kinv
        grad = np.empty(lay.size)
        grad[lay.amplitude] = 0.5 * amp * float(np.einsum("ij,ij->", W, k0))
        grad[lay.noise] = 0.5 * noise * float(np.trace(W))
        grad[lay.mean] = float(alpha.sum())
        M = W * g0
        m1 = M.sum(axis=1)
        MS = M @ S
        # d d2_ik / d log ls_j = -2 (s_ij - s_kj)^2; sum_ik M_ik (s_ij - s_kj)^2 = 2 s_j.(m1 s_j)
        # - 2 s_j.(M s_j) for symmetric M
        sq = m1 @ (S * S)
        cross = np.einsum("ij,ij->j", S, MS)
        grad[: self.dim] = -amp * 2.0 * (sq - cross)
        if warp is not None:
            dw_a, dw_b = warp
            j = self.warped
            # d d2_ik / d w_ij = 2 (s_ij - s_kj) / ls_j; both i and k move, M symmetric
            base = (S[:, j] * m1[:, None] - MS[:, j]) * (2.0 * amp / ls[j])
            grad[lay.warp_a] = np.einsum("ij,ij->j", base, dw_a)
            grad[lay.warp_b] = np.einsum("ij,ij->j", base, dw_b)
        grad = -grad
        centre, scale = self._prior
        z = (params - centre) / scale
        value += 0.5 * float(z @ z)
        grad += z / scale
        return value, grad

    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        *,
        maxiter: int = 100,
        extra_starts: Sequence[np.ndarray] = (),
    ) -> None:
        """Fit the hyperparameters to ``(X, y)`` (from the current ones, and from each of
        ``extra_starts``; the best optimum wins), then factorize the kernel matrix."""
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        bounds = self.layout.bounds()
        lo = np.array([b[0] for b in bounds])
        hi = np.array([b[1] for b in bounds])
        best_value, best = math.inf, self.params
        for start in [self.params, *extra_starts]:
            x0 = np.clip(np.asarray(start, dtype=float), lo, hi)
            try:
                res = minimize(
                    self.neg_log_posterior,
                    x0,
                    args=(X, y),
                    jac=True,
                    method="L-BFGS-B",
                    bounds=bounds,
                    options={"maxiter": maxiter},
                )
            except (LinAlgError, ValueError, FloatingPointError):
                continue
            if np.isfinite(res.fun) and res.fun < best_value:
                best_value, best = float(res.fun), np.asarray(res.x, dtype=float)
        self.params = np.clip(best, lo, hi)
        self.set_data(X)

    # -- the factor ------------------------------------------------------------------------
    def set_data(self, X: np.ndarray) -> None:
        """Factorize the kernel matrix of ``X`` with the current hyperparameters."""
        self.X = np.array(X, dtype=float).reshape(-1, self.dim)
        self._Xs = self._prepare(self.X)
        K = self._cov(self._Xs, self._Xs)
        K[np.diag_indices(len(K))] += self.noise + JITTER
        self.L, _ = _cholesky(K)
        self.n_full = len(self.X)
        self.alpha = np.zeros(len(self.X))

    def append(self, x: np.ndarray) -> None:
        """Add one input (a row) to the factor in O(n^2)."""
        x = np.asarray(x, dtype=float).reshape(1, self.dim)
        n = len(self.X)
        if n == 0:
            self.set_data(x)
            return
        xs = self._prepare(x)
        row = solve_triangular(
            self.L, self._cov(self._Xs, xs)[:, 0], lower=True, check_finite=False
        )
        d2 = float(self._prior_var(xs)[0]) + self.noise + JITTER - float(row @ row)
        d = math.sqrt(max(d2, JITTER))
        L = np.zeros((n + 1, n + 1))
        L[:n, :n] = self.L
        L[n, :n] = row
        L[n, n] = d
        self.L = L
        self.X = np.vstack([self.X, x])
        self._Xs = np.vstack([self._Xs, xs])
        self.alpha = np.zeros(n + 1)

    def rebuild(self, X: np.ndarray, n_full: int) -> None:
        """The factor as built by ``set_data(X[:n_full])`` and one ``append`` per later row."""
        X = np.asarray(X, dtype=float).reshape(-1, self.dim)
        self.set_data(X[:n_full])
        for x in X[n_full:]:
            self.append(x)
        self.n_full = n_full

    def truncate(self, n: int) -> None:
        """Drop the inputs after the first ``n`` (``n_full <= n``): the factor is then, bit for
        bit, the one ``set_data`` and ``append`` built for the first ``n`` (later rows never
        change earlier ones), as :meth:`rebuild` would build it."""
        if not self.n_full <= n <= len(self.X):
            raise ValueError(
                f"`n` must lie in [n_full={self.n_full}, {len(self.X)}] (the factorized rows "
                f"are kept), but got n={n}"
            )
        # the memory order of the factor as built (set_data: LAPACK's, append: numpy's), so
        # that later solves take the same code paths as after a rebuild
        self.L = np.array(self.L[:n, :n], order="F" if n == self.n_full else "C")
        self.X, self._Xs = self.X[:n], self._Xs[:n]
        self.alpha = np.zeros(n)

    def set_targets(self, y: np.ndarray) -> None:
        """The targets of the factor's inputs (O(n^2))."""
        y = np.asarray(y, dtype=float)
        if y.shape != (len(self.X),):
            raise ValueError(f"expected {len(self.X)} targets, but got shape {y.shape}")
        r = y - self._prior_mean(self.X)
        self.alpha = cho_solve((self.L, True), r, check_finite=False)

    # -- prediction ------------------------------------------------------------------------
    def predict(
        self, Xc: np.ndarray, *, pending: np.ndarray | None = None, mean_only: bool = False
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Posterior mean and variance of ``f`` at the rows of ``Xc`` (variance None with
        ``mean_only=True``).

        ``pending``: inputs whose evaluation is under way. They are added as if observed with
        the posterior mean as value (the "kriging believer"): the mean stays as it is and the
        variance shrinks near them, so parallel workers are not sent to the same place."""
        Xc = np.asarray(Xc, dtype=float).reshape(-1, self.dim)
        cs = self._prepare(Xc)
        mean = self._prior_mean(Xc)
        prior_var = self._prior_var(cs)
        if len(self.X) == 0:
            return mean, None if mean_only else prior_var
        Kc = self._cov(cs, self._Xs)
        mean += Kc @ self.alpha
        if mean_only:
            return mean, None
        V = solve_triangular(self.L, Kc.T, lower=True, check_finite=False)
        var = prior_var - np.einsum("ij,ij->j", V, V)
        if pending is not None and len(pending):
            ps = self._prepare(np.asarray(pending, dtype=float).reshape(-1, self.dim))
            Vp = solve_triangular(self.L, self._cov(self._Xs, ps), lower=True, check_finite=False)
            S = self._cov(ps, ps) - Vp.T @ Vp
            S[np.diag_indices(len(S))] += self.noise + JITTER
            Lp, _ = _cholesky(S)
            C = self._cov(ps, cs) - Vp.T @ V
            Wp = solve_triangular(Lp, C, lower=True, check_finite=False)
            var -= np.einsum("ij,ij->j", Wp, Wp)
        return mean, np.maximum(var, 1e-12 * prior_var)

    def log_marginal_likelihood(self, y: np.ndarray) -> float:
        """Log marginal likelihood of targets ``y`` of the factor's inputs (no prior)."""
        r = np.asarray(y, dtype=float) - self._prior_mean(self.X)
        alpha = cho_solve((self.L, True), r, check_finite=False)
        n = len(r)
        return -0.5 * float(r @ alpha) - float(np.log(np.diag(self.L)).sum()) - 0.5 * n * _LOG_2PI


def _cholesky(K: np.ndarray) -> tuple[np.ndarray, float]:
    """Lower Cholesky factor of ``K``, adding jitter to the diagonal if needed."""
    extra = 0.0
    scale = float(np.mean(np.diag(K))) if len(K) else 1.0
    for attempt in range(6):
        try:
            if not extra:
                return cholesky(K, lower=True, check_finite=False), extra
            return cholesky(K + extra * np.eye(len(K)), lower=True, check_finite=False), extra
        except LinAlgError:
            extra = scale * 10.0 ** (attempt - 8)
    raise LinAlgError("the kernel matrix is not positive definite, even with jitter")
