package io.reflex.tools;

import io.reflex.lsl.ChannelFormat;
import io.reflex.lsl.InletOptions;
import io.reflex.lsl.JavaLsl;
import io.reflex.lsl.LslBackend;
import io.reflex.lsl.LslConfig;
import io.reflex.lsl.LslError;
import io.reflex.lsl.Resolver;
import io.reflex.lsl.StreamInfo;
import io.reflex.lsl.StreamInlet;
import io.reflex.lsl.StreamOutlet;
import io.reflex.lsl.nativelsl.NativeLsl;
import java.util.Arrays;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code reflex lsl}: LSL installation checks. */
@Command(name = "lsl", mixinStandardHelpOptions = true, header = "LSL installation checks.",
        subcommands = {LslCommand.Check.class})
final class LslCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(System.err);
        return 2;
    }

    /**
     * {@code reflex lsl check}: publishes a stream of its own on loopback, resolves it (by name, and with the
     * empty query), opens an inlet, pushes and pulls samples, and measures the time correction. Exit codes: 0 ok,
     * 1 a step failed, 2 usage, 3 the library asked for (liblsl) cannot be loaded.
     */
    @Command(name = "check", mixinStandardHelpOptions = true,
            header = "Check an LSL backend on this machine: resolve, full info, push, pull, time correction.",
            description = {"Publishes its own stream on loopback only (127.0.0.1, no multicast), then resolves it by"
                    + " name and with the empty query, opens an inlet, pushes and pulls samples (values and"
                    + " timestamps compared exactly) and measures the time correction (same machine: within"
                    + " 10 ms of 0). Exit codes: 0 ok, 1 a step failed, 2 usage, 3 liblsl cannot be loaded."
                    + " liblsl is found on -Djna.library.path (REFLEX_JAVA_OPTS) or the system library path, or"
                    + " at -Dreflex.lsl.library=/path/to/liblsl.so."})
    static final class Check implements Callable<Integer> {
        /** Samples pushed and pulled. */
        static final int SAMPLES = 20;
        /** Largest time correction accepted between two ends on one machine, seconds. */
        static final double SAME_MACHINE_MAX_CORRECTION_S = 0.010;

        @Option(names = "--backend", paramLabel = "NAME", defaultValue = "auto",
                description = "java, native (liblsl through JNA) or auto (default: ${DEFAULT-VALUE}).")
        String backendName;

        @Option(names = "--timeout", paramLabel = "S", defaultValue = "5.0",
                description = "Bound on each step, seconds, in (0, 60] (default: ${DEFAULT-VALUE}).")
        double timeoutS;

        @Option(names = "--json", description = "Print one JSON object on stdout.")
        boolean json;

        private final Json.Obj out = Json.object();
        private String step = "setup";

        @Override
        public Integer call() {
            String which = backendName.trim().toLowerCase(Locale.ROOT);
            if (!Arrays.asList("java", "native", "auto").contains(which)) {
                System.err.println("reflex lsl check: --backend must be java, native or auto, got '" + backendName
                        + "'");
                return 2;
            }
            if (!(timeoutS > 0 && timeoutS <= 60)) {
                System.err.println("reflex lsl check: --timeout must be in (0, 60] s, got " + timeoutS);
                return 2;
            }
            String liblsl = NativeLsl.unavailableReason();
            out.put("requested", which).put("network", "loopback")
                    .put("liblsl", liblsl == null ? "loaded" : "unavailable: " + liblsl);
            if (liblsl != null && which.equals("native")) {
                out.put("ok", false).put("failed_step", "load").put("error", "liblsl cannot be loaded: " + liblsl);
                return finish(3);
            }
            LslConfig cfg = LslConfig.loopback().conclude();
            LslBackend backend;
            try {
                backend = which.equals("java") || liblsl != null ? new JavaLsl(cfg, LslError.logging())
                        : new NativeLsl(cfg);
            } catch (RuntimeException e) {
                out.put("ok", false).put("failed_step", "setup").put("error", e.getMessage());
                return finish(1);
            }
            out.put("backend", backend.name());
            if (backend instanceof NativeLsl n) {
                out.put("library_version", n.libraryVersion());
            }
            try {
                run(backend);
                out.put("ok", true);
                return finish(0);
            } catch (RuntimeException | AssertionError e) {
                out.put("ok", false).put("failed_step", step).put("error", String.valueOf(e.getMessage()));
                return finish(1);
            }
        }

        private void run(LslBackend backend) {
            String name = "reflex-check-" + UUID.randomUUID().toString().substring(0, 8);
            out.put("stream", name);
            step = "outlet";
            StreamInfo described = StreamInfo.builder(name, "ReflexCheck", 2, 0, ChannelFormat.DOUBLE64, name).build();
            described.desc().appendChild("channels").appendChild("channel").appendChildValue("label", "check");
            try (StreamOutlet outlet = backend.createOutlet(described)) {
                step = "resolve";
                long t0 = System.nanoTime();
                java.util.List<StreamInfo> found = backend.resolve(Resolver.byProperty("name", name), 1, timeoutS);
                out.put("resolve_ms", (System.nanoTime() - t0) / 1e6);
                need(found.size() == 1, "resolve by name found " + found.size() + " streams within " + timeoutS
                        + " s (expected 1)");
                step = "resolve_all";
                boolean listed = backend.resolve("", 0, Math.min(1.0, timeoutS)).stream()
                        .anyMatch(i -> i.name().equals(name));
                out.put("resolve_all_found", listed);
                need(listed, "the empty query (all streams) did not list the stream");
                try (StreamInlet in = backend.createInlet(found.get(0), new InletOptions())) {
                    step = "full_info";
                    StreamInfo full = in.fullInfo(timeoutS);
                    need(full.channelCount() == 2 && "check".equals(full.desc().child("channels").child("channel")
                            .childValue("label")), "full info lacks the desc sent: " + full);
                    step = "open";
                    in.open(timeoutS);
                    need(outlet.waitForConsumers(timeoutS), "the outlet saw no consumer within " + timeoutS + " s");
                    pushPull(backend, outlet, in);
                    step = "time_correction";
                    double tc = in.timeCorrection(timeoutS);
                    out.put("time_correction_us", tc * 1e6);
                    need(Double.isFinite(tc), "no time correction within " + timeoutS + " s");
                    need(Math.abs(tc) <= SAME_MACHINE_MAX_CORRECTION_S, "time correction " + tc * 1e6
                            + " us on one machine (expected within " + SAME_MACHINE_MAX_CORRECTION_S * 1e3 + " ms)");
                }
            }
            step = "done";
        }

        private void pushPull(LslBackend backend, StreamOutlet outlet, StreamInlet in) {
            double[] latencyUs = new double[SAMPLES];
            double[] v = new double[2];
            int pulled = 0;
            for (int i = 0; i < SAMPLES; i++) {
                step = "push";
                double ts = backend.localClock();
                outlet.pushSample(new double[] {i, -0.5 * i}, ts);
                out.put("pushed", i + 1);
                step = "pull";
                double got = in.pullSample(v, timeoutS);
                double now = backend.localClock();
                need(got != 0.0, "sample " + i + " not pulled within " + timeoutS + " s");
                need(got == ts && v[0] == i && v[1] == -0.5 * i, "sample " + i + " came back as " + Arrays.toString(v)
                        + " @ " + got + ", pushed " + i + ", " + (-0.5 * i) + " @ " + ts);
                latencyUs[i] = (now - ts) * 1e6;
                out.put("pulled", ++pulled);
            }
            Arrays.sort(latencyUs);
            out.put("latency_us_median", latencyUs[SAMPLES / 2]).put("latency_us_max", latencyUs[SAMPLES - 1]);
        }

        private static void need(boolean ok, String why) {
            if (!ok) {
                throw new IllegalStateException(why);
            }
        }

        private int finish(int code) {
            out.put("exit_code", code);
            if (json) {
                System.out.println(out.toJson());
            } else {
                out.node().fields().forEachRemaining(f -> System.out.println(f.getKey() + " = " + f.getValue()));
            }
            if (code != 0) {
                System.err.println("reflex lsl check: " + out.node().path("error").asText());
            }
            return code;
        }
    }
}
