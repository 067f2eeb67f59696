package io.reflex.runtime.lsl;

import io.reflex.lsl.ChannelFormat;
import io.reflex.lsl.InletOptions;
import io.reflex.lsl.JavaInlet;
import io.reflex.lsl.JavaLsl;
import io.reflex.lsl.LslBackend;
import io.reflex.lsl.LslClock;
import io.reflex.lsl.StreamInfo;
import io.reflex.lsl.StreamOutlet;
import io.reflex.lsl.XmlElement;
import io.reflex.lsl.LslTestSupport;

import static io.reflex.lsl.LslTestSupport.config;
import static io.reflex.lsl.LslTestSupport.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.util.List;
import org.agrona.ErrorHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Pairing of neural bins with a separate kinematics stream: interpolation, and each way a bin can go unpaired,
 * counted. The logic tests feed samples in directly (exact timestamps); one test takes them over loopback LSL.
 */
@Timeout(60)
class KinematicsInletTest {
    private static final ErrorHandler QUIET = e -> { };
    private static final double GAP_S = 0.1;
    private static final double WAIT_S = 0.5;

    private static StreamInfo kinematicsInfo(String name, String... labels) {
        StreamInfo.Builder b = StreamInfo.builder(name, "Kinematics", labels.length, 100, ChannelFormat.FLOAT32,
                name);
        XmlElement chans = b.desc().appendChild("channels");
        for (String l : labels) {
            chans.appendChild("channel").appendChildValue("label", l);
        }
        return b.build();
    }

    /** An inlet that never connects: the tests below feed samples through {@code accept}. */
    private static KinematicsInlet offline(boolean position, int history) {
        StreamInfo info = kinematicsInfo("offline", "cx", "cy", "vel_x", "vel_y");
        List<String> labels = position ? List.of("cx", "cy") : List.of("vel_x", "vel_y");
        return new KinematicsInlet(new JavaInlet(info, config(), new InletOptions(), QUIET), info, labels, position,
                GAP_S, WAIT_S, history);
    }

    @Test
    void interpolatesLinearlyBetweenTheBracketingSamples() {
        try (KinematicsInlet k = offline(false, 64)) {
            k.accept(10.00, 1.0, 2.0);
            k.accept(10.01, 2.0, 4.0);
            k.accept(10.02, 0.0, 0.0);
            double[] v = new double[2];
            assertThat(k.pair(10.0025, 10.0025, v)).isEqualTo(KinematicsInlet.PAIRED);
            assertThat(v[0]).isCloseTo(1.25, offset(1e-9));
            assertThat(v[1]).isCloseTo(2.5, offset(1e-9));
            assertThat(k.pair(10.01, 10.01, v)).isEqualTo(KinematicsInlet.PAIRED);
            assertThat(v).containsExactly(2.0, 4.0);
            assertThat(k.pair(10.015, 10.02, v)).isEqualTo(KinematicsInlet.PAIRED);
            assertThat(v[0]).isCloseTo(1.0, offset(1e-9));
            assertThat(k.paired()).isEqualTo(3);
            assertThat(k.late() + k.missing() + k.beforeStart()).isZero();
        }
    }

    @Test
    void binsBeforeTheFirstSampleCountAsBeforeStart() {
        try (KinematicsInlet k = offline(false, 64)) {
            double[] v = new double[2];
            // nothing yet: wait while the neural stream is within the wait, then give the bin up as before the start
            assertThat(k.pair(5.0, 5.2, v)).isEqualTo(KinematicsInlet.WAIT);
            assertThat(k.pair(5.0, 5.0 + WAIT_S + 0.01, v)).isEqualTo(KinematicsInlet.BEFORE_START);
            k.accept(6.0, 1, 1);
            k.accept(6.01, 1, 1);
            assertThat(k.pair(5.99, 6.0, v)).isEqualTo(KinematicsInlet.BEFORE_START);
            assertThat(k.beforeStart()).isEqualTo(2);
            assertThat(k.paired()).isZero();
        }
    }

    @Test
    void aBinWaitsForItsKinematicsThenCountsLateAndLaterSamplesForItAreLateToo() {
        try (KinematicsInlet k = offline(false, 64)) {
            double[] v = new double[2];
            k.accept(1.00, 0, 0);
            assertThat(k.pair(1.02, 1.1, v)).as("within the wait").isEqualTo(KinematicsInlet.WAIT);
            assertThat(k.pair(1.02, 1.02 + WAIT_S + 0.001, v)).isEqualTo(KinematicsInlet.LATE);
            assertThat(k.late()).isEqualTo(1);
            // the sample that would have served the bin comes after the bin was given up
            k.accept(1.01, 1, 1);
            assertThat(k.lateSamples()).isEqualTo(1);
            // ... but it is kept: it still brackets later bins
            k.accept(1.03, 3, 3);
            assertThat(k.pair(1.02, 1.1, v)).isEqualTo(KinematicsInlet.PAIRED);
            assertThat(v[0]).isCloseTo(2.0, offset(1e-9));
            // a sample older than the newest held is out of order: counted and dropped
            k.accept(1.025, 9, 9);
            assertThat(k.lateSamples()).isEqualTo(2);
            assertThat(k.pair(1.025, 1.1, v)).isEqualTo(KinematicsInlet.PAIRED);
            assertThat(v[0]).isCloseTo(2.5, offset(1e-9));
        }
    }

