package io.reflex.tools;

import io.reflex.lsl.ChannelFormat;
import io.reflex.lsl.InletOptions;
import io.reflex.lsl.LslBackend;
import io.reflex.lsl.LslClock;
import io.reflex.lsl.LslConfig;
import io.reflex.runtime.lsl.LslSampleSource;
import io.reflex.lsl.StreamInfo;
import io.reflex.lsl.StreamInlet;
import io.reflex.lsl.StreamOutlet;
import io.reflex.lsl.XmlElement;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code reflex task}: a center-out task program playing the task software's part in a lab (docs/lab-setup.md). It
 * publishes the cursor kinematics with the simulated user's intended velocity (the stream the daemon calibrates on,
 * and that {@code reflex source --driven-by} tunes its simulated cortex to) and a marker stream, reads the daemon's
 * decoded output, and once calibration is over moves the cursor by the decoded velocity; it reports success rate,
 * time to target, the decoded samples received and missed, and the loop's latency.
 */
@Command(name = "task", mixinStandardHelpOptions = true,
        header = "Run a center-out task against the daemon's decoded output over LSL (use --loopback on shared"
                + " machines).",
        description = {"Play the task software's part of a closed loop (docs/lab-setup.md): publish the cursor"
                + " kinematics (px, py: cursor; vx, vy: intended velocity) and string markers, read Reflex's decoded"
                + " output, and after calibration move the cursor by it. Prints a summary (one JSON object with"
                + " --json)."})
final class TaskCommand implements Callable<Integer> {
    /** Type of the marker stream. */
    static final String MARKERS_TYPE = "Markers";

    @Option(names = "--kinematics-stream", paramLabel = "NAME", defaultValue = "TaskKinematics",
            description = "Name and source_id of the kinematics stream published (default: ${DEFAULT-VALUE}).")
    String kinematicsName;

    @Option(names = "--markers-stream", paramLabel = "NAME", defaultValue = "TaskMarkers",
            description = "Name and source_id of the marker stream published (default: ${DEFAULT-VALUE}).")
    String markersName;

    @Option(names = "--decoded-stream", paramLabel = "NAME", defaultValue = "reflex-decoded",
            description = "Name of the daemon's decoded-output stream read (default: ${DEFAULT-VALUE}).")
    String decodedName;

    @Option(names = "--rate", paramLabel = "HZ", defaultValue = "100",
            description = "Task frame rate: kinematics samples per second (default: ${DEFAULT-VALUE}).")
    double rateHz;

    @Option(names = "--targets", defaultValue = "8", description = "Targets on the circle (default: ${DEFAULT-VALUE}).")
    int targets;

    @Option(names = "--radius-m", defaultValue = "0.10",
            description = "Distance of the targets from the centre, m (default: ${DEFAULT-VALUE}).")
    double radiusM;

    @Option(names = "--window-m", defaultValue = "0.025",
            description = "Radius of the target window, m (default: ${DEFAULT-VALUE}).")
    double windowM;

    @Option(names = "--hold-ms", defaultValue = "200",
            description = "Time the cursor must stay in the window (default: ${DEFAULT-VALUE}).")
    double holdMs;

    @Option(names = "--trial-timeout-s", defaultValue = "5",
            description = "A trial not completed in this time is a timeout (default: ${DEFAULT-VALUE}).")
    double trialTimeoutS;

    @Option(names = "--iti-ms", defaultValue = "300",
            description = "Inter-trial interval, cursor at the centre (default: ${DEFAULT-VALUE}).")
    double itiMs;

    @Option(names = "--speed-mps", defaultValue = "0.25",
            description = "Largest intended speed, m/s (default: ${DEFAULT-VALUE}).")
    double speedMps;

    @Option(names = "--seed", defaultValue = "1", description = "Target order seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--seconds", defaultValue = "60",
            description = "Run time; 0 runs until stopped (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--calibration-seconds", defaultValue = "0",
            description = "Hand the cursor to the decoder this long after the first decoded sample; 0 (default):"
                    + " at the first decoded sample that is not all zero (Reflex sends exactly zero, its safe output,"
                    + " until its decoder is installed).")
    double calibrationSeconds;

    @Option(names = "--decoded-silence-s", defaultValue = "2",
            description = "After decoded samples began, a silence this long ends the run (default:"
                    + " ${DEFAULT-VALUE}); a fault (exit 3) unless --until-decoded-ends.")
    double decodedSilenceS;

    @Option(names = "--until-decoded-ends",
            description = "The decoded stream stopping (the daemon's run ended) ends the run normally.")
    boolean untilDecodedEnds;

