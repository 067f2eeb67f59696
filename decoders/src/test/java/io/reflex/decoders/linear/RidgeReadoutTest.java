package io.reflex.decoders.linear;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The heap check a ridge fit makes before it allocates its p × p normal equations. */
class RidgeReadoutTest {
    @Test
    void aFitTooLargeForTheHeapIsRefusedNamingBothSizes() {
        assertThat(RidgeReadout.systemBytes(16_384)).isEqualTo(4L << 30);
        assertThat(RidgeReadout.heapMisfit(16_384, 8L << 30)).isNull();
        assertThat(RidgeReadout.heapMisfit(512, 64L << 20)).isNull();
        assertThat(RidgeReadout.heapMisfit(16_384, 2L << 30)).contains("16384 features").contains("needs 4096 MiB")
            .contains("heap limit is 2048 MiB").contains("-Xmx");
        assertThat(RidgeReadout.heapMisfit(50_000, Long.MAX_VALUE)).contains("too large");
    }
}
