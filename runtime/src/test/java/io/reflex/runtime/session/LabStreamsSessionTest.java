package io.reflex.runtime.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.runtime.check.ConfigException;
import io.reflex.runtime.config.ReflexConfig;
import io.reflex.lsl.ChannelFormat;
import io.reflex.lsl.InletOptions;
import io.reflex.lsl.JavaInlet;
import io.reflex.lsl.JavaLsl;
import io.reflex.lsl.LslConfig;
import io.reflex.lsl.Resolver;
import io.reflex.runtime.lsl.SplitLslPublisher;
import io.reflex.lsl.StreamInfo;
import io.reflex.lsl.StreamOutlet;
import io.reflex.lsl.XmlElement;
import io.reflex.runtime.pipeline.FrameHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.agrona.ErrorHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A lab's closed loop over loopback LSL: an amplifier stream with neural channels only, the task's kinematics as a
 * separate stream, and the decoded output published for the task's display (docs/lab-setup.md).
 */
class LabStreamsSessionTest {
    private static final ErrorHandler QUIET = e -> { };

    private static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static List<String> channelLabels(StreamInfo fullInfo) {
        List<String> out = new ArrayList<>();
        for (XmlElement c : fullInfo.desc().child("channels").children()) {
            out.add(c.childValue("label"));
        }
        return out;
    }

