#!/usr/bin/env bash
# A trial in any language: read the config from --name value arguments (or the JSON file in
# $TUNESMITH_CONFIG) and print one "[tunesmith] {json}" line per report.
set -euo pipefail
x=0; epochs=3
while [ $# -gt 0 ]; do
  case "$1" in
    --x) x="$2"; shift 2 ;;
    --epochs) epochs="$2"; shift 2 ;;
    *) shift 2 ;;
  esac
done
for epoch in $(seq 1 "$epochs"); do
  loss=$(awk -v x="$x" -v e="$epoch" 'BEGIN { printf "%.6f", (x - 3) * (x - 3) + 1 / e }')
  echo "[tunesmith] {\"epoch\": $epoch, \"loss\": $loss}"
done
