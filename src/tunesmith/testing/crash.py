"""Crash-test harness: a script trial that appends every acknowledged report to a side file, and
a tuner process meant to be killed with SIGKILL at random moments and started again.

    python -m tunesmith.testing.crash tune --storage URL --name NAME --side FILE [--trials 12]
    python -m tunesmith.testing.crash trial    # run by the tuner's ScriptBackend

The trial checkpoints its epoch after each report returned and after writing the side file, as
careful training code does; its objective is deterministic, so an uninterrupted run and a run
killed and resumed many times must store the same configs, results and decisions.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

__all__ = ["main", "run_tuner", "trial"]

SIDE_FILE_VARIABLE = "TUNESMITH_CRASH_SIDE_FILE"


def trial() -> None:
    import tunesmith

    with open(os.environ["TUNESMITH_CONFIG"]) as f:
        config = json.load(f)
    step = tunesmith.checkpoint_dir() / "epoch"
    start = int(step.read_text()) if step.exists() else 0
    side = os.open(os.environ[SIDE_FILE_VARIABLE], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    for epoch in range(start + 1, config["epochs"] + 1):
        time.sleep(config["sleep"])
        loss = round((config["x"] - 0.3) ** 2 + 1.0 / epoch, 12)
        tunesmith.report(epoch=epoch, loss=loss)
        line = json.dumps({"trial": tunesmith.trial_id(), "epoch": epoch, "loss": loss})
        os.write(side, (line + "\n").encode())  # one write: whole line or nothing
        tmp = step.with_suffix(".tmp")
        tmp.write_text(str(epoch))
        tmp.replace(step)


def run_tuner(
    storage: str, name: str, side_file: str, *, trials: int, seed: int, epochs: int, sleep: float
):
    from tunesmith import ASHA, ScriptBackend, StoppingCriterion, Tuner, uniform

    space = {"x": uniform(0, 1), "epochs": epochs, "sleep": sleep}
    tuner = Tuner(
        ScriptBackend(
            [sys.executable, "-m", "tunesmith.testing.crash", "trial"],
            env={SIDE_FILE_VARIABLE: side_file},
            stop_grace_period=1.0,
        ),
        ASHA(space, metric="loss", resource_attr="epoch", max_t=epochs, random_seed=seed),
        StoppingCriterion(max_num_trials_started=trials),
        n_workers=1,
        verbose=0,
        name=name,
        storage=storage,
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
    )
    print(json.dumps({"trials": len(result.trials), "stop_reason": result.stop_reason}))


def stored_table(storage: str, name: str) -> list[tuple]:
    """Configs, results (without ``ts_`` fields) and decisions of a study, in journal order."""
    from tunesmith.store import Store

    with Store(storage) as store:
        events = store.read_events(name)
    keep = ("trial_created", "result", "decision", "trial_completed", "trial_stopped")
    return [
        (e.kind.value, e.trial_id, {k: v for k, v in e.payload.items() if not k.startswith("ts_")})
        for e in events
        if e.kind.value in keep
    ]


def side_reports(path: str) -> list[tuple[int, int]]:
    with open(path) as f:
        return [(r["trial"], r["epoch"]) for r in map(json.loads, f)]


if __name__ == "__main__":
    main()
