package io.reflex.stim;

/** Envelopes used across the tests. */
final class TestEnvelopes {
    private TestEnvelopes() {
    }

    /** A microelectrode: 2000 um^2, 100 uA, 20 nC/phase (Shannon at k=1.5 allows 25.1 nC), 300 Hz, 1 uC/s. */
    static ElectrodeLimits micro() {
        return new ElectrodeLimits().areaUm2(2000).maxAmplitudeNa(100_000).maxChargePerPhasePc(20_000)
                .chargeBalanceTolerancePc(100).maxFrequencyMilliHz(300_000).maxChargePerSecondPc(1_000_000);
    }

    /** A smaller electrode where the Shannon limit (500 um^2, k 1.5: 12.57 nC) binds before the 15 nC limit. */
    static ElectrodeLimits small() {
        return new ElectrodeLimits().areaUm2(500).maxAmplitudeNa(80_000).maxChargePerPhasePc(15_000)
                .shannonKMilli(1500).chargeBalanceTolerancePc(50).maxFrequencyMilliHz(200_000)
                .maxChargePerSecondPc(600_000);
    }

    /** 12 micro + 4 small electrodes with tight global limits, so that every verdict is reachable. */
    static SafetyEnvelope.Context standard() {
        return new SafetyEnvelope.Context()
                .electrodes(12, micro())
                .electrodes(4, small())
                .maxChannelsPerCommand(4)
                .maxSimultaneousChannels(6)
                .globalCurrentCapNa(400_000)
                .maxPhaseWidthNs(400_000)
                .maxInterphaseGapNs(100_000)
                .maxPulsesPerCommand(50)
                .maxTrainDurationNs(500_000_000L)
                .maxScheduleAheadNs(100_000_000L)
                .historyCapacity(64);
    }

    /**
     * A command inside {@link #standard()}: 1 channel, 50 uA x 200 us, 10 pulses at 100 Hz, decided on input
     * acquired 1 us before the trigger (fresh for a trigger near the clock).
     */
    static StimCommand valid(long triggerNs) {
        StimCommand c = new StimCommand();
        c.addChannel(3);
        return c.symmetric(50_000, 200_000, 50_000).frequencyMilliHz(100_000).pulseCount(10)
                .triggerTimeNs(triggerNs).inputTimeNs(triggerNs - 1_000);
    }
}
