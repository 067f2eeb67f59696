package io.reflex.hdl.lint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.reflex.hdl.sim.Builds;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lint gate (hdl/tb/lint.sh, {@code make -C hdl/tb lint}): {@code verilator --lint-only -Wall} over every
 * parameter set of hdl/tb/lint.cfg must report no warning and no error; the gate itself must fail on a warning and
 * honour a per-line waiver; every waiver in the RTL is a bracketed lint_off/lint_on pair with its reason above it.
 */
class LintGateTest {
    static final Path TB = Builds.HDL.resolve("tb");
    static final Pattern SET_LINE = Pattern.compile("^lint (\\S+) (\\S+): (\\d+) warnings, (\\d+) errors$");
    static final Pattern SUMMARY = Pattern.compile("^lint: (\\d+) warnings, (\\d+) errors in (\\d+) sets \\(.*\\)$");

    static void needVerilator() {
        assumeTrue(Builds.onPath("verilator"), "skipped: verilator is not installed (Debian: apt-get install verilator)");
    }

    /** Runs lint.sh with extra environment (combined output), at most 20 minutes. */
    static Builds.Result lint(Map<String, String> env, String... sets) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("bash", TB.resolve("lint.sh").toString()));
        cmd.addAll(List.of(sets));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Path log = Files.createTempFile("reflex-lint", ".log");
        try {
            Process p = pb.redirectOutput(log.toFile()).start();
            if (!p.waitFor(1200, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("lint.sh timed out after 1200 s");
            }
            return new Builds.Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /** Names of the parameter sets of a lint.cfg, in order. */
    static List<String> sets(Path cfg) throws IOException {
        List<String> names = new ArrayList<>();
        for (String line : Files.readAllLines(cfg, StandardCharsets.UTF_8)) {
            String t = line.strip();
            if (!t.isEmpty() && !t.startsWith("#")) {
                names.add(t.split("\\s+")[0]);
            }
        }
        return names;
    }

    @Test
    @Timeout(1500)
    void everyTopAtEveryParameterSetLintsClean() throws Exception {
        needVerilator();
        List<String> expected = sets(TB.resolve("lint.cfg"));
        // the kernels in both LFADS variants, the shared blocks, and the odd size that hid the SNN bank bug
        assertThat(expected).contains("snn_odd100", "trial_default", "step_full", "rd_master_32", "ctrl_6");
        Builds.Result r = lint(Map.of());
        List<String> seen = new ArrayList<>();
        for (String line : r.output().split("\n")) {
            Matcher m = SET_LINE.matcher(line);
            if (m.matches()) {
                seen.add(m.group(1));
                assertThat(line).as(r.output()).endsWith(": 0 warnings, 0 errors");
            }
        }
        assertThat(seen).as(r.output()).containsExactlyElementsOf(expected);
        String last = r.output().strip().lines().reduce((a, b) -> b).orElse("");
        Matcher s = SUMMARY.matcher(last);
        assertThat(s.matches()).as(r.output()).isTrue();
        assertThat(s.group(1)).as(r.output()).isEqualTo("0");
        assertThat(s.group(2)).as(r.output()).isEqualTo("0");
        assertThat(Integer.parseInt(s.group(3))).isEqualTo(expected.size());
        assertThat(r.exit()).as(r.output()).isZero();
    }

    @Test
    @Timeout(120)
    void theGateFailsOnAWarningAndHonoursAPerLineWaiver(@TempDir Path dir) throws Exception {
        needVerilator();
        Path rtl = dir.resolve("rtl");
        Files.createDirectories(rtl.resolve("common"));
        Files.writeString(rtl.resolve("common/narrow.v"), """
                `default_nettype none
                module narrow (input wire [3:0] a, output wire [7:0] y);
                    assign y = a;
                endmodule
                """);
        Files.writeString(rtl.resolve("common/waived.v"), """
                `default_nettype none
                module waived (input wire [3:0] a, output wire [7:0] y);
                    // lint waiver: the test's reason
                    /* verilator lint_off WIDTH */
                    assign y = a;
                    /* verilator lint_on WIDTH */
                endmodule
                """);
        Path cfg = dir.resolve("lint.cfg");
        Files.writeString(cfg, "# two sets\nbad narrow\nok waived\n");
        Map<String, String> env = Map.of("LINT_CFG", cfg.toString(), "LINT_RTL", rtl.toString(),
                "LINT_OUT", dir.resolve("out").toString());
        Builds.Result bad = lint(env);
        assertThat(bad.exit()).as(bad.output()).isEqualTo(1);
        assertThat(bad.output()).contains("lint bad narrow: 1 warnings, 0 errors", "%Warning-WIDTH",
                "lint ok waived: 0 warnings, 0 errors").containsPattern("lint: 1 warnings, 0 errors in 2 sets");
        Builds.Result ok = lint(env, "ok");
        assertThat(ok.exit()).as(ok.output()).isZero();
        Builds.Result unknown = lint(env, "nosuch");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.output()).contains("no set named nosuch");
    }

    /**
     * Every lint_off is closed by a lint_on of the same rule within 12 lines (one declaration or one instance, never
     * a whole module) and says why in a comment just above.
     */
    @Test
    void everyWaiverIsPerLineWithItsReason() throws IOException {
        Pattern off = Pattern.compile("/\\* verilator lint_off (\\w+) \\*/");
        int waivers = 0;
        List<Path> files;
        try (Stream<Path> s = Files.walk(Builds.HDL.resolve("rtl"))) {
            files = s.filter(p -> p.toString().endsWith(".v")).sorted().toList();
        }
        assertThat(files).isNotEmpty();
        for (Path f : files) {
            List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                Matcher m = off.matcher(lines.get(i));
                if (!m.find()) {
                    continue;
                }
                waivers++;
                String where = f.getFileName() + ":" + (i + 1);
                int j = i - 1;
                boolean reason = false;
                while (j >= 0 && lines.get(j).strip().startsWith("//")) {
                    reason |= lines.get(j).contains("lint waiver: ");
                    j--;
                }
                assertThat(reason).as(where + ": a '// lint waiver: <why>' comment right above").isTrue();
                boolean closed = false;
                for (int k = i + 1; k < Math.min(lines.size(), i + 13); k++) {
                    closed |= lines.get(k).contains("/* verilator lint_on " + m.group(1) + " */");
                }
                assertThat(closed).as(where + ": lint_on " + m.group(1) + " within 12 lines").isTrue();
            }
        }
        assertThat(waivers).isPositive();
    }
}
