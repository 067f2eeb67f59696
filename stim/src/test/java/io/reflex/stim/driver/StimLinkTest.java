package io.reflex.stim.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.stim.ElectrodeLimits;
import io.reflex.stim.SafetyEnvelope;
import io.reflex.stim.StimCommand;
import io.reflex.stim.StimLink;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The stimulator link against hostile and stalling peers on real loopback sockets: connecting and the handshake
 * run on the driver's own thread within one total deadline, the owning thread is never held, and the simulated
 * stimulator opens a session only for a peer that presents the run's token.
 */
class StimLinkTest {
    private static final int CONNECT_TIMEOUT_MS = 400;

    private HostilePeer peer;
    private TcpStimulatorDriver driver;
    private SimulatedStimulator sim;

    @AfterEach
    void stop() throws IOException {
        if (driver != null) {
            driver.close();
        }
        if (peer != null) {
            peer.close();
        }
        if (sim != null) {
            sim.close();
        }
    }

    private static SafetyEnvelope envelope() {
        return new SafetyEnvelope.Context()
                .electrodes(4, new ElectrodeLimits().areaUm2(2000).maxAmplitudeNa(100_000).maxChargePerPhasePc(20_000)
                        .chargeBalanceTolerancePc(100).maxFrequencyMilliHz(300_000).maxChargePerSecondPc(2_000_000))
                .maxScheduleAheadNs(1_000_000_000L).conclude();
    }

    private TcpStimulatorDriver driverTo(int port, byte[] token) {
        return new TcpStimulatorDriver.Context().port(port).connectTimeoutMs(CONNECT_TIMEOUT_MS).sessionToken(token)
                .conclude();
    }

    /** A HELLO_ACK frame, as a well-behaved stimulator would send it. */
    private static byte[] helloAck() {
        StimWire w = new StimWire();
        ByteBuffer b = ByteBuffer.allocate(StimWire.MAX_FRAME).order(ByteOrder.LITTLE_ENDIAN);
        w.begin(b, StimWire.HELLO_ACK, 1);
        b.putShort((short) StimWire.VERSION);
        b.putShort((short) StimCommand.MAX_CHANNELS);
        w.finish(b, 0);
        byte[] out = new byte[b.position()];
        b.flip();
        b.get(out);
        return out;
    }

    /**
     * A stimulator that accepts one connection, reads the HELLO, then answers as {@code mode} says: "stall" never
     * answers, "dribble" sends a valid HELLO_ACK one byte every 150 ms (the pace is the fault being modelled, not a
     * synchronisation: nothing in the test waits on it).
     */
    private static final class HostilePeer implements AutoCloseable {
        final ServerSocket server = new ServerSocket();
        final CountDownLatch helloSeen = new CountDownLatch(1);
        final CountDownLatch released = new CountDownLatch(1);
        final Thread thread;

        HostilePeer(String mode) throws IOException {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            thread = new Thread(() -> serve(mode), "hostile-stimulator");
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private void serve(String mode) {
            try (Socket s = server.accept()) {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                byte[] buf = new byte[StimWire.MAX_FRAME];
                if (in.read(buf) > 0) {
                    helloSeen.countDown();
                }
                if (mode.equals("dribble")) {
                    for (byte b : helloAck()) {
                        if (released.getCount() == 0) {
                            return;
                        }
                        out.write(b);
                        out.flush();
                        LockSupport.parkNanos(150_000_000L);
                    }
                }
                released.await();
            } catch (IOException | InterruptedException e) {
                // the driver gave up and closed: what the test expects
            }
        }

        @Override
        public void close() throws IOException {
            released.countDown();
            server.close();
        }
    }

