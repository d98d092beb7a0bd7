"""``syne_tune.utils``: :func:`add_config_json_to_argparse` and :func:`load_config_json` for a
training script run with ``LocalBackend(pass_args_as_json=True)``, and
:func:`streamline_config_space`, whose domains replaced by equivalent ones that suit
model-based search better, by Syne Tune's rules:

- ``uniform(a, b)`` / ``randint(a, b)`` with ``a > 0`` and ``b >= 100 * a``: the log domain;
- ``choice`` of numbers: sorted, and fitted by a line in the index, linearly and (positive
  values) in log scale; the better fit picks the scale, and a near-perfect one (R^2 of at least
  :data:`FINRANGE_R2`) gives ``finrange`` / ``logfinrange`` of the same size between the
  fitted line's ends (values may move: ``[1, 2, 5, 10, 20, 50]`` becomes 1, 2, 5, 10, 22, 47;
  Syne Tune's documentation quotes 48 for the last), else ``ordinal`` /
  ``logordinal`` of the sorted values.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

from tunesmith.compat.synetune import config_space as cs
from tunesmith.domains import Categorical, Float, Integer

__all__ = ["add_config_json_to_argparse", "load_config_json", "streamline_config_space"]

logger = logging.getLogger("tunesmith")


def add_config_json_to_argparse(parser: Any) -> None:
    """Add ``--st_config_json_filename`` (the JSON file of the trial's config, which
    ``LocalBackend(pass_args_as_json=True)`` passes) and ``--st_checkpoint_dir`` to an
    ``argparse`` parser."""
    from tunesmith.compat.synetune.constants import ST_CHECKPOINT_DIR, ST_CONFIG_JSON_FNAME_ARG

    parser.add_argument(f"--{ST_CONFIG_JSON_FNAME_ARG}", type=str, required=True)
    parser.add_argument(f"--{ST_CHECKPOINT_DIR}", type=str)


def load_config_json(args: dict[str, Any]) -> dict[str, Any]:
    """The config in the JSON file ``args["st_config_json_filename"]`` names, with the other
    entries of ``args`` (e.g. ``st_checkpoint_dir``)."""
    import json

    from tunesmith.compat.synetune.constants import ST_CONFIG_JSON_FNAME_ARG

    path = args.get(ST_CONFIG_JSON_FNAME_ARG)
    if not path:
        raise ValueError(
            f"load_config_json: args has no {ST_CONFIG_JSON_FNAME_ARG!r}; call "
            "add_config_json_to_argparse(parser) and run the script with "
            "LocalBackend(pass_args_as_json=True)"
        )
    with open(path) as f:
        config = json.load(f)
    rest = {k: v for k, v in args.items() if k != ST_CONFIG_JSON_FNAME_ARG and v is not None}
    return {**config, **rest}


#: the R^2 from which a numerical choice becomes a (log)finrange rather than an ordinal
FINRANGE_R2 = 0.995


def _fit(ys: list[float]) -> tuple[float, float, float]:
    """The least-squares line ``a * j + b`` through ``ys[j]``: ``(a, b, R^2)``."""
    n = len(ys)
    xs = list(range(n))
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    syy = sum((y - my) ** 2 for y in ys)
    a = sxy / sxx
    return a, my - a * mx, 1.0 if syy == 0 else (sxy * sxy) / (sxx * syy)


def _convert(domain: Any) -> Any:
    if isinstance(domain, Float | Integer) and not domain.log:
        if domain.lower > 0 and domain.upper >= 100 * domain.lower:
            make = cs.loguniform if isinstance(domain, Float) else cs.lograndint
            return make(domain.lower, domain.upper)
        return domain
    if isinstance(domain, Categorical):
        values = domain.categories
        if len(values) < 3 or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in values
        ):
            return domain
        ordered = sorted(values)
        cast_int = all(isinstance(v, int) for v in values)
        n = len(ordered)
        lin = _fit([float(v) for v in ordered])
        log_fit = _fit([math.log(v) for v in ordered]) if ordered[0] > 0 else (0.0, 0.0, -1.0)
        log = log_fit[2] > lin[2]
        a, b, r2 = log_fit if log else lin
        if r2 >= FINRANGE_R2:
            # the fitted line's ends (so the values may move a little, as in Syne Tune)
            lower, upper = b, a * (n - 1) + b
            if log:
                lower, upper = math.exp(lower), math.exp(upper)
            lower, upper = float(f"{lower:.12g}"), float(f"{upper:.12g}")
            make = cs.logfinrange if log else cs.finrange
            try:
                return make(lower, upper, n, cast_int=cast_int)
            except ValueError:
                pass  # cast_int maps two values to one int, or the ends are not valid
        return cs.ordinal(ordered, kind="nn-log" if log else "nn")
    return domain


def streamline_config_space(
    config_space: dict[str, Any],
    exclude_names: Sequence[str] | None = None,
    verbose: bool = False,
) -> dict[str, Any]:
    """A new config space with the domains replaced as described above (not those named in
    ``exclude_names``)."""
    exclude = set(exclude_names or ())
    out = {}
    for name, value in config_space.items():
        new = value if name in exclude else _convert(value)
        if verbose and new is not value and new != value:
            logger.info("streamline_config_space: %s: %r -> %r", name, value, new)
        out[name] = new
    return out
