package io.reflex.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code reflex rig --path lsl}: the source, the daemon and the bare relay as separate processes on loopback LSL,
 * this JVM the sink. Every bin of both series is matched; a child that dies ends the run with a clear error; no
 * child outlives the rig.
 */
class RigLslProcessTest {
    private static final String[] QUICK = {"rig", "--path", "lsl", "--rate", "1000", "--channels", "16", "--bin-us",
        "10000", "--warmup-s", "1", "--deadline-us", "1000000"};

    private static String[] args(String... more) {
        String[] a = new String[QUICK.length + more.length];
        System.arraycopy(QUICK, 0, a, 0, QUICK.length);
        System.arraycopy(more, 0, a, QUICK.length, more.length);
        return a;
    }

    private static List<ProcessHandle> children() {
        return ProcessHandle.current().children().filter(ProcessHandle::isAlive).collect(Collectors.toList());
    }

    /** The process's arguments from /proc (ProcessHandle.Info leaves them out for a long command line). */
    private static List<String> arguments(ProcessHandle p) {
        try {
            return List.of(new String(java.nio.file.Files.readAllBytes(java.nio.file.Path.of("/proc",
                    Long.toString(p.pid()), "cmdline")), java.nio.charset.StandardCharsets.UTF_8).split("\0"));
        } catch (java.io.IOException e) {
            return List.of();
        }
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void bothSeriesMatchEveryBinAndTheRatioIsReported(@TempDir Path dir) throws Exception {
        List<ProcessHandle> before = children();
        Path html = dir.resolve("rig-lsl.html");
        Object[] r = CliRunner.run(args("--seconds", "2", "--json", "--report", html.toString()));
        String err = (String) r[2];
        assertThat((Integer) r[0]).as("stderr: %s", err).isZero();
        String out = ((String) r[1]).trim();
        assertThat(out.lines().count()).as("one line").isEqualTo(1);
        JsonNode j = Json.mapper().readTree(out);
        System.out.println(j.toPrettyString().lines().limit(40).collect(Collectors.joining("\n")));

        assertThat(j.get("path").asText()).isEqualTo("lsl");
        // the relay's bins end half a bin (5 samples) after the daemon's, on the same stream
        assertThat(j.get("series_mode").asText()).isEqualTo("interleaved");
        assertThat(j.get("relay_offset_samples").asInt()).isEqualTo(5);
        assertThat(j.get("network").asText()).isEqualTo("loopback");
        JsonNode series = j.get("series");
        assertThat(series).hasSize(2);
        assertThat(series.get(0).get("name").asText()).isEqualTo("reflex");
        assertThat(series.get(1).get("name").asText()).isEqualTo("bare_relay");
        for (JsonNode s : series) {
            // 2 s of 10 ms bins
            assertThat(s.get("expected").asLong()).as(s.get("name").asText()).isEqualTo(200);
            assertThat(s.get("frames").asLong()).as(s.get("name").asText()).isEqualTo(200);
            assertThat(s.get("drops").asLong()).isZero();
            assertThat(s.get("unmatched").asLong()).as("outputs matching no bin").isZero();
            assertThat(s.get("duplicates").asLong()).isZero();
            JsonNode l = s.get("latency_us");
            assertThat(l.get("count").asLong()).isEqualTo(200);
            assertThat(l.get("p50").asDouble()).as("two loopback LSL hops take time").isPositive()
                    .isLessThan(1_000_000);
            assertThat(l.get("p99").asDouble()).isGreaterThanOrEqualTo(l.get("p50").asDouble());
            assertThat(s.get("percentiles").size()).isPositive();
            assertThat(s.get("timeline").size()).isPositive();
        }
        double ratio = j.at("/ratios/p50_vs_bare_relay").asDouble();
        assertThat(ratio).isEqualTo(j.at("/series/0/latency_us/p50").asDouble()
                / j.at("/series/1/latency_us/p50").asDouble(), org.assertj.core.data.Offset.offset(0.01));
        assertThat(j.at("/ratios/p99_vs_bare_relay").isNumber()).isTrue();

        // the real daemon decoded every bin (lead-in included) from the decoder file, without calibrating
        assertThat(j.at("/daemon/decoded_outlet/pushed").asLong()).isEqualTo(300);
        assertThat(j.at("/daemon/decoder_loaded").asText()).endsWith("rig.rxdf");
        assertThat(j.at("/relay/pushed").asLong()).isEqualTo(300);
        assertThat(j.at("/source/samples").asLong()).as("300 bins and the relay's last half bin").isEqualTo(3005);

        // every child process is gone, and they were separate processes
        JsonNode pids = j.get("pids");
        assertThat(pids.size()).isEqualTo(3);
        for (String role : new String[] {"source", "relay", "daemon"}) {
            long pid = pids.get(role).asLong();
            assertThat(pid).isNotEqualTo(ProcessHandle.current().pid());
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).as(role).isNotEqualTo(Optional.of(true));
        }
        assertThat(children()).isEqualTo(before);

        assertThat(Files.readString(html)).contains("bare_relay").contains("p50_vs_bare_relay");

        // the text summary says how the series ran
        assertThat(RigCommand.text(j)).contains("reflex rig: lsl path")
                .contains("the relay's bins ending 5 samples after Reflex's")
                .containsPattern("(?m)^  bare_relay +\\d");
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void theStimulationPathChargesEveryCommandFromItsBinAndLosesNone() throws Exception {
        List<ProcessHandle> before = children();
        // the watchdog relaxed to 0.5 s: at 10 ms bins its default is 30 ms, which a loaded CI machine can exceed
        // a 2 s lead-in: the daemon arms and the policy replay falls into step with it well before the measured bins
        String[] a = args("--seconds", "4", "--json", "--stim-watchdog-us", "500000");
        a[2] = "stim";
        a[java.util.Arrays.asList(a).indexOf("--warmup-s") + 1] = "2";
        Object[] r = CliRunner.run(a);
        String err = (String) r[2];
        assertThat((Integer) r[0]).as("stderr: %s", err).isZero();
        JsonNode j = Json.mapper().readTree(((String) r[1]).trim());
        JsonNode st = j.get("stim");
        System.out.println(st.toPrettyString());
        assertThat(j.get("path").asText()).isEqualTo("stim");
        JsonNode series = j.get("series");
        assertThat(series).hasSize(3);
        assertThat(series.get(0).get("name").asText()).isEqualTo("reflex_stim");
        assertThat(series.get(1).get("name").asText()).isEqualTo("reflex");
        assertThat(series.get(2).get("name").asText()).isEqualTo("bare_relay");
        JsonNode s0 = series.get(0);
        // the replay of the daemon's policy over the decoded values found firings, and every one brought its command
        assertThat(s0.get("expected").asLong()).as("firings in 4 s").isPositive()
                .isEqualTo(st.get("expected_firings_measured").asLong());
        assertThat(s0.get("frames").asLong()).isEqualTo(s0.get("expected").asLong());
        assertThat(s0.get("drops").asLong()).isZero();
        assertThat(s0.get("unmatched").asLong()).as("commands from bins the policy does not fire on").isZero();
        // every command the daemon accepted reached the stimulator, and nothing else did
        assertThat(st.get("commands_received").asLong()).isEqualTo(st.get("commands_accepted").asLong());
        assertThat(st.get("accepted_not_received").asLong()).isZero();
        assertThat(st.get("received_not_journaled").asLong()).isZero();
        assertThat(st.get("outside_schedule").asLong()).isZero();
        assertThat(st.get("stimulator_violations").asLong()).isZero();
        assertThat(st.get("fault").asText()).as("the tail keeps frames coming until the rig stops the daemon")
                .isEqualTo("none");
        assertThat(st.get("stop_all_received").asLong()).as("the daemon disarmed at its end").isPositive();
        // a command's latency includes its decision: per command, so per percentile
        JsonNode l = s0.get("latency_us");
        assertThat(l.get("p50").asDouble()).isGreaterThanOrEqualTo(
                st.at("/stage_latency_us/bin_to_decision/p50").asDouble());
        assertThat(l.get("count").asLong()).isEqualTo(s0.get("frames").asLong());
        assertThat(j.at("/ratios/p50_vs_bare_relay").isNumber()).isTrue();
        assertThat(j.at("/ratios/decoded_p50_vs_bare_relay").isNumber()).isTrue();
        assertThat(series.get(1).get("drops").asLong()).isZero();
        assertThat(children()).isEqualTo(before);
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void aModelDecoderIsCalibratedByTheDaemonOnTheStreamsVelocityAndMeasuredOnItsEngine() throws Exception {
        List<ProcessHandle> before = children();
        Object[] r = CliRunner.run(args("--seconds", "2", "--json", "--decoder", "snn", "--engine", "cpu-fixed"));
        String err = (String) r[2];
        assertThat((Integer) r[0]).as("stderr: %s", err).isZero();
        JsonNode j = Json.mapper().readTree(((String) r[1]).trim());
        assertThat(j.get("decoder").asText()).isEqualTo("snn");
        assertThat(j.get("engine").asText()).isEqualTo("cpu-fixed");
        // no decoder file: the daemon recorded its calibration block from the stream's vx, vy channels and fitted
        assertThat(j.at("/daemon/decoder_loaded").isMissingNode() || j.at("/daemon/decoder_loaded").isNull()
                || j.at("/daemon/decoder_loaded").asText().isEmpty()).as("no decoder file").isTrue();
        assertThat(j.at("/daemon/calibration_frames").asLong()).isEqualTo(250);
        assertThat(j.at("/daemon/engine_chain/0/name").asText()).isEqualTo("cpu-fixed");
        assertThat(j.at("/daemon/engine_chain/0/frames").asLong()).isPositive();
        assertThat(j.at("/lead_in_s").asDouble()).as("calibration, fit allowance and warm-up").isGreaterThan(8);
        for (JsonNode s : j.get("series")) {
            assertThat(s.get("expected").asLong()).as(s.get("name").asText()).isEqualTo(200);
            assertThat(s.get("frames").asLong()).as(s.get("name").asText()).isEqualTo(200);
            assertThat(s.get("unmatched").asLong()).as("%s; daemon %s", s.get("name"), j.get("daemon")).isZero();
        }
        assertThat(children()).isEqualTo(before);
    }

    @Test
    void theStimulationPathRefusesWhatItCannotMeasure() throws Exception {
        Object[] r = CliRunner.run("rig", "--path", "stim", "--seconds", "2", "--warmup-s", "0");
        assertThat((Integer) r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("--path stim needs --warmup-s ≥ 1");
        r = CliRunner.run("rig", "--path", "stim", "--seconds", "2", "--bin-us", "2000");
        assertThat((Integer) r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("--bin-us ≥ 4000");
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void aDaemonThatDiesEndsTheRunWithItsNameAndNoChildIsLeft() throws Exception {
        List<ProcessHandle> before = children();
        CompletableFuture<Object[]> run = CompletableFuture.supplyAsync(() -> CliRunner.run(args("--seconds", "30")));
        // the daemon is the child whose command line runs 'daemon': kill it as soon as it exists
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        Optional<ProcessHandle> daemon = Optional.empty();
        while (daemon.isEmpty() && !run.isDone() && System.nanoTime() < deadline) {
            daemon = ProcessHandle.current().children().filter(p -> arguments(p).contains("daemon")).findFirst();
            java.util.concurrent.locks.LockSupport.parkNanos(5_000_000);
        }
        assertThat(daemon).as("the rig started a daemon process; the rig's result: %s",
                run.isDone() ? List.of(run.join()) : "still running").isPresent();
        daemon.get().destroyForcibly();
        Object[] r = run.get(180, TimeUnit.SECONDS);
        String err = (String) r[2];
        System.out.println(err);
        assertThat((Integer) r[0]).as("stderr: %s", err).isEqualTo(RigCommand.EXIT_FAILED);
        assertThat(err).contains("reflex rig: the lsl run failed:").contains("the daemon process (pid "
                + daemon.get().pid() + ") ended");
        assertThat((String) r[1]).isEmpty();
        assertThat(children()).isEqualTo(before);
    }
}