    @Option(names = "--json", description = "Print the summary as one JSON object on stdout.")
    boolean json;

    @Option(names = {"-q", "--quiet"}, description = "No start-up line on stderr.")
    boolean quiet;

    @Mixin
    LslOptions lsl = new LslOptions();

    private volatile StreamInlet decoded;
    private volatile boolean closing;
    private volatile String decodedError;

    @Override
    public Integer call() throws Exception {
        String bad = check();
        if (bad != null) {
            System.err.println("reflex task: " + bad);
            return 2;
        }
        CenterOutTask.Context tc = new CenterOutTask.Context();
        tc.targets = targets;
        tc.radiusM = radiusM;
        tc.windowM = windowM;
        tc.holdS = holdMs * 1e-3;
        tc.trialTimeoutS = trialTimeoutS;
        tc.itiS = itiMs * 1e-3;
        tc.maxSpeedMps = speedMps;
        tc.seed = seed;
        LslBackend backend;
        try {
            tc.conclude();
            LslConfig cfg = lsl.config();
            backend = lsl.backend(cfg);
        } catch (RuntimeException e) {
            System.err.println("reflex task: " + e.getMessage());
            return 2;
        }
        CountDownLatch done = new CountDownLatch(1);
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stopped.countDown();
            try {
                done.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "reflex-task-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        StreamOutlet kin = null;
        StreamOutlet markers = null;
        Thread resolver = null;
        try {
            kin = backend.createOutlet(kinematicsInfo());
            markers = backend.createOutlet(StreamInfo.builder(markersName, MARKERS_TYPE, 1, 0, ChannelFormat.STRING,
                    markersName).build());
            if (!quiet) {
                System.err.println("reflex task: publishing '" + kinematicsName + "' (px, py, vx, vy at " + rateHz
                        + " Hz) and markers '" + markersName + "'; waiting for decoded output '" + decodedName + "', "
                        + lsl.mode() + ", backend " + backend.name());
            }
            Run run = new Run(tc, kin, markers);
            resolver = new Thread(() -> resolveDecoded(backend, run), "reflex-task-resolve");
            resolver.setDaemon(true);
            resolver.start();
            run.loop(() -> stopped.getCount() == 0);
            return report(run, stopped.getCount() == 0, backend.name());
        } finally {
            closing = true;
            if (resolver != null) {
                resolver.join(3_000);
            }
            StreamInlet in = decoded;
            if (in != null) {
                in.close();
            }
            if (markers != null) {
                markers.close();
            }
            if (kin != null) {
                kin.close();
            }
            done.countDown();
            if (stopped.getCount() != 0) {
                Runtime.getRuntime().removeShutdownHook(hook);
            }
        }
    }

    private String check() {
        for (String[] n : new String[][] {{"--kinematics-stream", kinematicsName}, {"--markers-stream", markersName},
                {"--decoded-stream", decodedName}}) {
            if (n[1].isBlank() || n[1].length() > 256) {
                return n[0] + " needs a name of 1 to 256 characters";
            }
        }
        if (!(rateHz >= 1 && rateHz <= 10_000)) {
            return "--rate must be in [1, 10000] Hz, got " + rateHz;
        }
        if (!(seconds >= 0 && seconds <= 86_400)) {
            return "--seconds must be in [0, 86400], got " + seconds;
        }
        if (!(calibrationSeconds >= 0 && calibrationSeconds <= 86_400)) {
            return "--calibration-seconds must be in [0, 86400], got " + calibrationSeconds;
        }
        if (!(decodedSilenceS >= 0.1 && decodedSilenceS <= 3600)) {
            return "--decoded-silence-s must be in [0.1, 3600], got " + decodedSilenceS;
        }
        return null;
    }

    private StreamInfo kinematicsInfo() {
        StreamInfo.Builder b = StreamInfo.builder(kinematicsName, "Kinematics", 4, rateHz, ChannelFormat.FLOAT32,
                kinematicsName);
        XmlElement chans = b.desc().appendChild("channels");
        for (String label : new String[] {"px", "py", "vx", "vy"}) {
            chans.appendChild("channel").appendChildValue("label", label)
                    .appendChildValue("unit", label.startsWith("p") ? "m" : "m/s")
                    .appendChildValue("type", label.startsWith("p") ? "CursorPosition" : "IntendedVelocity");
        }
        b.desc().appendChildValue("producer", "reflex task");
        return b.build();
    }

    /** Resolves the decoded stream (until found or the run ends) and opens a time-corrected inlet on it. */
    private void resolveDecoded(LslBackend backend, Run run) {
        String predicate = new LslSampleSource.Selector().name(decodedName).predicate();
        while (!closing && !run.over) {
            List<StreamInfo> found = backend.resolve(predicate, 1, 1.0);
            if (found.isEmpty()) {
                continue;
            }
            StreamInlet in = backend.createInlet(found.get(0), new InletOptions().postprocessClockSync(true));
            try {
                StreamInfo full = in.fullInfo(5.0);
                if (full.channelCount() < 2 || full.channelFormat() == ChannelFormat.STRING) {
                    decodedError = "decoded stream '" + decodedName + "' has " + full.channelCount() + " "
                            + full.channelFormat() + " channels; want at least 2 numeric ones (vx, vy)";
                    in.close();
                    return;
                }
                in.open(5.0);
                run.decodedChannels = full.channelCount();
                run.binS = full.nominalSrate() > 0 ? 1 / full.nominalSrate() : 0.02;
                decoded = in;
                return;
            } catch (RuntimeException e) {
                in.close();
            }
        }
    }

    /** The task loop and its figures; owned by the calling thread. */
    private final class Run implements CenterOutTask.Markers {
        final CenterOutTask task;
        final StreamOutlet kin;
        final StreamOutlet markers;
        final float[] kinSample = new float[4];
        final String[] markerSample = new String[1];
        volatile boolean over;
        volatile int decodedChannels;
        volatile double binS;
        double[] value;
        long frames;
        long markersSent;
        long received;
        long missed;
        long receivedUnderControl;
        double firstDecodedS = Double.NaN;
        double lastDecodedTs = Double.NaN;
        double lastDecodedArrivalS = Double.NaN;
        double controlStartS = Double.NaN;
        double[] latenciesMs = new double[4096];
        int latencyCount;
        String ending = "completed";
        final double startS;

        Run(CenterOutTask.Context tc, StreamOutlet kin, StreamOutlet markers) {
            this.kin = kin;
            this.markers = markers;
            this.startS = LslClock.now();
            this.task = new CenterOutTask(tc, this, startS);
        }

        @Override
        public void mark(String text, double timeS) {
            markerSample[0] = text;
            markers.pushSample(markerSample, timeS);
            markersSent++;
        }

        void loop(java.util.function.BooleanSupplier stop) {
            long periodNs = (long) (1e9 / rateHz);
            long startNs = (long) (startS * 1e9);
            long endNs = seconds > 0 ? startNs + (long) (seconds * 1e9) : Long.MAX_VALUE;
            long next = startNs;
            while (!stop.getAsBoolean()) {
                long now = System.nanoTime();
                if (now - endNs >= 0) {
                    break;
                }
                if (decodedError != null) {
                    ending = "decoded-stream-unusable";
                    break;
                }
                if (now - next >= 0) {
                    frame(next * 1e-9, periodNs * 1e-9);
                    next += periodNs;
                    if (silent(now * 1e-9)) {
                        break;
                    }
                    continue;
                }
                StreamInlet in = decoded;
                if (in == null) {
                    LockSupport.parkNanos(next - now);
                    continue;
                }
                if (value == null) {
                    value = new double[decodedChannels];
                }
                double ts = in.pullSample(value, (next - now) * 1e-9);
                if (ts != 0.0) {
                    onDecoded(ts, LslClock.now());
                }
            }
            over = true;
            task.finish(LslClock.now());
        }

        private boolean silent(double nowS) {
            if (Double.isNaN(lastDecodedArrivalS) || nowS - lastDecodedArrivalS < decodedSilenceS) {
                return false;
            }
            ending = untilDecodedEnds ? "decoded-stream-ended" : "decoded-stream-lost";
            return true;
        }

        private void frame(double nowS, double dtS) {
            task.step(nowS, dtS);
            kinSample[0] = (float) task.cursorX();
            kinSample[1] = (float) task.cursorY();
            kinSample[2] = (float) task.intentX();
            kinSample[3] = (float) task.intentY();
            kin.pushSample(kinSample, nowS);
            frames++;
        }

        private void onDecoded(double ts, double arrivalS) {
            received++;
            if (Double.isNaN(firstDecodedS)) {
                firstDecodedS = arrivalS;
            } else if (ts > lastDecodedTs) {
                long gap = Math.round((ts - lastDecodedTs) / binS) - 1;
                if (gap > 0) {
                    missed += gap;
                }
            }
            lastDecodedTs = ts;
            lastDecodedArrivalS = arrivalS;
            if (latencyCount == latenciesMs.length) {
                latenciesMs = Arrays.copyOf(latenciesMs, latenciesMs.length * 2);
            }
            latenciesMs[latencyCount++] = (arrivalS - ts) * 1e3;
            if (!task.decoderControl()) {
                boolean start = calibrationSeconds > 0 ? arrivalS - firstDecodedS >= calibrationSeconds
                        : value[0] != 0 || value[1] != 0;
                if (start) {
                    controlStartS = arrivalS;
                    task.startDecoderControl(arrivalS);
                }
            }
            if (task.decoderControl()) {
                receivedUnderControl++;
                task.applyDecoded(value[0], value[1], binS);
            }
        }
    }

    private int report(Run r, boolean stopped, String backendName) {
        double elapsed = LslClock.now() - r.startS;
        if (stopped) {
            r.ending = "stopped";
        }
        double[] tt = r.task.timesToTargetS();
        double[] lat = Arrays.copyOf(r.latenciesMs, r.latencyCount);
        long trials = r.task.trials();
        double rate = trials == 0 ? Double.NaN : (double) r.task.successes() / trials;
        double controlS = Double.isNaN(r.controlStartS) ? Double.NaN : r.controlStartS - r.startS;
        if (json) {
            System.out.println(Json.object().put("ending", r.ending)
                    .put("kinematics_stream", kinematicsName).put("markers_stream", markersName)
                    .put("decoded_stream", decodedName).put("seconds", round(elapsed, 1000))
                    .put("rate_hz", rateHz).put("frames", r.frames).put("markers", r.markersSent)
                    .put("decoder_control", r.task.decoderControl()).put("control_start_s", round(controlS, 1000))
                    .put("calibration_trials", r.task.calibrationTrials())
                    .put("trials", trials).put("successes", r.task.successes()).put("timeouts", r.task.timeouts())
                    .put("success_rate", round(rate, 1000))
                    .put("time_to_target_ms", Json.object()
                            .put("median", round(CenterOutTask.quantile(tt, 0.5) * 1e3, 10))
                            .put("p90", round(CenterOutTask.quantile(tt, 0.9) * 1e3, 10)))
                    .put("cursor_path_m", round(r.task.pathM(), 10_000))
                    .put("decoded", Json.object().put("received", r.received).put("missed", r.missed)
                            .put("under_control", r.receivedUnderControl))
                    .put("latency_ms", Json.object().put("samples", r.latencyCount)
                            .put("median", round(CenterOutTask.quantile(lat, 0.5), 1000))
                            .put("p90", round(CenterOutTask.quantile(lat, 0.9), 1000))
                            .put("max", round(CenterOutTask.quantile(lat, 1.0), 1000)))
                    .put("backend", backendName).put("network", lsl.mode()).toJson());
        } else {
            System.out.printf(Locale.ROOT, "reflex task: %s after %.1f s; decoder control %s%n", r.ending, elapsed,
                    r.task.decoderControl() ? String.format(Locale.ROOT, "from %.1f s", controlS) : "never began");
            System.out.printf(Locale.ROOT, "  trials       %d under decoder control: %d reached, %d timed out%s;"
                            + " %d while calibrating%n", trials, r.task.successes(), r.task.timeouts(),
                    trials == 0 ? "" : String.format(Locale.ROOT, " (success rate %.1f %%)", rate * 100),
                    r.task.calibrationTrials());
            if (tt.length > 0) {
                System.out.printf(Locale.ROOT, "  to target    median %.0f ms, p90 %.0f ms%n",
                        CenterOutTask.quantile(tt, 0.5) * 1e3, CenterOutTask.quantile(tt, 0.9) * 1e3);
            }
            System.out.printf(Locale.ROOT, "  decoded      %d samples received (%d under control), %d missed%n",
                    r.received, r.receivedUnderControl, r.missed);
            if (lat.length > 0) {
                System.out.printf(Locale.ROOT, "  latency      acquisition to task: median %.2f ms, p90 %.2f ms%n",
                        CenterOutTask.quantile(lat, 0.5), CenterOutTask.quantile(lat, 0.9));
            }
        }
        if (decodedError != null) {
            System.err.println("reflex task: " + decodedError);
            return 1;
        }
        if ("decoded-stream-lost".equals(r.ending)) {
            System.err.printf(Locale.ROOT, "reflex task: the decoded stream '%s' went silent for %.1f s"
                    + " (--decoded-silence-s); give --until-decoded-ends if the daemon's run ending is expected%n",
                    decodedName, decodedSilenceS);
            return 3;
        }
        return 0;
    }

    private static double round(double v, double scale) {
        return Double.isFinite(v) ? Math.round(v * scale) / scale : Double.NaN;
    }
}
