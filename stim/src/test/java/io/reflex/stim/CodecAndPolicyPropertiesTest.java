package io.reflex.stim;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.stim.driver.StimWire;
import io.reflex.stim.policy.StateTrainPolicy;
import io.reflex.stim.policy.ThresholdPolicy;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;

class CodecAndPolicyPropertiesTest {
    private static long policyIssued;
    private static long policyRuns;

    /** Every command the envelope can accept survives the wire format exactly, and a flipped bit is detected. */
    @Property(tries = 2_000)
    void commandsSurviveTheWireAndCorruptionIsDetected(@ForAll long seed, @ForAll @IntRange(min = 0, max = 99) int bit) {
        CommandGen gen = new CommandGen(seed);
        StimCommand c = new StimCommand();
        gen.fill(c, 1_000_000_000L);
        // keep only what the layout carries (the envelope refuses anything else before it is sent)
        StimCommand valid = new StimCommand().copyFrom(c).clearChannels();
        for (int i = 0; i < c.channelCount(); i++) {
            valid.addChannel(c.channel(i) & 0xFFFF);
        }
        valid.polarity(c.polarity() & 1);
        ByteBuffer buf = ByteBuffer.allocate(StimWire.MAX_FRAME).order(ByteOrder.LITTLE_ENDIAN);
        StimWire wire = new StimWire();
        wire.command(buf, seed, valid);
        buf.flip();
        ByteBuffer copy = ByteBuffer.allocate(buf.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        copy.put(buf.duplicate()).flip();
        assertThat(wire.parse(buf)).isEqualTo(StimWire.FRAME);
        assertThat(wire.sequence()).isEqualTo(seed);
        ByteBuffer payload = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        payload.position(wire.payloadOffset()).limit(wire.payloadOffset() + wire.payloadLength());
        StimCommand back = new StimCommand();
        assertThat(StimCodec.decode(payload, back)).isEqualTo(StimCodec.OK);
        assertThat(back.sameAs(valid)).as("%s vs %s", back, valid).isTrue();
        int pos = bit % copy.limit();
        copy.put(pos, (byte) (copy.get(pos) ^ (1 << (bit % 8))));
        assertThat(wire.parse(copy)).isNotEqualTo(StimWire.FRAME);
    }

    /**
     * Closed-loop policies fed with random decoded streams (including NaN and extreme values) and random stalls:
     * whatever they propose, nothing outside the envelope reaches the driver.
     */
    @Property(tries = 200)
    void policiesDrivingTheControllerNeverEmitOutsideTheEnvelope(@ForAll long seed) {
        EnvelopePropertiesTest.Harness h = new EnvelopePropertiesTest.Harness(seed);
        StimCommand tpl = new StimCommand();
        SplittableRandom rnd = new SplittableRandom(seed);
        tpl.addChannel(rnd.nextInt(16));
        if (rnd.nextBoolean()) {
            tpl.addChannel((tpl.channel(0) + 1 + rnd.nextInt(15)) % 16);
        }
        int w = 50_000 + rnd.nextInt(300_000);
        tpl.symmetric(10_000 + rnd.nextInt(100_000), w, rnd.nextInt(60_000)).pulseCount(1 + rnd.nextInt(40))
                .frequencyMilliHz(10_000 + rnd.nextInt(300_000));
        var threshold = new ThresholdPolicy.Context().threshold(0.5f).hysteresis(0.1f)
                .refractoryNs(rnd.nextInt(100) * 1_000_000L).maxTriggersPerWindow(1 + rnd.nextInt(20))
                .template(tpl).conclude();
        var train = new StateTrainPolicy.Context().firstStateIndex(1).stateCount(3).targetState(2).dwellBins(1)
                .refractoryNs(0).maxTrainsPerWindow(50).template(tpl).conclude();
        float[] decoded = new float[4];
        StimCommand out = new StimCommand();
        h.controller.arm("policy property");
        for (int i = 0; i < 2_000; i++) {
            h.clock.advance(rnd.nextInt(10) == 0 ? rnd.nextLong(300_000_000L) : 20_000_000L);
            long now = h.clock.nanoTime();
            for (int k = 0; k < decoded.length; k++) {
                decoded[k] = rnd.nextInt(50) == 0 ? Float.NaN : (float) (rnd.nextGaussian() * 2);
            }
            h.controller.doWork();
            if (threshold.evaluate(now, decoded, decoded.length, out)) {
                h.controller.submit(out.inputTimeNs(now));
            }
            if (train.evaluate(now, decoded, decoded.length, out)) {
                h.controller.submit(out.inputTimeNs(now));
            }
            if (rnd.nextInt(500) == 0) {
                h.controller.reset("property reset");
                h.controller.arm("property re-arm");
            }
        }
        assertThat(h.driver.unjournaled).isZero();
        assertThat(h.oracle.violations()).isZero();
        assertThat(h.driver.sent).isEqualTo(h.controller.issued());
        policyIssued += h.controller.issued();
        policyRuns++;
    }

    @AfterContainer
    static void policiesActuallyStimulated() {
        if (policyRuns > 0) {
            assertThat(policyIssued).as("commands the policies got through").isGreaterThan(policyRuns);
        }
    }
}
