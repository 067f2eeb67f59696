package io.reflex.stim.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.stim.FileStimJournal;
import io.reflex.stim.StimCodec;
import io.reflex.stim.StimCommand;
import io.reflex.stim.StimEvent;
import io.reflex.stim.StimVerdict;
import io.reflex.stim.StimulatorDriver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class SinksTest {
    @TempDir
    Path dir;

    private static StimCommand command() {
        StimCommand c = new StimCommand();
        c.addChannel(2);
        c.addChannel(7);
        return c.symmetric(40_000, 100_000, 20_000).pulseCount(3).frequencyMilliHz(100_000).polarity(1)
                .triggerTimeNs(123_456_789L);
    }

    @Test
    @Timeout(10)
    void udpSinkSendsOneFramePerCommandOnLoopback() throws Exception {
        try (DatagramChannel rx = DatagramChannel.open()) {
            rx.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int port = ((InetSocketAddress) rx.getLocalAddress()).getPort();
            try (UdpStimSink sink = new UdpStimSink(InetAddress.getLoopbackAddress(), port)) {
                assertThat(sink.send(42, command())).isEqualTo(StimulatorDriver.OK);
                ByteBuffer buf = ByteBuffer.allocate(2048).order(ByteOrder.LITTLE_ENDIAN);
                rx.receive(buf);
                buf.flip();
                StimWire wire = new StimWire();
                assertThat(wire.parse(buf)).isEqualTo(StimWire.FRAME);
                assertThat(wire.type()).isEqualTo(StimWire.COMMAND);
                assertThat(wire.sequence()).isEqualTo(42);
                ByteBuffer payload = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
                payload.position(wire.payloadOffset()).limit(wire.payloadOffset() + wire.payloadLength());
                StimCommand back = new StimCommand();
                assertThat(StimCodec.decode(payload, back)).isEqualTo(StimCodec.OK);
                assertThat(back.sameAs(command())).isTrue();
                assertThat(sink.datagrams()).isEqualTo(1);
            }
        }
    }

    @Test
    void udpSinkRefusesMulticastAndBroadcast() {
        // The sink must refuse these at construction; nothing is ever sent to them.
        byte[] adminScopedMulticast = {(byte) 239, 1, 2, 3};
        byte[] limitedBroadcast = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        assertThatThrownBy(() -> new UdpStimSink(InetAddress.getByAddress(adminScopedMulticast), 9000))
                .hasMessageContaining("must be unicast");
        assertThatThrownBy(() -> new UdpStimSink(InetAddress.getByAddress(limitedBroadcast), 9000))
                .hasMessageContaining("must be unicast");
    }

    @Test
    void fileSinkWritesProtocolFrames() throws Exception {
        Path f = dir.resolve("stim.frames");
        try (FileStimSink sink = new FileStimSink(f)) {
            sink.send(1, command());
            sink.stopAll(2);
        }
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
        StimWire wire = new StimWire();
        assertThat(wire.parse(buf)).isEqualTo(StimWire.FRAME);
        assertThat(wire.type()).isEqualTo(StimWire.COMMAND);
        assertThat(wire.parse(buf)).isEqualTo(StimWire.FRAME);
        assertThat(wire.type()).isEqualTo(StimWire.STOP_ALL);
        assertThat(wire.sequence()).isEqualTo(2);
        assertThat(buf.hasRemaining()).isFalse();
    }

    @Test
    void corruptFramesAreDetected() {
        ByteBuffer buf = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
        StimWire wire = new StimWire();
        wire.command(buf, 7, command());
        buf.put(20, (byte) (buf.get(20) ^ 1));
        buf.flip();
        assertThat(wire.parse(buf)).isEqualTo(StimWire.CORRUPT);
        ByteBuffer partial = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
        wire.command(partial, 7, command());
        partial.flip().limit(partial.limit() - 1);
        assertThat(wire.parse(partial)).isEqualTo(StimWire.NEED_MORE);
        assertThat(partial.position()).isZero();
    }

    @Test
    void fileJournalRoundTripsCommandsAndEvents() throws Exception {
        Path f = dir.resolve("stim.journal");
        try (FileStimJournal j = new FileStimJournal(f, false)) {
            assertThat(j.recordEvent(1, StimEvent.ARMED, 0, "session start")).isZero();
            assertThat(j.recordCommand(5, 2, command(), StimVerdict.ACCEPTED)).isZero();
            assertThat(j.recordCommand(6, 3, command().pulseCount(0), StimVerdict.PULSE_COUNT_OUT_OF_RANGE)).isZero();
        }
        List<String> seen = new ArrayList<>();
        long n = FileStimJournal.read(f, new FileStimJournal.Visitor() {
            @Override
            public void command(long sequence, long timeNs, int verdict, StimCommand c) {
                seen.add(sequence + ":" + StimVerdict.name(verdict) + ":" + c.pulseCount() + ":" + c.channelCount());
            }

            @Override
            public void event(long timeNs, int event, int code, String reason) {
                seen.add(StimEvent.name(event) + ":" + reason);
            }
        });
        assertThat(n).isEqualTo(3);
        assertThat(seen).containsExactly("armed:session start", "5:accepted:3:2", "6:pulse_count_out_of_range:0:2");
    }

    @Test
    void closedFileJournalFailsInsteadOfThrowing() throws Exception {
        FileStimJournal j = new FileStimJournal(dir.resolve("j"), true);
        j.close();
        assertThat(j.recordCommand(1, 1, command(), 0)).isEqualTo(FileStimJournal.FAILED);
        assertThat(j.failures()).isEqualTo(1);
    }
}
