#!/usr/bin/env bash
# Yosys resource report of one kernel configuration for UltraScale+ (the XCU55C family):
#   syn/synth.sh <kernel> <tag> "<chparam args>" <out-dir>
# Writes <out-dir>/<kernel>_<tag>.json (yosys stat -json) and .log.
set -euo pipefail
KERNEL="$1"; TAG="$2"; PARAMS="$3"; OUT="$4"
HDL="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$OUT"
shopt -s nullglob
FILES="$(echo "$HDL"/rtl/common/*.v "$HDL"/rtl/snn/*.v "$HDL"/rtl/lfads/*.v)"
yosys -q -l "$OUT/${KERNEL}_${TAG}.log" -p "
  read_verilog -defer $FILES
  chparam $PARAMS $KERNEL
  hierarchy -top $KERNEL
  synth_xilinx -family xcup -noiopad -flatten -top $KERNEL
  tee -o $OUT/${KERNEL}_${TAG}.json stat -json
" >/dev/null
