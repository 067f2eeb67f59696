package io.reflex.runtime.lsl;

import io.reflex.lsl.ChannelFormat;
import io.reflex.lsl.InletOptions;
import io.reflex.lsl.JavaLsl;
import io.reflex.lsl.LslBackend;
import io.reflex.lsl.StreamInfo;
import io.reflex.lsl.StreamInlet;
import io.reflex.lsl.StreamOutlet;
import io.reflex.lsl.LslTestSupport;

import static io.reflex.lsl.LslTestSupport.config;
import static io.reflex.lsl.LslTestSupport.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.runtime.frontend.FrontEnd;
import io.reflex.runtime.pipeline.SampleBlock;
import io.reflex.runtime.source.BroadbandGenerator;
import java.util.List;
import org.agrona.ErrorHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The broadband source over loopback LSL in chunks, into the front end: the same features as in process. */
@Timeout(120)
class BroadbandLslTest {
    private static final ErrorHandler QUIET = e -> { };
    private static final int CH = 16;
    private static final int BIN = 30;

    private static BroadbandGenerator generator() {
        return new BroadbandGenerator(new BroadbandGenerator.Context().channels(CH).seed(5).deadChannels(4, 8, 12));
    }

    private static FrontEnd frontEnd() {
        return new FrontEnd(new FrontEnd.Context().channels(CH).sampleRateHz(30_000).samplesPerBin(BIN)
                .rmsSeconds(0.3).outputs(List.of("crossings", "power")));
    }

    @Test
    void chunksOfSevenOverLslGiveTheSameFeaturesAsTheGeneratorInProcess() {
        LslBackend backend = new JavaLsl(config(), QUIET);
        String name = uniqueName("broadband");
        int bins = 1_000; // 1 s of 1 ms bins
        FrontEnd overLsl = frontEnd();
        FrontEnd direct = frontEnd();
        BroadbandGenerator twin = generator();
        float[] got = new float[2 * CH];
        float[] want = new float[2 * CH];
        float[] bin = new float[BIN * CH];
        float[] sample = new float[CH];
        double[] kin = new double[4];
        try (BroadbandLslPublisher pub = new BroadbandLslPublisher(backend, name, name, generator(), 7);
             LslSampleSource src = LslSampleSource.open(backend, new LslSampleSource.Selector().name(name)
                     .sourceId(name), 5)) {
            assertThat(src.channels()).isEqualTo(CH);
            assertThat(src.nominalRateHz()).isEqualTo(30_000);
            assertThat(src.referenceNames()).containsExactly("px", "py", "vx", "vy");
            SampleBlock block = new SampleBlock(CH, BIN, 4);
            for (int b = 0; b < bins; b++) {
                block.clear();
                while (!block.isFull()) {
                    if (pub.published() < (long) (b + 1) * BIN) {
                        pub.publishChunk(10.0 + pub.published() / 30_000.0);
                    }
                    src.poll(block);
                }
                overLsl.process(block.samples(), BIN, got);
                for (int s = 0; s < BIN; s++) {
                    twin.nextSample(sample, kin);
                    System.arraycopy(sample, 0, bin, s * CH, CH);
                }
                direct.process(bin, BIN, want);
                assertThat(got).as("bin %d", b).containsExactly(want);
                if (b == bins - 1) {
                    // the reference channels carry the kinematics of the bin's last sample
                    assertThat(block.reference()[(BIN - 1) * 4 + 2]).isEqualTo((float) kin[2]);
                }
            }
        }
        assertThat(overLsl.isCalibrated()).isTrue();
        assertThat(overLsl.describeDead()).isEqualTo("4 (non-finite), 8 (flat), 12 (clipped)");
        assertThat(overLsl.crossingsTotal()).isPositive().isEqualTo(direct.crossingsTotal());
    }

    /** µV to int16 counts of 0.25 µV, as an amplifier quantises (the rail of 8,000 µV is 32,000 counts). */
    private static void quantise(float[] uv, short[] counts) {
        for (int c = 0; c < uv.length; c++) {
            counts[c] = (short) Math.max(-32_768, Math.min(32_767, Math.round(uv[c] / 0.25f)));
        }
    }

