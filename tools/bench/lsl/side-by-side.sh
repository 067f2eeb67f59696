#!/usr/bin/env bash
# Reflex's pure-Java LSL and liblsl measured in one run on this machine (docs/lsl.md, "Side by side with liblsl"):
#   1. push->pull latency, 1 channel float32 at 1 kHz, in-process outlet -> inlet over TCP loopback, each
#      stack against itself (LslLatencyHarness / lsl_peer latency);
#   2. time correction on one clock (the truth is 0) for all four inlet/outlet pairings.
# Usage: tools/bench/lsl/side-by-side.sh --liblsl PREFIX [--include DIR] [--samples N] [--estimates N] [--json]
#   PREFIX holds lib/liblsl.so (and include/lsl_cpp.h unless --include names the headers' folder).
set -euo pipefail

LIBLSL="" INCLUDE="" SAMPLES=5000 ESTIMATES=20 JSON=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --liblsl) LIBLSL="${2:?--liblsl needs a folder}"; shift 2 ;;
    --include) INCLUDE="${2:?--include needs a folder}"; shift 2 ;;
    --samples) SAMPLES="${2:?--samples needs a number}"; shift 2 ;;
    --estimates) ESTIMATES="${2:?--estimates needs a number}"; shift 2 ;;
    --json) JSON=1; shift ;;
    *) echo "side-by-side: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -n "$LIBLSL" ]] || { echo "side-by-side: --liblsl PREFIX is required" >&2; exit 2; }
[[ -n "$INCLUDE" ]] || INCLUDE="$LIBLSL/include"
[[ -f "$LIBLSL/lib/liblsl.so" ]] || { echo "side-by-side: no $LIBLSL/lib/liblsl.so" >&2; exit 2; }
[[ -f "$INCLUDE/lsl_cpp.h" ]] || { echo "side-by-side: no $INCLUDE/lsl_cpp.h (use --include)" >&2; exit 2; }
[[ "$SAMPLES" =~ ^[0-9]+$ && "$SAMPLES" -ge 100 && "$SAMPLES" -le 1000000 ]] \
  || { echo "side-by-side: --samples must be in [100, 1000000]" >&2; exit 2; }
