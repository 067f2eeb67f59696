package io.reflex.decoders.lfads;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.decoders.bundle.BundleException;
import io.reflex.decoders.bundle.DType;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.bundle.ModelBundleWriter;
import io.reflex.decoders.engine.CpuEngine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A bundle whose fixed-point copies are not the quantisation of its float tensors is refused at load by both
 * arithmetics, naming the tensor; every shipped bundle passes.
 */
class QuantisedCopiesTest {

    static final LfadsDims CAUSAL = new LfadsDims(5, 6, 6, 0, 4, 4, 2, 0, 8, 3, 5, 1, 5.0, 0.02, true);

    /** {@code good} with tensor {@code target} replaced by {@code change} of its int16 or int32 values. */
    static ModelBundle tampered(ModelBundle good, LfadsBundleBuilder builder, String target, long delta) {
        ModelBundleWriter w = new ModelBundleWriter("lfads", "tampered").hyperparameters(builder.hyperparameters())
                .section("arithmetic", good.section("arithmetic"));
        for (String t : good.tensorNames()) {
            if (!t.equals(target)) {
                w.copyTensor(good, t);
            } else if (good.info(t).dtype() == DType.INT16) {
                short[] v = good.int16(t);
                v[v.length / 2] = (short) (v[v.length / 2] + delta);
                w.putInt16(t, good.shape(t), v, good.fracBits(t));
            } else {
                int[] v = good.int32(t);
                v[v.length / 2] = (int) (v[v.length / 2] + delta);
                w.putInt32(t, good.shape(t), v, good.fracBits(t));
            }
        }
        return w.toBundle();
    }

    // An int32 bias at 2^25 can be pinned down no closer than the float32 ulp of its float tensor (several LSB).
    @ParameterizedTest(name = "{0} + {1}")
    @CsvSource({"decoder.rnn.cell.gen_cell.weight_hh:q, 3", "decoder.rnn.cell.gen_cell.bias_ih:q, 1000",
        "decoder.rnn.cell.fac_norm:q, 3", "decoder.g0:q, 3"})
    void aFixedPointCopyThatIsNotTheQuantisationOfItsFloatTensorIsRefusedByBothArithmetics(String target, long delta) {
        LfadsBundleBuilder builder = LfadsBundleBuilder.random(CAUSAL, 5, true);
        ModelBundle good = builder.build("good", true);
        assertThat(good.hasTensor(target)).as(target).isTrue();
        ModelBundle bad = tampered(good, builder, target, delta);
        for (LfadsArithmetic a : LfadsArithmetic.values()) {
            assertThatThrownBy(() -> a.load(bad)).as(a.name())
                    .isInstanceOf(BundleException.class)
                    .hasMessageContaining("tensor '" + target + "'")
                    .hasMessageContaining("disagree");
        }
        for (boolean fixed : new boolean[] {false, true}) {
            assertThatThrownBy(() -> new CpuEngine(fixed).load(bad)).hasMessageContaining(target);
        }
    }

    @Test
    void oneLsbOfRoundingIsWithinTheDocumentedRoundingButTwoAreNot() {
        LfadsBundleBuilder builder = LfadsBundleBuilder.random(CAUSAL, 6, true);
        ModelBundle good = builder.build("good", true);
        String t = "decoder.rnn.cell.gen_cell.weight_ih:q";
        // a tie rounded the other way (an exporter quantising float64) is at most half an LSB plus float32 rounding
        QuantSource.verifyQuantisedCopies(good);
        assertThatThrownBy(() -> QuantSource.verifyQuantisedCopies(tampered(good, builder, t, 2)))
                .hasMessageContaining(t);
        assertThatThrownBy(() -> QuantSource.verifyQuantisedCopies(tampered(good, builder, t, -1)))
                .hasMessageContaining(t);
    }

    @Test
    void aBundleWithTheFixedCopiesOfAnotherModelIsRefused() {
        LfadsBundleBuilder a = LfadsBundleBuilder.random(CAUSAL, 7, true);
        ModelBundle floats = a.build("a", false);
        ModelBundle other = LfadsBundleBuilder.random(CAUSAL, 8, true).build("b", true);
        ModelBundleWriter w = new ModelBundleWriter("lfads", "mixed").hyperparameters(a.hyperparameters())
                .section("arithmetic", other.section("arithmetic"));
        for (String t : floats.tensorNames()) {
            w.copyTensor(floats, t);
        }
        for (String t : other.tensorNames()) {
            if (!floats.hasTensor(t)) {
                w.copyTensor(other, t);
            }
        }
        ModelBundle mixed = w.toBundle();
        assertThatThrownBy(() -> QuantSource.verifyQuantisedCopies(mixed)).isInstanceOf(BundleException.class)
                .hasMessageContaining(":q'");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/models/lfads-lorenz-causal.rbundle", "/models/lfads-lorenz-small.rbundle",
        "/models/lfads-centerout-causal.rbundle"})
    void everyShippedBundleIsConsistent(String resource) {
        ModelBundle b = ModelBundle.fromResource(resource);
        QuantSource.verifyQuantisedCopies(b);
        assertThat(b.tensorNames()).anyMatch(n -> n.endsWith(":q"));
    }
}