    @Test
    void theInt16PublisherSendsCountsAndTheKinematicsOnAStreamOfTheirOwn() {
        LslBackend backend = new JavaLsl(config(), QUIET);
        String name = uniqueName("broadband-i16pub");
        String kinName = name + "-kin";
        int every = 10;
        int chunk = 7;
        int chunks = 300; // 2,100 samples
        BroadbandGenerator twin = generator();
        float[] uv = new float[CH];
        double[] kin = new double[4];
        try (BroadbandLslPublisher pub = BroadbandLslPublisher.int16(backend, name, name, generator(), chunk, 0.25,
                kinName, every)) {
            StreamInfo info = backend.resolve("name='" + name + "'", 1, 5).get(0);
            StreamInfo kinfo = backend.resolve("name='" + kinName + "'", 1, 5).get(0);
            assertThat(info.channelFormat()).isEqualTo(ChannelFormat.INT16);
            assertThat(info.channelCount()).isEqualTo(CH);
            assertThat(kinfo.type()).isEqualTo(SplitLslPublisher.KINEMATICS_TYPE);
            assertThat(kinfo.nominalSrate()).isEqualTo(30_000.0 / every);
            StreamInlet neural = backend.createInlet(info, new InletOptions());
            StreamInlet kinematics = backend.createInlet(kinfo, new InletOptions());
            neural.open(5);
            kinematics.open(5);
            assertThat(neural.fullInfo(5).desc().child("acquisition").childValue("resolution_uv")).isEqualTo("0.25");
            short[] got = new short[CH];
            float[] gotKin = new float[4];
            long kinSeen = 0;
            for (int c = 0; c < chunks; c++) {
                pub.publishChunk(10.0 + c * chunk / 30_000.0);
                for (int s = 0; s < chunk; s++) {
                    long n = (long) c * chunk + s;
                    twin.nextSample(uv, kin);
                    double t = neural.pullSample(got, 5);
                    assertThat(t).as("sample %d's stamp", n).isEqualTo(10.0 + c * chunk / 30_000.0 + s / 30_000.0);
                    for (int ch = 0; ch < CH; ch++) {
                        short want = Float.isFinite(uv[ch]) ? (short) Math.max(-32_768, Math.min(32_767,
                                Math.round(uv[ch] / 0.25f))) : 0;
                        assertThat(got[ch]).as("sample %d channel %d", n, ch).isEqualTo(want);
                    }
                    if (n % every == 0) {
                        double kt = kinematics.pullSample(gotKin, 5);
                        assertThat(kt).as("kinematics of sample %d", n).isEqualTo(t);
                        assertThat(gotKin[2]).isEqualTo((float) kin[2]);
                        assertThat(gotKin[3]).isEqualTo((float) kin[3]);
                        kinSeen++;
                    }
                }
            }
            assertThat(kinSeen).isEqualTo((chunks * chunk + every - 1) / every);
            assertThat(kinematics.samplesAvailable()).as("no kinematics sample but those due").isZero();
            neural.close();
            kinematics.close();
        }
    }

