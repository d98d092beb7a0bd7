"""Crash-test harness: trials that append every acknowledged report to a side file, and a tuner
process meant to be killed with SIGKILL (or interrupted) at random moments and started again.

    python -m tunesmith.testing.crash tune --storage URL --name NAME --side FILE \
        [--backend script|local] [--scheduler asha|asha-promotion|random] [--workers 1] \
        [--trials 12] [--epochs 9] [--shared]
    python -m tunesmith.testing.crash trial    # run by the tuner's ScriptBackend

The trial checkpoints its epoch after each report returned and after writing the side file (and
when told to pause), as careful training code does; its objective is deterministic, so an
uninterrupted run and a run killed and resumed many times must store the same configs, results
and decisions (with one worker; with several, the order of results differs between runs, and
with it the decisions of a scheduler that compares trials). ``--no-checkpoint`` makes trials
that save no checkpoint: a restarted trial repeats every report from its first.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

__all__ = ["crash_trial", "main", "run_tuner", "side_reports", "stored_table", "trial"]

SIDE_FILE_VARIABLE = "TUNESMITH_CRASH_SIDE_FILE"
BACKENDS = ("script", "local")
SCHEDULERS = ("asha", "asha-promotion", "random")


def crash_trial(config: dict[str, Any]) -> None:
    """The trial: reports ``epoch`` and ``loss`` from its checkpointed epoch on; each
    acknowledged report is then appended to the side file (one write: a whole line or none),
    and each report about to be made to ``<side file>.attempts``."""
    import tunesmith

    step = tunesmith.checkpoint_dir() / "epoch"
    start = int(step.read_text()) if step.exists() else 0
    keep = config.get("checkpoint", True)
    path = os.environ[SIDE_FILE_VARIABLE]
    side = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    attempts = os.open(path + ".attempts", os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        for epoch in range(start + 1, config["epochs"] + 1):
            time.sleep(config["sleep"])
            loss = round((config["x"] - 0.3) ** 2 + 1.0 / epoch, 12)
            os.write(attempts, b".\n")  # the campaign's measure of progress
            try:
                tunesmith.report(epoch=epoch, loss=loss)
            except tunesmith.TrialPaused:
                _save(step, epoch)  # the result is stored: continue after it when resumed
                raise
            line = json.dumps({"trial": tunesmith.trial_id(), "epoch": epoch, "loss": loss})
            os.write(side, (line + "\n").encode())
            if keep:
                _save(step, epoch)
    finally:
        os.close(side)
        os.close(attempts)


def _save(step, epoch: int) -> None:
    tmp = step.with_suffix(".tmp")
    tmp.write_text(str(epoch))
    tmp.replace(step)


def trial() -> None:
    """The ScriptBackend trial: its config from ``$TUNESMITH_CONFIG``."""
    with open(os.environ["TUNESMITH_CONFIG"]) as f:
        crash_trial(json.load(f))


def run_tuner(
    storage: str,
    name: str,
    side_file: str,
    *,
    trials: int,
    seed: int,
    epochs: int,
    sleep: float,
    backend: str = "script",
    scheduler: str = "asha",
    workers: int = 1,
    checkpoint: bool = True,
    run_dir: str | None = None,
    shared: bool = False,
):
    from tunesmith import (
        ASHA,
        LocalBackend,
        RandomSearch,
        ScriptBackend,
        StoppingCriterion,
        Tuner,
        uniform,
    )

    os.environ[SIDE_FILE_VARIABLE] = side_file  # LocalBackend workers inherit it
    space = {"x": uniform(0, 1), "epochs": epochs, "sleep": sleep}
    if not checkpoint:  # (absent otherwise: the space of the studies made before the option)
        space["checkpoint"] = False
    if backend == "script":
        runner = ScriptBackend(
            [sys.executable, "-m", "tunesmith.testing.crash", "trial"],
            env={SIDE_FILE_VARIABLE: side_file},
            stop_grace_period=1.0,
        )
    else:
        runner = LocalBackend(crash_trial, stop_grace_period=1.0)
    if scheduler == "random":
        chooser = RandomSearch(space, metric="loss", random_seed=seed)
    else:
        kind = "promotion" if scheduler == "asha-promotion" else "stopping"
        chooser = ASHA(
            space, metric="loss", resource_attr="epoch", max_t=epochs, random_seed=seed, type=kind
        )
    tuner = Tuner(
        runner,
        chooser,
        StoppingCriterion(max_num_trials_started=trials),
        n_workers=workers,
        verbose=0,
        name=name,
        storage=storage,
        run_dir=run_dir,
        shared=shared,
    )
    return tuner.run()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("role", choices=["tune", "trial"])
    parser.add_argument("--storage")
    parser.add_argument("--name")
    parser.add_argument("--side")
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=9)
    parser.add_argument("--sleep", type=float, default=0.02)
    parser.add_argument("--backend", choices=BACKENDS, default="script")
    parser.add_argument("--scheduler", choices=SCHEDULERS, default="asha")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--no-checkpoint", dest="checkpoint", action="store_false")
    parser.add_argument("--shared", action="store_true", help="Tuner(shared=True)")
    args, _ = parser.parse_known_args(argv)  # a trial also gets its config as --name value
    if args.role == "trial":
        trial()
        return
    result = run_tuner(
        args.storage,
        args.name,
        args.side,
        trials=args.trials,
        seed=args.seed,
        epochs=args.epochs,
        sleep=args.sleep,
        backend=args.backend,
        scheduler=args.scheduler,
        workers=args.workers,
        checkpoint=args.checkpoint,
        shared=args.shared,
    )
    print(json.dumps({"trials": len(result.trials), "stop_reason": result.stop_reason}))


def stored_table(storage: str, name: str) -> list[tuple]:
    """Configs, results (without ``ts_`` fields), decisions and ends of a study's trials, in
    journal order."""
    from tunesmith.store import Store

    with Store(storage) as store:
        events = store.read_events(name)
    keep = ("trial_created", "result", "decision", "trial_completed", "trial_stopped")
    return [
        (e.kind.value, e.trial_id, {k: v for k, v in e.payload.items() if not k.startswith("ts_")})
        for e in events
        if e.kind.value in keep
    ]


def stored_trials(storage: str, name: str) -> dict[int, tuple[str, dict[str, Any]]]:
    """Each trial's final status and config."""
    from tunesmith.store import Store

    with Store(storage) as store:
        return {t["trial_id"]: (t["status"], t["config"]) for t in store.trials(name)}


def side_reports(path: str) -> list[tuple[int, int]]:
    """The (trial, epoch) of every report acknowledged to a trial, in the order written."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [(r["trial"], r["epoch"]) for r in map(json.loads, f)]


if __name__ == "__main__":
    main()
