package io.reflex.runtime.xdf;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.lsl.ChannelFormat;
import io.reflex.lsl.InletOptions;
import io.reflex.lsl.JavaLsl;
import io.reflex.lsl.LslBackend;
import io.reflex.lsl.LslConfig;
import io.reflex.lsl.LslError;
import io.reflex.lsl.StreamInfo;
import io.reflex.lsl.StreamInlet;
import io.reflex.lsl.StreamOutlet;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class XdfRecorderTest {
    /** A real inlet that fails once it has returned {@code failAfter} samples (a peer or socket gone wrong). */
    private static final class FailingInlet implements StreamInlet {
        private final StreamInlet real;
        private final int failAfter;
        private int returned;

        FailingInlet(StreamInlet real, int failAfter) {
            this.real = real;
            this.failAfter = failAfter;
        }

        @Override
        public StreamInfo info() {
            return real.info();
        }

        @Override
        public StreamInfo fullInfo(double timeoutS) {
            return real.fullInfo(timeoutS);
        }

        @Override
        public void open(double timeoutS) {
            real.open(timeoutS);
        }

        private double check(double t) {
            if (returned >= failAfter) {
                throw new IllegalStateException("injected inlet failure");
            }
            if (t != 0.0) {
                returned++;
            }
            return t;
        }

        @Override
        public double pullSample(float[] dst, double timeoutS) {
            return check(real.pullSample(dst, timeoutS));
        }

        @Override
        public double pullSample(float[] dst, int offset, double timeoutS) {
            return check(real.pullSample(dst, offset, timeoutS));
        }

        @Override
        public double pullSample(double[] dst, double timeoutS) {
            return check(real.pullSample(dst, timeoutS));
        }

        @Override
        public double pullSample(int[] dst, double timeoutS) {
            return check(real.pullSample(dst, timeoutS));
        }

        @Override
        public double pullSample(short[] dst, double timeoutS) {
            return check(real.pullSample(dst, timeoutS));
        }

        @Override
        public double pullSample(byte[] dst, double timeoutS) {
            return check(real.pullSample(dst, timeoutS));
        }

        @Override
        public double pullSample(long[] dst, double timeoutS) {
            return check(real.pullSample(dst, timeoutS));
        }

        @Override
        public double pullSample(String[] dst, double timeoutS) {
            return check(real.pullSample(dst, timeoutS));
        }

        @Override
        public int pullChunk(float[] dst, double[] timestamps, int maxSamples, double timeoutS) {
            check(0.0);
            return real.pullChunk(dst, timestamps, Math.min(maxSamples, 1), timeoutS);
        }

        @Override
        public int pullChunk(double[] dst, double[] timestamps, int maxSamples, double timeoutS) {
            check(0.0);
            int n = real.pullChunk(dst, timestamps, Math.min(maxSamples, 1), timeoutS);
            returned += n;
            return n;
        }

        @Override
        public double timeCorrection(double timeoutS) {
            return real.timeCorrection(timeoutS);
        }

        @Override
        public int samplesAvailable() {
            return real.samplesAvailable();
        }

        @Override
        public long droppedSamples() {
            return real.droppedSamples();
        }

        @Override
        public boolean lost() {
            return real.lost();
        }

        @Override
        public void close() {
            real.close();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void anInletThatFailsStopsOnlyItsStreamAndTheFileKeepsEverything(@TempDir Path dir) throws Exception {
        LslBackend real = new JavaLsl(LslConfig.loopback().conclude(), LslError.logging());
        String tag = UUID.randomUUID().toString().substring(0, 8);
        StreamInfo good = StreamInfo.builder("good-" + tag, "Test", 2, 100, ChannelFormat.FLOAT32, "good-" + tag)
                .build();
        StreamInfo bad = StreamInfo.builder("bad-" + tag, "Test", 2, 100, ChannelFormat.FLOAT32, "bad-" + tag)
                .build();
        // inlets to the stream named bad-... fail after 50 samples
        LslBackend failing = new LslBackend() {
            @Override
            public String name() {
                return real.name();
            }

            @Override
            public StreamOutlet createOutlet(StreamInfo info) {
                return real.createOutlet(info);
            }

            @Override
            public List<StreamInfo> resolve(String predicate, int minimum, double timeoutS) {
                return real.resolve(predicate, minimum, timeoutS);
            }

            @Override
            public StreamInlet createInlet(StreamInfo info, InletOptions options) {
                StreamInlet in = real.createInlet(info, options);
                return info.name().startsWith("bad-") ? new FailingInlet(in, 50) : in;
            }

            @Override
            public double localClock() {
                return real.localClock();
            }
        };
        try (StreamOutlet g = real.createOutlet(good); StreamOutlet b = real.createOutlet(bad)) {
            List<StreamInfo> found = new ArrayList<>();
            for (StreamInfo s : real.resolve("source_id='good-" + tag + "' or source_id='bad-" + tag + "'", 2,
                    10.0)) {
                if (found.stream().noneMatch(f -> f.uid().equals(s.uid()))) {
                    found.add(s);
                }
            }
            assertThat(found).hasSize(2);
            Path file = dir.resolve("rec.xdf");
            int[] pushed = {0};
            long deadline = System.nanoTime() + 30_000_000_000L;
            XdfRecorder.Result r = XdfRecorder.record(file, failing, found, res -> {
                if (System.nanoTime() > deadline) {
                    return true; // the assertions below say what was missing
                }
                // push as the recording goes (once both inlets are connected: an outlet sends only to connected
                // inlets), until the good stream has all 300 and the bad one has failed
                if (pushed[0] < 300 && g.haveConsumers() && b.haveConsumers()) {
                    g.pushSample(new float[] {pushed[0], 1}, 10.0 + pushed[0] * 0.01);
                    b.pushSample(new float[] {pushed[0], 2}, 10.0 + pushed[0] * 0.01);
                    pushed[0]++;
                }
                XdfRecorder.Recorded gs = res.streams.stream().filter(s -> s.info.name().startsWith("good-"))
                        .findFirst().orElseThrow();
                XdfRecorder.Recorded bs = res.streams.stream().filter(s -> s.info.name().startsWith("bad-"))
                        .findFirst().orElseThrow();
                return gs.samples >= 300 && bs.failure != null;
            }, null);
            XdfRecorder.Recorded gs = r.streams.stream().filter(s -> s.info.name().startsWith("good-")).findFirst()
                    .orElseThrow();
            XdfRecorder.Recorded bs = r.streams.stream().filter(s -> s.info.name().startsWith("bad-")).findFirst()
                    .orElseThrow();
            assertThat(gs.failure).isNull();
            assertThat(gs.samples).isEqualTo(300);
            assertThat(bs.failure).contains("injected inlet failure");
            assertThat(bs.samples).isEqualTo(50);
            // the file is whole and holds both streams as far as they were recorded
            XdfReader.Result read = XdfReader.read(file, new XdfReader.Visitor() { });
            assertThat(read.error).isNull();
            assertThat(read.streams.values()).extracting(s -> s.samples).containsExactlyInAnyOrder(300L, 50L);
        }
    }
}
