package io.reflex.stim.driver;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.stim.ElectrodeLimits;
import io.reflex.stim.InMemoryStimJournal;
import io.reflex.stim.SafetyEnvelope;
import io.reflex.stim.StimCommand;
import io.reflex.stim.StimController;
import io.reflex.stim.StimFault;
import io.reflex.stim.StimVerdict;
import io.reflex.stim.StimulatorDriver;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The reference TCP driver against the simulated stimulator, over real loopback TCP. */
@Timeout(30)
class TcpStimulatorTest {
    private SafetyEnvelope.Context config() {
        return new SafetyEnvelope.Context()
                .electrodes(4, new ElectrodeLimits().areaUm2(2000).maxAmplitudeNa(100_000).maxChargePerPhasePc(20_000)
                        .chargeBalanceTolerancePc(100).maxFrequencyMilliHz(300_000).maxChargePerSecondPc(2_000_000))
                .maxScheduleAheadNs(1_000_000_000L);
    }

    private final List<StimCommand> received = new CopyOnWriteArrayList<>();
    private SimulatedStimulator sim;
    private TcpStimulatorDriver driver;
    private StimController controller;
    private final InMemoryStimJournal journal = new InMemoryStimJournal(1000);

    @BeforeEach
    void start() throws IOException {
        sim = new SimulatedStimulator(config().conclude(), 0, c -> received.add(new StimCommand().copyFrom(c)));
        driver = new TcpStimulatorDriver.Context().port(sim.port()).conclude();
        controller = new StimController.Context().envelope(config().conclude()).journal(journal).driver(driver)
                .errorHandler(e -> { }).conclude();
    }

    @AfterEach
    void stop() {
        driver.close();
        sim.close();
    }

    private StimCommand command() {
        StimCommand c = new StimCommand();
        c.addChannel(1);
        return c.symmetric(40_000, 100_000, 20_000).pulseCount(3).frequencyMilliHz(100_000)
                .triggerTimeNs(System.nanoTime() + 200_000_000L) // generous: a loaded 2-core VM may pause a thread for ms
                .inputTimeNs(System.nanoTime());
    }

    /** Polls the controller until the simulator has acknowledged everything sent (no sleeps). */
    private void drainAcks(int expectedAcks) {
        while (driver.acksReceived() < expectedAcks && driver.isConnected()) {
            controller.doWork();
            Thread.onSpinWait();
        }
    }

    @Test
    void commandsReachTheSimulatorAcknowledgedAndSafe() throws IOException {
        assertThat(controller.arm("no link yet")).isFalse();
        assertThat(controller.lastRefusal()).contains("not connected");
        driver.connect();
        assertThat(controller.arm("tcp test")).isTrue();
        for (int i = 0; i < 5; i++) {
            assertThat(controller.submit(command())).isEqualTo(StimVerdict.ACCEPTED);
        }
        drainAcks(5);
        assertThat(driver.acksReceived()).isEqualTo(5);
        assertThat(received).hasSize(5);
        assertThat(received.get(0).sameAs(journal.command(0))).isTrue();
        assertThat(sim.violations()).isZero();
        controller.disarm("done");
        drainAcks(6);
        assertThat(sim.stopAllReceived()).isEqualTo(1);
        assertThat(controller.faultCode()).isEqualTo(StimFault.NONE);
    }

    @Test
    void simulatorDisconnectDisarmsWithAClearLatchedAlarm() throws IOException {
        driver.connect();
        assertThat(controller.arm("tcp test")).isTrue();
        assertThat(controller.submit(command())).isEqualTo(StimVerdict.ACCEPTED);
        drainAcks(1);
        sim.dropClient();
        while (controller.isArmed()) {
            controller.doWork();
            Thread.onSpinWait();
        }
        assertThat(controller.faultCode()).isEqualTo(StimFault.DRIVER);
        assertThat(controller.faultReason()).startsWith("stimulator link lost (tcp:127.0.0.1:" + sim.port() + "): ")
                .containsAnyOf("closed the connection", "receive failed");
        assertThat(controller.submit(command())).isEqualTo(StimVerdict.FAULT_LATCHED);
        // latched: reconnecting alone does not re-arm
        driver.connect();
        assertThat(controller.arm("reconnected")).isFalse();
        assertThat(controller.lastRefusal()).contains("fault latched (driver");
        assertThat(controller.reset("link checked by operator")).isTrue();
        assertThat(controller.arm("reconnected and reset")).isTrue();
        assertThat(controller.submit(command())).isEqualTo(StimVerdict.ACCEPTED);
        drainAcks(1);
        assertThat(sim.connections()).isEqualTo(2);
    }

    @Test
    void simulatorJudgesWhatItReceivesAndTheDriverDropsOnARejection() throws IOException {
        driver.connect();
        // bypass the controller (as a buggy host would) to show the device-side check
        StimCommand unsafe = command().symmetric(150_000, 100_000, 0);
        assertThat(driver.send(1, unsafe)).isEqualTo(StimulatorDriver.OK);
        while (driver.isConnected()) {
            driver.doWork(System.nanoTime());
            Thread.onSpinWait();
        }
        assertThat(sim.violations()).isEqualTo(1);
        assertThat(driver.alarm()).isEqualTo("stimulator rejected frame 1: unsafe (amplitude_over_limit)");
    }

    @Test
    void abortFromAnotherThreadCutsTheLinkAndTheSimulatorStops() throws Exception {
        driver.connect();
        assertThat(controller.arm("tcp test")).isTrue();
        assertThat(controller.submit(command())).isEqualTo(StimVerdict.ACCEPTED);
        drainAcks(1);
        assertThat(sim.stimulating()).isTrue();
        Thread t = new Thread(() -> controller.estop("e-stop button"));
        t.start();
        t.join();
        assertThat(driver.isConnected()).isFalse();
        while (sim.stimulating()) {
            Thread.onSpinWait();
        }
        assertThat(sim.linkLossStops()).isEqualTo(1);
        controller.doWork();
        assertThat(controller.faultCode()).isEqualTo(StimFault.ESTOP);
    }

    @Test
    void heartbeatsKeepAnIdleLinkAlive() throws IOException {
        driver.connect();
        long start = System.nanoTime();
        // 150 ms idle: several 20 ms heartbeats are exchanged; the link stays up
        while (System.nanoTime() - start < 150_000_000L) {
            driver.doWork(System.nanoTime());
            Thread.onSpinWait();
        }
        assertThat(driver.isConnected()).isTrue();
        assertThat(sim.heartbeats()).isGreaterThanOrEqualTo(3);
    }
}
