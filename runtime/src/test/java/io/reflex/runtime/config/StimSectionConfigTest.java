package io.reflex.runtime.config;

import io.reflex.runtime.check.ConfigException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.stim.SafetyEnvelope;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The daemon config's {@code stim} section: defaults, the example file, and refusals naming key, value, range. */
class StimSectionConfigTest {

    @Test
    void withoutAStimSectionThereIsNoStimulation() {
        assertThat(ReflexConfig.parse("{}").stim).isNull();
        assertThat(ReflexConfig.parse("{\"stim\": null}").stim).isNull();
    }

    @Test
    void anEmptySectionTakesTheDefaultsAndStaysDisarmed() {
        ReflexConfig c = ReflexConfig.parse("{\"stim\": {}}");
        assertThat(c.stim.stimulator).isEqualTo("simulated");
        assertThat(c.stim.armOnStart).isNull();
        assertThat(c.stim.envelope().electrodeCount()).isEqualTo(16);
    }

    @Test
    void theStimExampleConfigIsValidAndRoundTrips() {
        ReflexConfig c = ReflexConfig.load(Path.of("..", "config", "stim-example.json"));
        assertThat(c.stim.stimulator).isEqualTo("simulated");
        assertThat(c.stim.armOnStart).isNotBlank();
        SafetyEnvelope env = c.stim.envelope();
        assertThat(env.context().electrodes().get(15).areaUm2()).isEqualTo(500);
        assertThat(env.context().electrodes().get(14).areaUm2()).isEqualTo(2000);
        assertThat(ReflexConfig.parse(c.toJson()).toJson()).isEqualTo(c.toJson());
    }

    @Test
    void perElectrodeLimitsOverrideOnlyWhatTheyName() {
        ReflexConfig c = ReflexConfig.parse("{\"stim\": {\"electrodes\": 4, \"channels\": [0],"
                + " \"electrodeLimits\": [{\"electrode\": 2, \"maxAmplitudeNa\": 30000, \"shannonK\": 1.2}]}}");
        SafetyEnvelope env = c.stim.envelope();
        assertThat(env.context().electrodes().get(2).maxAmplitudeNa()).isEqualTo(30_000);
        assertThat(env.context().electrodes().get(2).shannonKMilli()).isEqualTo(1200);
        assertThat(env.context().electrodes().get(2).areaUm2()).isEqualTo(2000);
        assertThat(env.context().electrodes().get(1).maxAmplitudeNa()).isEqualTo(100_000);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            {"stim":{"shannonK":1.9}}                                | shannonK = 1.9 is unsafe
            {"stim":{"maxAmplitudeNa":30000000}}                     | stim envelope: electrode[0].maxAmplitudeNa must be in [1, 20000000], was 30000000
            {"stim":{"areaUm2":500}}                                 | electrode[0].maxChargePerPhasePc = 20000 is unsafe: on areaUm2 = 500 the Shannon limit k = 1.85 allows at most 18814 pC per phase
            {"stim":{"electrodeLimits":[{"electrode":3,"shannonK":2.0}]}} | electrode[3].shannonK
            {"stim":{"electrodeLimits":[{"electrode":16}]}}          | stim.electrodeLimits[0].electrode: 16 is not allowed; expected an integer in [0, 15]
            {"stim":{"electrodeLimits":[{"electrode":1},{"electrode":1}]}} | stim.electrodeLimits[1].electrode: 1 is not allowed; expected an electrode not listed before in stim.electrodeLimits
            {"stim":{"electrodeLimits":[{"electrode":1,"volts":3}]}} | stim.electrodeLimits[0].volts: unknown field
            {"stim":{"electrodes":0}}                                | stim.electrodes: 0 is not allowed; expected an integer in [1, 4096]
            {"stim":{"maxCurrent":3}}                                | stim.maxCurrent: unknown field; allowed fields here:
            {"stim":{"stimulator":"serial:/dev/ttyUSB0"}}            | stim.stimulator: "serial:/dev/ttyUSB0" is not allowed; expected simulated or tcp:HOST:PORT
            {"stim":{"stimulator":"tcp:127.0.0.1"}}                  | stim.stimulator: "tcp:127.0.0.1" is not allowed; expected tcp:HOST:PORT
            {"stim":{"stimulator":"tcp:127.0.0.1:70000"}}            | stim.stimulator: "tcp:127.0.0.1:70000" is not allowed; expected tcp:HOST:PORT with a port in [1, 65535]
            {"stim":{"stimulator":"tcp:239.1.2.3:4000"}}             | stim.stimulator: "tcp:239.1.2.3:4000" is not allowed; expected tcp:HOST:PORT with a unicast host; 239.1.2.3 is a multicast address
            {"stim":{"udp":"0.0.0.0:9000"}}                          | stim.udp: "0.0.0.0:9000" is not allowed; expected HOST:PORT with a unicast host; 0.0.0.0 is the wildcard address
            {"stim":{"armOnStart":"  "}}                             | stim.armOnStart: "  " is not allowed; expected the operator's reason
            {"stim":{"amplitudeNa":150000}}                          | lies outside the envelope (amplitude_over_limit); every trigger would be refused
            {"stim":{"channels":[0,16]}}                             | stim.channels[1]: 16 is not allowed; expected an integer in [0, 15]
            {"stim":{"channels":[]}}                                 | stim.channels: [] is not allowed; expected 1 to 64 electrode indices
            {"stim":{"polarity":"biphasic"}}                         | stim.polarity: "biphasic" is not allowed; expected one of [cathodic-first, anodic-first]
            {"stim":{"policy":"pid"}}                                | stim.policy: "pid" is not allowed; expected one of [threshold, state-train]
            {"stim":{"variable":2}}                                  | stim.variable: 2 is not allowed; expected a decoded output index
            {"stim":{"linkHeartbeatTimeoutMs":150}}                  | stim.linkHeartbeatTimeoutMs: 150 is not allowed; expected an integer in [201, 10000]
            {"stim":{"heartbeatTimeoutUs":50}}                       | stim.heartbeatTimeoutUs: 50 is not allowed; expected an integer in [100, 10000000]
            {"stim":{"watchdogPollUs":5}}                            | stim.watchdogPollUs: 5 is not allowed; expected an integer in [10, 1000000]
            {"stim":{"leadUs":2000000}}                              | stim.leadUs: 2000000 is not allowed; expected an integer in [0, 1000000]
            {"stim":{"maxTrainDurationMs":"long"}}                   | stim.maxTrainDurationMs: "long" is not allowed; expected an integer
            """)
    void badStimValuesAreRefusedNamingTheKey(String json, String message) {
        assertThatThrownBy(() -> ReflexConfig.parse(json)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(message.strip());
    }
}
