package io.reflex.lsl;

import java.util.Locale;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * Push→pull latency and throughput on loopback, measured like the liblsl figures of docs/lsl-wire.md: the sender
 * stamps each sample with the LSL clock just before an immediately flushed push; the receiver does a blocking pull
 * and takes the LSL clock after it returns (one clock, no correction); the sender waits for a consumer plus 1 s
 * and the first 200 samples are dropped.
 *
 * <pre>
 * java $FLAGS -cp ... io.reflex.lsl.LslLatencyHarness [channels=1] [rateHz=1000] [samples=20000]
 *      [chunk=1] [throughput=false]
 * </pre>
 * Sender and receiver run as two threads of one JVM over a real TCP loopback connection (the pure-Java backend).
 */
public final class LslLatencyHarness {
    private LslLatencyHarness() {
    }

    public static void main(String[] args) throws Exception {
        int channels = 1;
        double rateHz = 1000;
        int samples = 20_000;
        int chunk = 1;
        boolean throughput = false;
        for (String a : args) {
            String[] kv = a.split("=", 2);
            switch (kv[0]) {
                case "channels" -> channels = Integer.parseInt(kv[1]);
                case "rateHz" -> rateHz = Double.parseDouble(kv[1]);
                case "samples" -> samples = Integer.parseInt(kv[1]);
                case "chunk" -> chunk = Integer.parseInt(kv[1]);
                case "throughput" -> throughput = Boolean.parseBoolean(kv[1]);
                default -> throw new IllegalArgumentException("unknown argument " + a);
            }
        }
        LslConfig cfg = LslConfig.loopback().conclude();
        if (throughput) {
            throughput(cfg, channels, samples);
        } else {
            latency(cfg, channels, rateHz, samples, chunk);
        }
    }

    private static void latency(LslConfig cfg, int channels, double rateHz, int samples, int chunk)
            throws Exception {
        int drop = 200;
        StreamInfo desc = StreamInfo.builder("bench-" + ProcessHandle.current().pid(), "Bench", channels, rateHz,
                ChannelFormat.FLOAT32, "bench").build();
        Histogram h = new Histogram(10_000_000_000L, 3);
        try (JavaOutlet outlet = new JavaOutlet(desc, cfg, LslError.logging());
             JavaInlet inlet = new JavaInlet(outlet.info().toBuilder().v4address("127.0.0.1").build(), cfg,
                     new InletOptions(), LslError.logging())) {
            int total = samples + drop;
            Thread receiver = new Thread(() -> {
                float[] v = new float[channels];
                for (int i = 0; i < total; i++) {
                    double ts = inlet.pullSample(v, 30);
                    double now = LslClock.now();
                    if (ts == 0.0) {
                        break;
                    }
                    // With chunks only the last sample of each carries the push time (earlier ones are back-dated).
                    if (i >= drop && i % chunk == chunk - 1) {
                        h.recordValue((long) ((now - ts) * 1e9));
                    }
                }
            }, "bench-receiver");
            inlet.open(5);
            receiver.start();
            outlet.waitForConsumers(5);
            LockSupport.parkNanos(1_000_000_000L);
            float[] data = new float[channels * chunk];
            long periodNs = (long) (1e9 / rateHz * chunk);
            long next = System.nanoTime();
            for (int i = 0; i < total; i += chunk) {
                for (int k = 0; k < data.length; k++) {
                    data[k] = i + k;
                }
                if (chunk == 1) {
                    outlet.pushSample(data, LslClock.now());
                } else {
                    outlet.pushChunk(data, chunk, LslClock.now());
                }
                next += periodNs;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
            }
            receiver.join();
        }
        System.out.printf(Locale.ROOT, "latency float32 channels=%d rate=%.0fHz chunk=%d samples=%d: "
                        + "median=%.1f us p90=%.1f us p99=%.1f us p99.9=%.1f us min=%.1f us max=%.1f us%n",
                channels, rateHz, chunk, h.getTotalCount(), h.getValueAtPercentile(50) / 1e3,
                h.getValueAtPercentile(90) / 1e3, h.getValueAtPercentile(99) / 1e3,
                h.getValueAtPercentile(99.9) / 1e3, h.getMinValue() / 1e3, h.getMaxValue() / 1e3);
    }

    private static void throughput(LslConfig cfg, int channels, int samples) throws Exception {
        StreamInfo desc = StreamInfo.builder("tput-" + ProcessHandle.current().pid(), "Bench", channels, 0,
                ChannelFormat.FLOAT32, "tput").build();
        LslConfig big = LslConfig.loopback().outletMaxQueueSamples(1 << 20).inletBufferS(3600).conclude();
        java.util.concurrent.atomic.AtomicLong received = new java.util.concurrent.atomic.AtomicLong();
        long startNs;
        long endNs;
        try (JavaOutlet outlet = new JavaOutlet(desc, big, LslError.logging());
             JavaInlet inlet = new JavaInlet(outlet.info().toBuilder().v4address("127.0.0.1").build(), big,
                     new InletOptions(), LslError.logging())) {
            inlet.open(5);
            float[] v = new float[channels];
            Thread receiver = new Thread(() -> {
                float[] dst = new float[channels * 256];
                double[] ts = new double[256];
                while (received.get() < samples) {
                    int n = inlet.pullChunk(dst, ts, 256, 10);
                    if (n == 0) {
                        break;
                    }
                    received.addAndGet(n);
                }
            }, "bench-receiver");
            receiver.start();
            startNs = System.nanoTime();
            for (int i = 0; i < samples; i++) {
                v[0] = i;
                outlet.pushSample(v, 1.0 + i);
                if ((i & 1023) == 0) {
                    // Keep the producer within the queue bounds so the figure counts delivered samples.
                    while (i - received.get() > 200_000) {
                        Thread.yield();
                    }
                }
            }
            receiver.join();
            endNs = System.nanoTime();
            System.out.printf(Locale.ROOT, "throughput float32 channels=%d: %d samples in %.3f s = %.0f samples/s"
                            + " (%.1f MB/s payload), dropped=%d, inlet dropped=%d%n", channels, received.get(),
                    (endNs - startNs) / 1e9, received.get() / ((endNs - startNs) / 1e9),
                    received.get() * channels * 4.0 / ((endNs - startNs) / 1e9) / 1e6, outlet.droppedSamples(),
                    inlet.droppedSamples());
        }
    }
}
