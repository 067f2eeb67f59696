package io.reflex.tools.rig;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.lsl.ChannelFormat;
import io.reflex.lsl.JavaOutlet;
import io.reflex.lsl.LslBackend;
import io.reflex.lsl.LslConfig;
import io.reflex.lsl.LslError;
import io.reflex.lsl.StreamInfo;
import io.reflex.lsl.StreamOutlet;
import io.reflex.lsl.XmlElement;
import io.reflex.runtime.agent.IdleStrategies;
import io.reflex.runtime.lsl.DecodedOutlet;
import io.reflex.runtime.lsl.LslSampleSource;
import io.reflex.runtime.pipeline.SampleBlock;
import io.reflex.runtime.pipeline.SampleSource;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.IdleStrategy;

/**
 * The child processes of the loopback-LSL rig ({@code reflex rig-peer ROLE}, started by {@link LslRig}), each an LSL
 * program of its own on the loopback-only configuration:
 * <ul>
 *   <li>{@link #source}: publishes the rig's signal as a float32 stream on the rig's schedule, each sample stamped
 *   with its scheduled time (the LSL clock: CLOCK_MONOTONIC, shared by every process on the machine), each chunk
 *   pushed when it is due.</li>
 *   <li>{@link #relay}: the bare-relay baseline: an inlet on the source stream read exactly as the daemon's ingest
 *   reads it ({@link LslSampleSource}, clock post-processing on, the same idle strategy), and for each bin's last
 *   sample (its bins may be offset from the daemon's by {@code offsetSamples}, so that the two do not do their
 *   per-bin work at the same instant) one sample of as many channels as the decoder has outputs pushed to an outlet
 *   described as the daemon's decoded outlet, stamped with that sample's timestamp: the same two LSL hops with no
 *   decoding.</li>
 * </ul>
 * Both talk to the rig on stdin and stdout, one line at a time: stdout says {@code ready}, {@code connected N},
 * {@code sent JSON} or {@code done JSON}; stdin carries {@code start T0_NS}, and its end (the rig closed it, or the
 * rig died) ends the peer. Errors go to stderr with a non-zero exit.
 */
public final class RigPeers {
    /** The last part of the wait for a due chunk spins rather than parks (a park overshoots by tens of µs). */
    static final long SPIN_NS = 100_000;

    private RigPeers() {
    }

    /** The loopback-only LSL backend every rig process uses (the pure-Java one: consumers can be counted). */
    static LslBackend backend() {
        return LslBackend.select("java", LslConfig.loopback().conclude(), LslError.logging());
    }

    /** What the source publishes. */
    public static final class SourceOptions {
        public String name;
        public int channels;
        public double rateHz;
        public int chunk;
        public int samplesPerBin;
        public long bins;
        public String signal;
        public long seed;
        public int consumers;
        public int extraSamples;
        public double connectTimeoutS;
        /** Two more channels, {@code vx, vy}, for a daemon that calibrates. */
        public boolean velocity;

