#!/usr/bin/env bash
# Lint gate: `verilator --lint-only -Wall` over every parameter set of hdl/tb/lint.cfg (or the sets named as
# arguments). Waivers live in the RTL, one line each (/* verilator lint_off X */ ... lint_on, with the reason).
# Prints one line per set ("lint <set> <top>: <n> warnings, <m> errors", then the messages) and a summary
# ("lint: <n> warnings, <m> errors in <s> sets (Verilator <version>)"); logs go to $LINT_OUT (hdl/target/lint).
# Exit status: 0 clean, 1 a warning or an error, 2 bad usage or no verilator. LINT_CFG and LINT_RTL (the folder
# whose subfolders hold one module per file) replace lint.cfg and hdl/rtl (LintGateTest lints a bad module so).
#   hdl/tb/lint.sh                 every set
#   hdl/tb/lint.sh snn_odd100      one set
set -uo pipefail
TB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HDL=$(dirname "$TB")
RTL=${LINT_RTL:-$HDL/rtl}
CFG=${LINT_CFG:-$TB/lint.cfg}
OUT=${LINT_OUT:-$HDL/target/lint}

if ! command -v verilator >/dev/null 2>&1; then
    echo "lint: verilator is not installed (Debian: apt-get install verilator)" >&2
    exit 2
fi
[ -r "$CFG" ] || { echo "lint: cannot read $CFG" >&2; exit 2; }
mkdir -p "$OUT" || exit 2
INC=()
for d in "$RTL"/*/; do INC+=("-I${d%/}"); done

declare -A want=()
for a in "$@"; do want[$a]=1; done

total_w=0; total_e=0; sets=0
declare -A seen=()
while read -r name top params; do
    case "$name" in ''|'#'*) continue ;; esac
    [ "$#" -eq 0 ] || [ -n "${want[$name]:-}" ] || continue
    files=("$RTL"/*/"$top.v")
    if [ ! -r "${files[0]}" ]; then echo "lint: set $name: no module file $top.v under $RTL" >&2; exit 2; fi
    seen[$name]=1
    log=$OUT/$name.log
    # -Wno-fatal: let verilator report every warning; this script decides (any warning fails the gate)
    # shellcheck disable=SC2086
    nice verilator --lint-only -Wall -Wno-fatal "${INC[@]}" --top-module "$top" $params "${files[0]}" >"$log" 2>&1
    rc=$?
    w=$(grep -c '^%Warning' "$log")
    e=$(grep '^%Error' "$log" | grep -vc '^%Error: Exiting due to')
    if [ "$rc" -ne 0 ] && [ "$e" -eq 0 ]; then e=1; fi
    echo "lint $name $top: $w warnings, $e errors"
    if [ "$w" -ne 0 ] || [ "$e" -ne 0 ]; then grep -E '^%(Warning|Error)' "$log" | sed 's/^/  /'; fi
    total_w=$((total_w + w)); total_e=$((total_e + e)); sets=$((sets + 1))
done <"$CFG"

for a in "$@"; do
    [ -n "${seen[$a]:-}" ] || { echo "lint: no set named $a in $CFG" >&2; exit 2; }
done
[ "$sets" -gt 0 ] || { echo "lint: no parameter sets in $CFG" >&2; exit 2; }
echo "lint: $total_w warnings, $total_e errors in $sets sets ($(verilator --version | head -1))"
[ "$total_w" -eq 0 ] && [ "$total_e" -eq 0 ]
