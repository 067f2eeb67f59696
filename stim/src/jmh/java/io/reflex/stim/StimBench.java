package io.reflex.stim;

import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.CachedNanoClock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The stimulation hot path: an envelope check of a 4-channel command against a history of 32 trains, and a whole
 * controller submit (state, envelope, journal record, commit, send) with an in-memory journal and a null driver.
 * Run with {@code -prof gc} to show that neither allocates.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class StimBench {
    private static final long NOW = 100_000_000_000L;
    private SafetyEnvelope envelope;
    private StimCommand command;
    private StimController controller;
    private CachedNanoClock clock;
    private StimCommand submitted;
    private InMemoryStimJournal journal;

    private static ElectrodeLimits limits() {
        return new ElectrodeLimits().areaUm2(2000).maxAmplitudeNa(100_000).maxChargePerPhasePc(20_000)
                .chargeBalanceTolerancePc(100).maxFrequencyMilliHz(300_000).maxChargePerSecondPc(100_000_000);
    }

    @Setup
    public void setUp() {
        SafetyEnvelope.Context ctx = new SafetyEnvelope.Context().electrodes(64, limits()).maxChannelsPerCommand(8)
                .maxSimultaneousChannels(64).globalCurrentCapNa(100_000_000L).historyCapacity(256);
        envelope = ctx.conclude();
        // 32 short trains in the history, on channels 0..31, all in the 1 s window
        for (int i = 0; i < 32; i++) {
            StimCommand h = new StimCommand();
            h.addChannel(i);
            h.symmetric(10_000, 100_000, 0).pulseCount(1).triggerTimeNs(NOW + i * 1_000_000L);
            if (envelope.check(h, NOW) != StimVerdict.ACCEPTED || !envelope.commit(h)) {
                throw new IllegalStateException("bench setup: history train " + i + " refused");
            }
        }
        command = new StimCommand();
        for (int ch = 40; ch < 44; ch++) {
            command.addChannel(ch);
        }
        command.symmetric(50_000, 200_000, 50_000).pulseCount(10).frequencyMilliHz(100_000)
                .triggerTimeNs(NOW + 10_000_000L);

        clock = new CachedNanoClock();
        clock.update(NOW);
        journal = new InMemoryStimJournal(1024);
        controller = new StimController.Context().envelope(new SafetyEnvelope.Context().electrodes(64, limits())
                        .maxChannelsPerCommand(8).maxSimultaneousChannels(64).globalCurrentCapNa(100_000_000L)
                        .conclude())
                .journal(journal).driver(new NullDriver()).clock(clock).errorHandler(e -> { }).conclude();
        if (!controller.arm("benchmark")) {
            throw new IllegalStateException("bench setup: arm refused: " + controller.lastRefusal());
        }
        submitted = new StimCommand().copyFrom(command);
    }

    @Benchmark
    public int envelopeCheck() {
        return envelope.check(command, NOW);
    }

    @Benchmark
    public int controllerSubmit() {
        // 2 s per command: the previous train has left the charge window, so every submit is accepted
        clock.advance(2_000_000_000L);
        long now = clock.nanoTime();
        submitted.triggerTimeNs(now + 1_000_000L).inputTimeNs(now);
        if (journal.size() == journal.capacity()) {
            journal.clear();
        }
        return controller.submit(submitted);
    }

    /** A driver that accepts everything. */
    static final class NullDriver implements StimulatorDriver {
        long sent;

        @Override
        public String name() {
            return "null";
        }

        @Override
        public int send(long sequence, StimCommand c) {
            sent++;
            return OK;
        }

        @Override
        public int stopAll(long sequence) {
            return OK;
        }

        @Override
        public int doWork(long nowNs) {
            return 0;
        }

        @Override
        public boolean isConnected() {
            return true;
        }

        @Override
        public void abort() {
        }

        @Override
        public String alarm() {
            return null;
        }

        @Override
        public void close() {
        }
    }
}