    @Test
    void aLoopPublishesItsPrecomputedChunksOverAndOverStampedAsTheyGoOut() {
        LslBackend backend = new JavaLsl(config(), QUIET);
        String name = uniqueName("broadband-loop");
        String kinName = name + "-kin";
        int chunk = 7;
        int every = 10;
        int loopSamples = 21; // three chunks
        BroadbandGenerator twin = generator();
        float[] uv = new float[CH];
        double[] kin = new double[4];
        short[][] want = new short[loopSamples][CH];
        float[][] wantVy = new float[loopSamples][1];
        for (int n = 0; n < loopSamples; n++) {
            twin.nextSample(uv, kin);
            for (int ch = 0; ch < CH; ch++) {
                want[n][ch] = BroadbandLslPublisher.toCount(uv[ch], 0.25f);
            }
            wantVy[n][0] = (float) kin[3];
        }
        BroadbandGenerator gen = generator();
        try (BroadbandLslPublisher pub = BroadbandLslPublisher.int16(backend, name, name, gen, chunk, 0.25,
                kinName, every)) {
            pub.loop(loopSamples / 30_000.0);
            assertThat(pub.loopChunks()).isEqualTo(3);
            assertThat(gen.sampleIndex()).as("the loop generated up front").isEqualTo(loopSamples);
            StreamInfo info = backend.resolve("name='" + name + "'", 1, 5).get(0);
            StreamInfo kinfo = backend.resolve("name='" + kinName + "'", 1, 5).get(0);
            StreamInlet neural = backend.createInlet(info, new InletOptions());
            StreamInlet kinematics = backend.createInlet(kinfo, new InletOptions());
            neural.open(5);
            kinematics.open(5);
            short[] got = new short[CH];
            float[] gotKin = new float[4];
            int chunks = 8; // the loop two and two thirds times
            for (int c = 0; c < chunks; c++) {
                pub.publishChunk(20.0 + c * chunk / 30_000.0);
                for (int s = 0; s < chunk; s++) {
                    int n = c * chunk + s;
                    double t = neural.pullSample(got, 5);
                    assertThat(t).as("sample %d's stamp", n).isEqualTo(20.0 + c * chunk / 30_000.0 + s / 30_000.0);
                    assertThat(got).as("sample %d is loop sample %d", n, n % loopSamples)
                            .containsExactly(want[n % loopSamples]);
                    if (n % every == 0) {
                        assertThat(kinematics.pullSample(gotKin, 5)).isEqualTo(t);
                        assertThat(gotKin[3]).isEqualTo(wantVy[n % loopSamples][0]);
                    }
                }
            }
            assertThat(gen.sampleIndex()).as("nothing generated after the loop").isEqualTo(loopSamples);
            assertThat(pub.published()).isEqualTo((long) chunks * chunk);
            neural.close();
            kinematics.close();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> pub.loop(1))
                    .isInstanceOf(IllegalStateException.class);
        }
        try (BroadbandLslPublisher pub = new BroadbandLslPublisher(backend, uniqueName("broadband-loopf"), "f",
                generator(), 30)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> pub.loop(0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("(0, 3600]");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> pub.loop(3_600))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("raise -Xmx");
            pub.loop(0.001);
            assertThat(pub.loopChunks()).isEqualTo(1);
        }
    }

    @Test
    void int16CountsOverLslWithTheirScaleGiveTheFeaturesOfTheQuantisedVoltage() {
        LslBackend backend = new JavaLsl(config(), QUIET);
        String name = uniqueName("broadband-int16");
        int bins = 1_000;
        // int16 carries no NaN: the flat and clipped channels only
        BroadbandGenerator gen = new BroadbandGenerator(new BroadbandGenerator.Context().channels(CH).seed(6)
                .deadChannels(-1, 8, 12));
        FrontEnd.Context counts = new FrontEnd.Context().channels(CH).sampleRateHz(30_000).samplesPerBin(BIN)
                .rmsSeconds(0.3).inputScaleUv(0.25);
        FrontEnd overLsl = new FrontEnd(counts);
        FrontEnd inMicrovolts = new FrontEnd(new FrontEnd.Context().channels(CH).sampleRateHz(30_000)
                .samplesPerBin(BIN).rmsSeconds(0.3));
        float[] got = new float[CH];
        float[] uvFeatures = new float[CH];
        float[] uvBin = new float[BIN * CH];
        float[] sample = new float[CH];
        short[] q = new short[CH];
        double[] kin = new double[4];
        long uvCrossings = 0;
        long lslCrossings = 0;
        StreamInfo info = StreamInfo.builder(name, "EEG", CH, 30_000, ChannelFormat.INT16, name).build();
        try (StreamOutlet outlet = backend.createOutlet(info);
             LslSampleSource src = LslSampleSource.open(backend, new LslSampleSource.Selector().name(name)
                     .sourceId(name), 5)) {
            assertThat(src.channels()).isEqualTo(CH);
            SampleBlock block = new SampleBlock(CH, BIN, 0);
            long pushed = 0;
            for (int b = 0; b < bins; b++) {
                for (int s = 0; s < BIN; s++) {
                    gen.nextSample(sample, kin);
                    System.arraycopy(sample, 0, uvBin, s * CH, CH);
                    quantise(sample, q);
                    outlet.pushSample(q, 10.0 + pushed++ / 30_000.0);
                }
                block.clear();
                LslTestSupport.await(() -> {
                    src.poll(block);
                    return block.isFull();
                });
                for (int i = 0; i < BIN * CH; i++) {
                    // whole counts, exactly, as floats
                    assertThat(block.samples()[i]).isEqualTo((float) Math.round(block.samples()[i]));
                }
                overLsl.process(block.samples(), BIN, got);
                inMicrovolts.process(uvBin, BIN, uvFeatures);
                for (int c = 0; c < CH; c++) {
                    lslCrossings += (long) got[c];
                    uvCrossings += (long) uvFeatures[c];
                }
            }
        }
        assertThat(overLsl.describeDead()).isEqualTo("8 (flat), 12 (clipped)");
        assertThat(overLsl.rms(0)).isCloseTo(inMicrovolts.rms(0), org.assertj.core.data.Offset.offset(0.01));
        // 0.25 uV steps against ~6 uV of filtered noise: the crossings of the quantised stream are within 2 %
        assertThat((double) lslCrossings).isPositive().isCloseTo(uvCrossings,
                org.assertj.core.data.Percentage.withPercentage(2));
    }
}
