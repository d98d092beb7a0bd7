#!/usr/bin/env bash
# RayBackend (tunesmith's .venv) and Ray Tune with its defaults (the venv of
# setup_ray_tune.sh) on the same trivial trials with 2 workers, one after the other on this
# machine; prints both JSON figures and the ratio of trials per second.
#
#   bash benchmarks/peers/compare_ray_tune.sh                 # 200 / 50 trials
#   TRIALS=100 TUNE_TRIALS=20 bash benchmarks/peers/compare_ray_tune.sh
set -euo pipefail
HERE="$(cd "$(dirname "$0")/../.." && pwd)"
PEERS_PY="${PEERS_PY:-/tmp/raytune-venv/bin/python}"
TRIALS="${TRIALS:-200}"
TUNE_TRIALS="${TUNE_TRIALS:-50}"
ours=$("$HERE/.venv/bin/python" "$HERE/benchmarks/ray_backend.py" --json --repeat 1 \
    --trials "$TRIALS" 2>/dev/null)
theirs=$("$PEERS_PY" "$HERE/benchmarks/peers/ray_tune_throughput.py" --json \
    --trials "$TUNE_TRIALS" 2>/dev/null | sed -n '/^{/,$p')
echo "tunesmith (RayBackend, LocalBackend):"
echo "$ours"
echo "Ray Tune (defaults):"
echo "$theirs"
"$HERE/.venv/bin/python" - "$ours" "$theirs" <<'PY'
import json, sys
ours, theirs = json.loads(sys.argv[1]), json.loads(sys.argv[2])
ratio = ours["ray"]["trials_per_s"] / theirs["throughput"]["trials_per_s"]
print(json.dumps({
    "raybackend_trials_per_s": ours["ray"]["trials_per_s"],
    "ray_tune_default_trials_per_s": theirs["throughput"]["trials_per_s"],
    "raybackend_over_ray_tune": round(ratio, 1),
    "raybackend_utilization": ours["ray"]["utilization"],
    "ray_tune_default_utilization": theirs["utilization"],
}, indent=2))
PY
