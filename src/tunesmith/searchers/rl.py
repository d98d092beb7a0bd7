"""Reinforcement-learning search: an LSTM controller trained with REINFORCE (Zoph & Le, 2017:
"Neural Architecture Search with Reinforcement Learning"; the controller of ENAS, Pham et al.,
2018, as AutoGluon's ``RLScheduler`` uses it).

**Controller.** An LSTM cell (gates input, forget, cell, output; one bias) makes one decision per
hyperparameter, in the space's order. The first step's input is a vector of zeros; each later
step's input is the embedding of the previous decision (one embedding table, a row per decision
of every hyperparameter). Hidden and cell states start at zero. Step ``t`` turns the hidden
state into logits with its own linear decoder, divides them by ``softmax_temperature`` and
samples the decision from their softmax. Weights start uniform in ``[-0.07, 0.07]``, biases at
zero (MXNet's default initializer, which AutoGluon's controller used). The forward pass and
backpropagation through time are written out in numpy.

**Decisions.** ``choice``, ``ordinal`` and ``finrange``: one of the domain's values.
``randint`` / ``lograndint`` with at most ``num_bins`` values: one of its values. ``uniform``,
``loguniform`` and wider ``randint`` / ``lograndint``: one of ``num_bins`` equal bins of the
domain's ``[0, 1]`` encoding (linear, or logarithmic for the log domains); the value is drawn
uniformly (on that scale) inside the chosen bin, so a continuous domain stays continuous.

**Training** (AutoGluon's ``RLScheduler``). The reward of a config is its metric, negated for
``mode="min"``. Every ``controller_batch_size`` rewards make one update: each config's
advantage is its reward minus the baseline, which starts at the first reward ever counted and
after each batch moves towards each of the batch's rewards in turn as an exponential moving
average (``b <- decay * b + (1 - decay) * r``, ``decay = ema_baseline_decay``). The loss is
``-mean_i(advantage_i * sum_t log p(decision_i,t))``, minimized by Adam (0.9, 0.999, 1e-8) with
step size ``controller_lr * controller_batch_size`` (AutoGluon scales the rate by the batch
size and averages the gradient over the batch).

**Asynchronous use.** Results join the current batch as they arrive; the gradient is taken
under the controller as it is then. With one worker every config of a batch was sampled by that
same controller (AutoGluon's synchronous mode); with several, a config sampled before an update
may be counted after it (slightly off-policy, as in asynchronous policy-gradient training).
Inside Hyperband a trial counts once, with the first result the searcher sees for it (its first
rung: within a bracket, every config is compared at the same resource); later results of the
same trial are ignored. A failed trial counts nothing.

**Duplicates.** Without ``allow_duplicates`` the controller is sampled again (up to
``max_retries`` times) until it proposes a config not suggested before; failing that, a random
unseen config is suggested, and it counts with its decisions' log-probabilities like a sample.
With ``restrict_configurations`` the suggestion is the allowed config not suggested yet that is
nearest (unit encoding) to the controller's sample.

**State.** :meth:`~RLSearcher.state_dict` holds no weights: it holds the rewards in the order
they were counted (and the configs still being evaluated); :meth:`~RLSearcher.load_state_dict`
rebuilds the controller from the seed and replays the updates, so the data is small and the
weights are what the same code computed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from tunesmith.domains import Categorical, Domain, Integer
from tunesmith.searchers.random import RandomSearcher
from tunesmith.trial import metric_value

__all__ = ["LSTMController", "RLSearcher"]

_INIT_SCALE = 0.07  # MXNet's default uniform initializer (AutoGluon's controller)
_ADAM = (0.9, 0.999, 1e-8)  # beta1, beta2, epsilon (MXNet's and the paper's defaults)
_CONTROLLER_STREAM = 0x524C  # mixes the searcher's seed into the weights' own stream


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # no overflow warnings for large |z|


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


class LSTMController:
    """The policy: an LSTM cell emitting one categorical decision per step (``sizes[t]``
    choices at step ``t``); see the module docstring. ``params`` maps names to float64
    arrays; :meth:`loss_and_grads` gives the REINFORCE loss and its exact gradient, which
    :meth:`step` applies with Adam.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        *,
        hidden_size: int = 100,
        softmax_temperature: float = 1.0,
        seed: int | Sequence[int] = 0,
    ):
        self.sizes = [int(n) for n in sizes]
        self.hidden_size = h = int(hidden_size)
        self.softmax_temperature = float(softmax_temperature)
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)[:-1]]).astype(int)
        rng = np.random.default_rng(seed)

        def uniform(*shape: int) -> np.ndarray:
            return rng.uniform(-_INIT_SCALE, _INIT_SCALE, size=shape)

        self.params: dict[str, np.ndarray] = {
            "embedding": uniform(sum(self.sizes), h),
            "lstm_weight": uniform(4 * h, 2 * h),  # rows: gates i, f, g, o; columns: [x, h]
            "lstm_bias": np.zeros(4 * h),
        }
        for t, n in enumerate(self.sizes):
            self.params[f"decoder{t}_weight"] = uniform(n, h)
            self.params[f"decoder{t}_bias"] = np.zeros(n)
        self._moments = {k: (np.zeros_like(v), np.zeros_like(v)) for k, v in self.params.items()}
        self.num_steps = 0  # Adam steps taken

    # -- forward ---------------------------------------------------------------------------
    def _cell(self, x: np.ndarray, h: np.ndarray, c: np.ndarray) -> tuple:
        """One LSTM step on a batch: the new ``(h, c)`` and what backpropagation needs."""
        n = self.hidden_size
        xh = np.concatenate([x, h], axis=1)
        z = xh @ self.params["lstm_weight"].T + self.params["lstm_bias"]
        i, f = _sigmoid(z[:, :n]), _sigmoid(z[:, n : 2 * n])
        g, o = np.tanh(z[:, 2 * n : 3 * n]), _sigmoid(z[:, 3 * n :])
        c_new = f * c + i * g
        tanh_c = np.tanh(c_new)
        h_new = o * tanh_c
        return h_new, c_new, (xh, i, f, g, o, c, tanh_c)

    def _logits(self, t: int, h: np.ndarray) -> np.ndarray:
        w, b = self.params[f"decoder{t}_weight"], self.params[f"decoder{t}_bias"]
        return (h @ w.T + b) / self.softmax_temperature

    def sample(
        self,
        rng: np.random.Generator,
        allowed: Callable[[int, list[int]], np.ndarray | None] | None = None,
    ) -> list[int]:
        """One decision per step, drawn from the policy with ``rng`` (one uniform a step).
        ``allowed(t, prefix)``: a boolean mask of the options step ``t`` may take after the
        decisions ``prefix`` (None: all); the probabilities are renormalized over them."""
        h = np.zeros((1, self.hidden_size))
        c, x = np.zeros_like(h), np.zeros_like(h)
        actions: list[int] = []
        for t, n in enumerate(self.sizes):
            h, c, _ = self._cell(x, h, c)
            logits = self._logits(t, h)[0]
            weights = np.exp(logits - logits.max())
            mask = None if allowed is None else allowed(t, actions)
            if mask is not None:
                assert mask.any(), "every option masked: the caller checks for exhaustion"
                weights = np.where(mask, weights, 0.0)
            cdf = np.cumsum(weights)
            a = min(int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right")), n - 1)
            while mask is not None and not mask[a]:  # round-off at the top end of the cdf
                a -= 1
            actions.append(a)
            x = self.params["embedding"][self.offsets[t] + a][None, :]
        return actions

    def log_probs(self, actions: np.ndarray) -> np.ndarray:
        """``log p(actions[i])`` of each row of decisions (a ``(B, steps)`` int array)."""
        return self._forward(np.asarray(actions, dtype=int))[0]

    def next_probabilities(self, prefix: Sequence[int]) -> np.ndarray:
        """The probabilities of the options of step ``len(prefix)`` after the decisions
        ``prefix``."""
        h = np.zeros((1, self.hidden_size))
        c, x = np.zeros_like(h), np.zeros_like(h)
        for t, a in enumerate(prefix):
            h, c, _ = self._cell(x, h, c)
            x = self.params["embedding"][self.offsets[t] + int(a)][None, :]
        h, c, _ = self._cell(x, h, c)
        return np.exp(_log_softmax(self._logits(len(prefix), h)[0]))

    def _forward(self, actions: np.ndarray) -> tuple[np.ndarray, list]:
        batch = actions.shape[0]
        h = np.zeros((batch, self.hidden_size))
        c, x = np.zeros_like(h), np.zeros_like(h)
        total = np.zeros(batch)
        rows = np.arange(batch)
        caches = []
        for t in range(len(self.sizes)):
            h, c, cache = self._cell(x, h, c)
            log_p = _log_softmax(self._logits(t, h))
            total += log_p[rows, actions[:, t]]
            caches.append((cache, h, np.exp(log_p)))
            x = self.params["embedding"][self.offsets[t] + actions[:, t]]
        return total, caches

    # -- backward --------------------------------------------------------------------------
    def loss_and_grads(
        self, actions: np.ndarray, weights: np.ndarray
    ) -> tuple[float, dict[str, np.ndarray]]:
        """``loss = -sum_i weights[i] * log p(actions[i])`` and its gradient with respect to
        every parameter (backpropagation through time)."""
        actions = np.asarray(actions, dtype=int)
        weights = np.asarray(weights, dtype=float)
        total, caches = self._forward(actions)
        loss = -float(weights @ total)
        grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        n, batch = self.hidden_size, actions.shape[0]
        rows = np.arange(batch)
        w_lstm = self.params["lstm_weight"]
        dh_next = np.zeros((batch, n))
        dc_next = np.zeros((batch, n))
        for t in reversed(range(len(self.sizes))):
            (xh, i, f, g, o, c_prev, tanh_c), h, probs = caches[t]
            # d loss / d logits = -w * (onehot(a) - p); the logits are scores / temperature
            d_scores = probs.copy()
            d_scores[rows, actions[:, t]] -= 1.0
            d_scores *= weights[:, None] / self.softmax_temperature
            grads[f"decoder{t}_weight"] += d_scores.T @ h
            grads[f"decoder{t}_bias"] += d_scores.sum(axis=0)
            dh = d_scores @ self.params[f"decoder{t}_weight"] + dh_next
            dc = dc_next + dh * o * (1.0 - tanh_c**2)
            dz = np.concatenate(
                [
                    dc * g * i * (1.0 - i),
                    dc * c_prev * f * (1.0 - f),
                    dc * i * (1.0 - g**2),
                    dh * tanh_c * o * (1.0 - o),
                ],
                axis=1,
            )
            grads["lstm_weight"] += dz.T @ xh
            grads["lstm_bias"] += dz.sum(axis=0)
            dxh = dz @ w_lstm
            dh_next, dc_next = dxh[:, n:], dc * f
            if t > 0:  # this step's input was the embedding of the previous decision
                np.add.at(grads["embedding"], self.offsets[t - 1] + actions[:, t - 1], dxh[:, :n])
        return loss, grads

    def step(self, grads: Mapping[str, np.ndarray], learning_rate: float) -> None:
        """One Adam step (bias-corrected moments) along ``-grads``."""
        beta1, beta2, eps = _ADAM
        self.num_steps += 1
        scale = (
            learning_rate * math.sqrt(1.0 - beta2**self.num_steps) / (1.0 - beta1**self.num_steps)
        )
        for name, param in self.params.items():
            m, v = self._moments[name]
            grad = grads[name]
            m *= beta1
            m += (1.0 - beta1) * grad
            v *= beta2
            v += (1.0 - beta2) * grad**2
            param -= scale * m / (np.sqrt(v) + eps)


class _Decision:
    """How one hyperparameter's value is chosen: ``size`` options, an option's value, and the
    option a value falls in."""

    def __init__(self, name: str, domain: Domain, num_bins: int):
        self.name, self.domain = name, domain
        self.values: list[Any] | None = None
        if isinstance(domain, Categorical):
            self.values = list(domain.categories)
        elif domain.cardinality is not None and (
            not isinstance(domain, Integer) or domain.cardinality <= num_bins
        ):
            self.values = domain.grid(0)  # every value, in order
        self.size = len(self.values) if self.values is not None else num_bins
        self._index = {v: i for i, v in enumerate(self.values)} if self.values is not None else None

    def value(self, option: int, rng: np.random.Generator) -> Any:
        if self.values is not None:
            return self.values[option]
        return self.domain.value_at((option + float(rng.random())) / self.size)

    def option(self, value: Any) -> int:
        if self._index is not None:
            i = self._index.get(self.domain.cast(value))
            if i is None:
                raise ValueError(
                    f"{self.name}={value!r} is invalid: must be {self.domain.describe()}"
                )
            return i
        u = self.domain.encode(value)[0]
        return min(int(u * self.size), self.size - 1)


def _check_int(name: str, value: Any, minimum: int) -> int:
    if not isinstance(value, int | np.integer) or isinstance(value, bool):
        raise TypeError(
            f"`{name}` must be an int >= {minimum}, but got {name}={value!r} "
            f"({type(value).__name__})"
        )
    if value < minimum:
        raise ValueError(f"`{name}` must be an int >= {minimum}, but got {name}={value!r}")
    return int(value)


def _check_real(name: str, value: Any, *, low: float, high: float, rule: str) -> float:
    """A finite number with ``low < value < high`` (``rule`` says so in the message)."""
    if not isinstance(value, int | float | np.integer | np.floating) or isinstance(value, bool):
        raise TypeError(
            f"`{name}` must be a number {rule}, but got {name}={value!r} ({type(value).__name__})"
        )
    if not (math.isfinite(value) and low < value < high):
        raise ValueError(f"`{name}` must be a number {rule}, but got {name}={value!r}")
    return float(value)


class RLSearcher(RandomSearcher):
    """Reinforcement-learning search (Zoph & Le, 2017; AutoGluon's ``RLScheduler``): an LSTM
    controller samples one decision per hyperparameter and is trained by REINFORCE against an
    exponential-moving-average baseline. See the module docstring for the controller, the
    decisions for numeric domains and the training rule.

    * ``controller_batch_size``: rewards per policy-gradient update (AutoGluon: 1).
    * ``controller_lr``: Adam's learning rate per config of a batch; the step size is
      ``controller_lr * controller_batch_size`` (AutoGluon: 1e-3).
    * ``ema_baseline_decay``: decay of the moving-average baseline, in (0, 1) (AutoGluon: 0.95).
    * ``hidden_size``: LSTM and embedding width (AutoGluon: 100).
    * ``softmax_temperature``: the logits are divided by it (AutoGluon: 1.0).
    * ``num_bins``: options for a continuous domain, or an integer domain with more values.

    >>> from tunesmith import choice
    >>> space = {"x": choice(list(range(10))), "y": choice(list(range(10)))}
    >>> searcher = RLSearcher(
    ...     space, metric="loss", random_seed=0, controller_batch_size=4, controller_lr=0.02
    ... )
    >>> for _ in range(60):
    ...     config = searcher.suggest()
    ...     searcher.observe(config, {"loss": abs(config["x"] - 7) + abs(config["y"] - 2)})
    >>> searcher.num_updates
    15
    >>> probabilities = searcher.probabilities()  # the controller's greedy path
    >>> [max(range(10), key=probabilities[name].__getitem__) for name in ("x", "y")]
    [7, 2]
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
        controller_batch_size: int = 1,
        controller_lr: float = 1e-3,
        ema_baseline_decay: float = 0.95,
        hidden_size: int = 100,
        softmax_temperature: float = 1.0,
        num_bins: int = 10,
        max_retries: int = 100,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
    ):
        self.controller_batch_size = _check_int("controller_batch_size", controller_batch_size, 1)
        self.controller_lr = _check_real(
            "controller_lr", controller_lr, low=0.0, high=math.inf, rule="> 0"
        )
        self.ema_baseline_decay = _check_real(
            "ema_baseline_decay", ema_baseline_decay, low=0.0, high=1.0, rule="in (0, 1)"
        )
        self.hidden_size = _check_int("hidden_size", hidden_size, 1)
        self.softmax_temperature = _check_real(
            "softmax_temperature", softmax_temperature, low=0.0, high=math.inf, rule="> 0"
        )
        self.num_bins = _check_int("num_bins", num_bins, 2)
        super().__init__(
            config_space,
            metric=metric,
            mode=mode,
            points_to_evaluate=points_to_evaluate,
            random_seed=random_seed,
            allow_duplicates=allow_duplicates,
            max_retries=max_retries,
            restrict_configurations=restrict_configurations,
        )
        self._decisions = [_Decision(name, d, self.num_bins) for name, d in self._domains]
        # _capacity[n]: the configs that share a prefix of n decisions, when all later
        # decisions pick values (None when one picks a bin: unbounded)
        self._capacity: list[int | None] = [1]
        for decision in reversed(self._decisions):
            below = self._capacity[0]
            exact = decision.values is not None and below is not None
            self._capacity.insert(0, below * decision.size if exact else None)
        self._prefix_counts: dict[tuple, int] = {}  # suggested configs by decision prefix
        self._outstanding: dict[tuple, int] = {}  # suggested, not yet counted: key -> trials
        self._reset_controller()

    def _reset_controller(self) -> None:
        self.controller = LSTMController(
            [d.size for d in self._decisions],
            hidden_size=self.hidden_size,
            softmax_temperature=self.softmax_temperature,
            seed=[self.random_seed, _CONTROLLER_STREAM],
        )
        self.baseline: float | None = None
        self._batch: list[tuple[list[int], float]] = []
        self._counted: list[tuple[list[int], float]] = []  # every reward, in counted order

    # -- suggest ---------------------------------------------------------------------------
    def suggest(self) -> dict[str, Any] | None:
        config = super().suggest()
        if config is not None:
            key = self._key(config)
            self._outstanding[key] = self._outstanding.get(key, 0) + 1
        return config

    def _mark_seen(self, config: Mapping[str, Any]) -> None:
        key = self._key(config)
        if key not in self._seen:
            self._seen.add(key)
            self._count_prefixes(self._decisions_of(config))

    def _count_prefixes(self, decisions: list[int]) -> None:
        for n in range(1, len(decisions) + 1):
            if self._capacity[n] is not None:
                prefix = tuple(decisions[:n])
                self._prefix_counts[prefix] = self._prefix_counts.get(prefix, 0) + 1

    def _allowed(self, t: int, prefix: list[int]) -> np.ndarray | None:
        """The options of decision ``t`` after ``prefix`` that still lead to an unseen config
        (None: all may, as a later decision picks a bin of a continuous range)."""
        capacity = self._capacity[t + 1]
        if capacity is None:
            return None
        counts, head = self._prefix_counts, tuple(prefix)
        return np.array(
            [counts.get((*head, a), 0) < capacity for a in range(self._decisions[t].size)]
        )

    def _config_of(self, decisions: Sequence[int]) -> dict[str, Any]:
        config = dict(self.config_space)
        for decision, option in zip(self._decisions, decisions, strict=True):
            config[decision.name] = decision.value(option, self.rng)
        return config

    def _decisions_of(self, config: Mapping[str, Any]) -> list[int]:
        """The options a config's values fall in: what the controller is trained on (for a
        sampled integer near a bin edge, the bin its value falls in)."""
        return [d.option(config[d.name]) for d in self._decisions]

    def _suggest(self) -> dict[str, Any] | None:
        if not self._decisions:
            return super()._suggest()
        if (
            not self.allow_duplicates
            and self._cardinality is not None
            and len(self._seen) >= self._cardinality
        ):
            return None
        allowed = None if self.allow_duplicates else self._allowed
        for _ in range(self.max_retries):  # one draw, unless a bin's value was drawn before
            config = self._config_of(self.controller.sample(self.rng, allowed))
            if self._is_new(config):
                return config
        return super()._suggest()  # a random unseen config

    def _suggest_restricted(self) -> dict[str, Any] | None:
        if not self._decisions:
            return super()._suggest_restricted()
        sample = self._config_of(self.controller.sample(self.rng))
        found = self._nearest_restricted(self._unit_encoder().encode(sample))
        return None if found is None else found[0]

    # -- results ---------------------------------------------------------------------------
    def observe(
        self, config: Mapping[str, Any], metrics: Mapping[str, Any], resource: int | None = None
    ) -> None:
        if self.metric is None:
            raise ValueError(
                "the searcher has no metric: pass `metric=` or use it inside a scheduler"
            )
        value = metric_value(dict(metrics), self.metric)
        reward = value if self.mode == "max" else -value
        key = self._key(config)
        if key in self._outstanding:
            self._release(key)
        elif key in self._seen:  # a later result (higher resource) of a config counted
            return
        else:  # a config told from outside, never suggested here
            self._mark_seen(config)
        self._count(self._decisions_of(config), reward)

    def failed(self, config: Mapping[str, Any]) -> None:
        key = self._key(config)
        if key in self._outstanding:
            self._release(key)

    def _release(self, key: tuple) -> None:
        self._outstanding[key] -= 1
        if self._outstanding[key] <= 0:
            del self._outstanding[key]

    def _count(self, decisions: list[int], reward: float) -> None:
        """One reward: live results and the replay of a loaded state both come through here."""
        self._counted.append((decisions, reward))
        self._batch.append((decisions, reward))
        if len(self._batch) >= self.controller_batch_size:
            batch, self._batch = self._batch, []
            self._update(batch)

    def _update(self, batch: list[tuple[list[int], float]]) -> None:
        rewards = [reward for _, reward in batch]
        if self.baseline is None:
            self.baseline = rewards[0]
        advantages = np.array([reward - self.baseline for reward in rewards])
        decay = self.ema_baseline_decay
        for reward in rewards:
            self.baseline = decay * self.baseline + (1.0 - decay) * reward
        if not self._decisions:
            return
        actions = np.array([decisions for decisions, _ in batch], dtype=int)
        _, grads = self.controller.loss_and_grads(actions, advantages / len(batch))
        self.controller.step(grads, self.controller_lr * self.controller_batch_size)

    # -- inspection ------------------------------------------------------------------------
    def probabilities(self) -> dict[str, list[float]]:
        """Each hyperparameter's option probabilities under the controller, each given the
        most likely options of the hyperparameters before it (its greedy path)."""
        out: dict[str, list[float]] = {}
        prefix: list[int] = []
        for decision in self._decisions:
            probs = self.controller.next_probabilities(prefix)
            out[decision.name] = probs.tolist()
            prefix.append(int(np.argmax(probs)))
        return out

    @property
    def num_updates(self) -> int:
        """Policy-gradient updates made so far."""
        return self.controller.num_steps

    # -- state -----------------------------------------------------------------------------
    def _extra_state(self) -> dict[str, Any]:
        return {
            "rewards": [[list(decisions), reward] for decisions, reward in self._counted],
            "outstanding": [[list(key), n] for key, n in self._outstanding.items()],
        }

    def _load_extra_state(self, state: Mapping[str, Any]) -> None:
        self._reset_controller()  # from the loaded seed, then the same updates again
        for decisions, reward in state["rewards"]:
            self._count([int(a) for a in decisions], float(reward))
        self._outstanding = {tuple(key): int(n) for key, n in state["outstanding"]}
        self._prefix_counts = {}
        for key in self._seen:
            self._count_prefixes(self._decisions_of(dict(zip(self._names, key, strict=True))))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(metric={self.metric!r}, mode={self.mode!r}, "
            f"controller_batch_size={self.controller_batch_size}, "
            f"controller_lr={self.controller_lr:g}, updates={self.num_updates})"
        )
