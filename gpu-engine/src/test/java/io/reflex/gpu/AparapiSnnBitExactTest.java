package io.reflex.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import com.aparapi.device.Device;
import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.checkpoint.CheckpointStatus;
import io.reflex.decoders.snn.LifPopulation;
import io.reflex.decoders.snn.SnnReservoir;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Aparapi SNN tick ({@link SnnTickKernel} through {@link AparapiSnn}) against the golden model of
 * {@code cpu-fixed} ({@link SnnReservoir}): 1,000 random networks (saturating weights, biases and thresholds in a
 * quarter of them), 3 bins each, every output bit and every state variable compared after every bin; on the OpenCL
 * device and on the Java thread pool.
 */
class AparapiSnnBitExactTest {
    static final int CASES = 1000;
    static final int BINS = 3;

    static Device openClOrSkip() {
        AparapiDevices.Probe p = AparapiDevices.probe();
        // the reason reads e.g. "no OpenCL device (install pocl-opencl-icd)"
        Assumptions.assumeTrue(p.openCl() != null, "skipped: " + p.reason());
        return p.openCl();
    }

    @Test
    @Timeout(600)
    void bitExactOnOpenCl() {
        Device d = openClOrSkip();
        int[] stats = run(d, 0x0C1L);
        System.out.println("aparapi-fixed SNN on " + AparapiDevices.describe(d) + ": " + CASES + " cases, "
                + stats[0] + " spikes, " + stats[1] + " saturated states");
    }

    @Test
    @Timeout(600)
    void bitExactOnJavaThreadPool() {
        run(AparapiDevices.threadPool(), 0x7E9L);
    }

    /** Returns {spikes seen, saturated state values seen} so that the cases are known to exercise both. */
    private static int[] run(Device device, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int spikes = 0;
        int saturated = 0;
        try (AparapiSnn gpu = new AparapiSnn(device, SnnCases.MAX_N, SnnCases.MAX_M,
                SnnCases.MAX_N * SnnCases.MAX_FAN, SnnCases.MAX_TICKS)) {
            assertThat(gpu.launcher().openCl()).isEqualTo(!(device == AparapiDevices.threadPool()));
            float[] counts = new float[SnnCases.MAX_M];
            float[] want = new float[SnnCases.MAX_N];
            float[] got = new float[SnnCases.MAX_N];
            for (int c = 0; c < CASES; c++) {
                SnnReservoir golden = SnnCases.reservoir(rng);
                gpu.load(golden);
                LifPopulation pop = golden.population();
                int n = golden.neuronCount();
                for (int b = 0; b < BINS; b++) {
                    SnnCases.counts(rng, counts, golden.inputCount(), golden.binTicks());
                    assertThat(golden.step(counts, want)).isEqualTo(DecodeStatus.OK);
                    int s = gpu.step(counts, got);
                    assertThat(s).as("case %d bin %d: %s", c, b, gpu.launcher().fault()).isEqualTo(DecodeStatus.OK);
                    for (int i = 0; i < n; i++) {
                        String at = "case " + c + " bin " + b + " neuron " + i;
                        assertThat(Float.floatToRawIntBits(got[i])).as("out " + at)
                                .isEqualTo(Float.floatToRawIntBits(want[i]));
                        assertThat(gpu.trace(i)).as("trace " + at).isEqualTo(golden.trace(i));
                        assertThat(gpu.membrane(i)).as("V " + at).isEqualTo(pop.membrane(i));
                        assertThat(gpu.current(i)).as("I " + at).isEqualTo(pop.current(i));
                        assertThat(gpu.refractory(i)).as("ref " + at).isEqualTo(pop.refractory(i));
                        assertThat(gpu.spiked(i)).as("spike " + at).isEqualTo(pop.spiked(i));
                        if (pop.spiked(i)) {
                            spikes++;
                        }
                        if (isSat(pop.membrane(i)) || isSat(pop.current(i))) {
                            saturated++;
                        }
                    }
                }
                assertThat(gpu.countsClipped()).isEqualTo(golden.countsClipped());
            }
        }
        assertThat(spikes).as("spikes seen").isGreaterThan(CASES);
        assertThat(saturated).as("saturated V or I seen").isGreaterThan(CASES / 20);
        return new int[] {spikes, saturated};
    }

    private static boolean isSat(int v) {
        return v == Integer.MAX_VALUE || v == Integer.MIN_VALUE;
    }

    @Test
    @Timeout(300)
    void checkpointsCrossBetweenGoldenAndAparapiBothWays() {
        SplittableRandom rng = new SplittableRandom(0xC4EC);
        try (AparapiSnn gpu = new AparapiSnn(AparapiDevices.threadPool(), SnnCases.MAX_N, SnnCases.MAX_M,
                SnnCases.MAX_N * SnnCases.MAX_FAN, SnnCases.MAX_TICKS)) {
            float[] counts = new float[SnnCases.MAX_M];
            float[] want = new float[SnnCases.MAX_N];
            float[] got = new float[SnnCases.MAX_N];
            for (int c = 0; c < 100; c++) {
                SnnReservoir golden = SnnCases.reservoir(rng);
                gpu.load(golden);
                byte[] cp = new byte[golden.checkpointBytes()];
                assertThat(gpu.checkpointBytes()).isEqualTo(cp.length);
                for (int b = 0; b < 6; b++) {
                    SnnCases.counts(rng, counts, golden.inputCount(), golden.binTicks());
                    if (b % 2 == 0) {
                        // golden ran the last bin: the Aparapi stream takes over from its checkpoint
                        assertThat(golden.save(cp)).isEqualTo(CheckpointStatus.OK);
                        assertThat(gpu.restore(cp)).isEqualTo(CheckpointStatus.OK);
                    } else {
                        assertThat(gpu.save(cp)).isEqualTo(CheckpointStatus.OK);
                        assertThat(golden.restore(cp)).isEqualTo(CheckpointStatus.OK);
                    }
                    golden.step(counts, want);
                    assertThat(gpu.step(counts, got)).isEqualTo(DecodeStatus.OK);
                    for (int i = 0; i < golden.neuronCount(); i++) {
                        assertThat(Float.floatToRawIntBits(got[i])).as("case %d bin %d neuron %d", c, b, i)
                                .isEqualTo(Float.floatToRawIntBits(want[i]));
                        assertThat(gpu.membrane(i)).isEqualTo(golden.population().membrane(i));
                    }
                }
            }
        }
    }
}