[[ "$ESTIMATES" =~ ^[0-9]+$ && "$ESTIMATES" -ge 3 && "$ESTIMATES" -le 1000 ]] \
  || { echo "side-by-side: --estimates must be in [3, 1000]" >&2; exit 2; }

ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
WORK="$(mktemp -d)"
OUTLET_PID=""
cleanup() {
  if [[ -n "$OUTLET_PID" ]]; then kill "$OUTLET_PID" 2>/dev/null || true; wait "$OUTLET_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
log() { [[ "$JSON" == 1 ]] && echo "$*" >&2 || echo "$*"; }

nice g++ -O2 -std=c++17 -I"$INCLUDE" "$ROOT/tools/bench/lsl/lsl_peer.cpp" -L"$LIBLSL/lib" -llsl \
  -Wl,-rpath,"$LIBLSL/lib" -pthread -o "$WORK/lsl_peer"
# The LSL module's test classpath (the harnesses live in runtime/lsl/src/jmh/java). Offline machines may lack the dependency
# plugin; then the classpath comes from one small surefire run's report. Set MAVEN_ARGS=-o to build offline.
if ! (cd "$ROOT" && nice mvn -B -q -pl runtime/lsl -am test-compile dependency:build-classpath \
      -Dmdep.outputFile="$WORK/cp.txt" -Dmdep.includeScope=test >"$WORK/mvn.log" 2>&1); then
  (cd "$ROOT" && nice mvn -B -q -pl runtime/lsl -am test-compile \
    org.apache.maven.plugins:maven-surefire-plugin:3.5.4:test -Dtest=TimeProbeFormatTest \
    -Dsurefire.failIfNoSpecifiedTests=false >"$WORK/mvn.log" 2>&1) || { cat "$WORK/mvn.log" >&2; exit 1; }
  sed -n 's/.*name="surefire.test.class.path" value="\([^"]*\)".*/\1/p' \
    "$ROOT/runtime/lsl/target/surefire-reports/TEST-io.reflex.lsl.TimeProbeFormatTest.xml" >"$WORK/cp.txt"
  [[ -s "$WORK/cp.txt" ]] || { echo "side-by-side: could not work out the LSL module's classpath" >&2; exit 1; }
fi
# shellcheck source=/dev/null
source "$ROOT/tools/scripts/jvm-flags.sh"
CP="$ROOT/runtime/lsl/target/test-classes:$ROOT/runtime/lsl/target/classes:$(cat "$WORK/cp.txt")"
# shellcheck disable=SC2086
jrun() { nice "$REFLEX_JAVA" $REFLEX_JVM_FLAGS -cp "$CP" "$@"; }
peer() { nice "$WORK/lsl_peer" "$@"; }

# Loopback only, a session of its own (no other streams on this machine answer), a wave every 0.25 s.
cat > "$WORK/lsl_api.cfg" <<CFG
[ports]
IPv6 = disable
[multicast]
ResolveScope = machine
ListenAddress = 127.0.0.1
MachineAddresses = {127.0.0.1}
[lab]
KnownPeers = {127.0.0.1}
SessionID = side-by-side-$$
[tuning]
TimeUpdateInterval = 0.25
TimeProbeInterval = 0.01
TimeProbeMaxRTT = 0.05
CFG
export LSLAPICFG="$WORK/lsl_api.cfg"

field() { sed -n "s/.* $1=\\([-0-9.naNinf]*\\).*/\\1/p" <<<"$2" | head -1; }

log "latency: Reflex (LslLatencyHarness channels=1 samples=$SAMPLES)"
R_LAT="$(jrun io.reflex.lsl.LslLatencyHarness channels=1 samples="$SAMPLES" | grep '^latency')" \
  || { echo "side-by-side: the Reflex latency run failed" >&2; exit 1; }
log "  $R_LAT"
log "latency: liblsl (lsl_peer latency 1 $SAMPLES)"
L_LAT="$(peer latency 1 "$SAMPLES")" \
  || { echo "side-by-side: the liblsl latency run failed (or lost samples): $L_LAT" >&2; exit 1; }
log "  $L_LAT"

# timecorr OUTLET_KIND INLET_KIND: sets TC_LINE to the inlet's result line (runs in this shell, so a failure
# exits the script and the EXIT trap stops the outlet).
timecorr() {
  local name="sbs-$1-$2-$$" out="$WORK/outlet-$1-$2.log" deadline
  # Started as plain commands (not through the functions above, which would fork a subshell) so that $! is the
  # outlet's own pid (nice execs it) and the kill below reaches it.
  if [[ "$1" == reflex ]]; then
    # shellcheck disable=SC2086
    nice "$REFLEX_JAVA" $REFLEX_JVM_FLAGS -cp "$CP" io.reflex.lsl.LslTimeCorrectionHarness outlet "$name" 300 \
      >"$out" 2>&1 &
  else
    nice "$WORK/lsl_peer" outlet "$name" 300 >"$out" 2>&1 &
  fi
  OUTLET_PID=$!
  deadline=$((SECONDS + 60))
  until grep -q "up" "$out"; do
    kill -0 "$OUTLET_PID" 2>/dev/null || { echo "side-by-side: $1 outlet died: $(cat "$out")" >&2; exit 1; }
    [[ $SECONDS -lt $deadline ]] || { echo "side-by-side: $1 outlet not up within 60 s" >&2; exit 1; }
    sleep 0.2
  done
  local line
  if [[ "$2" == reflex ]]; then
    line="$(jrun io.reflex.lsl.LslTimeCorrectionHarness timecorr "$name" "$ESTIMATES")" || line=""
  else
    line="$(peer timecorr "$name" "$ESTIMATES")" || line=""
  fi
  [[ -n "$line" && "$line" == *"estimates=$ESTIMATES:"* ]] \
    || { echo "side-by-side: $2 inlet against $1 outlet: too few estimates: $line" >&2; exit 1; }
  kill "$OUTLET_PID" 2>/dev/null || true
  wait "$OUTLET_PID" 2>/dev/null || true
  OUTLET_PID=""
  TC_LINE="$line"
}

declare -A TC TCRTT
for pair in "reflex reflex" "liblsl reflex" "liblsl liblsl" "reflex liblsl"; do
  # shellcheck disable=SC2086
  set -- $pair
  log "time correction: $2 inlet against $1 outlet ($ESTIMATES estimates)"
  timecorr "$1" "$2"
  line="$TC_LINE"
  log "  $line"
  TC["$2_$1"]="$(field median "$line")"
  TCRTT["$2_$1"]="$(field rtt_median "$line")"
done

RM="$(field median "$R_LAT")" LM="$(field median "$L_LAT")"
RP="$(field p99 "$R_LAT")" LP="$(field p99 "$L_LAT")"
RATIO="$(awk -v r="$RM" -v l="$LM" 'BEGIN { printf "%.2f", r / l }')"
if [[ "$JSON" == 1 ]]; then
  cat <<JSONOUT
{"samples": $SAMPLES, "estimates": $ESTIMATES,
 "reflex_latency_median_us": $RM, "liblsl_latency_median_us": $LM, "latency_median_ratio": $RATIO,
 "reflex_latency_p99_us": $RP, "liblsl_latency_p99_us": $LP,
 "timecorr_reflex_inlet_reflex_outlet_us": ${TC[reflex_reflex]}, "timecorr_reflex_inlet_liblsl_outlet_us": ${TC[reflex_liblsl]},
 "timecorr_liblsl_inlet_liblsl_outlet_us": ${TC[liblsl_liblsl]}, "timecorr_liblsl_inlet_reflex_outlet_us": ${TC[liblsl_reflex]},
 "timecorr_rtt_reflex_inlet_reflex_outlet_us": ${TCRTT[reflex_reflex]}, "timecorr_rtt_reflex_inlet_liblsl_outlet_us": ${TCRTT[reflex_liblsl]},
 "timecorr_rtt_liblsl_inlet_liblsl_outlet_us": ${TCRTT[liblsl_liblsl]}, "timecorr_rtt_liblsl_inlet_reflex_outlet_us": ${TCRTT[liblsl_reflex]}}
JSONOUT
else
  echo "latency median: Reflex $RM us, liblsl $LM us (Reflex/liblsl = $RATIO); p99: Reflex $RP us, liblsl $LP us"
  echo "time correction median (truth 0): Reflex inlet vs Reflex outlet ${TC[reflex_reflex]} us, vs liblsl outlet" \
    "${TC[reflex_liblsl]} us; liblsl inlet vs liblsl outlet ${TC[liblsl_liblsl]} us, vs Reflex outlet ${TC[liblsl_reflex]} us"
fi
