package io.reflex.decoders.lfads;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.fixed.FixedPoint;

/** Recomputes every {@code :q} tensor of an LFADS bundle with the Java quantiser and compares exactly. */
final class QuantiserCheck {
    private QuantiserCheck() {
    }

    static int verify(ModelBundle b) {
        int checked = 0;
        for (String q : b.tensorNames()) {
            if (!q.endsWith(LfadsTensors.Q)) {
                continue;
            }
            String name = q.substring(0, q.length() - 2);
            int f = b.fracBits(q);
            if (name.equals(LfadsTensors.FAC_NORM)) {
                int[] s = b.shape(LfadsTensors.FAC_LINEAR);
                QuantSource.Weight w = QuantSource.quantiseWeight(
                        LfadsTensors.facNorm(b.floatAsDouble(LfadsTensors.FAC_LINEAR), s[0], s[1]));
                assertThat(w.fracBits()).as(q).isEqualTo(f);
                assertThat(w.values()).as(q).containsExactly(b.int16(q));
            } else if (name.endsWith("weight") || name.endsWith("weight_ih") || name.endsWith("weight_hh")) {
                QuantSource.Weight w = QuantSource.quantiseWeight(b.floatAsDouble(name));
                assertThat(w.fracBits()).as(q).isEqualTo(f);
                assertThat(w.values()).as(q).containsExactly(b.int16(q));
            } else if (name.endsWith("bias") || name.endsWith("bias_ih") || name.endsWith("bias_hh")) {
                String wname = name.endsWith("bias_ih") ? name.replace("bias_ih", "weight_ih")
                        : name.endsWith("bias_hh") ? name.replace("bias_hh", "weight_hh") : name.replace(".bias", ".weight");
                int fv = name.endsWith("bias_ih") && name.startsWith("encoder.") ? 0 : FixedPoint.ACT;
                assertThat(f).as(q + " frac_bits = F_W + F_v").isEqualTo(b.fracBits(wname + LfadsTensors.Q) + fv);
                assertThat(FixedPoint.quantizeBias(b.floatAsDouble(name), f)).as(q).containsExactly(b.int32(q));
            } else {
                assertThat(f).as(q).isEqualTo(FixedPoint.ACT);
                assertThat(FixedPoint.quantizeState(b.floatAsDouble(name))).as(q).containsExactly(b.int16(q));
            }
            checked++;
        }
        return checked;
    }
}
