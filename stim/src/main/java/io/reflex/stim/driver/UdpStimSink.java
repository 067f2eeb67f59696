package io.reflex.stim.driver;

import io.reflex.stim.StimCommand;
import io.reflex.stim.StimulatorDriver;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;

/**
 * Mirrors accepted commands as UDP datagrams, one protocol frame (stim/PROTOCOL.md: COMMAND, STOP_ALL) per
 * datagram, to one unicast address. Fire and forget: no acknowledgements, so it is a monitor output, not a way to
 * drive a stimulator safely. Multicast, broadcast and wildcard destinations are refused.
 */
public final class UdpStimSink implements StimulatorDriver {
    private final InetSocketAddress target;
    private final DatagramChannel channel;
    private final StimWire wire = new StimWire();
    private final ByteBuffer tx = ByteBuffer.allocateDirect(StimWire.MAX_FRAME).order(ByteOrder.LITTLE_ENDIAN);
    private volatile boolean open = true;
    private volatile String alarm;
    private long datagrams;

    /**
     * Opens a sink sending to {@code host:port}.
     *
     * @throws IllegalArgumentException for multicast, broadcast or wildcard hosts or a bad port
     * @throws IOException              when the socket cannot be opened
     */
    public UdpStimSink(InetAddress host, int port) throws IOException {
        if (host.isMulticastAddress() || host.isAnyLocalAddress()
                || host.getHostAddress().equals("255.255.255.255")) {
            throw new IllegalArgumentException("stim udp sink: destination must be unicast, was "
                    + host.getHostAddress());
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("stim udp sink: port must be in [1, 65535], was " + port);
        }
        target = new InetSocketAddress(host, port);
        channel = DatagramChannel.open();
        channel.configureBlocking(false);
        channel.connect(target);
    }

    @Override
    public String name() {
        return "udp:" + target.getAddress().getHostAddress() + ":" + target.getPort();
    }

    @Override
    public int send(long sequence, StimCommand command) {
        tx.clear();
        wire.command(tx, sequence, command);
        return write();
    }

    @Override
    public int stopAll(long sequence) {
        tx.clear();
        wire.empty(tx, StimWire.STOP_ALL, sequence);
        return write();
    }

    private int write() {
        if (!open) {
            return DISCONNECTED;
        }
        tx.flip();
        try {
            if (channel.write(tx) == 0) {
                return BACKPRESSURE;
            }
            datagrams++;
            return OK;
        } catch (IOException | RuntimeException e) {
            alarm = "udp send failed: " + e;
            return IO_ERROR;
        }
    }

    /** Datagrams sent. */
    public long datagrams() {
        return datagrams;
    }

    @Override
    public int doWork(long nowNs) {
        return 0;
    }

    @Override
    public boolean isConnected() {
        return open;
    }

    @Override
    public void abort() {
        open = false;
    }

    @Override
    public String alarm() {
        return alarm;
    }

    @Override
    public void close() {
        open = false;
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
