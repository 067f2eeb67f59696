package io.reflex.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.reflex.runtime.config.ReflexConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * config/reflex.service and its sample config: systemd accepts the unit without a warning, it never restarts after
 * an outcome the operator must see (the daemon's own exit codes), and the sample config is valid.
 */
class ServiceUnitTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path UNIT = ROOT.resolve("config/reflex.service");

    private static String value(String unit, String key) {
        return unit.lines().filter(l -> l.startsWith(key + "=")).map(l -> l.substring(key.length() + 1))
                .findFirst().orElseThrow(() -> new AssertionError("no " + key + " in the unit"));
    }

    @Test
    void systemdAcceptsTheUnitWithoutAWarning(@TempDir Path dir) throws Exception {
        Path analyze = Path.of("/usr/bin/systemd-analyze");
        assumeTrue(Files.isExecutable(analyze), "skipped: systemd-analyze not installed (Debian package systemd)");
        // the unit as installed, with ExecStart pointing at this checkout's launcher (verify checks it exists)
        String unit = Files.readString(UNIT).replace("/opt/reflex/reflex", ROOT.resolve("reflex").toString());
        Path copy = Files.writeString(dir.resolve("reflex.service"), unit);
        Process p = new ProcessBuilder(analyze.toString(), "verify", copy.toString()).redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).as("systemd-analyze verify says nothing about a good unit").isBlank();

        // the check can fail: a misspelt setting is reported
        Path bad = Files.writeString(dir.resolve("bad.service"), unit.replace("Restart=on-failure",
                "Restart=sometimes"));
        Process q = new ProcessBuilder(analyze.toString(), "verify", bad.toString()).redirectErrorStream(true).start();
        String badOut = new String(q.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(q.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(badOut).contains("sometimes");
    }

    @Test
    void theUnitNeverRestartsAfterAFaultTheOperatorMustSee() throws Exception {
        String unit = Files.readString(UNIT);
        assertThat(value(unit, "Restart")).isEqualTo("on-failure");
        List<String> prevent = Arrays.asList(value(unit, "RestartPreventExitStatus").trim().split("\\s+"));
        // a stimulation fault (a restart with stim.armOnStart would re-arm), a journal fault, a refused config
        assertThat(prevent).contains(Integer.toString(StimRun.EXIT_STIM_FAULT),
                Integer.toString(RunJournals.EXIT_JOURNAL_FAULT), Integer.toString(DaemonCommand.EXIT_RUN_FAILED));
        assertThat(value(unit, "KillSignal")).as("SIGTERM is the daemon's clean stop").isEqualTo("SIGTERM");
        assertThat(value(unit, "User")).isEqualTo("reflex");
        assertThat(value(unit, "ExecStart")).contains("daemon --serve --config /etc/reflex/reflex.json");
        // --serve exits 143 on SIGTERM after clean runs: systemd must count that as success, not a failure
        assertThat(value(unit, "SuccessExitStatus").trim().split("\\s+")).contains("143");
        assertThat(value(unit, "Environment")).isEqualTo("REFLEX_LOG_FORMAT=json");
    }

    @Test
    void theSampleConfigIsValidAndWritesWhereTheUnitAllows() {
        ReflexConfig cfg = ReflexConfig.load(ROOT.resolve("config/reflex-service.json"));
        assertThat(cfg.journal.dir).startsWith("/var/lib/reflex");
        assertThat(cfg.control.enabled).isTrue();
        assertThat(cfg.control.bind).isEqualTo("127.0.0.1");
        assertThat(cfg.control.tokenFile).startsWith("/run/reflex/");
        assertThat(cfg.source.lsl.network).as("a lab's site network, not loopback").isEqualTo("default");
    }
}
