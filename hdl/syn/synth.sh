#!/usr/bin/env bash
# Yosys resource report of one kernel configuration for UltraScale+ (the XCU55C family):
#   syn/synth.sh <kernel> <tag> "<chparam args>" <out-dir> [flat|hier]
# Writes <out-dir>/<kernel>_<tag>.json (yosys stat -json) and .log. "flat" (the default) flattens the design;
# "hier" keeps the hierarchy, so a module instantiated many times with the same parameters (the LFADS lanes) is
# synthesised once and counted per instance (stat -top): the way to report the full published LFADS size, whose
# flattened run takes too long, at the cost of optimisations across module boundaries.
set -euo pipefail
KERNEL="$1"; TAG="$2"; PARAMS="$3"; OUT="$4"; MODE="${5:-flat}"
case "$MODE" in
  flat) FLAT="-flatten"; STAT="stat -json" ;;
  hier) FLAT=""; STAT="stat -top $KERNEL -json" ;;   # totals per instance in the "design" block
  *) echo "synth.sh: mode must be flat or hier, not $MODE" >&2; exit 2 ;;
esac
HDL="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$OUT"
shopt -s nullglob
FILES="$(echo "$HDL"/rtl/common/*.v "$HDL"/rtl/snn/*.v "$HDL"/rtl/lfads/*.v)"
yosys -q -l "$OUT/${KERNEL}_${TAG}.log" -p "
  read_verilog -defer $FILES
  chparam $PARAMS $KERNEL
  hierarchy -top $KERNEL
  synth_xilinx -family xcup -noiopad $FLAT -top $KERNEL
  tee -o $OUT/${KERNEL}_${TAG}.json $STAT
" >/dev/null
# Yosys 0.23 prints the hierarchy tree of stat -top as bare text lines inside the JSON: keep the JSON lines
# (every line of stat -json starts with a quote, a brace or a bracket, or is empty)
if [ "$MODE" = hier ]; then
  grep -E '^[[:space:]]*(["{}]|\[|\]|$)' "$OUT/${KERNEL}_${TAG}.json" > "$OUT/${KERNEL}_${TAG}.json.tmp"
  mv "$OUT/${KERNEL}_${TAG}.json.tmp" "$OUT/${KERNEL}_${TAG}.json"
fi
