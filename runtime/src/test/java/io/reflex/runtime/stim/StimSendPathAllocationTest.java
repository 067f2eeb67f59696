package io.reflex.runtime.stim;

import static io.reflex.runtime.TestClocks.clockAt;
import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.stim.ElectrodeLimits;
import io.reflex.stim.SafetyEnvelope;
import io.reflex.stim.StimCommand;
import io.reflex.stim.StimController;
import io.reflex.stim.StimVerdict;
import io.reflex.stim.driver.SimulatedStimulator;
import io.reflex.stim.driver.TcpStimulatorDriver;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.CachedNanoClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole per-command send path (envelope, controller, Chronicle write-ahead journal with the controller's state
 * events, TCP driver to the simulated stimulator on loopback, ACK handling, idle heartbeats) allocates nothing in
 * steady state, measured with the JVM's per-thread allocation counter on the sending thread (the simulated
 * stimulator's oracle runs, and allocates, on a thread of its own).
 */
class StimSendPathAllocationTest {
    static final int WARM_UP = 30_000;
    static final int MEASURED = 5_000;
    static final int ROUNDS = 4;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void steadyStateSendPathAllocatesNothing(@TempDir Path dir) throws Exception {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(mx.isThreadAllocatedMemorySupported(),
                "skipped: this JVM does not count allocated bytes per thread");
        mx.setThreadAllocatedMemoryEnabled(true);
        try (StimSendPath path = new StimSendPath(dir)) {
            path.run(WARM_UP);
            long base = mx.getCurrentThreadAllocatedBytes();
            long probe = mx.getCurrentThreadAllocatedBytes() - base; // what one reading itself costs (0 on JDK 17)
            // Rounds, not one span: in a shared test JVM a one-off event (a deoptimisation re-materialising an
            // object, another test's class loading) can add a few hundred bytes once. An allocation per command
            // shows in every round; the path passes when a whole round of commands allocated nothing.
            List<Long> rounds = new ArrayList<>();
            for (int r = 0; r < ROUNDS; r++) {
                long before = mx.getCurrentThreadAllocatedBytes();
                path.run(MEASURED);
                long allocated = mx.getCurrentThreadAllocatedBytes() - before - probe;
                rounds.add(allocated);
                if (allocated == 0) {
                    break;
                }
            }
            assertThat(path.simulator.violations()).isZero();
            assertThat(path.simulator.heartbeats()).isGreaterThanOrEqualTo(WARM_UP + MEASURED);
            assertThat(path.controller.issued()).isEqualTo(WARM_UP + (long) MEASURED * rounds.size());
            assertThat(path.journal.records()).isGreaterThanOrEqualTo(WARM_UP + (long) MEASURED * rounds.size());
            assertThat(rounds).as("bytes allocated per round of %d commands (and %d idle heartbeats)", MEASURED,
                    MEASURED).contains(0L);
        }
    }

    /**
     * Envelope, controller, Chronicle journal and TCP driver against an in-process simulated stimulator on loopback,
     * driven by a manual clock that moves 1.1 s per command (so the envelope's time-dependent limits never bind)
     * and stands still while the ACK is awaited. Shared with the JMH benchmark.
     */
    static final class StimSendPath implements AutoCloseable {
        final CachedNanoClock clock = clockAt(1_000_000_000L);
        final SimulatedStimulator simulator;
        final TcpStimulatorDriver driver;
        final ChronicleStimJournal journal;
        final StimController controller;
        final StimCommand command = new StimCommand();

        StimSendPath(Path dir) throws Exception {
            this(dir, 0);
        }

        /**
         * @param stimulatorPort a loopback stimulator to talk to; 0 starts the in-process simulated stimulator (whose
         *                       envelope oracle allocates on its own thread)
         */
        StimSendPath(Path dir, int stimulatorPort) throws Exception {
            ElectrodeLimits e = new ElectrodeLimits().areaUm2(2000).maxAmplitudeNa(100_000)
                    .maxChargePerPhasePc(20_000).chargeBalanceTolerancePc(100).maxFrequencyMilliHz(300_000)
                    .maxChargePerSecondPc(60_000);
            SafetyEnvelope.Context ec = new SafetyEnvelope.Context().electrodes(16, e).maxChannelsPerCommand(4)
                    .maxSimultaneousChannels(4).globalCurrentCapNa(400_000).maxPulsesPerCommand(100);
            simulator = stimulatorPort != 0 ? null : new SimulatedStimulator(new SafetyEnvelope.Context()
                    .electrodes(16, e).maxChannelsPerCommand(4).maxSimultaneousChannels(4).globalCurrentCapNa(400_000)
                    .maxPulsesPerCommand(100).conclude(), 0, null);
            int port = simulator != null ? simulator.port() : stimulatorPort;
            driver = new TcpStimulatorDriver.Context().port(port).clock(clock)
                    .heartbeatIntervalNs(1_000_000_000L).heartbeatTimeoutNs(10_000_000_000L).conclude();
            driver.connect();
            journal = ChronicleStimJournal.open(dir.resolve("stim"));
            controller = new StimController.Context().envelope(ec.conclude()).journal(journal).driver(driver)
                    .clock(clock).errorHandler(error -> { }).conclude();
            command.addChannel(0);
            command.addChannel(1);
            command.symmetric(50_000, 200_000, 50_000).pulseCount(5).frequencyMilliHz(100_000);
            if (!controller.arm("allocation test")) {
                throw new IllegalStateException("arm refused: " + controller.lastRefusal());
            }
        }

        /**
         * Sends {@code n} commands, each awaited until the stimulator acknowledged it, each followed by an idle
         * heartbeat interval (host HEARTBEAT out, the stimulator's reply read back).
         */
        void run(int n) {
            for (int i = 0; i < n; i++) {
                once();
                idleHeartbeat();
            }
        }

        /** One idle heartbeat interval: the driver sends a HEARTBEAT; waits until the stimulator has it. */
        void idleHeartbeat() {
            long before = simulator.heartbeats();
            clock.advance(1_000_000_000L);
            controller.doWork();
            while (simulator.heartbeats() == before) {
                if (!driver.isConnected()) {
                    throw new IllegalStateException("link lost: " + driver.alarm());
                }
                Thread.onSpinWait();
            }
        }

        /** One command: advance the clock, submit, poll until ACKed. */
        int once() {
            clock.advance(1_100_000_000L);
            command.triggerTimeNs(clock.nanoTime() + 10_000_000L).inputTimeNs(clock.nanoTime());
            int v = controller.submit(command, Long.MAX_VALUE);
            if (v != StimVerdict.ACCEPTED) {
                throw new IllegalStateException("command refused: " + StimVerdict.name(v) + ", fault "
                        + controller.faultReason());
            }
            while (driver.outstanding() > 0) {
                controller.doWork();
                if (!driver.isConnected()) {
                    throw new IllegalStateException("link lost: " + driver.alarm());
                }
            }
            return v;
        }

        @Override
        public void close() {
            driver.close();
            journal.close();
            if (simulator != null) {
                simulator.close();
            }
        }
    }
}
