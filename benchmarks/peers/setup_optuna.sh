#!/usr/bin/env bash
# Create a separate virtual environment with Optuna from PyPI, for the side-by-side end-to-end
# benchmark of a small study (benchmarks/peers/optuna_study.py). Optuna is NOT a dependency of
# tunesmith.
#
#   bash benchmarks/peers/setup_optuna.sh               # -> /tmp/optuna-venv
#   bash benchmarks/peers/setup_optuna.sh /some/dir     # -> /some/dir
#
# Only optuna and its own requirements (numpy, sqlalchemy, alembic, colorlog, tqdm, PyYAML,
# packaging) are installed: what `pip install optuna` gives a newcomer. OPTUNA_VERSION overrides
# the pinned version.
set -euo pipefail
VENV="${1:-/tmp/optuna-venv}"
VERSION="${OPTUNA_VERSION:-4.5.0}"
start=$(date +%s)
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "optuna==${VERSION}"
# fail now, not in the benchmark, if optuna does not import
"$VENV/bin/python" -c 'import optuna; print("optuna", optuna.__version__, "imports OK")'
echo "installed into $VENV in $(( $(date +%s) - start )) s:"
"$VENV/bin/python" -m pip list --format=freeze
