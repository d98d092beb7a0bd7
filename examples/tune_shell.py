"""Tune a shell script (examples/train_shell.sh) that prints [tunesmith] lines.

python examples/tune_shell.py [--trials 6]
"""

import argparse
from pathlib import Path

from tunesmith import GridSearch, ScriptBackend, StoppingCriterion, Tuner, randint

HERE = Path(__file__).resolve().parent


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=6)
    parser.add_argument("--run-dir", default=None)
    args = parser.parse_args(argv)
    space = {"x": randint(0, 5), "epochs": 3}
    tuner = Tuner(
        ScriptBackend(["bash", str(HERE / "train_shell.sh")]),
        GridSearch(space, metric="loss", random_seed=0),
        StoppingCriterion(max_num_trials_started=args.trials),
        n_workers=2,
        run_dir=args.run_dir,
    )
    result = tuner.run()
    print("best config:", result.best_config())
    return result


if __name__ == "__main__":
    main()
