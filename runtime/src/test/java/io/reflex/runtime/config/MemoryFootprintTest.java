package io.reflex.runtime.config;

import io.reflex.runtime.check.MemoryFootprint;
import io.reflex.runtime.check.ConfigException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A config is sized before anything is allocated, and one that cannot fit the heap is refused with the figure. */
class MemoryFootprintTest {

    @Test
    void sixtyFiveThousandChannelsInOneSecondBinsAreRefusedNamingTheRing() {
        String json = "{\"source\":{\"channels\":65536},\"pipeline\":{\"binWidthUs\":1000000},"
                + "\"calibration\":{\"seconds\":0}}";
        assertThatThrownBy(() -> ReflexConfig.parse(json))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).field()).isEqualTo("memory"))
                .hasMessageContaining("the largest item is the pipeline ring: 1024 slots x (65536 channels x 1000"
                        + " samples x 4 B")
                .hasMessageContaining("= 268.7 GB")
                .hasMessageContaining("half of the JVM's maximum heap");
    }

    @Test
    void theRingIsSlotsTimesChannelsTimesSamplesPerBin() {
        ReflexConfig c = ReflexConfig.parse("{}");
        MemoryFootprint.Item ring = c.footprint().items().get(0);
        assertThat(ring.name()).isEqualTo("pipeline ring");
        // 96 channels x 20 samples x 4 B + 20 x (8 + 3 x 4) B of time and reference + 96 x 4 B of features + 64
        assertThat(ring.bytes()).isEqualTo(1024L * (20 * (96 * 4 + 8 + 12) + 96 * 4 + 64));
        assertThat(c.footprint().totalBytes()).isLessThan(MemoryFootprint.boundBytes(Runtime.getRuntime()
                .maxMemory()));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            {"source":{"channels":65536},"decoder":{"name":"kalman"}}          | kalman matrices
            {"source":{"channels":4096,"sampleRateHz":1000000},"pipeline":{"binWidthUs":10000000,"ringSize":1048576}} | pipeline ring
            {"source":{"channels":65536,"sampleRateHz":10000},"calibration":{"seconds":3600},"pipeline":{"binWidthUs":100,"ringSize":2}} | calibration block
            """)
    void everySizedItemCountsAndHugeProductsDoNotOverflow(String json, String largest) {
        assertThatThrownBy(() -> ReflexConfig.parse(json))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("memory: this config needs at least ")
                .hasMessageContaining("the largest item is the " + largest);
    }

    @Test
    void theWienerGramMatrixIsChannelsTimesLagsSquared() {
        ReflexConfig c = ReflexConfig.parse("{\"source\":{\"channels\":200},\"decoder\":{\"name\":\"wiener\","
                + "\"options\":{\"lags\":\"5\"}}}");
        assertThat(c.footprint().items()).filteredOn(i -> i.name().equals("wiener gram matrix"))
                .singleElement().satisfies(i -> assertThat(i.bytes()).isEqualTo(1000L * 1000 * 8));
    }

    @Test
    void theBoundIsHalfOfTheHeapAndTheCheckPassesBelowIt() {
        ReflexConfig c = ReflexConfig.parse("{}");
        long total = c.footprint().totalBytes();
        assertThat(c.footprint().check(2 * total)).isNotNull();
        assertThatThrownBy(() -> c.footprint().check(2 * total - 2))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(MemoryFootprint.human(total));
        assertThat(c.footprint().describe(4 * total)).contains("pipeline ring", "calibration block", "total");
    }
}
