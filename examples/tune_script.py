"""Tune a Python script (examples/train_script.py) with the ScriptBackend.

python examples/tune_script.py [--trials 6]
"""

import argparse
import sys
from pathlib import Path

from tunesmith import RandomSearch, ScriptBackend, StoppingCriterion, Tuner, loguniform, uniform

HERE = Path(__file__).resolve().parent


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=6)
    parser.add_argument("--run-dir", default=None)
    args = parser.parse_args(argv)
    space = {"lr": loguniform(1e-4, 1e-1), "momentum": uniform(0.5, 0.99), "epochs": 3}
    tuner = Tuner(
        ScriptBackend([sys.executable, str(HERE / "train_script.py")]),
        RandomSearch(space, metric="loss", random_seed=0),
        StoppingCriterion(max_num_trials_started=args.trials),
        n_workers=2,
        run_dir=args.run_dir,
    )
    result = tuner.run()
    print("best config:", result.best_config())
    return result


if __name__ == "__main__":
    main()
