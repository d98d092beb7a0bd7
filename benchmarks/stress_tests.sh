#!/usr/bin/env bash
# The test suite N times in a row under CPU load (issue 16: "20 times in a row under
# `stress --cpu 2` without a flaky failure"): one busy loop per core runs beside pytest the
# whole time, and the first failing run stops the campaign and says where its output is.
#
#   bash benchmarks/stress_tests.sh                      # 20 runs of the fast suite
#   RUNS=5 MARKER=slow bash benchmarks/stress_tests.sh   # the slow tests, 5 times
#   MARKER= bash benchmarks/stress_tests.sh              # the whole suite
#
# Run it from the checkout (after `make .venv/.installed-dev`); nothing else should run on the
# machine meanwhile. TUNESMITH_TEST_POSTGRES_URL, when set, is used as it is: point it at a
# database no other test run uses. One line per run goes to $LOG (default
# stress-tests.log), each run's output to stress-run-N.log beside it.
set -uo pipefail

RUNS=${RUNS:-20}
MARKER=${MARKER-not slow}
LOG=${LOG:-stress-tests.log}
PY=${PY:-.venv/bin/python}
LOAD=${LOAD:-$(nproc)}

loops=()
for _ in $(seq "$LOAD"); do
  (while :; do :; done) &
  loops+=($!)
done
trap 'kill "${loops[@]}" 2>/dev/null' EXIT

args=(-q -p no:cacheprovider)
[ -n "$MARKER" ] && args+=(-m "$MARKER")
echo "$(date -u +%FT%TZ) $(git rev-parse --short HEAD) $RUNS runs of pytest ${args[*]}," \
  "$LOAD busy loops" >>"$LOG"
for i in $(seq "$RUNS"); do
  out="$(dirname "$LOG")/stress-run-$i.log"
  start=$(date +%s)
  "$PY" -m pytest "${args[@]}" >"$out" 2>&1
  rc=$?
  echo "run $i rc=$rc $(($(date +%s) - start))s $(tail -n 1 "$out")" >>"$LOG"
  if [ "$rc" -ne 0 ]; then
    echo "run $i failed: see $out" >&2
    exit 1
  fi
done
echo "all $RUNS runs passed" | tee -a "$LOG"
