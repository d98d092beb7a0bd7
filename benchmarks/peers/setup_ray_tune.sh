#!/usr/bin/env bash
# Create a separate virtual environment with Ray Tune from PyPI, for the side-by-side throughput
# benchmark of benchmarks/peers/ray_tune_throughput.py. Ray Tune is NOT a dependency of tunesmith
# (RayBackend uses Ray core only, the `tunesmith[ray]` extra).
#
#   bash benchmarks/peers/setup_ray_tune.sh               # -> /tmp/raytune-venv
#   bash benchmarks/peers/setup_ray_tune.sh /some/dir     # -> /some/dir
#
# Installs `ray[tune]` (Ray core plus pandas, pyarrow, fsspec, requests, tensorboardX) at the
# version RAY_VERSION (default: the one in tunesmith's .venv, else 2.60.0), so both sides run
# the same Ray.
set -euo pipefail
VENV="${1:-/tmp/raytune-venv}"
HERE="$(cd "$(dirname "$0")/../.." && pwd)"
DEFAULT=$("$HERE/.venv/bin/python" -c 'import ray; print(ray.__version__)' 2>/dev/null || echo 2.60.0)
VERSION="${RAY_VERSION:-$DEFAULT}"
start=$(date +%s)
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "ray[tune]==${VERSION}"
"$VENV/bin/python" -c 'import ray, ray.tune; print("ray", ray.__version__, "with tune imports OK")'
echo "installed into $VENV in $(( $(date +%s) - start )) s:"
"$VENV/bin/python" -m pip list --format=freeze
