# ruff: noqa: I001  (the seed's import order, kept: only the import lines' module names change)
"""Syne Tune's first example, the training script: its code with only the import line of
``Reporter`` changed (``syne_tune`` -> ``tunesmith.compat.synetune``)."""

import logging
import time

from tunesmith.compat.synetune import Reporter
from argparse import ArgumentParser

if __name__ == "__main__":
    root = logging.getLogger()
    root.setLevel(logging.INFO)

    parser = ArgumentParser()
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--width", type=float)
    parser.add_argument("--height", type=float)
    args, _ = parser.parse_known_args()
    report = Reporter()
    for step in range(args.epochs):
        time.sleep(0.1)
        dummy_score = 1.0 / (0.1 + args.width * step / 100) + args.height * 0.1
        # Feed the score back to Syne Tune
        report(epoch=step + 1, mean_loss=dummy_score)
