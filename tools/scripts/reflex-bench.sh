#!/usr/bin/env bash
# ./reflex bench: runs the JMH suites of every module (or those named) with one command, keeps JMH's JSON results
# and a record of the run, and prints the tables docs/benchmarks.md shows (tools/python/jmh_tables.py).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

ALL_MODULES=(decoders stim fpga-driver gpu-engine runtime/lsl runtime)

usage() {
  cat <<'HELP'
Usage: ./reflex bench [--quick] [--module M]... [--include REGEX] [--out DIR] [--update-docs] [--json]
Runs the JMH benchmarks of the modules (default: decoders stim fpga-driver gpu-engine runtime/lsl runtime), each with -prof gc, and writes
DIR/<module>.json (JMH's own JSON; runtime/lsl as runtime-lsl.json), DIR/run.json (date, commit, machine, JDK, the options) and DIR/tables.md.
  --quick         1 fork, 1 x 1 s warm-up, 3 x 1 s measurement (default: each benchmark's own settings)
  --module M      only this module (repeatable)
  --include REGEX only the benchmarks whose names match (JMH's include pattern)
  --out DIR       where results go (default: bench-results/<UTC date-time>)
  --update-docs   also rewrite the generated block of docs/benchmarks.md from the results
  --json          print one JSON object (DIR, modules, benchmarks run, failures) instead of the tables
Exit codes: 0 every module ran, 1 a module's benchmarks failed to build or run, 2 usage.
HELP
}

quick=0; include=""; out=""; update=0; json=0; modules=()
while (($#)); do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --quick) quick=1 ;;
    --module) shift; [[ $# -gt 0 ]] || { echo "reflex bench: --module needs a module" >&2; exit 2; }
              [[ " ${ALL_MODULES[*]} " == *" $1 "* ]] || { echo "reflex bench: no benchmarks in module '$1'; modules: ${ALL_MODULES[*]}" >&2; exit 2; }
              modules+=("$1") ;;
    --include) shift; [[ $# -gt 0 ]] || { echo "reflex bench: --include needs a pattern" >&2; exit 2; }; include="$1" ;;
    --out) shift; [[ $# -gt 0 ]] || { echo "reflex bench: --out needs a directory" >&2; exit 2; }; out="$1" ;;
    --update-docs) update=1 ;;
    --json) json=1 ;;
    *) echo "reflex bench: unknown option '$1' (--help lists them)" >&2; exit 2 ;;
  esac
  shift
done
((${#modules[@]})) || modules=("${ALL_MODULES[@]}")
out="${out:-bench-results/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"

# shellcheck source=tools/scripts/jvm-flags.sh
source "$ROOT/tools/scripts/jvm-flags.sh"

jmh_opts=(-prof gc -rf json)
((quick)) && jmh_opts+=(-f 1 -wi 1 -w 1s -i 3 -r 1s)

failed=()
for m in "${modules[@]}"; do
  f="${m//\//-}"   # file name of the module's results: runtime/lsl -> runtime-lsl
  echo "reflex bench: $m: building" >&2
  if ! mvn -B -q -pl "$m" -am test-compile dependency:build-classpath -Dmdep.outputFile="$out/$f.cp" \
      -Dmdep.includeScope=test >&2; then
    echo "reflex bench: $m: build failed" >&2; failed+=("$m"); continue
  fi
  echo "reflex bench: $m: running JMH ${include:+(include $include)}" >&2
  # shellcheck disable=SC2086
  if ! LD_PRELOAD="$REFLEX_PRELOAD" "$REFLEX_JAVA" $REFLEX_JVM_FLAGS -cp "$m/target/test-classes:$m/target/classes:$(cat "$out/$f.cp")" \
      org.openjdk.jmh.Main ${include:+"$include"} "${jmh_opts[@]}" -rff "$out/$f.json" -o "$out/$f.log"; then
    echo "reflex bench: $m: JMH failed (see $out/$f.log)" >&2; failed+=("$m")
  fi
  rm -f "$out/$f.cp"
done

commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
cpu="$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //' || true)"
jdk="$("$REFLEX_JAVA" -version 2>&1 | head -1)"
python3 - "$out/run.json" <<PY
import json, sys, os
json.dump({"date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)", "commit": "$commit", "cpus": os.cpu_count(),
           "cpu": """$cpu""", "os": "$(uname -sr)", "jdk": """$jdk""", "quick": bool($quick),
           "include": """$include""", "modules": "${modules[*]}".split(), "failed": "${failed[*]}".split(),
           "load_average": os.getloadavg()[0]}, open(sys.argv[1], "w"), indent=1)
PY

args=("$out")
((update)) && args+=(--update "$ROOT/docs/benchmarks.md")
((json)) && args+=(--json)
python3 "$ROOT/tools/python/jmh_tables.py" "${args[@]}" | tee "$out/$( ((json)) && echo summary.json || echo tables.md)"
((${#failed[@]} == 0)) || { echo "reflex bench: failed: ${failed[*]}" >&2; exit 1; }
