"""The Optuna side of quality_optuna.py: runs in the Optuna venv (setup_optuna.sh), needs only
the standard library and optuna, and reads the tables from the JSON dumps quality_optuna.py
writes (so tunesmith need not be installed here).

    python _optuna_quality.py JOBS.json    # prints one JSON list of runs

JOBS.json: {"tables": {name: dump path}, "jobs": [[method, table, seed, evaluations], ...],
"processes": N}. A run is an ask/tell loop of ``evaluations`` trials; each trial is scored with
one of the table's seeds drawn at random (seeded by the run's seed), as tunesmith's simulator
does. Ordinal hyperparameters are ``suggest_int`` over their value's position (ordered), the
others ``suggest_categorical``.
"""

import json
import multiprocessing
import random
import sys
import time

_TABLES = {}


def _table(path):
    if path not in _TABLES:
        with open(path) as f:
            _TABLES[path] = json.load(f)
    return _TABLES[path]


def _sampler(method, seed):
    import optuna

    if method == "Optuna-TPE":
        return optuna.samplers.TPESampler(seed=seed)
    if method == "Optuna-TPE-multivariate":
        return optuna.samplers.TPESampler(seed=seed, multivariate=True)
    if method == "Optuna-Random":
        return optuna.samplers.RandomSampler(seed=seed)
    raise SystemExit(f"unknown Optuna method {method!r}")


def one_run(job):
    method, path, seed, evaluations, checkpoints = job
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    table = _table(path)
    names, choices, kinds = table["names"], table["values"], table["kinds"]
    radix = [len(v) for v in choices]
    rows, means, optimum = table["rows"], table["means"], table["optimum"]
    sign = 1.0 if table["mode"] == "min" else -1.0
    draw = random.Random(seed)
    study = optuna.create_study(
        direction="minimize" if sign > 0 else "maximize", sampler=_sampler(method, seed)
    )
    t0 = time.perf_counter()
    history = []  # (row, observed value)
    for _ in range(evaluations):
        trial = study.ask()
        row = 0
        for name, values, kind, r in zip(names, choices, kinds, radix, strict=True):
            if kind == "ordinal":
                position = trial.suggest_int(name, 0, r - 1)
            else:
                position = values.index(trial.suggest_categorical(name, values))
            row = row * r + position
        seeds = rows[row]
        value = seeds[draw.randrange(len(seeds))]
        study.tell(trial, value)
        history.append((row, value))
    seconds = time.perf_counter() - t0
    regret = {}
    for n in checkpoints:
        best_row = min(history[:n], key=lambda h: sign * h[1])[0]
        regret[str(n)] = max(sign * (means[best_row] - optimum), 0.0)
    return {
        "method": method,
        "dataset": table["name"],
        "seed": seed,
        "regret": regret,
        "distinct_per_100": len({row for row, _ in history[:100]}),
        "seconds": round(seconds, 2),
    }


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    jobs = [(m, spec["tables"][d], s, e, spec["checkpoints"]) for m, d, s, e in spec["jobs"]]
    with multiprocessing.get_context("spawn").Pool(spec["processes"]) as pool:
        runs = pool.map(one_run, jobs, chunksize=1)
    json.dump(runs, sys.stdout)


if __name__ == "__main__":
    main()