    private static ReflexConfig config(String neural, String kinematics, String decoded) {
        return ReflexConfig.parse("{\"source\":{\"type\":\"lsl\",\"channels\":16,\"sampleRateHz\":1000,"
                + "\"lsl\":{\"name\":\"" + neural + "\",\"sourceId\":\"" + neural + "\",\"network\":\"loopback\","
                + "\"resolveTimeoutS\":10,\"outageMs\":300,"
                + "\"kinematics\":{\"name\":\"" + kinematics + "\",\"type\":\"Kinematics\",\"maxWaitMs\":1000}}},"
                + "\"pipeline\":{\"binWidthUs\":20000},"
                + "\"decoder\":{\"name\":\"kalman\",\"compare\":[\"wiener\"]},"
                + "\"calibration\":{\"seconds\":3,\"timeoutS\":60},\"run\":{\"seconds\":5},"
                + "\"journal\":{\"enabled\":false},"
                + "\"decodedOutlet\":{\"name\":\"" + decoded + "\",\"type\":\"Control\","
                + "\"labels\":[\"cursor_vx\",\"cursor_vy\"]}}");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void calibratesOnTheKinematicsStreamDecodesAndPublishesEveryLiveFrame() throws Exception {
        String neural = unique("amp");
        String kin = unique("task");
        String decodedName = unique("decoded");
        LslConfig net = LslConfig.loopback().conclude();
        AtomicBoolean stop = new AtomicBoolean();
        try (SplitLslPublisher pub = new SplitLslPublisher(new JavaLsl(net, QUIET), neural, kin, 16, 1000, 10, 1)) {
            Thread publisher = new Thread(() -> pub.run(0, stop::get), "test-publisher");
            publisher.start();
            // what the emit stage sent for each live bin, by the bin's timestamp
            Map<Double, float[]> sent = new ConcurrentHashMap<>();
            FrameHandler capture = f -> {
                if (f.decoderGeneration > 0) {
                    sent.put(f.acquisitionTimeS, f.output.clone());
                }
            };
            Map<Double, float[]> received = new ConcurrentHashMap<>();
            AtomicReference<JavaInlet> display = new AtomicReference<>();
            AtomicReference<Thread> reader = new AtomicReference<>();
            AtomicBoolean readerStop = new AtomicBoolean();
            List<String> notices = java.util.Collections.synchronizedList(new ArrayList<>());
            List<String> displayLabels = java.util.Collections.synchronizedList(new ArrayList<>());
            ClosedLoopSession.Listener listener = new ClosedLoopSession.Listener() {
                @Override
                public void onPhase(String phase, String detail) {
                    if (phase.equals("calibration")) {
                        // the task's display connects to the decoded outlet during calibration
                        List<StreamInfo> found = new Resolver(net).resolve(Resolver.byProperty("name", decodedName),
                                1, 10);
                        assertThat(found).hasSize(1);
                        JavaInlet in = new JavaInlet(found.get(0), net, new InletOptions(), QUIET);
                        in.open(10);
                        displayLabels.addAll(channelLabels(in.fullInfo(10)));
                        display.set(in);
                        Thread t = new Thread(() -> {
                            float[] v = new float[2];
                            while (!readerStop.get() || in.samplesAvailable() > 0) {
                                double ts = in.pullSample(v, 0.05);
                                if (ts != 0.0) {
                                    received.put(ts, v.clone());
                                }
                            }
                        }, "test-display");
                        t.start();
                        reader.set(t);
                    } else if (phase.equals("live")) {
                        // the amplifier program restarts: its outlet goes away and comes back with the same source_id
                        pub.restartNeural(0.9);
                    }
                }

                @Override
                public void onNotice(String message) {
                    notices.add(message);
                }
            };
            SessionReport r;
            try {
                r = new ClosedLoopSession(new ClosedLoopSession.Context().config(config(neural, kin, decodedName))
                        .listener(listener).observer("capture", capture)).run();
            } finally {
                readerStop.set(true);
                if (reader.get() != null) {
                    reader.get().join(10_000);
                }
                if (display.get() != null) {
                    display.get().close();
                }
                stop.set(true);
                publisher.join(10_000);
            }
            assertThat(r.ending).as("failure: %s", r.failure).isEqualTo("completed");
            // calibrated on kinematics that came from the other stream
            assertThat(r.calibrationFrames).isEqualTo(150);
            assertThat(r.targetKind).isEqualTo(DecodeTargets.VELOCITY);
            assertThat(r.kinematics).isNotNull();
            assertThat(r.kinematics.stream).isEqualTo(kin);
            assertThat(r.kinematics.samples).isPositive();
            assertThat(r.kinematics.paired).isGreaterThanOrEqualTo(150);
            assertThat(r.kinematics.lateSamples).isZero();
            assertThat(r.r2).containsOnlyKeys("kalman", "wiener");
            assertThat(r.r2.get("kalman")).as("scored on paired live bins").isFinite();
            assertThat(r.frames).isPositive();

            // the display received every live frame, with the value the emit stage sent and the bin's timestamp
            assertThat(r.decodedOutlet).isNotNull();
            assertThat(r.decodedOutlet.name).isEqualTo(decodedName);
            // the channels carry the configured labels, in the decoder's order (vx, vy)
            assertThat(r.decodedOutlet.labels).containsExactly("cursor_vx", "cursor_vy");
            assertThat(displayLabels).as("labels the display read from the stream's description")
                    .containsExactly("cursor_vx", "cursor_vy");
            assertThat(r.decodedOutlet.pushed).isEqualTo(r.decodedOutlet.framesEmitted);
            assertThat(r.decodedOutlet.failures).isZero();
            assertThat(sent).hasSize((int) r.frames);
            for (Map.Entry<Double, float[]> e : sent.entrySet()) {
                assertThat(received).as("bin at %s", e.getKey()).containsKey(e.getKey());
                assertThat(received.get(e.getKey())).containsExactly(e.getValue());
            }

            // the amplifier was gone for 0.9 s during the live phase: an outage, told when it happened, and the inlet
            // reconnected to the restarted outlet
            assertThat(r.lslSource).isNotNull();
            assertThat(r.lslSource.outages).isGreaterThanOrEqualTo(1);
            assertThat(r.lslSource.reconnects).isGreaterThanOrEqualTo(1);
            assertThat(r.lslSource.longestGapMs).isGreaterThan(900);
            assertThat(r.lslSource.outageMs).isEqualTo(300);
            assertThat(notices).anyMatch(n -> n.startsWith("source outage 1: no samples from LSL '" + neural));
            assertThat(notices).anyMatch(n -> n.startsWith("source back after"));
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aKinematicsStreamWithoutTheConfiguredChannelsIsRefusedNamingThem() throws Exception {
        String neural = unique("amp");
        String kin = unique("task");
        LslConfig net = LslConfig.loopback().conclude();
        try (SplitLslPublisher pub = new SplitLslPublisher(new JavaLsl(net, QUIET), neural, kin, 16, 1000, 10, 1)) {
            ReflexConfig c = config(neural, kin, unique("decoded"));
            c.source.lsl.kinematics.vx = "cursor_vx";
            assertThatThrownBy(() -> new ClosedLoopSession(new ClosedLoopSession.Context().config(c)).run())
                    .isInstanceOf(ConfigException.class).hasMessageContaining("source.lsl.kinematics")
                    .hasMessageContaining("no channel labelled 'cursor_vx'").hasMessageContaining("[px, py, vx, vy]");
            assertThat(pub.neuralPublished()).isZero();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aKinematicsStreamThatSendsNothingFailsCalibrationWithTheCountsInTheCause() throws Exception {
        String neural = unique("amp");
        String silent = unique("task");
        LslConfig net = LslConfig.loopback().conclude();
        JavaLsl lsl = new JavaLsl(net, QUIET);
        StreamInfo.Builder b = StreamInfo.builder(silent, "Kinematics", 2, 100, ChannelFormat.FLOAT32, silent);
        XmlElement chans = b.desc().appendChild("channels");
        chans.appendChild("channel").appendChildValue("label", "vx");
        chans.appendChild("channel").appendChildValue("label", "vy");
        AtomicBoolean stop = new AtomicBoolean();
        try (SplitLslPublisher pub = new SplitLslPublisher(lsl, neural, unique("other"), 16, 1000, 10, 1);
             StreamOutlet quiet = lsl.createOutlet(b.build())) {
            Thread publisher = new Thread(() -> pub.run(0, stop::get), "test-publisher");
            publisher.start();
            ReflexConfig c = config(neural, silent, unique("decoded"));
            c.calibration.seconds = 1;
            c.calibration.timeoutS = 3;
            c.source.lsl.kinematics.maxWaitMs = 200;
            SessionReport r;
            try {
                r = new ClosedLoopSession(new ClosedLoopSession.Context().config(c)).run();
            } finally {
                stop.set(true);
                publisher.join(10_000);
            }
            assertThat(r.ending).isEqualTo("failed");
            assertThat(r.failure).contains("calibration timed out").contains("kinematics from LSL '" + silent)
                    .contains("0 samples, 0 bins paired");
            assertThat(r.kinematics.paired).isZero();
            assertThat(r.kinematics.beforeStart).as("bins the kinematics never covered").isPositive();
            assertThat(r.calibrationFrames).isZero();
        }
    }

    @Test
    void theKinematicsKeysAreChecked() {
        assertThatThrownBy(() -> ReflexConfig.parse("{\"source\":{\"type\":\"lsl\",\"lsl\":{\"name\":\"a\","
                + "\"kinematics\":{}}}}")).hasMessageContaining("source.lsl.kinematics")
                .hasMessageContaining("name, type or sourceId");
        assertThatThrownBy(() -> ReflexConfig.parse("{\"source\":{\"type\":\"lsl\",\"lsl\":{\"name\":\"a\","
                + "\"kinematics\":{\"name\":\"k\",\"x\":\"cx\"}}}}")).hasMessageContaining("source.lsl.kinematics.y");
        assertThatThrownBy(() -> ReflexConfig.parse("{\"source\":{\"type\":\"lsl\",\"lsl\":{\"name\":\"a\","
                + "\"outageMs\":0}}}")).hasMessageContaining("source.lsl.outageMs");
        assertThatThrownBy(() -> ReflexConfig.parse("{\"source\":{\"lsl\":{\"kinematics\":{\"name\":\"k\"}}}}"))
                .hasMessageContaining("set source.type to lsl");
        assertThatThrownBy(() -> ReflexConfig.parse("{\"decodedOutlet\":{\"enabled\":true,\"name\":\"\"}}"))
                .hasMessageContaining("decodedOutlet.name");
        assertThatThrownBy(() -> ReflexConfig.parse("{\"decodedOutlet\":{\"enabled\":true,\"labels\":[]}}"))
                .hasMessageContaining("decodedOutlet.labels").hasMessageContaining("one per decoder output");
        assertThatThrownBy(() -> ReflexConfig.parse("{\"decodedOutlet\":{\"enabled\":true,"
                + "\"labels\":[\"a\",\" \"]}}")).hasMessageContaining("decodedOutlet.labels[1]");
        assertThatThrownBy(() -> ReflexConfig.parse("{\"decodedOutlet\":{\"enabled\":true,"
                + "\"labels\":[\"a\",\"a\"]}}")).hasMessageContaining("decodedOutlet.labels[1]")
                .hasMessageContaining("not already used");
        ReflexConfig c = ReflexConfig.parse("{\"source\":{\"type\":\"lsl\",\"lsl\":{\"name\":\"a\"}}}");
        assertThat(c.decodedOutlet.enabledFor(c.source.type)).as("on by default for an LSL source").isTrue();
        assertThat(new ReflexConfig().decodedOutlet.enabledFor("synthetic")).isFalse();
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void labelsThatDoNotMatchTheDecodersOutputsAreRefusedBeforeAnythingIsPublished() {
        // a synthetic source decodes velocity: two outputs, vx and vy
        ReflexConfig cfg = ReflexConfig.parse("{\"source\":{\"type\":\"synthetic\",\"channels\":16,"
                + "\"lsl\":{\"network\":\"loopback\"}},\"journal\":{\"enabled\":false},"
                + "\"calibration\":{\"seconds\":1},\"run\":{\"seconds\":1},"
                + "\"decodedOutlet\":{\"enabled\":true,\"name\":\"" + unique("decoded") + "\","
                + "\"labels\":[\"x\",\"y\",\"z\"]}}");
        assertThatThrownBy(() -> new ClosedLoopSession(new ClosedLoopSession.Context().config(cfg)).run())
                .isInstanceOf(ConfigException.class).hasMessageContaining("decodedOutlet.labels")
                .hasMessageContaining("[x, y, z]").hasMessageContaining("decodes 2 [vx, vy]");
    }
}
