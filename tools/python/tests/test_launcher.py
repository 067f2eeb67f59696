"""The launchers' signal chaining (tools/scripts/jvm-flags.sh): the JVM that ./reflex starts has the JDK's libjsig
preloaded, so that a native library (an OpenCL driver) installing signal handlers cannot take SIGSEGV away from
HotSpot; REFLEX_NO_JSIG=1 opts out; an LD_PRELOAD the user set is kept behind it."""
import os
import subprocess
import tempfile
import unittest

import _support  # noqa: F401

ROOT = os.path.dirname(os.path.dirname(_support.TOOLS))
FLAGS = os.path.join(ROOT, "tools", "scripts", "jvm-flags.sh")

# Prints whether libjsig is mapped into the running JVM (a single-file source program, run by the java launcher).
MAPS_PROGRAM = """
public class Maps {
    public static void main(String[] a) throws Exception {
        boolean mapped = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/maps")).contains("libjsig.so");
        System.out.println(mapped ? "jsig-mapped" : "jsig-absent");
    }
}
"""


def _bash(script, **env):
    e = dict(os.environ)
    e.pop("LD_PRELOAD", None)
    e.pop("REFLEX_NO_JSIG", None)
    e.update(env)
    return subprocess.run(["bash", "-c", "source '%s'; %s" % (FLAGS, script)], env=e, capture_output=True,
                          text=True, timeout=120, check=True).stdout.strip()


class LauncherSignalChainingTest(unittest.TestCase):
    def test_preload_names_the_jdks_libjsig(self):
        preload = _bash('echo "$REFLEX_PRELOAD"')
        self.assertTrue(preload.endswith("/libjsig.so"), preload)
        self.assertTrue(os.path.isfile(preload), preload)

    def test_users_preload_is_kept_behind_it(self):
        preload = _bash('echo "$REFLEX_PRELOAD"', LD_PRELOAD="/opt/x/libmine.so")
        parts = preload.split(":")
        self.assertEqual(2, len(parts), preload)
        self.assertTrue(parts[0].endswith("/libjsig.so"), preload)
        self.assertEqual("/opt/x/libmine.so", parts[1])

    def test_opt_out_leaves_ld_preload_alone(self):
        self.assertEqual("", _bash('echo "$REFLEX_PRELOAD"', REFLEX_NO_JSIG="1"))
        self.assertEqual("/opt/x/libmine.so",
                         _bash('echo "$REFLEX_PRELOAD"', REFLEX_NO_JSIG="1", LD_PRELOAD="/opt/x/libmine.so"))

    def test_a_jvm_started_as_the_launcher_does_has_libjsig_mapped(self):
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "Maps.java")
            with open(src, "w") as f:
                f.write(MAPS_PROGRAM)
            run = 'LD_PRELOAD="$REFLEX_PRELOAD" "$REFLEX_JAVA" \'%s\'' % src
            self.assertEqual("jsig-mapped", _bash(run))
            self.assertEqual("jsig-absent", _bash(run, REFLEX_NO_JSIG="1"))

    def test_the_launcher_execs_the_jvm_with_the_preload(self):
        with open(os.path.join(ROOT, "reflex")) as f:
            exec_lines = [line for line in f if line.lstrip().startswith(("exec ", "LD_PRELOAD="))
                          and "REFLEX_JAVA" in line]
        self.assertEqual(1, len(exec_lines), exec_lines)
        self.assertTrue(exec_lines[0].startswith('LD_PRELOAD="$REFLEX_PRELOAD" exec "$REFLEX_JAVA"'), exec_lines[0])


if __name__ == "__main__":
    unittest.main()
