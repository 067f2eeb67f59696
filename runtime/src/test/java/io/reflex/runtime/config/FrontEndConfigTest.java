package io.reflex.runtime.config;

import io.reflex.runtime.check.ConfigException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FrontEndConfigTest {
    private static final String BROADBAND = "\"source\":{\"type\":\"broadband\",\"sampleRateHz\":30000,\"channels\":32}";

    @Test
    void aFrontendSectionParsesWithItsDefaultsAndSetsTheDecoderInputs() {
        ReflexConfig c = ReflexConfig.parse("{" + BROADBAND + ",\"frontend\":{}}");
        assertThat(c.frontend.car).isEqualTo("all");
        assertThat(c.frontend.filter.order).isEqualTo(2);
        assertThat(c.frontend.filter.highPassHz).isEqualTo(250);
        assertThat(c.frontend.filter.lowPassHz).isEqualTo(5_000);
        assertThat(c.frontend.threshold.k).isEqualTo(4.5);
        assertThat(c.frontend.threshold.refractoryMs).isEqualTo(1.0);
        assertThat(c.frontend.outputs).containsExactly("crossings");
        assertThat(c.featureCount()).isEqualTo(32);
        ReflexConfig both = ReflexConfig.parse("{" + BROADBAND + ",\"journal\":{\"enabled\":false},"
                + "\"frontend\":{\"car\":\"groups\",\"carGroupSize\":16,\"outputs\":[\"crossings\",\"power\"],"
                + "\"filter\":{\"order\":4,\"highPassHz\":300,\"lowPassHz\":0},\"threshold\":{\"k\":3.5}}}");
        assertThat(both.featureCount()).isEqualTo(64);
        assertThat(both.frontend.toContext().channels(32).sampleRateHz(30_000).samplesPerBin(600).conclude()
                .describeFilter()).isEqualTo("high-pass 300 Hz, order 4");
        assertThat(ReflexConfig.parse(both.toJson()).toJson()).isEqualTo(both.toJson());
        assertThat(ReflexConfig.parse("{}").frontend).isNull();
        // both outputs with the journal on: frames of 2 x channels features (journal frame layout 2), sized for
        ReflexConfig journaled = ReflexConfig.parse("{" + BROADBAND + ",\"frontend\":{\"outputs\":[\"crossings\","
                + "\"power\"]}}");
        assertThat(journaled.journal.enabled).isTrue();
        assertThat(journaled.featureCount()).isEqualTo(64);
        assertThat(journaled.journalFrameBytes() - c.journalFrameBytes()).as("32 more features of 4 bytes")
                .isEqualTo(128);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            "frontend":{"filter":{"lowPassHz":15000}}     | frontend.filter.lowPassHz: 15000.0 is not allowed; expected 0 (off) or a corner strictly between 0 and the Nyquist frequency 15000.0 Hz
            "frontend":{"filter":{"highPassHz":5000}}     | frontend.filter.lowPassHz: 5000.0 is not allowed; expected a corner above frontend.filter.highPassHz (5000.0 Hz)
            "frontend":{"filter":{"order":17}}            | frontend.filter.order: 17 is not allowed
            "frontend":{"car":"median"}                   | frontend.car
            "frontend":{"car":"groups","carGroupSize":64} | frontend.carGroupSize: 64 is not allowed
            "frontend":{"threshold":{"k":0}}              | frontend.threshold.k: 0.0 is not allowed
            "frontend":{"threshold":{"refractoryMs":-1}}  | frontend.threshold.refractoryMs
            "frontend":{"outputs":[]}                     | frontend.outputs: [] is not allowed
            "frontend":{"outputs":["spikes"]}             | frontend.outputs[0]
            "frontend":{"rmsSeconds":0}                   | frontend.rmsSeconds
            "frontend":{"health":{"clipUv":0}}            | frontend.health.clipUv
            "frontend":{"inputScaleUv":0}                 | frontend.inputScaleUv: 0.0 is not allowed
            "frontend":{"gain":2}                         | frontend.gain: unknown field
            "frontend":null                               | frontend: null is not allowed; expected a frontend section
            """)
    void aBadFrontendIsRefusedNamingTheKey(String section, String message) {
        assertThatThrownBy(() -> ReflexConfig.parse("{" + BROADBAND + "," + section + "}"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(message.strip());
    }

    @Test
    void cornersAreCheckedAgainstTheSourceRate() {
        // the default band-pass's 5 kHz corner is beyond the Nyquist frequency of a 1 kHz source
        assertThatThrownBy(() -> ReflexConfig.parse("{\"frontend\":{}}"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("frontend.filter.lowPassHz")
                .hasMessageContaining("Nyquist frequency 500.0 Hz (source.sampleRateHz 1000.0 Hz)");
    }
}
