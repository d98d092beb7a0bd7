"""A training script tunesmith can run as a trial: it takes the config as --name value
arguments and reports with tunesmith.report (any Python script works the same way).

    python examples/train_script.py --lr 0.01 --epochs 3   # runs standalone too
"""

import argparse
import math

import tunesmith

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, required=True)
parser.add_argument("--momentum", type=float, default=0.9)
parser.add_argument("--epochs", type=int, default=5)
args = parser.parse_args()

for epoch in range(1, args.epochs + 1):
    loss = abs(math.log10(args.lr) + 2) + (1 - args.momentum) + 1.0 / epoch
    tunesmith.report(epoch=epoch, loss=loss)