        void check() {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("--name is required");
            }
            new RigSchedule(0, rateHz, chunk, samplesPerBin);
            if (channels < 1 || channels > 4096) {
                throw new IllegalArgumentException("--channels must be in [1, 4096], was " + channels);
            }
            if (bins < 1 || bins > 50_000_000) {
                throw new IllegalArgumentException("--bins must be in [1, 50000000], was " + bins);
            }
            if (extraSamples < 0 || extraSamples > samplesPerBin) {
                throw new IllegalArgumentException("--extra-samples must be in [0, --samples-per-bin], was "
                        + extraSamples);
            }
            if (consumers < 0 || consumers > 16) {
                throw new IllegalArgumentException("--consumers must be in [0, 16], was " + consumers);
            }
            if (!(connectTimeoutS > 0 && connectTimeoutS <= 3600)) {
                throw new IllegalArgumentException("--connect-timeout-s must be in (0, 3600], was " + connectTimeoutS);
            }
        }
    }

    /**
     * The source role: publishes, waits for {@code consumers} inlets, then for {@code start T0_NS}, sends every bin on
     * the schedule from that origin (and {@code extraSamples} more, completing the relay's last bin when its bins are
     * offset), prints {@code sent} with how late the sends were, and waits for stdin to end.
     *
     * @return the exit code: 0, or 2 with the reason on {@code err}
     */
    public static int source(SourceOptions o, InputStream in, PrintStream out, PrintStream err) {
        try {
            o.check();
        } catch (IllegalArgumentException e) {
            err.println("reflex rig-peer source: " + e.getMessage());
            return 2;
        }
        Lines control = new Lines(in);
        int ring = (int) Math.max(o.samplesPerBin, Math.min(o.rateHz * 10, (32L << 20) / o.channels));
        RigSignal signal = RigSignal.generate(o.signal, o.channels, ring, o.seed, o.velocity);
        LslBackend backend = backend();
        StreamInfo.Builder ib = StreamInfo.builder(o.name, "EEG", signal.channels(), o.rateHz,
                ChannelFormat.FLOAT32, o.name);
        if (o.velocity) {
            // the neural channels, then the velocity a daemon calibrates on, labelled as the lab convention has it
            XmlElement chans = ib.desc().appendChild("channels");
            for (int i = 0; i < o.channels; i++) {
                chans.appendChild("channel").appendChildValue("label", "n" + i);
            }
            chans.appendChild("channel").appendChildValue("label", "vx");
            chans.appendChild("channel").appendChildValue("label", "vy");
        }
        StreamInfo info = ib.build();
        StreamOutlet outlet = backend.createOutlet(info);
        try {
            out.println("ready");
            long deadline = System.nanoTime() + (long) (o.connectTimeoutS * 1e9);
            int connected = consumers(outlet);
            while (connected < o.consumers) {
                if (System.nanoTime() - deadline > 0) {
                    err.println("reflex rig-peer source: " + connected + " of " + o.consumers + " consumers connected"
                            + " to '" + o.name + "' within " + o.connectTimeoutS + " s");
                    return 2;
                }
                if (control.ended()) {
                    err.println("reflex rig-peer source: stdin ended before the start");
                    return 2;
                }
                LockSupport.parkNanos(1_000_000);
                connected = consumers(outlet);
            }
            out.println("connected " + connected);
            String start = control.next(o.connectTimeoutS);
            if (start == null || !start.startsWith("start ")) {
                err.println("reflex rig-peer source: expected 'start T0_NS' on stdin, got " + start);
                return 2;
            }
            RigSchedule schedule = new RigSchedule(Long.parseLong(start.substring(6).trim()), o.rateHz, o.chunk,
                    o.samplesPerBin);
            long samples = o.bins * o.samplesPerBin + o.extraSamples;
            Histogram lateNs = send(outlet, signal, schedule, samples);
            ObjectNode sent = new ObjectMapper().createObjectNode();
            sent.put("samples", samples);
            sent.set("send_late_us", RigRun.summary(new ObjectMapper(), lateNs));
            out.println("sent " + sent);
            control.awaitEnd();
            return 0;
        } finally {
            drainAndClose(outlet);
        }
    }

    private static int consumers(StreamOutlet outlet) {
        return outlet instanceof JavaOutlet j ? j.consumers() : (outlet.haveConsumers() ? 1 : 0);
    }

    /** Sends samples {@code [0, total)} on the schedule; returns how late each chunk went out, ns. */
    private static Histogram send(StreamOutlet outlet, RigSignal signal, RigSchedule schedule, long total) {
        int chunk = schedule.chunk();
        int channels = signal.channels();
        float[] data = new float[chunk * channels];
        double[] stamps = new double[chunk];
        float[] ring = signal.samples();
        Histogram late = new Histogram(1, LatencyRecorder.HIGHEST_NS, 3);
        for (long k0 = 0; k0 < total; k0 += chunk) {
            int n = (int) Math.min(chunk, total - k0);
            for (int i = 0; i < n; i++) {
                System.arraycopy(ring, signal.offset(k0 + i), data, i * channels, channels);
                stamps[i] = schedule.timestampS(k0 + i);
            }
            long due = schedule.sendNs(k0);
            long now = System.nanoTime();
            while (due - now > SPIN_NS) {
                LockSupport.parkNanos(due - now - SPIN_NS);
                now = System.nanoTime();
            }
            while (due - now > 0) {
                Thread.onSpinWait();
                now = System.nanoTime();
            }
            outlet.pushChunk(data, n, stamps);
            late.recordValue(Math.max(1, Math.min(LatencyRecorder.HIGHEST_NS, now - due)));
        }
        return late;
    }

    /** What the relay forwards. */
    public static final class RelayOptions {
        public String from;
        public String to;
        public int samplesPerBin;
        public long binWidthUs;
        public int outputs;
        public int offsetSamples;
        public String hotIdle;
        public double connectTimeoutS;

        void check() {
            if (from == null || from.isBlank() || to == null || to.isBlank()) {
                throw new IllegalArgumentException("--from and --to are required");
            }
            if (samplesPerBin < 1 || samplesPerBin > 1_000_000) {
                throw new IllegalArgumentException("--samples-per-bin must be in [1, 1000000], was " + samplesPerBin);
            }
            if (binWidthUs < 1 || binWidthUs > 10_000_000) {
                throw new IllegalArgumentException("--bin-us must be in [1, 10000000], was " + binWidthUs);
            }
            if (offsetSamples < 0 || offsetSamples >= samplesPerBin) {
                throw new IllegalArgumentException("--offset-samples must be in [0, --samples-per-bin), was "
                        + offsetSamples);
            }
            if (outputs < 1 || outputs > 16) {
                throw new IllegalArgumentException("--outputs must be in [1, 16], was " + outputs);
            }
            IdleStrategies.byName(hotIdle);
            if (!(connectTimeoutS > 0 && connectTimeoutS <= 3600)) {
                throw new IllegalArgumentException("--connect-timeout-s must be in (0, 3600], was " + connectTimeoutS);
            }
        }
    }

    /**
     * The relay role: opens the source stream, publishes its outlet, prints {@code ready}, forwards until stdin
     * ends, then prints {@code done} with its counts.
     *
     * @return the exit code: 0, or 2 with the reason on {@code err}
     */
    public static int relay(RelayOptions o, InputStream in, PrintStream out, PrintStream err) {
        try {
            o.check();
        } catch (IllegalArgumentException e) {
            err.println("reflex rig-peer relay: " + e.getMessage());
            return 2;
        }
        Lines control = new Lines(in);
        LslBackend backend = backend();
        LslSampleSource source;
        try {
            source = LslSampleSource.open(backend, new LslSampleSource.Selector().name(o.from).sourceId(o.from),
                    o.connectTimeoutS);
        } catch (RuntimeException e) {
            err.println("reflex rig-peer relay: " + e.getMessage());
            return 2;
        }
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < o.outputs; i++) {
            labels.add("out" + i);
        }
        StreamOutlet outlet = backend.createOutlet(DecodedOutlet.describe(o.to, "Control", o.to, labels,
                o.binWidthUs));
        try {
            int channels = source.channels();
            if (channels < o.outputs) {
                err.println("reflex rig-peer relay: the source has " + channels + " channels, fewer than the "
                        + o.outputs + " outputs to forward");
                return 2;
            }
            // the first offsetSamples samples end no bin of the relay: its bins end half a bin after the daemon's
            SampleBlock skip = new SampleBlock(channels, Math.max(1, o.offsetSamples), 0);
            boolean skipping = o.offsetSamples > 0;
            SampleBlock block = new SampleBlock(channels, o.samplesPerBin, 0);
            float[] forward = new float[o.outputs];
            IdleStrategy idle = IdleStrategies.byName(o.hotIdle);
            out.println("ready");
            long bins = 0;
            while (!control.ended()) {
                int n = source.poll(skipping ? skip : block);
                if (n == SampleSource.END_OF_STREAM) {
                    err.println("reflex rig-peer relay: the source stream '" + o.from + "' was lost");
                    return 2;
                }
                if (skipping) {
                    skipping = !skip.isFull();
                } else if (block.isFull()) {
                    System.arraycopy(block.samples(), (o.samplesPerBin - 1) * channels, forward, 0, o.outputs);
                    outlet.pushSample(forward, block.timestamps()[o.samplesPerBin - 1]);
                    block.clear();
                    bins++;
                }
                idle.idle(n);
            }
            ObjectNode done = new ObjectMapper().createObjectNode();
            done.put("samples", source.pulled());
            done.put("pushed", bins);
            out.println("done " + done);
            return 0;
        } finally {
            drainAndClose(outlet);
            source.close();
        }
    }

    /** Closes after what was pushed has gone out to the connected inlets (at most half a second). */
    private static void drainAndClose(StreamOutlet outlet) {
        if (outlet instanceof JavaOutlet j) {
            long end = System.nanoTime() + DecodedOutlet.CLOSE_DRAIN_NS;
            while (j.unsentSamples() > 0 && System.nanoTime() - end < 0) {
                LockSupport.parkNanos(1_000_000L);
            }
        }
        outlet.close();
    }

    /** The peer's stdin, read line by line on a daemon thread; its end is noted. */
    static final class Lines {
        private final java.util.concurrent.BlockingQueue<String> lines =
                new java.util.concurrent.LinkedBlockingQueue<>(64);
        private final java.util.concurrent.CountDownLatch end = new java.util.concurrent.CountDownLatch(1);

        Lines(InputStream in) {
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        lines.put(line);
                    }
                } catch (IOException e) {
                    // an unreadable stdin ends the peer as its end does
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    end.countDown();
                }
            }, "rig-peer-stdin");
            t.setDaemon(true);
            t.start();
        }

        /** The next line within {@code timeoutS}, or null at the end of stdin or the timeout. */
        String next(double timeoutS) {
            long deadline = System.nanoTime() + (long) (timeoutS * 1e9);
            try {
                while (System.nanoTime() - deadline < 0) {
                    String l = lines.poll(50, java.util.concurrent.TimeUnit.MILLISECONDS);
                    if (l != null) {
                        return l;
                    }
                    if (end.getCount() == 0 && lines.isEmpty()) {
                        return null;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        }

        boolean ended() {
            return end.getCount() == 0;
        }

        void awaitEnd() {
            try {
                end.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
