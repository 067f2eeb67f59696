#!/usr/bin/env bash
# Runs the Aparapi engine's checks on a Linux x86-64 machine with an OpenCL GPU and no JDK or Maven, from the archive
# tools/scripts/gpu-bundle.sh packs (docs/benchmarks.md, "Aparapi on a GPU").
#
# Usage: tools/scripts/gpu-run.sh BUNDLE RESULTS_DIR STEP...
#   STEP is one of
#     probe              the machine, the OpenCL platforms and devices (clinfo), `reflex engines --json`
#     tests[=REGEX]      gpu-engine's JUnit tests (class names matching REGEX; default every test class but the
#                        ArchUnit one) through JUnit's console launcher: on the first OpenCL device, which is the GPU
#     jmh=ARGS           org.openjdk.jmh.Main ARGS (one step per JMH run; JSON and text results kept)
#     demo=ARGS          reflex demo ARGS --json
#     reflex=ARGS        any other reflex command
#     env:NAME=VALUE     set NAME for the steps after it (env:LD_PRELOAD=jsig names the bundled JRE's libjsig.so,
#                        which every step preloads unless REFLEX_NO_JSIG=1 or unenv:LD_PRELOAD); unenv:NAME unsets it
#   Each step has its own time limit (STEP_TIMEOUT seconds, default 300) and its own log; a failing step is reported
#   and the next one runs. RESULTS_DIR/summary.txt lists each step with its exit status and seconds, and
#   RESULTS_DIR/results.tar.gz holds every log and result (few files, for transfers that limit their number).
# OpenCL: the system's loader (libOpenCL.so.1) and ICDs (/etc/OpenCL/vendors) where present; otherwise the bundled
# ocl-icd loader, and an ICD file written for the NVIDIA driver's libnvidia-opencl.so.1 found on the machine
# (OCL_ICD_VENDORS). Exit status: 0 when every step exited 0, else 1.
set -uo pipefail
[[ $# -ge 3 ]] || { sed -n '2,20p' "$0" >&2; exit 2; }
BUNDLE="$1"; RES="$2"; shift 2
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="${REFLEX_GPU_WORK:-/tmp/reflex-gpu}"
STEP_TIMEOUT="${STEP_TIMEOUT:-300}"
mkdir -p "$RES/logs" "$WORK"
SUMMARY="$RES/summary.txt"
: >"$SUMMARY"

t0=$(date +%s)
rm -rf "$WORK/jre" "$WORK/app"
xz -dc "$BUNDLE" | tar -C "$WORK" -xf - || { echo "gpu-run: cannot unpack $BUNDLE" >&2; exit 1; }
echo "unpacked in $(( $(date +%s) - t0 )) s: $(head -1 "$WORK/app/BUILD")" | tee -a "$SUMMARY"
JAVA="$WORK/jre/bin/java"

# OpenCL loader and ICDs.
if ! ldconfig -p 2>/dev/null | grep -q 'libOpenCL.so.1 '; then
  export LD_LIBRARY_PATH="$WORK/app/opencl${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "opencl loader: bundled ocl-icd (the machine has none)" | tee -a "$SUMMARY"
else
  echo "opencl loader: $(ldconfig -p | grep 'libOpenCL.so.1 ' | head -1 | sed 's/.*=> //')" | tee -a "$SUMMARY"
fi
if ! ls /etc/OpenCL/vendors/*.icd >/dev/null 2>&1 && [[ -z "${OCL_ICD_VENDORS:-}" ]]; then
  nv="$(find /usr/local/nvidia /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib /lib /usr/local/cuda* -maxdepth 3 \
         -name 'libnvidia-opencl.so.1' 2>/dev/null | head -1)"
  if [[ -n "$nv" ]]; then
    mkdir -p "$WORK/icd"; echo "$nv" >"$WORK/icd/nvidia.icd"; export OCL_ICD_VENDORS="$WORK/icd"
    echo "opencl icd: wrote $WORK/icd/nvidia.icd -> $nv" | tee -a "$SUMMARY"
  else
    echo "opencl icd: none found (no /etc/OpenCL/vendors, no libnvidia-opencl.so.1): Aparapi will use JTP only" \
      | tee -a "$SUMMARY"
  fi
else
  echo "opencl icd: $(ls /etc/OpenCL/vendors/*.icd 2>/dev/null | tr '\n' ' ')${OCL_ICD_VENDORS:-}" | tee -a "$SUMMARY"
fi

# shellcheck source=tools/scripts/jvm-flags.sh
REFLEX_JAVA="$JAVA"; JAVA_HOME="$WORK/jre" source "$ROOT/tools/scripts/jvm-flags.sh"
export LD_PRELOAD="$REFLEX_PRELOAD"   # the JRE's libjsig, as ./reflex starts the JVM (jvm-flags.sh says why)
echo "LD_PRELOAD=$LD_PRELOAD" | tee -a "$SUMMARY"
LIBS="$(ls "$WORK"/app/lib/*.jar | grep -v console-standalone | tr '\n' ':')"
CP="$WORK/app/test:$WORK/app/cp:$LIBS"
CONSOLE="$(ls "$WORK"/app/lib/junit-platform-console-standalone-*.jar)"
cli() { "$JAVA" $REFLEX_JVM_FLAGS -Dreflex.home="$ROOT" -cp "$WORK/app/cp" io.reflex.tools.ReflexCli "$@"; }

n=0; failed=0
run_step() {  # name, command...
  local name="$1"; shift
  n=$((n + 1))
  local log; log="$RES/logs/$(printf '%02d' "$n")-$name.log"
  local s; s=$(date +%s)
  echo "== step $n: $name ($(date -u +%H:%M:%S) UTC)" | tee -a "$log"
  timeout -k 10 "$STEP_TIMEOUT" bash -c '"$@"' _ "$@" >>"$log" 2>&1
  local rc=$?
  [[ $rc -eq 0 ]] || failed=1
  printf '%-8s rc=%-3s %4ss  %s\n' "$name" "$rc" "$(( $(date +%s) - s ))" "$log" | tee -a "$SUMMARY"
  tail -n "${TAIL_LINES:-25}" "$log"
  pack
}
pack() {  # everything so far in one archive, after every step: a run cut short still returns what it did
  tar -C "$RES" -czf "$RES/.results.tar.gz" --exclude results.tar.gz --exclude .results.tar.gz . 2>/dev/null \
    && mv "$RES/.results.tar.gz" "$RES/results.tar.gz"
}

probe() {
  uname -a; nproc; free -g | head -2
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv 2>&1 || true
  "$WORK/app/opencl/clinfo" -l 2>&1 || clinfo -l 2>&1 || true
  "$WORK/app/opencl/clinfo" 2>/dev/null | grep -E 'Platform Name|Device Name|Device Version|Driver Version|Max compute units|Global memory size|Max work group size' || true
  "$JAVA" -version 2>&1
  cli engines --json
}

export JAVA WORK ROOT CP
export -f probe cli
for step in "$@"; do
  case "$step" in
    probe) run_step probe probe ;;
    tests|tests=*)
      re="${step#tests}"; re="${re#=}"; [[ -n "$re" ]] || re='.*Test'
      run_step tests "$JAVA" $REFLEX_JVM_FLAGS -jar "$CONSOLE" execute --class-path "$CP" --scan-class-path "$WORK/app/test" \
        --include-classname "io\.reflex\.gpu\.($re)" --exclude-classname '.*PackageStructureTest' \
        --details=tree --disable-banner --reports-dir "$RES/junit" ;;
    jmh=*)
      args="${step#jmh=}"; tag="jmh$n"
      # shellcheck disable=SC2086
      run_step "$tag" "$JAVA" $REFLEX_JVM_FLAGS -cp "$CP" org.openjdk.jmh.Main $args \
        -rf json -rff "$RES/$tag.json" ;;
    demo=*)
      # shellcheck disable=SC2086
      run_step demo cli demo ${step#demo=} --json ;;
    reflex=*)
      # shellcheck disable=SC2086
      run_step reflex cli ${step#reflex=} ;;
    env:*)
      kv="${step#env:}"; k="${kv%%=*}"; v="${kv#*=}"
      [[ "$k" == LD_PRELOAD && "$v" == jsig ]] && v="$WORK/jre/lib/libjsig.so"
      export "$k=$v"; echo "env $k=$v" | tee -a "$SUMMARY" ;;
    unenv:*) unset "${step#unenv:}"; echo "unset ${step#unenv:}" | tee -a "$SUMMARY" ;;
    *) echo "gpu-run: unknown step '$step'" | tee -a "$SUMMARY"; failed=1 ;;
  esac
done
# A JVM that crashed leaves hs_err_pid*.log in its working directory (JMH's forks: here).
for f in "$PWD"/hs_err_pid*.log "$ROOT"/hs_err_pid*.log; do
  [[ -f "$f" ]] && mv "$f" "$RES/logs/" && echo "crash log: $(basename "$f")" | tee -a "$SUMMARY"
done
echo "total $(( $(date +%s) - t0 )) s" | tee -a "$SUMMARY"
pack
exit $failed
