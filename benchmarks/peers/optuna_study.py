"""The same study with Optuna, as its quickstart writes it: a quadratic, 20 trials of random
sampling (the counterpart of tunesmith's RandomSearch), in one process. Run with the peers venv
(setup_optuna.sh) by study_e2e.py, timed from process start to exit.

    python benchmarks/peers/optuna_study.py memory    # create_study() default: in memory
    python benchmarks/peers/optuna_study.py sqlite    # RDB storage: durable, resumable by name
    python benchmarks/peers/optuna_study.py journal   # journal file storage: durable

``memory`` is what ``optuna.create_study()`` gives; ``sqlite`` keeps every trial in a SQLite
file under a study name, as tunesmith's default store does; ``journal`` is Optuna's lighter
durable storage (an append-only file, like tunesmith's journal of events).
"""

import sys

import optuna


def objective(trial):
    x = trial.suggest_float("x", -10.0, 10.0)
    return (x - 2.0) ** 2


def storage(kind):
    if kind == "memory":
        return None
    if kind == "sqlite":
        return "sqlite:///optuna.db"
    if kind == "journal":
        from optuna.storages import JournalStorage
        from optuna.storages.journal import JournalFileBackend

        return JournalStorage(JournalFileBackend("optuna-journal.log"))
    raise SystemExit(f"storage must be memory, sqlite or journal, not {kind!r}")


if __name__ == "__main__":
    kind = sys.argv[1] if len(sys.argv) > 1 else "memory"
    study = optuna.create_study(
        study_name="quadratic",
        storage=storage(kind),
        load_if_exists=True,
        direction="minimize",
        sampler=optuna.samplers.RandomSampler(seed=0),
    )
    study.optimize(objective, n_trials=20)
    print(study.best_params)
