package io.reflex.stim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SafetyEnvelopeTest {
    private static final long NOW = 1_000_000_000L;

    @Test
    void shannonCeilingIsExactFloorOfTheDefinition() {
        // A = 1e4 um^2 = 1e-4 cm^2, k = 1.5: Q^2 <= A * 10^(17.5) (aC, um^2), Q = 10^10.75 = 56234132519.03...
        long q = SafetyEnvelope.shannonMaxChargeAc(10_000, 1500);
        assertThat(q).isEqualTo(56_234_132_519L);
        // k = 1 exactly: Q = sqrt(1e4 * 1e17) = 10^10.5 = 31622776601.68
        assertThat(SafetyEnvelope.shannonMaxChargeAc(10_000, 1000)).isEqualTo(31_622_776_601L);
        // k = 2, A = 1e8 (1 cm^2): Q = sqrt(1e26) = 1e13 exactly (the boundary itself is allowed)
        assertThat(SafetyEnvelope.shannonMaxChargeAc(100_000_000L, 2000)).isEqualTo(10_000_000_000_000L);
        // Consistent with k computed in double away from the boundary
        double k = Math.log10(Math.pow(q * 1e-12, 2) / (10_000 * 1e-8));
        assertThat(k).isLessThanOrEqualTo(1.5).isGreaterThan(1.4999999);
    }

    @Test
    void refusesShannonKAbove185WithAClearMessage() {
        SafetyEnvelope.Context ctx = TestEnvelopes.standard().electrode(TestEnvelopes.micro().shannonK(1.86));
        assertThatThrownBy(ctx::conclude).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("electrode[16].shannonK = 1.86").hasMessageContaining("never exceed 1.85");
    }

    @Test
    void acceptsShannonKOf185AndRoundsDecimalKDown() {
        assertThat(new ElectrodeLimits().shannonK(1.85).shannonKMilli()).isEqualTo(1850);
        assertThat(new ElectrodeLimits().shannonK(1.8509).shannonKMilli()).isEqualTo(1850);
        assertThat(new ElectrodeLimits().shannonK(1.3).shannonKMilli()).isEqualTo(1300);
        SafetyEnvelope env = TestEnvelopes.standard().electrode(TestEnvelopes.micro().shannonK(1.85)).conclude();
        assertThat(env.electrodeCount()).isEqualTo(17);
    }

    @Test
    void refusesChargePerPhaseAboveTheShannonLimitOfTheArea() {
        SafetyEnvelope.Context ctx = new SafetyEnvelope.Context()
                .electrode(TestEnvelopes.small().maxChargePerPhasePc(18_900));
        // k = 1.85 on 500 um^2: Q = sqrt(500 * 10^17.85) aC = 18.81 nC
        assertThatThrownBy(ctx::conclude).hasMessageContaining("electrode[0].maxChargePerPhasePc = 18900 is unsafe")
                .hasMessageContaining("k = 1.85 allows at most 18814 pC");
        assertThat(new SafetyEnvelope.Context().electrode(TestEnvelopes.small().maxChargePerPhasePc(18_800))
                .conclude().shannonMaxChargeAc(0)).isEqualTo(SafetyEnvelope.shannonMaxChargeAc(500, 1500));
    }

    @Test
    void refusesOutOfRangeFieldsNamingThemAndTheRange() {
        assertThatThrownBy(() -> new SafetyEnvelope.Context().conclude())
                .hasMessageContaining("electrode count must be in [1, 4096], was 0");
        assertThatThrownBy(() -> new SafetyEnvelope.Context()
                .electrode(TestEnvelopes.micro().maxAmplitudeNa(30_000_000)).conclude())
                .hasMessageContaining("electrode[0].maxAmplitudeNa must be in [1, 20000000], was 30000000");
        assertThatThrownBy(() -> new SafetyEnvelope.Context()
                .electrode(TestEnvelopes.micro().areaUm2(0)).conclude())
                .hasMessageContaining("electrode[0].areaUm2 must be in [1, 1000000000], was 0");
        assertThatThrownBy(() -> new SafetyEnvelope.Context().electrode(TestEnvelopes.micro())
                .maxSimultaneousChannels(2).conclude())
                .hasMessageContaining("maxSimultaneousChannels must be in [1, 1], was 2");
        assertThatThrownBy(() -> new SafetyEnvelope.Context().electrode(TestEnvelopes.micro()
                .chargeBalanceTolerancePc(5_000)).maxSimultaneousChannels(1).conclude())
                .hasMessageContaining("chargeBalanceTolerancePc must be in [0, 2000], was 5000");
        assertThatThrownBy(() -> new SafetyEnvelope.Context().electrode(TestEnvelopes.micro()
                .maxFrequencyMilliHz(20_000_000)).maxSimultaneousChannels(1).conclude())
                .hasMessageContaining("maxFrequencyMilliHz must be in [1, 10000000], was 20000000");
        SafetyEnvelope.Context once = TestEnvelopes.standard();
        once.conclude();
        assertThatThrownBy(once::conclude).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void acceptsAValidCommandAndRejectsEachViolationWithItsReason() {
        SafetyEnvelope env = TestEnvelopes.standard().conclude();
        StimCommand ok = TestEnvelopes.valid(NOW + 1_000_000);
        assertThat(env.check(ok, NOW)).isEqualTo(StimVerdict.ACCEPTED);

        assertThat(env.check(new StimCommand().copyFrom(ok).clearChannels(), NOW))
                .isEqualTo(StimVerdict.BAD_CHANNEL_COUNT);
        StimCommand c = new StimCommand().copyFrom(ok);
        c.addChannel(16);
        assertThat(env.check(c, NOW)).isEqualTo(StimVerdict.UNKNOWN_CHANNEL);
        c = new StimCommand().copyFrom(ok);
        c.addChannel(3);
        assertThat(env.check(c, NOW)).isEqualTo(StimVerdict.DUPLICATE_CHANNEL);
        assertThat(env.check(new StimCommand().copyFrom(ok).polarity(2), NOW)).isEqualTo(StimVerdict.BAD_POLARITY);
        assertThat(env.check(new StimCommand().copyFrom(ok).phase2AmplitudeNa(0), NOW))
                .isEqualTo(StimVerdict.AMPLITUDE_NOT_POSITIVE);
        assertThat(env.check(new StimCommand().copyFrom(ok).symmetric(100_001, 100_000, 0), NOW))
                .isEqualTo(StimVerdict.AMPLITUDE_OVER_LIMIT);
        assertThat(env.check(new StimCommand().copyFrom(ok).symmetric(50_000, 400_001, 0), NOW))
                .isEqualTo(StimVerdict.PHASE_WIDTH_OUT_OF_RANGE);
        assertThat(env.check(new StimCommand().copyFrom(ok).interphaseGapNs(100_001), NOW))
                .isEqualTo(StimVerdict.GAP_OUT_OF_RANGE);
        // 20 nC exactly is allowed on a micro electrode, 1 aC more is not
        assertThat(env.check(new StimCommand().copyFrom(ok).symmetric(100_000, 200_000, 0), NOW))
                .isEqualTo(StimVerdict.ACCEPTED);
        assertThat(env.check(new StimCommand().copyFrom(ok).phase1AmplitudeNa(100_000).phase1WidthNs(200_000)
                .phase2AmplitudeNa(99_999).phase2WidthNs(200_003), NOW))
                .isEqualTo(StimVerdict.CHARGE_PER_PHASE_OVER_LIMIT);
        // Shannon binds on small electrode 12: 12574334 * 1000 aC limit; 80 uA x 157 us = 12.56 nC ok, 158 us not
        StimCommand small = new StimCommand().copyFrom(ok).clearChannels();
        small.addChannel(12);
        small.symmetric(80_000, 150_000, 0);
        assertThat(env.check(small, NOW)).isEqualTo(StimVerdict.ACCEPTED);
        long shannon = env.shannonMaxChargeAc(12);
        assertThat(shannon).isBetween(12_574_000_000L, 12_575_000_000L);
        small.symmetric(80_000, 150_000, 0).phase1WidthNs((int) (shannon / 80_000)).phase2WidthNs(
                (int) (shannon / 80_000));
        assertThat(env.check(small, NOW)).isEqualTo(StimVerdict.ACCEPTED);
        small.phase1WidthNs(small.phase1WidthNs() + 1).phase2WidthNs(small.phase2WidthNs() + 1);
        assertThat(env.check(small, NOW)).isEqualTo(StimVerdict.SHANNON_K_OVER_LIMIT);
        assertThat(env.check(new StimCommand().copyFrom(ok).phase2WidthNs(202_001), NOW))
                .isEqualTo(StimVerdict.CHARGE_IMBALANCE);
        assertThat(env.check(new StimCommand().copyFrom(ok).phase2WidthNs(202_000), NOW))
                .isEqualTo(StimVerdict.ACCEPTED);
        assertThat(env.check(new StimCommand().copyFrom(ok).pulseCount(51), NOW))
                .isEqualTo(StimVerdict.PULSE_COUNT_OUT_OF_RANGE);
        assertThat(env.check(new StimCommand().copyFrom(ok).frequencyMilliHz(300_001), NOW))
                .isEqualTo(StimVerdict.FREQUENCY_OUT_OF_RANGE);
        assertThat(env.check(new StimCommand().copyFrom(ok).frequencyMilliHz(0), NOW))
                .isEqualTo(StimVerdict.FREQUENCY_OUT_OF_RANGE);
        // 200+50+200 us = 450 us pulse: fits a 2222 Hz period only; at 300 Hz fine, so use wider pulses
        assertThat(env.check(new StimCommand().copyFrom(ok).symmetric(10_000, 400_000, 100_000)
                .frequencyMilliHz(300_000), NOW)).isEqualTo(StimVerdict.ACCEPTED);
        // 50 pulses at 100 Hz = 490 ms + pulse > 500 ms? 49 * 10 ms = 490 ms + 0.45 ms: ok; at 98 Hz (500 ms + pulse) too long
        assertThat(env.check(new StimCommand().copyFrom(ok).pulseCount(50).frequencyMilliHz(100_000)
                .symmetric(5_000, 200_000, 50_000), NOW)).isEqualTo(StimVerdict.ACCEPTED);
        assertThat(env.check(new StimCommand().copyFrom(ok).pulseCount(50).frequencyMilliHz(98_000)
                .symmetric(5_000, 200_000, 50_000), NOW)).isEqualTo(StimVerdict.TRAIN_TOO_LONG);
        assertThat(env.check(new StimCommand().copyFrom(ok).triggerTimeNs(NOW - 1), NOW))
                .isEqualTo(StimVerdict.TRIGGER_OUT_OF_WINDOW);
        assertThat(env.check(new StimCommand().copyFrom(ok).triggerTimeNs(NOW + 100_000_001L), NOW))
                .isEqualTo(StimVerdict.TRIGGER_OUT_OF_WINDOW);
        assertThat(env.historySize()).isZero();
    }

    @Test
    void pulseLongerThanPeriodIsRejected() {
        SafetyEnvelope env = new SafetyEnvelope.Context().electrode(TestEnvelopes.micro().maxChargePerPhasePc(20_000)
                .maxFrequencyMilliHz(3_000_000)).maxSimultaneousChannels(1).conclude();
        StimCommand c = TestEnvelopes.valid(NOW).clearChannels();
        c.addChannel(0);
        // 200 + 50 + 200 us = 450 us; 2222.222 Hz has a 450.00009 us period (fits), 2223 Hz does not
        c.symmetric(10_000, 200_000, 50_000).pulseCount(2).frequencyMilliHz(2_222_222);
        assertThat(env.check(c, NOW)).isEqualTo(StimVerdict.ACCEPTED);
        c.frequencyMilliHz(2_223_000);
        assertThat(env.check(c, NOW)).isEqualTo(StimVerdict.PULSE_LONGER_THAN_PERIOD);
    }

    @Test
    void timeDependentLimitsCountEarlierTrains() {
        SafetyEnvelope env = TestEnvelopes.standard().conclude();
        // charge per second on channel 3: 1 uC/s; each 10-pulse train at 100 Hz carries 10 x 10 nC = 100 nC
        long t = NOW;
        int accepted = 0;
        for (int i = 0; i < 20; i++) {
            StimCommand c = TestEnvelopes.valid(t + 1_000);
            int v = env.check(c, t);
            if (v == StimVerdict.ACCEPTED) {
                env.commit(c);
                accepted++;
            } else {
                assertThat(v).isEqualTo(StimVerdict.CHARGE_RATE_OVER_LIMIT);
            }
            t += 50_000_000L; // 20 commands per second requested
        }
        assertThat(accepted).isGreaterThan(0).isLessThan(20);

        SafetyEnvelope env2 = TestEnvelopes.standard().conclude();
        // simultaneous channels: 6 allowed; two 4-channel commands overlapping in time -> second refused
        StimCommand a = TestEnvelopes.valid(NOW + 1_000).clearChannels();
        for (int ch = 0; ch < 4; ch++) {
            a.addChannel(ch);
        }
        a.symmetric(10_000, 100_000, 0);
        assertThat(env2.check(a, NOW)).isEqualTo(StimVerdict.ACCEPTED);
        assertThat(env2.commit(a)).isTrue();
        StimCommand b = new StimCommand().copyFrom(a).clearChannels();
        for (int ch = 4; ch < 8; ch++) {
            b.addChannel(ch);
        }
        assertThat(env2.check(b, NOW)).isEqualTo(StimVerdict.TOO_MANY_SIMULTANEOUS_CHANNELS);
        // global current: 4 x 100 uA = 400 uA = the cap; any further overlapping current is refused
        StimCommand big = new StimCommand().copyFrom(a).clearChannels();
        big.addChannel(8);
        big.symmetric(100_000, 100_000, 0);
        assertThat(env2.check(big, NOW)).isEqualTo(StimVerdict.ACCEPTED);
        env2.commit(big);
        StimCommand more = new StimCommand().copyFrom(big).clearChannels();
        more.addChannel(9);
        more.symmetric(100_000, 100_000, 0);
        assertThat(env2.check(more, NOW)).isEqualTo(StimVerdict.ACCEPTED); // 40+100+100 = 240 uA
        env2.commit(more);
        StimCommand over = new StimCommand().copyFrom(big).clearChannels();
        over.addChannel(8);
        over.addChannel(9);
        over.symmetric(100_000, 100_000, 0);
        // still 6 channels in use, but 10*4 + 100 + 100 + 2*100 = 440 uA > 400 uA
        assertThat(env2.check(over, NOW)).isEqualTo(StimVerdict.GLOBAL_CURRENT_OVER_CAP);
        over.clearChannels();
        over.addChannel(10);
        over.symmetric(10_000, 100_000, 0);
        // 7 channels would overlap
        assertThat(env2.check(over, NOW)).isEqualTo(StimVerdict.TOO_MANY_SIMULTANEOUS_CHANNELS);
        over.clearChannels();
        over.addChannel(8);
        over.addChannel(9);
        over.symmetric(100_000, 100_000, 0);
        assertThat(env2.check(over, NOW)).isEqualTo(StimVerdict.GLOBAL_CURRENT_OVER_CAP);
        // after the trains end (+1 s for the charge window) the history is purged
        assertThat(env2.check(over.triggerTimeNs(NOW + 3_000_000_000L), NOW + 3_000_000_000L))
                .isEqualTo(StimVerdict.ACCEPTED);
        assertThat(env2.historySize()).isZero();
    }

    @Test
    void commitWithoutAcceptedCheckIsRefused() {
        SafetyEnvelope env = TestEnvelopes.standard().conclude();
        StimCommand bad = TestEnvelopes.valid(NOW).pulseCount(0);
        assertThat(env.check(bad, NOW)).isNotEqualTo(StimVerdict.ACCEPTED);
        assertThat(env.commit(bad)).isFalse();
        assertThat(env.historySize()).isZero();
    }

    @Test
    void historyFullRejectsConservatively() {
        SafetyEnvelope env = TestEnvelopes.standard().historyCapacity(2).conclude();
        for (int i = 0; i < 2; i++) {
            StimCommand c = TestEnvelopes.valid(NOW).pulseCount(1).symmetric(1_000, 10_000, 0);
            assertThat(env.check(c, NOW)).isEqualTo(StimVerdict.ACCEPTED);
            env.commit(c);
        }
        assertThat(env.check(TestEnvelopes.valid(NOW).pulseCount(1).symmetric(1_000, 10_000, 0), NOW))
                .isEqualTo(StimVerdict.HISTORY_FULL);
    }
}
