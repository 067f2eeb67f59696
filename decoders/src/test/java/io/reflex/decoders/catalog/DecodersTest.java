package io.reflex.decoders.catalog;

import io.reflex.decoders.TrainableDecoder;
import io.reflex.decoders.linear.KalmanDecoder;
import io.reflex.decoders.linear.WienerDecoder;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DecodersTest {

    @Test
    void createsKalmanWithDefaultsAndOptions() {
        final TrainableDecoder d = Decoders.create("kalman", 96, Map.of());
        assertThat(d).isInstanceOf(KalmanDecoder.class);
        assertThat(d.name()).isEqualTo("kalman");
        assertThat(d.inputCount()).isEqualTo(96);
        assertThat(d.outputCount()).isEqualTo(2);
        assertThat(((KalmanDecoder) d).gain()).isEqualTo(KalmanDecoder.Gain.STEADY_STATE);
        assertThat(((KalmanDecoder) d).constantState()).isTrue();
        final KalmanDecoder full = (KalmanDecoder) Decoders.create("KALMAN", 4,
                Map.of("gain", "full", "constant", "false", "outputs", "3"));
        assertThat(full.gain()).isEqualTo(KalmanDecoder.Gain.FULL);
        assertThat(full.constantState()).isFalse();
        assertThat(full.outputCount()).isEqualTo(3);
        assertThat(full.fitted()).isFalse();
    }

    @Test
    void createsWienerWithDefaultsAndOptions() {
        final WienerDecoder w = (WienerDecoder) Decoders.create("wiener", 8, null);
        assertThat(w.lags()).isEqualTo(Decoders.DEFAULT_WIENER_LAGS);
        assertThat(w.lambda()).isEqualTo(Decoders.DEFAULT_WIENER_LAMBDA);
        final WienerDecoder w2 = (WienerDecoder) Decoders.create("wiener", 8, Map.of("lags", "3", "lambda", "0"));
        assertThat(w2.lags()).isEqualTo(3);
        assertThat(w2.lambda()).isZero();
    }

    @Test
    void rejectsUnknownNamesOptionsAndValuesNamingThem() {
        assertThatThrownBy(() -> Decoders.create("lfads-x", 4, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown decoder 'lfads-x': allowed are [kalman, lfads, snn, wiener]");
        assertThatThrownBy(() -> Decoders.create("kalman", 4, Map.of("lags", "3")))
                .hasMessageContaining("unknown option 'lags' for decoder kalman");
        assertThatThrownBy(() -> Decoders.create("kalman", 4, Map.of("gain", "fast")))
                .hasMessageContaining("gain must be one of full|steady, was 'fast'");
        assertThatThrownBy(() -> Decoders.create("kalman", 4, Map.of("constant", "yes")))
                .hasMessageContaining("constant must be true or false");
        assertThatThrownBy(() -> Decoders.create("wiener", 4, Map.of("lags", "0")))
                .hasMessageContaining("lags must be in [1, 1000], was 0");
        assertThatThrownBy(() -> Decoders.create("wiener", 4, Map.of("lambda", "-1")))
                .hasMessageContaining("lambda must be finite and >= 0, was -1");
        assertThatThrownBy(() -> Decoders.create("wiener", 4, Map.of("lambda", "abc")))
                .hasMessageContaining("lambda must be a number");
        assertThatThrownBy(() -> Decoders.create("wiener", 0, Map.of()))
                .hasMessageContaining("channels must be >= 1");
    }

    @Test
    void createsLfadsAndSnnOverAnEngineChain() {
        final TrainableDecoder lfads = Decoders.create("lfads", 70, Map.of("outputs", "3"));
        assertThat(lfads).isInstanceOf(io.reflex.decoders.engine.EngineDecoder.class);
        final io.reflex.decoders.engine.EngineDecoder e = (io.reflex.decoders.engine.EngineDecoder) lfads;
        assertThat(e.name()).isEqualTo("lfads");
        assertThat(e.inputCount()).isEqualTo(70);
        assertThat(e.outputCount()).isEqualTo(3);
        assertThat(e.bundle().name()).isEqualTo(Decoders.lfadsModel(Decoders.DEFAULT_LFADS_MODEL).name());
        assertThat(e.chain().statuses()).extracting(io.reflex.decoders.engine.EngineStatus::name)
                .containsExactly("cpu-fixed");
        final io.reflex.decoders.engine.EngineDecoder sliding = (io.reflex.decoders.engine.EngineDecoder)
                Decoders.create("lfads", 70, Map.of("model", "src/main/resources/models/lfads-lorenz-causal.rbundle",
                        "mode", "sliding"), io.reflex.decoders.engine.EngineSpec.parseNames("cpu,cpu-fixed"));
        assertThat(((io.reflex.decoders.engine.CpuEngine) sliding.chain().engine(0)).mode())
                .isEqualTo(io.reflex.decoders.lfads.LfadsMode.SLIDING);
        assertThat(sliding.chain().engine(1).arithmetic()).isEqualTo("fixed");
        assertThat(sliding.arithmetic()).isEqualTo("float32");
        final TrainableDecoder snn = Decoders.create("snn", 16, Map.of("neurons", "256"),
                java.util.List.of(io.reflex.decoders.engine.EngineSpec.of("cpu")));
        assertThat(snn.name()).isEqualTo("snn");
        assertThat(((io.reflex.decoders.engine.EngineDecoder) snn).featureCount()).isEqualTo(256);
    }

    @Test
    void lfadsAndEngineErrorsNameTheProblem() {
        assertThatThrownBy(() -> Decoders.create("lfads", 96, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("channels (96) must equal the input dimension")
                .hasMessageContaining("encod_data_dim 70");
        assertThatThrownBy(() -> Decoders.create("lfads", 70, Map.of("model", "no-such-model")))
                .hasMessageContaining("'no-such-model' is neither a bundle file nor a shipped model");
        assertThatThrownBy(() -> Decoders.create("lfads", 70, Map.of("mode", "trial")))
                .hasMessageContaining("causal or sliding");
        assertThatThrownBy(() -> Decoders.create("lfads", 70, Map.of("mode", "fast")))
                .hasMessageContaining("mode must be one of");
        assertThatThrownBy(() -> Decoders.create("lfads", 70, Map.of("model", "lfads-lorenz-small",
                "mode", "causal"))).hasMessageContaining("causal bundle");
        assertThatThrownBy(() -> Decoders.create("lfads", 70, Map.of("neurons", "3")))
                .hasMessageContaining("unknown option 'neurons' for decoder lfads");
        assertThatThrownBy(() -> Decoders.create("lfads", 70, Map.of(),
                io.reflex.decoders.engine.EngineSpec.parseNames("xrt")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("xrt");
        assertThatThrownBy(() -> Decoders.create("kalman", 4, Map.of(),
                io.reflex.decoders.engine.EngineSpec.parseNames("cpu")))
                .hasMessageContaining("takes no engines");
    }

    @Test
    void checkOptionsRefusesWhatCreateRefusesWithTheSameMessageAndAcceptsWhatCreateAccepts() {
        List<Object[]> cases = List.of(
                new Object[] {"kalman", 4, Map.of("gain", "fast")},
                new Object[] {"kalman", 4, Map.of("lags", "3")},
                new Object[] {"wiener", 4, Map.of("lambda", "-1")},
                new Object[] {"wiener", 0, Map.of()},
                new Object[] {"snn", 8, Map.of("neurons", "100")},
                new Object[] {"snn", 8, Map.of("bin_ticks", "0")},
                new Object[] {"snn", 8, Map.of("seed", "x")},
                new Object[] {"lfads", 70, Map.of("mode", "backwards")},
                new Object[] {"lfads", 70, Map.of("outputs", "0")},
                new Object[] {"lfads", 12, Map.of()},
                new Object[] {"lfads", 70, Map.of("model", "no-such-model")},
                new Object[] {"lfadz", 70, Map.of()});
        for (Object[] c : cases) {
            @SuppressWarnings("unchecked")
            Map<String, String> opts = (Map<String, String>) c[2];
            Throwable created = catchThrowable(() -> Decoders.create((String) c[0], (Integer) c[1], opts));
            Throwable checked = catchThrowable(() -> Decoders.checkOptions((String) c[0], (Integer) c[1], opts));
            assertThat(created).as("create %s %s", c[0], opts).isInstanceOf(IllegalArgumentException.class);
            assertThat(checked).as("checkOptions %s %s", c[0], opts).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage(created.getMessage());
        }
        Decoders.checkOptions("kalman", 4, Map.of("gain", "full", "outputs", "3"));
        Decoders.checkOptions("wiener", 4, Map.of("lags", "5", "lambda", "2"));
        Decoders.checkOptions("snn", 8, Map.of("neurons", "16384", "lambda", "0.5"));
        Decoders.checkOptions("lfads", 70, Map.of("mode", "causal", "outputs", "3"));
    }
}
