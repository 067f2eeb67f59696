package io.reflex.runtime.config;

import io.reflex.runtime.check.ConfigException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ReflexConfigTest {

    @Test
    void anEmptyObjectIsAValidConfigWithEveryDefault() {
        ReflexConfig c = ReflexConfig.parse("{}");
        assertThat(c.source.channels).isEqualTo(96);
        assertThat(c.pipeline.binWidthUs).isEqualTo(20_000);
        assertThat(c.pipeline.topology).isEqualTo("fused");
        assertThat(c.decoder.name).isEqualTo("kalman");
        assertThat(c.journal.enabled).isTrue();
        assertThat(c.calibration.timeoutS).isZero();
        assertThat(c.calibration.effectiveTimeoutS()).isEqualTo(30);
        c.calibration.seconds = 20;
        assertThat(c.calibration.effectiveTimeoutS()).isEqualTo(60);
        c.calibration.timeoutS = 25;
        assertThat(c.calibration.effectiveTimeoutS()).isEqualTo(25);
    }

    @Test
    void theExampleConfigIsValid() {
        ReflexConfig c = ReflexConfig.load(Path.of("..", "config", "example.json"));
        assertThat(c.decoder.compare).containsExactly("wiener");
        assertThat(c.decoder.options).containsEntry("gain", "steady");
        assertThat(ReflexConfig.parse(c.toJson()).toJson()).isEqualTo(c.toJson());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            {"pipeline":{"binWidthUs":0}}               | pipeline.binWidthUs: 0 is not allowed; expected an integer in [100, 10000000]
            {"pipeline":{"binWidthUs":1500}}            | pipeline.binWidthUs: 1500 is not allowed; expected a width holding a whole number (>= 1) of samples at source.sampleRateHz = 1000.0 Hz
            {"pipeline":{"ringSize":1000}}              | pipeline.ringSize: 1000 is not allowed; expected a power of two in [2, 1048576]
            {"pipeline":{"deadlineUs":-5}}              | pipeline.deadlineUs: -5 is not allowed; expected an integer in [1, 60000000]
            {"pipeline":{"topology":"triple"}}          | pipeline.topology: "triple" is not allowed; expected one of [single, fused, per-stage]
            {"pipeline":{"hotIdle":"spin"}}             | pipeline.hotIdle: "spin" is not allowed; expected one of [busy-spin, yield, backoff, park]
            {"pipeline":{"speed":3}}                    | pipeline.speed: unknown field; allowed fields here: [binWidthUs, deadlineUs, hotIdle, idle, realtimePriority, ringSize, topology]
            {"source":{"channels":"many"}}              | source.channels: "many" is not allowed; expected an integer
            {"source":{"channels":0}}                   | source.channels: 0 is not allowed; expected an integer in [1, 65536]
            {"source":{"type":"lsl-typo"}}              | source.type: "lsl-typo" is not allowed; expected one of [broadband, lorenz, lsl, synthetic]
            {"source":{"type":"lsl"}}                   | source.lsl: choose the stream by name, type or sourceId
            {"source":{"type":"lsl","lsl":{"name":"x","backend":"jni"}}} | source.lsl.backend: "jni" is not allowed; expected one of [auto, java, native]
            {"source":{"type":"lsl","lsl":{"name":"x","resolveTimeoutS":0}}} | source.lsl.resolveTimeoutS: 0.0 is not allowed; expected a number in [0.1, 3600.0]
            {"source":{"sampleRateHz":0}}               | source.sampleRateHz: 0.0 is not allowed; expected a number in [1.0, 1000000.0]
            {"decoder":{"name":"lfadz"}}                | decoder.name: "lfadz" is not allowed; expected one of [kalman, lfads, snn, wiener]
            {"decoder":{"compare":["kalman"]}}          | decoder.compare[0]: "kalman" is not allowed; expected a decoder other than decoder.name
            {"decoder":{"options":{"gain":"fast"}}}     | decoder.options:
            {"decoder":{"name":"snn","options":{"neurons":"100000"}}} | decoder.options: option neurons must be in [256, 16384], was 100000
            {"decoder":{"name":"snn","options":{"depth":"3"}}} | decoder.options: unknown option 'depth' for decoder snn
            {"decoder":{"name":"lfads","options":{"mode":"backwards"}}} | decoder.options: option mode
            {"decoder":{"name":"lfads","options":{"outputs":"65"}}} | decoder.options: option outputs must be in [1, 64], was 65
            {"calibration":{"seconds":-1}}              | calibration.seconds: -1.0 is not allowed; expected a number in [0.0, 3600.0]
            {"calibration":{"seconds":10,"timeoutS":5}} | calibration.timeoutS: 5.0 is not allowed; expected a number in [10.0, 86400.0]
            {"calibration":{"timeoutS":-1}}             | calibration.timeoutS: -1.0 is not allowed; expected a number in [10.0, 86400.0]
            {"journal":{"dir":""}}                      | journal.dir: "" is not allowed; expected a directory path
            {"journal":{"enabled":"yes"}}               | journal.enabled: "yes" is not allowed; expected true or false
            {"run":{"seconds":1}, "extra":1}            | extra: unknown field; allowed fields here: [calibration, control, decodedOutlet, decoder, frontend, journal, pipeline, run, source, stim]
            {"control":{"port":70000}}                  | control.port: 70000 is not allowed; expected an integer in [0, 65535]
            {"control":{"bind":"localhost"}}            | control.bind: "localhost" is not allowed; expected a numeric IP address such as 127.0.0.1 or ::1
            {"control":{"bind":"0.0.0.0"}}              | control.bind: "0.0.0.0" is not allowed; expected one specific address
            {"control":{"bind":"::"}}                   | control.bind: "::" is not allowed; expected one specific address
            {"control":{"bind":"192.168.1.10"}}         | control.bind: "192.168.1.10" is not allowed; expected a loopback address (127.0.0.1, ::1); another address needs "control.allowNonLoopback": true
            {"control":{"bind":"999.1.1.1"}}            | control.bind: "999.1.1.1" is not allowed; expected a numeric IP address
            {"control":{"telemetryHz":0}}               | control.telemetryHz: 0 is not allowed; expected an integer in [1, 60]
            {"control":{"telemetryHz":61}}              | control.telemetryHz: 61 is not allowed; expected an integer in [1, 60]
            {"control":{"telemetryChannels":[0,96]}}    | control.telemetryChannels[1]: 96 is not allowed; expected an integer in [0, 95]
            {"control":{"telemetryChannels":[-1]}}      | control.telemetryChannels[0]: -1 is not allowed; expected an integer in [0, 95]
            {"control":{"telemetryChannels":[null]}}    | control.telemetryChannels[0]: null is not allowed
            {"control":{"telemetryMaxClients":0}}       | control.telemetryMaxClients: 0 is not allowed; expected an integer in [1, 10000]
            {"source":{"broadband":{"noiseUv":-1}}}     | source.broadband.noiseUv: -1.0 is not allowed
            {"source":{"broadband":{"spikeMinUv":50,"spikeMaxUv":40}}} | source.broadband.spikeMaxUv: 40.0 is not allowed
            {"source":{"lsl":{"name":"a","bufferMiB":0}, "type":"lsl"}} | source.lsl.bufferMiB: 0 is not allowed
            {"pipeline":{"realtimePriority":99}}        | pipeline.realtimePriority: 99 is not allowed; expected an integer in [0, 98]
            {"control":{"token":"x"}}                   | control.token: unknown field; allowed fields here: [allowNonLoopback, bind, enabled, logFile, port, telemetryChannels, telemetryHz, telemetryMaxClients, tokenFile]
            """)
    void aBadValueIsRefusedNamingTheFieldTheValueAndWhatIsAllowed(String json, String message) {
        assertThatThrownBy(() -> ReflexConfig.parse(json))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(message.strip());
    }

    @Test
    void theControlApiIsOffAndLoopbackByDefaultAndAnotherAddressNeedsTheOptIn() {
        ReflexConfig c = ReflexConfig.parse("{}");
        assertThat(c.control.enabled).isFalse();
        assertThat(c.control.bind).isEqualTo("127.0.0.1");
        assertThat(c.control.port).isZero();
        assertThat(c.control.tokenPath(c)).isEqualTo(Path.of("reflex-journal", "control.token"));
        assertThat(c.control.logPath(c)).isEqualTo(Path.of("reflex-journal", "control.log"));
        assertThat(ReflexConfig.parse("{\"control\":{\"bind\":\"::1\"}}").control.bind).isEqualTo("::1");
        ReflexConfig example = ReflexConfig.load(Path.of("..", "config", "control-example.json"));
        assertThat(example.control.enabled).isTrue();
        assertThat(example.control.port).isEqualTo(8470);
        assertThat(ReflexConfig.parse("{\"control\":{\"bind\":\"192.168.1.10\", \"allowNonLoopback\": true}}")
                .control.bind).isEqualTo("192.168.1.10");
    }

    @Test
    void invalidJsonIsRefusedWithItsPosition() {
        assertThatThrownBy(() -> ReflexConfig.parse("{\"source\": {\n  \"channels\": 96,,\n}}"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("config: not valid JSON at line 2");
    }

    @Test
    void aMissingFileIsNamed() {
        assertThatThrownBy(() -> ReflexConfig.load(Path.of("no-such-config.json")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("no-such-config.json does not exist");
    }
}
