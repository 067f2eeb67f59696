#!/usr/bin/env bash
# Packs the Aparapi engine's bit-exactness tests, its JMH benchmarks, the CLI and a Java 17 runtime into one archive,
# for a Linux x86-64 machine that has an OpenCL GPU but no JDK or Maven (a lent GPU box, a cloud instance). There,
# tools/scripts/gpu-run.sh unpacks it, finds the OpenCL driver and runs the checks (docs/benchmarks.md, "Aparapi on a
# GPU"). On a machine with a JDK and Maven, `./reflex bench --module gpu-engine` and `./reflex test` do the same.
#
# Usage: tools/scripts/gpu-bundle.sh [DIR]      (default DIR: .gpu, which git ignores)
# Writes DIR/reflex-gpu.tar.xz (about 40 MB) holding:
#   jre/        jlink'd from this machine's JDK 17 (java.se, jdk.unsupported, jdk.compiler, jdk.management, ...)
#   app/cp/     the CLI's shaded jar unpacked, with the native libraries of other platforms left out (Windows, macOS,
#               32-bit and non-x86 Linux copies of libaparapi, jnidispatch and jffi)
#   app/test/   gpu-engine's test classes and JMH benchmarks (with JMH's generated BenchmarkList)
#   app/lib/    JMH (with jopt-simple and commons-math3), JUnit's console launcher, AssertJ
#   app/opencl/ Debian's ocl-icd libOpenCL.so.1 and clinfo, used only where the target has no OpenCL loader
#   app/BUILD   the commit and date it was packed from
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUTDIR="${1:-$ROOT/.gpu}"
cd "$ROOT"

command -v jlink >/dev/null || { echo "gpu-bundle: jlink not found (a JDK 17 is needed, not a JRE)" >&2; exit 1; }
command -v xz >/dev/null || { echo "gpu-bundle: xz not found (apt-get install xz-utils)" >&2; exit 1; }

STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$OUTDIR" "$STAGE/app/cp" "$STAGE/app/test" "$STAGE/app/lib" "$STAGE/app/opencl"

echo "gpu-bundle: building the CLI jar and gpu-engine's test classes (tests not run)..." >&2
mvn -B -q -DskipTests package -pl tools -am
mvn -B -q -pl gpu-engine -am test-compile dependency:build-classpath \
    -Dmdep.outputFile="$STAGE/cp.txt" -Dmdep.includeScope=test

# The CLI, unpacked (xz packs classes far better than the jar's deflate), without other platforms' natives.
(cd "$STAGE/app/cp" && unzip -q "$ROOT/tools/target/reflex.jar" \
   -x 'win/*' 'osx/*' 'linux/libaparapi_x86.so' 'linux/libaparapi_armhf.so' 'linux/libaparapi_aarch64.so' \
      'com/sun/jna/win32*' 'com/sun/jna/darwin*' 'com/sun/jna/sunos*' 'com/sun/jna/aix*' 'com/sun/jna/freebsd*' \
      'com/sun/jna/openbsd*' 'com/sun/jna/dragonfly*' 'com/sun/jna/linux-[a-wy-z]*' 'com/sun/jna/linux-x86/*' \
      'jni/*-Windows/*' 'jni/*-AIX/*' 'jni/Darwin/*' 'jni/*-OpenBSD/*' 'jni/*-FreeBSD/*' 'jni/*-SunOS/*' \
      'jni/*-DragonFlyBSD/*' 'jni/aarch64-Linux/*' 'jni/arm-Linux/*' 'jni/i386-Linux/*' 'jni/ppc*' 'jni/s390x-Linux/*' \
      'jni/mips*' 'jni/loongarch64-Linux/*' 'jni/sparc*')
cp -r gpu-engine/target/test-classes/. "$STAGE/app/test/"

# Test and benchmark libraries that the CLI jar does not hold (it has decoders, aparapi, jackson, scala, ...).
tr ':' '\n' <"$STAGE/cp.txt" | grep -E '/(jmh-core|jopt-simple|commons-math3|assertj-core)-[0-9][^/]*\.jar$' \
  | xargs -I{} cp {} "$STAGE/app/lib/"
CONSOLE="$HOME/.m2/repository/org/junit/platform/junit-platform-console-standalone/1.14.4/junit-platform-console-standalone-1.14.4.jar"
if [[ ! -f "$CONSOLE" ]]; then
  mvn -B -q dependency:get -Dartifact=org.junit.platform:junit-platform-console-standalone:1.14.4 -Dtransitive=false
fi
cp "$CONSOLE" "$STAGE/app/lib/"

# An OpenCL loader and clinfo for a target without them (Debian 12 builds; they need only glibc).
(cd "$STAGE" && apt-get download ocl-icd-libopencl1 clinfo >/dev/null 2>&1) || {
  echo "gpu-bundle: apt-get download ocl-icd-libopencl1 clinfo failed; the target must bring its own loader" >&2; }
for d in "$STAGE"/*.deb; do [[ -f "$d" ]] && dpkg-deb -x "$d" "$STAGE/deb"; done
if [[ -d "$STAGE/deb" ]]; then
  find "$STAGE/deb" -name 'libOpenCL.so*' -exec cp -P {} "$STAGE/app/opencl/" \;
  find "$STAGE/deb" -path '*bin/clinfo' -exec cp {} "$STAGE/app/opencl/" \;
fi

jlink --add-modules java.se,jdk.unsupported,jdk.compiler,jdk.management,jdk.zipfs,jdk.crypto.ec \
      --strip-debug --no-header-files --no-man-pages --output "$STAGE/jre" >/dev/null
{ echo "commit $(git rev-parse HEAD)$(git diff --quiet HEAD || echo ' (with uncommitted changes)')";
  echo "packed $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n)"; "$STAGE/jre/bin/java" -version 2>&1 | head -1; } \
  >"$STAGE/app/BUILD"

tar -C "$STAGE" -cf - jre app | xz -T0 -6 >"$OUTDIR/reflex-gpu.tar.xz"
ls -l "$OUTDIR/reflex-gpu.tar.xz" >&2