    @Test
    void binsInAGapLongerThanMaxGapAreMissingNotInterpolated() {
        try (KinematicsInlet k = offline(false, 64)) {
            double[] v = new double[2];
            k.accept(2.0, 0, 0);
            k.accept(2.0 + GAP_S + 0.05, 1, 1);
            assertThat(k.pair(2.07, 2.2, v)).isEqualTo(KinematicsInlet.MISSING);
            assertThat(k.missing()).isEqualTo(1);
            assertThat(k.paired()).isZero();
        }
    }

    @Test
    void binsOlderThanTheHeldHistoryAreMissing() {
        try (KinematicsInlet k = offline(false, 4)) {
            for (int i = 0; i < 10; i++) {
                k.accept(3.0 + i * 0.01, i, i);
            }
            double[] v = new double[2];
            assertThat(k.pair(3.015, 3.1, v)).isEqualTo(KinematicsInlet.MISSING);
            assertThat(k.pair(3.075, 3.1, v)).isEqualTo(KinematicsInlet.PAIRED);
            assertThat(v[0]).isCloseTo(7.5, offset(1e-9));
        }
    }

    @Test
    void positionChannelsGiveTheirDifferenceQuotientAtTheMidTime() {
        try (KinematicsInlet k = offline(true, 64)) {
            double[] v = new double[2];
            // x = 2 t, y = -t + t^2 sampled at 100 Hz
            for (int i = 0; i <= 10; i++) {
                double t = 4.0 + i * 0.01;
                k.accept(t, 2 * t, -t + t * t);
            }
            assertThat(k.pair(4.05, 4.1, v)).isEqualTo(KinematicsInlet.PAIRED);
            assertThat(v[0]).isCloseTo(2.0, offset(1e-6));
            // y'(4.05) = -1 + 2 * 4.05 = 7.1: differences of a parabola are exact at mid-times
            assertThat(v[1]).isCloseTo(7.1, offset(1e-6));
            // the first difference lies at 4.005: earlier bins precede the velocity stream
            assertThat(k.pair(4.001, 4.1, v)).isEqualTo(KinematicsInlet.BEFORE_START);
        }
    }

    @Test
    void labelsAreFoundInTheStreamAndMissingOnesNamed() {
        StreamInfo info = kinematicsInfo("labels", "cx", "cy");
        JavaInlet inlet = new JavaInlet(info, config(), new InletOptions(), QUIET);
        assertThatThrownBy(() -> new KinematicsInlet(inlet, info, List.of("vx", "vy"), false, GAP_S, WAIT_S, 8))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no channel labelled 'vx'")
                .hasMessageContaining("[cx, cy]");
        inlet.close();
    }

    @Test
    void samplesArriveOverLoopbackLslTimeCorrectedAndPair() {
        LslBackend backend = new JavaLsl(config(), QUIET);
        String name = uniqueName("kin");
        try (StreamOutlet outlet = backend.createOutlet(kinematicsInfo(name, "px", "py", "vx", "vy"));
             KinematicsInlet k = KinematicsInlet.open(backend, new LslSampleSource.Selector().name(name)
                     .sourceId(name), List.of("vx", "vy"), false, GAP_S, WAIT_S, 0, 5)) {
            LslTestSupport.await(outlet::haveConsumers);
            double t0 = LslClock.now();
            for (int i = 0; i < 20; i++) {
                // vx ramps by 1 per sample, vy is constant
                outlet.pushSample(new float[] {0, 0, i, -3}, t0 + i * 0.01);
            }
            LslTestSupport.await(() -> {
                k.pollAvailable();
                return k.samples() == 20;
            });
            double[] v = new double[2];
            // both clocks are this machine's: the correction is small, and the same for every sample
            assertThat(k.pair(t0 + 0.055, t0 + 0.1, v)).isEqualTo(KinematicsInlet.PAIRED);
            assertThat(v[0]).isCloseTo(5.5, offset(0.5));
            assertThat(v[1]).isCloseTo(-3.0, offset(1e-6));
            assertThat(k.lateSamples()).isZero();
            assertThat(k.name()).contains(name);
        }
    }
}
