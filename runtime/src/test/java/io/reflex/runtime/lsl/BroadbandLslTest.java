package io.reflex.runtime.lsl;

import static io.reflex.runtime.lsl.LslTestSupport.config;
import static io.reflex.runtime.lsl.LslTestSupport.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.runtime.frontend.FrontEnd;
import io.reflex.runtime.pipeline.SampleBlock;
import io.reflex.runtime.source.BroadbandGenerator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The broadband source over loopback LSL in chunks, into the front end: the same features as in process. */
@Timeout(120)
class BroadbandLslTest {
    private static final LslErrorHandler QUIET = (w, m, c) -> { };
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
}
