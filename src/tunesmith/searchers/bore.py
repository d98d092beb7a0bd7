"""BORE: Bayesian optimization by density-ratio estimation, :class:`BORESearcher`.

Tiao, Klein, Seeger, Bonilla, Archambeau, Ramos, 2021: "BORE: Bayesian Optimization by
Density-Ratio Estimation". Expected improvement at the ``gamma`` quantile is, up to a constant,
the ratio of the densities of the good configs (the best ``gamma`` fraction) and of all configs,
and that ratio is a monotone function of the probability that a classifier of "good or not"
gives a config. So BORE labels the observations (1: among the best ``gamma`` fraction), fits a
probabilistic classifier, and suggests the candidate of highest predicted probability.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.special import expit

from tunesmith.searchers._mlp import fit_mlp, logistic_loss
from tunesmith.searchers._surrogate import (
    Scorer,
    SurrogateSearcher,
    check_choice,
    check_int,
    check_number,
    missing_extra,
)

__all__ = ["ACQ_OPTIMIZERS", "CLASSIFIERS", "BORESearcher"]

#: classifiers of :class:`BORESearcher` (numpy: "mlp", "logreg"; scikit-learn: "rf", "gp";
#: xgboost: "xgboost")
CLASSIFIERS = ("mlp", "logreg", "rf", "gp", "xgboost")
ACQ_OPTIMIZERS = ("rs", "rs_with_replacement", "de")
#: options of the numpy classifiers, and their defaults
_NUMPY_OPTIONS = {"hidden": 32, "alpha": 1e-3, "max_iter": 100}


class BORESearcher(SurrogateSearcher):
    """BORE (Tiao et al., 2021): the config a classifier of "among the best ``gamma``
    fraction" finds most likely good (see the module docstring). Arguments as Syne Tune's
    ``Bore``:

    * ``gamma``: the fraction of observations labelled good (at least one, and at least one
      labelled bad).
    * ``classifier``: ``"mlp"`` (default; a numpy network with one hidden layer of 32 tanh
      units, L2 weight decay, fitted by L-BFGS), ``"logreg"`` (numpy logistic regression),
      ``"rf"`` (scikit-learn's random forest), ``"gp"`` (scikit-learn's Gaussian-process
      classifier) or ``"xgboost"``. ``classifier_kwargs`` go to the classifier: ``hidden``,
      ``alpha`` and ``max_iter`` for the numpy ones, the constructor's arguments for the others.
    * ``calibrate``: Platt scaling of the classifier's probabilities, fitted on two-fold
      cross-validated predictions. It changes the order of candidates only if the fitted slope
      is negative (a classifier worse than chance).
    * ``acq_optimizer``: ``"rs"``: ``feval_acq`` random configs are scored (distinct ones,
      sampled without replacement from a finite space or ``restrict_configurations``);
      ``"rs_with_replacement"``: drawn independently (repeats possible); ``"de"``: differential
      evolution (rand/1/bin) on the encoded space with ``feval_acq`` scores in all.
    * ``random_prob``: the probability of a random config instead (epsilon-greedy).
    * ``init_random``: configs are random until ``init_random`` results were observed (with
      resources: at the level the model uses, see below).

    Inside a multi-fidelity scheduler the classifier is fitted to the results at the largest
    resource level with at least ``max(init_random, number of hyperparameters + 1)`` of them
    (BOHB's rule, as Syne Tune's ``MultiFidelityBore``). Refits: see
    :class:`~tunesmith.searchers._surrogate.SurrogateSearcher`.
    """

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        metric: str | None = None,
        mode: str = "min",
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        random_seed: int | None = None,
        allow_duplicates: bool = False,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
        gamma: float = 0.25,
        calibrate: bool = False,
        classifier: str = "mlp",
        classifier_kwargs: Mapping[str, Any] | None = None,
        acq_optimizer: str = "rs",
        feval_acq: int = 500,
        random_prob: float = 0.0,
        init_random: int = 6,
    ):
        super().__init__(
            config_space,
            metric=metric,
            mode=mode,
            points_to_evaluate=points_to_evaluate,
            random_seed=random_seed,
            allow_duplicates=allow_duplicates,
            restrict_configurations=restrict_configurations,
            num_init_random=init_random,
            random_prob=random_prob,
            num_candidates=feval_acq,
            init_random_name="init_random",
            num_candidates_name="feval_acq",
        )
        self.gamma = check_number("gamma", gamma, 0.0, 1.0, open_low=True)
        if not isinstance(calibrate, bool):
            raise TypeError(f"`calibrate` must be True or False, but got calibrate={calibrate!r}")
        self.calibrate = calibrate
        self.classifier = check_choice("classifier", classifier, CLASSIFIERS)
        self.acq_optimizer = check_choice("acq_optimizer", acq_optimizer, ACQ_OPTIMIZERS)
        if classifier_kwargs is not None and not isinstance(classifier_kwargs, Mapping):
            raise TypeError(
                f"`classifier_kwargs` must be a dict or None, but got {classifier_kwargs!r}"
            )
        self.classifier_kwargs = dict(classifier_kwargs or {})
        if classifier in ("mlp", "logreg"):
            unknown = sorted(set(self.classifier_kwargs) - set(_NUMPY_OPTIONS))
            if unknown:
                raise ValueError(
                    f"`classifier_kwargs` of classifier={classifier!r} may hold "
                    f"{sorted(_NUMPY_OPTIONS)}, but got {unknown}"
                )
            options = {**_NUMPY_OPTIONS, **self.classifier_kwargs}
            check_int("classifier_kwargs['hidden']", options["hidden"], 1)
            check_number("classifier_kwargs['alpha']", options["alpha"], 0.0, np.inf)
            check_int("classifier_kwargs['max_iter']", options["max_iter"], 1)
        else:
            _estimator(classifier, {}, 0)  # a missing package raises here, with its install line

    # -- the model -------------------------------------------------------------------------
    def labels(self, y: np.ndarray) -> np.ndarray:
        """1 for the best ``gamma`` fraction of ``y`` (values to minimize; at least one, at
        most all but one; ties by order of arrival), 0 for the others."""
        n = len(y)
        n_good = min(max(int(np.ceil(self.gamma * n)), 1), n - 1)
        z = np.zeros(n, dtype=int)
        z[np.argsort(y, kind="stable")[:n_good]] = 1
        return z

    def _fit(self, X: np.ndarray, y: np.ndarray, seed: int) -> Scorer:
        z = self.labels(y)
        predict = self._fit_classifier(X, z, seed)
        if not self.calibrate:
            return predict
        return _platt(predict, self._platt_fit(X, z, seed))

    def _fit_classifier(self, X: np.ndarray, z: np.ndarray, seed: int) -> Scorer:
        """A function of candidates: their logit of being good."""
        if self.classifier in ("mlp", "logreg"):
            options = {**_NUMPY_OPTIONS, **self.classifier_kwargs}
            if self.classifier == "logreg":
                options["hidden"] = 0
            prior = np.log(z.mean() / (1.0 - z.mean()))
            model = fit_mlp(
                X, logistic_loss(z), outputs=1, seed=seed, init_bias=np.array([prior]), **options
            )
            return lambda C: model.forward(C)[:, 0]
        estimator = _estimator(self.classifier, self.classifier_kwargs, seed)
        estimator.fit(X, z)
        column = list(estimator.classes_).index(1)

        def logit(C: np.ndarray) -> np.ndarray:
            p = np.clip(estimator.predict_proba(C)[:, column], 1e-9, 1 - 1e-9)
            return np.log(p) - np.log1p(-p)

        return logit

    def _platt_fit(self, X: np.ndarray, z: np.ndarray, seed: int) -> tuple[float, float]:
        """Platt scaling ``(a, b)``: ``P(good) = sigmoid(a * logit + b)``, fitted to two-fold
        cross-validated logits (identity when a fold lacks a class)."""
        folds = np.random.default_rng(seed).permutation(len(z)) % 2
        logits = np.empty(len(z))
        for k in (0, 1):
            train = folds != k
            if z[train].min() == z[train].max() or z[~train].size == 0:
                return 1.0, 0.0
            logits[~train] = self._fit_classifier(X[train], z[train], seed + k + 1)(X[~train])
        inputs = logits.reshape(-1, 1) * 0.5 + 0.5  # the network sees 2 * input - 1 = logit
        model = fit_mlp(
            inputs, logistic_loss(z), outputs=1, seed=seed, hidden=0, alpha=0.0, max_iter=100
        )
        w, b = model.params
        return float(w), float(b)

    # -- acquisition -----------------------------------------------------------------------
    def _candidates(self) -> tuple[np.ndarray, list[dict[str, Any]] | None]:
        if self.acq_optimizer != "rs_with_replacement" or self._fixed is None:
            return super()._candidates()
        configs, keys, enc = self._fixed
        free = self._unseen(keys)
        if not free:
            return enc[:0], []
        pick = self.rng.integers(len(free), size=self.num_candidates).tolist()
        return enc[[free[i] for i in pick]], [configs[free[i]] for i in pick]

    def _best_candidate(self, score: Scorer) -> dict[str, Any] | None:
        if self.acq_optimizer != "de" or self._fixed is not None:
            return super()._best_candidate(score)
        X, scores = _differential_evolution(score, self._encoder, self.rng, self.num_candidates)
        return self._first_unseen(X, scores, None)


def _platt(logit: Scorer, ab: tuple[float, float]) -> Scorer:
    a, b = ab
    return lambda C: expit(a * logit(C) + b)


def _estimator(name: str, kwargs: Mapping[str, Any], seed: int) -> Any:
    """A new classifier of scikit-learn or xgboost, seeded with ``seed``."""
    if name == "xgboost":
        try:
            from xgboost import XGBClassifier
        except ImportError:
            raise missing_extra("classifier='xgboost'", "xgboost", "xgboost") from None
        return XGBClassifier(**{"random_state": seed, "n_estimators": 100, **kwargs})
    try:
        from sklearn.ensemble import RandomForestClassifier
        from sklearn.gaussian_process import GaussianProcessClassifier
    except ImportError:
        raise missing_extra(
            f"classifier={name!r}", "scikit-learn", '"tunesmith[sklearn]"'
        ) from None
    if name == "rf":
        return RandomForestClassifier(**{"random_state": seed, "n_estimators": 100, **kwargs})
    return GaussianProcessClassifier(**{"random_state": seed, **kwargs})


def _differential_evolution(
    score: Scorer, encoder: Any, rng: np.random.Generator, budget: int
) -> tuple[np.ndarray, np.ndarray]:
    """Points scored by a rand/1/bin differential evolution (F = 0.5, CR = 0.5) on the encoded
    space with ``budget`` scores in all, and their scores."""
    size = max(4, min(20, budget // 5))
    population = encoder.sample(rng, size)
    fitness = score(population)
    pool_x, pool_s = [population], [fitness]
    for _ in range(max(0, budget - size) // size):
        picks = np.array([rng.choice(size, 3, replace=False) for _ in range(size)])
        a, b, c = population[picks[:, 0]], population[picks[:, 1]], population[picks[:, 2]]
        mutant = np.clip(a + 0.5 * (b - c), 0.0, 1.0)
        cross = rng.random(population.shape) < 0.5
        cross[np.arange(size), rng.integers(population.shape[1], size=size)] = True
        trial = encoder.snap(np.where(cross, mutant, population))
        trial_s = score(trial)
        pool_x.append(trial)
        pool_s.append(trial_s)
        better = trial_s > fitness
        population[better], fitness[better] = trial[better], trial_s[better]
    return np.vstack(pool_x), np.concatenate(pool_s)
