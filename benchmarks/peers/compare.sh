#!/usr/bin/env bash
# tunesmith's simulator benchmark and Syne Tune's simulator on the same table, one after the
# other, then the ratio of results per real second.
#
#   bash benchmarks/peers/compare.sh                  # 1,000 trials, 3 repeats each
#   TRIALS=2000 REPEAT=1 bash benchmarks/peers/compare.sh
#
# TUNESMITH_PY (default: .venv/bin/python of this repo) and PEERS_PY (default:
# /tmp/peers-venv/bin/python, made by setup_syne_tune.sh) pick the interpreters; BENCHMARK,
# TRIALS, WORKERS, REPEAT are passed to both scripts. Extra arguments go to the Syne Tune script
# (e.g. --tuner-sleep-time 0.1).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
TUNESMITH_PY="${TUNESMITH_PY:-$ROOT/.venv/bin/python}"
PEERS_PY="${PEERS_PY:-/tmp/peers-venv/bin/python}"
BENCHMARK="${BENCHMARK:-mlp-digits}"
TRIALS="${TRIALS:-1000}"
WORKERS="${WORKERS:-4}"
REPEAT="${REPEAT:-3}"
if [ ! -x "$PEERS_PY" ]; then
    echo "no $PEERS_PY: run bash benchmarks/peers/setup_syne_tune.sh first" >&2
    exit 1
fi
OUT="$(mktemp -d "${TMPDIR:-/tmp}/peers-compare-XXXXXX")"
common=(--json --benchmark "$BENCHMARK" --trials "$TRIALS" --workers "$WORKERS" --repeat "$REPEAT")
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
echo "tunesmith: $TUNESMITH_PY benchmarks/simulator.py ${common[*]}" >&2
"$TUNESMITH_PY" "$ROOT/benchmarks/simulator.py" "${common[@]}" > "$OUT/tunesmith.json"
echo "syne tune: $PEERS_PY benchmarks/peers/syne_tune_simulator.py ${common[*]} $*" >&2
"$PEERS_PY" "$ROOT/benchmarks/peers/syne_tune_simulator.py" "${common[@]}" "$@" \
    > "$OUT/syne_tune.json" 2> "$OUT/syne_tune.log"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
python3 - "$OUT/tunesmith.json" "$OUT/syne_tune.json" <<'PY'
import json
import sys

ours = json.load(open(sys.argv[1]))
peer = json.load(open(sys.argv[2]))
print(json.dumps({"tunesmith": ours, "syne_tune": peer}, indent=2))
p, pc = peer["results_per_second"], peer.get("results_per_cpu_second")
print(f"\n{ours['benchmark']}: ASHA, {ours['n_workers']} workers, {ours['trials']} trials")
print(
    f"  {peer['library']:27s} {peer['real_seconds']:8.3f} s  {peer['trials']:5d} trials "
    f"{peer['results']:6d} results  {p:9.0f} results/s  {pc or 0:9.0f} per CPU s"
)
for setup, f in ours["setups"].items():
    print(
        f"  tunesmith {setup:17s} {f['real_seconds']:8.3f} s  {f['trials']:5d} trials "
        f"{f['results']:6d} results  {f['results_per_second']:9.0f} results/s  "
        f"{f.get('results_per_cpu_second', 0):9.0f} per CPU s  "
        f"= {f['results_per_second'] / p:.1f}x Syne Tune"
    )
setups = ours["setups"]
if "memory" in setups and "sqlite-batched" in setups:
    mem, default = setups["memory"], setups["sqlite-batched"]
    ratio = default["results_per_second"] / mem["results_per_second"]
    line = f"  tunesmith's default journal (sqlite-batched) / memory: {ratio:.2f} of the results/s"
    if "results_per_cpu_second" in default and "results_per_cpu_second" in mem:
        cpu = default["results_per_cpu_second"] / mem["results_per_cpu_second"]
        line += f", {cpu:.2f} of the results per CPU s"
    print(line)
PY
echo "JSON kept in $OUT" >&2
