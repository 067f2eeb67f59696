# JVM flags for every JVM Reflex starts (same set as reflex.jvm.flags in the parent pom).
# Chronicle's announcer and analytics ping are off: no part of Reflex phones home.
REFLEX_JVM_FLAGS="--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED --add-exports=java.base/sun.nio.ch=ALL-UNNAMED \
--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED --add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED \
--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED \
--add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED \
--add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
--enable-native-access=ALL-UNNAMED \
-Dchronicle.analytics.disable=true -Dchronicle.announcer.disable=true -Dchronicle.disk.monitor.disable=true \
-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"
if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then REFLEX_JAVA="$JAVA_HOME/bin/java"; else REFLEX_JAVA=java; fi
_reflex_java_major="$("$REFLEX_JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | cut -d. -f1)"
if [[ -n "$_reflex_java_major" && "$_reflex_java_major" -ge 24 ]]; then
  REFLEX_JVM_FLAGS="$REFLEX_JVM_FLAGS --sun-misc-unsafe-memory-access=allow"
fi
export REFLEX_JVM_FLAGS REFLEX_JAVA
# Signal chaining: a native library that the JVM loads may install its own signal handlers over HotSpot's (seen on a
# machine with PoCL 5.0 and NVIDIA's OpenCL driver: Aparapi's thread-pool SNN kernel then died of SIGSEGV, exit 139,
# without an hs_err file, while HotSpot uses SIGSEGV itself for safepoint polls and null checks; with the JDK's
# libjsig preloaded the same run completed: docs/benchmarks.md, "Aparapi on a GPU"; PoCL 3.1 installs LLVM's one-shot
# crash handlers over HotSpot's as soon as it lists its devices, and a CI test JVM died of a bare SIGSEGV that way:
# docs/failure-modes.md). REFLEX_PRELOAD is LD_PRELOAD with the JDK's libjsig.so in front, for the launchers to start
# the JVM with; REFLEX_NO_JSIG=1 leaves LD_PRELOAD alone, and the Aparapi engines then refuse to load on Linux.
REFLEX_PRELOAD="${LD_PRELOAD:-}"
if [[ -z "${REFLEX_NO_JSIG:-}" ]]; then
  _reflex_java_bin="$(command -v "$REFLEX_JAVA" 2>/dev/null || true)"
  _reflex_jsig="$(dirname "$(readlink -f "${_reflex_java_bin:-/nonexistent}")")/../lib/libjsig.so"
  if [[ -n "$_reflex_java_bin" && -f "$_reflex_jsig" ]]; then
    REFLEX_PRELOAD="$(readlink -f "$_reflex_jsig")${LD_PRELOAD:+:$LD_PRELOAD}"
  fi
fi
export REFLEX_PRELOAD
