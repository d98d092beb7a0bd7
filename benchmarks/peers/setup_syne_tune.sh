#!/usr/bin/env bash
# Create a separate virtual environment with Syne Tune from PyPI, for the side-by-side simulator
# benchmark (benchmarks/peers/syne_tune_simulator.py). Syne Tune is NOT a dependency of tunesmith.
#
#   bash benchmarks/peers/setup_syne_tune.sh            # -> /tmp/peers-venv
#   bash benchmarks/peers/setup_syne_tune.sh /some/dir  # -> /some/dir
#
# syne-tune's core requirements are installed (numpy, pandas, scipy via statsmodels,
# scikit-learn, xgboost with its nvidia-nccl-cu12 wheel, dill, ...): they are enough for
# BlackboxTabular, the simulator backend (UserBlackboxBackend / SimulatorCallback) and ASHA.
# One more package is needed: huggingface_hub, which syne_tune.blackbox_repository imports at
# import time (its repository.py); syne-tune 0.16 has no extra smaller than "extra", and that
# one pulls botorch and so torch. SYNE_TUNE_VERSION overrides the pinned version.
set -euo pipefail
VENV="${1:-/tmp/peers-venv}"
VERSION="${SYNE_TUNE_VERSION:-0.16.0}"
start=$(date +%s)
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "syne-tune==${VERSION}" huggingface_hub
# fail now, not in the benchmark, if the pieces the benchmark calls do not import
"$VENV/bin/python" - <<'PY'
from syne_tune.blackbox_repository.blackbox_tabular import BlackboxTabular  # noqa: F401
from syne_tune.blackbox_repository.simulated_tabular_backend import (  # noqa: F401
    UserBlackboxBackend,
)
from syne_tune.backend.simulator_backend.simulator_callback import SimulatorCallback  # noqa: F401
from syne_tune.optimizer.baselines import ASHA  # noqa: F401
from syne_tune import StoppingCriterion, Tuner  # noqa: F401
import syne_tune
print("syne-tune", syne_tune.__version__, "imports OK")
PY
echo "installed into $VENV in $(( $(date +%s) - start )) s:"
"$VENV/bin/python" -m pip list --format=freeze