    /** Runs owner-thread duty cycles until the link leaves CONNECTING; returns the state it reached. */
    private int ownerLoopUntilSettled(TcpStimulatorDriver d, long untilNs) {
        while (true) {
            d.doWork(System.nanoTime());
            int state = d.linkState();
            if (state != StimLink.LINK_CONNECTING) {
                return state;
            }
            assertThat(System.nanoTime()).as("link settled within 10 s").isLessThan(untilNs);
            Thread.onSpinWait();
        }
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void aStalledHelloHoldsOnlyTheLinkThreadAndFailsAtTheDeadline() throws Exception {
        peer = new HostilePeer("stall");
        driver = driverTo(peer.port(), null);
        long t0 = System.nanoTime();
        assertThat(driver.requestConnect()).isTrue();
        // The owner is free while the handshake is pending: it keeps running its duty cycle.
        long cycles = 0;
        while (!peer.helloSeen.await(0, TimeUnit.NANOSECONDS)) {
            driver.doWork(System.nanoTime());
            cycles++;
        }
        assertThat(driver.linkState()).isEqualTo(StimLink.LINK_CONNECTING);
        assertThat(driver.isConnected()).isFalse();
        assertThat(driver.requestConnect()).as("one attempt at a time").isFalse();
        assertThat(cycles).isPositive();
        int state = ownerLoopUntilSettled(driver, t0 + 10_000_000_000L);
        long tookMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(state).isEqualTo(StimLink.LINK_FAILED);
        assertThat(tookMs).isGreaterThanOrEqualTo(CONNECT_TIMEOUT_MS - 1);
        assertThat(driver.alarm()).contains("HELLO_ACK not complete within the connect deadline of 400 ms");
        assertThat(driver.connectFailures()).isEqualTo(1);
        assertThat(driver.isConnected()).isFalse();
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void aHelloAckDribbledByteByByteCannotStretchTheDeadline() throws Exception {
        peer = new HostilePeer("dribble");
        driver = driverTo(peer.port(), null);
        int frameBytes = helloAck().length;
        long t0 = System.nanoTime();
        driver.requestConnect();
        int state = ownerLoopUntilSettled(driver, t0 + 10_000_000_000L);
        long tookMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(state).isEqualTo(StimLink.LINK_FAILED);
        assertThat(driver.alarm()).contains("not complete within the connect deadline");
        // The whole HELLO_ACK would take frameBytes x 150 ms; the attempt ended far sooner, at its total deadline
        // (a per-read timeout would have been reset by every byte).
        assertThat((long) frameBytes * 150).isGreaterThan(3_000);
        assertThat(tookMs).isLessThan(frameBytes * 150L / 2);
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void theBlockingConnectIsBoundedByTheSameTotalDeadline() throws Exception {
        peer = new HostilePeer("dribble");
        driver = driverTo(peer.port(), null);
        long t0 = System.nanoTime();
        assertThatThrownBy(driver::connect).isInstanceOf(IOException.class)
                .hasMessageContaining("connect deadline of 400 ms");
        long tookMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(tookMs).isLessThan(helloAck().length * 150L / 2);
        assertThat(driver.linkState()).isEqualTo(StimLink.LINK_FAILED);
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void aSessionOpenedOnTheLinkThreadIsTakenUpByTheOwner() throws Exception {
        byte[] token = SimulatedStimulator.newSessionToken();
        sim = new SimulatedStimulator(envelope(), 0, null, token);
        driver = driverTo(sim.port(), token);
        driver.requestConnect();
        int state = ownerLoopUntilSettled(driver, System.nanoTime() + 10_000_000_000L);
        assertThat(state).as("alarm %s", driver.alarm()).isEqualTo(StimLink.LINK_UP);
        assertThat(driver.isConnected()).isTrue();
        assertThat(driver.sessions()).isEqualTo(1);
        StimCommand c = new StimCommand();
        c.addChannel(1);
        c.symmetric(40_000, 100_000, 20_000).pulseCount(3).frequencyMilliHz(100_000)
                .triggerTimeNs(System.nanoTime() + 200_000_000L);
        assertThat(driver.send(1, c)).isEqualTo(TcpStimulatorDriver.OK);
        while (driver.acksReceived() < 1) {
            assertThat(driver.isConnected()).as("alarm %s", driver.alarm()).isTrue();
            driver.doWork(System.nanoTime());
        }
        assertThat(sim.commandsReceived()).isEqualTo(1);
        assertThat(sim.unauthenticated()).isZero();
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void anotherLocalProcessCannotOpenASessionOrForgeUnsafeCounts() throws Exception {
        byte[] token = SimulatedStimulator.newSessionToken();
        sim = new SimulatedStimulator(envelope(), 0, null, token);
        // A forger speaks the protocol perfectly but does not know the token: a HELLO without one (or with a wrong
        // one) and then a command far outside the envelope.
        for (byte[] presented : new byte[][] {null, new byte[token.length]}) {
            StimWire w = new StimWire();
            ByteBuffer b = ByteBuffer.allocate(2 * StimWire.MAX_FRAME).order(ByteOrder.LITTLE_ENDIAN);
            w.begin(b, StimWire.HELLO, 0);
            b.putLong(System.nanoTime()).putInt(100_000).putInt(10_000_000);
            if (presented != null) {
                b.putShort((short) presented.length).put(presented);
            }
            w.finish(b, 0);
            StimCommand unsafe = new StimCommand();
            unsafe.addChannel(0);
            unsafe.symmetric(10_000_000, 1_000_000, 0).pulseCount(100).frequencyMilliHz(300_000)
                    .triggerTimeNs(System.nanoTime());
            w.command(b, 1, unsafe);
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), sim.port())) {
                s.getOutputStream().write(b.array(), 0, b.position());
                // The simulator hangs up without answering: end of stream, no HELLO_ACK.
                assertThat(s.getInputStream().read()).isEqualTo(-1);
            }
        }
        assertThat(sim.unauthenticated()).isEqualTo(2);
        assertThat(sim.commandsReceived()).isZero();
        assertThat(sim.violations()).isZero();
        // A driver with the wrong token is refused the same way; the right one gets its session.
        driver = driverTo(sim.port(), new byte[] {1, 2, 3});
        assertThatThrownBy(driver::connect).hasMessageContaining("closed the connection during HELLO");
        driver.close();
        driver = driverTo(sim.port(), token);
        driver.connect();
        assertThat(driver.isConnected()).isTrue();
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void aPeerTricklingItsHelloCannotHoldTheSimulatorBeyondItsHelloDeadline() throws Exception {
        byte[] token = SimulatedStimulator.newSessionToken();
        sim = new SimulatedStimulator(envelope(), 0, null, token);
        AtomicReference<Integer> endOfStream = new AtomicReference<>();
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), sim.port())) {
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            s.setSoTimeout(10_000);
            long t0 = System.nanoTime();
            // One byte of a frame header, then nothing: the simulator must give up on its own deadline.
            out.write(0x52);
            endOfStream.set(in.read());
            long tookMs = (System.nanoTime() - t0) / 1_000_000;
            assertThat(tookMs).isLessThan(SimulatedStimulator.HELLO_TIMEOUT_MS + 2_000L);
        }
        assertThat(endOfStream.get()).isEqualTo(-1);
        while (sim.unauthenticated() < 1) {
            Thread.onSpinWait();
        }
        driver = driverTo(sim.port(), token);
        driver.connect();
        assertThat(driver.isConnected()).isTrue();
    }
}
