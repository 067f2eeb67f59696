package io.reflex.runtime.config;

import io.reflex.runtime.check.ConfigException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A config file is read strictly: content after the top-level object, a key given twice in one object and a
 * fraction where an integer is expected are refused with the field or position named, never silently resolved.
 */
class StrictJsonTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            {"source":{"channels":96}}},"run":{"seconds":5}}      | config: not valid JSON at line 1, column 27: content after the config object
            {"run":{"seconds":5}} {"journal":{"dir":"x"}}           | config: not valid JSON at line 1, column 23: content after the config object
            {} x                                                    | config: not valid JSON at line 1, column 4
            """)
    void contentAfterTheTopLevelObjectIsRefusedWithItsPosition(String json, String message) {
        assertThatThrownBy(() -> ReflexConfig.parse(json))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(message.strip());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            {"stim":{"maxAmplitudeNa":50000,"maxAmplitudeNa":100000}}           | stim.maxAmplitudeNa: given twice (second at line 1, column
            {"source":{"channels":96},"source":{"channels":4}}                   | source: given twice (second at line 1, column
            {"decoder":{"options":{"gain":"steady","gain":"fast"}}}              | decoder.options.gain: given twice (second at line 1, column
            {"stim":{"electrodeLimits":[{"electrode":1,"electrode":2}]}}         | stim.electrodeLimits[0].electrode: given twice (second at line 1, column
            """)
    void aKeyGivenTwiceIsRefusedNamingItsPath(String json, String message) {
        assertThatThrownBy(() -> ReflexConfig.parse(json))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(message.strip())
                .hasMessageContaining("each key may appear once");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            {"source":{"channels":96.7}}                  | source.channels: 96.7 is not allowed; expected an integer
            {"source":{"channels":96.0}}                  | source.channels: 96.0 is not allowed; expected an integer
            {"pipeline":{"binWidthUs":20000.5}}           | pipeline.binWidthUs: 20000.5 is not allowed; expected an integer
            {"source":{"seed":1e3}}                       | source.seed: 1000.0 is not allowed; expected an integer
            {"stim":{"channels":[0,1.5]}}                 | stim.channels[1]: 1.5 is not allowed; expected an integer
            {"stim":{"electrodeLimits":[{"electrode":0,"maxAmplitudeNa":5e4}]}} | stim.electrodeLimits[0].maxAmplitudeNa: 50000.0 is not allowed; expected an integer
            """)
    void aFractionWhereAnIntegerIsExpectedIsRefusedNotTruncated(String json, String message) {
        assertThatThrownBy(() -> ReflexConfig.parse(json))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(message.strip());
    }

    @Test
    void integersStillReadIntoNumberFieldsAndWellFormedConfigsStillLoad() {
        ReflexConfig c = ReflexConfig.parse("{\"source\":{\"sampleRateHz\":1000,\"channels\":32},\"run\":{\"seconds\":5}}\n");
        assertThat(c.source.sampleRateHz).isEqualTo(1000.0);
        assertThat(c.source.channels).isEqualTo(32);
        assertThat(c.run.seconds).isEqualTo(5.0);
    }
}
