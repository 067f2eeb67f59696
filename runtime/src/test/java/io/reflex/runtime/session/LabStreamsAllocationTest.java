package io.reflex.runtime.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.lsl.ChannelFormat;
import io.reflex.runtime.lsl.DecodedOutlet;
import io.reflex.lsl.InletOptions;
import io.reflex.lsl.JavaInlet;
import io.reflex.lsl.JavaLsl;
import io.reflex.runtime.lsl.KinematicsInlet;
import io.reflex.lsl.LslConfig;
import io.reflex.runtime.lsl.LslSampleSource;
import io.reflex.lsl.StreamInfo;
import io.reflex.lsl.StreamOutlet;
import io.reflex.lsl.XmlElement;
import io.reflex.runtime.pipeline.Frame;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The lab streams' per-frame paths allocate nothing after warm-up: the decoded outlet's push on the emit thread, and
 * the kinematics pairing (pull, pair, copy, hand on) on the observer thread.
 */
@Timeout(120)
class LabStreamsAllocationTest {

    private static com.sun.management.ThreadMXBean allocationCounters() {
        var bean = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(bean instanceof com.sun.management.ThreadMXBean,
                "skipped: this JVM has no per-thread allocation counters");
        return (com.sun.management.ThreadMXBean) bean;
    }

    @Test
    void theDecodedOutletPushesWithoutAllocating() {
        com.sun.management.ThreadMXBean mx = allocationCounters();
        LslConfig net = LslConfig.loopback().conclude();
        String name = "alloc-out-" + UUID.randomUUID().toString().substring(0, 8);
        try (DecodedOutlet out = new DecodedOutlet(new JavaLsl(net, e -> { }).createOutlet(
                DecodedOutlet.describe(name, "Control", "", List.of("vx", "vy"), 20_000)));
             JavaInlet display = new JavaInlet(out.outlet().info().toBuilder().v4address("127.0.0.1").build(), net,
                     new InletOptions(), e -> { })) {
            display.open(5);
            Frame f = new Frame(4, 20, 0, 2);
            float[] got = new float[2];
            for (int i = 0; i < 50_000; i++) {
                f.output[0] = i;
                f.acquisitionTimeS = 1.0 + i;
                out.emit(f);
                display.pullSample(got, 10);
            }
            long before = mx.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 20_000; i++) {
                f.output[0] = i;
                f.acquisitionTimeS = 1.0 + i;
                out.emit(f);
                display.pullSample(got, 10);
            }
            assertThat(mx.getCurrentThreadAllocatedBytes() - before).as("bytes allocated over 20000 pushes").isZero();
            assertThat(got[0]).isEqualTo(19_999f);
            assertThat(out.pushed()).isEqualTo(out.frames()).isEqualTo(70_000);
        }
    }

    @Test
    void pairingFramesWithKinematicsAllocatesNothing() {
        com.sun.management.ThreadMXBean mx = allocationCounters();
        LslConfig net = LslConfig.loopback().conclude();
        JavaLsl lsl = new JavaLsl(net, e -> { });
        String name = "alloc-kin-" + UUID.randomUUID().toString().substring(0, 8);
        StreamInfo.Builder b = StreamInfo.builder(name, "Kinematics", 2, 50, ChannelFormat.FLOAT32, name);
        XmlElement chans = b.desc().appendChild("channels");
        chans.appendChild("channel").appendChildValue("label", "vx");
        chans.appendChild("channel").appendChildValue("label", "vy");
        AtomicLong handedOn = new AtomicLong();
        try (StreamOutlet task = lsl.createOutlet(b.build());
             KinematicsInlet kin = KinematicsInlet.open(lsl, new LslSampleSource.Selector().name(name), List.of("vx",
                     "vy"), false, 0.25, 1.0, 0, 5)) {
            LabStreams.Pairing pairing = new LabStreams.Pairing(kin, 4, 2, 0.0, 128,
                    new io.reflex.runtime.pipeline.FrameHandler[] {f -> handedOn.incrementAndGet()});
            Frame f = new Frame(4, 20, 0, 2);
            float[] v = new float[2];
            double t0 = io.reflex.lsl.LslClock.now();
            long[] before = new long[1];
            int warm = 30_000;
            for (int i = 0; i < warm + 20_000; i++) {
                if (i == warm) {
                    before[0] = mx.getCurrentThreadAllocatedBytes();
                }
                // the task's sample for t arrives before the bin in the middle of the previous interval, as in a
                // lab where the two streams keep pace
                double t = t0 + i * 0.02;
                v[0] = i;
                task.pushSample(v, t);
                while (kin.inlet().samplesAvailable() == 0) {
                    Thread.onSpinWait();
                }
                f.acquisitionTimeS = t - 0.01;
                try {
                    pairing.onFrame(f);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }
            long bytes = mx.getCurrentThreadAllocatedBytes() - before[0];
            assertThat(bytes).as("bytes allocated pairing 20000 frames").isZero();
            // every bin but the first (before the first sample) was paired and handed on
            assertThat(handedOn.get()).isEqualTo(warm + 20_000 - 1);
            assertThat(kin.beforeStart()).isEqualTo(1);
            assertThat(kin.late() + kin.missing() + kin.lateSamples()).isZero();
        }
    }
}
