package io.reflex.stim.driver;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.WritableByteChannel;

/**
 * Mirrors accepted commands as UDP datagrams, one protocol frame (stim/PROTOCOL.md: COMMAND, STOP_ALL) per
 * datagram, to one unicast address. Fire and forget: no acknowledgements, so it is a monitor output, not a way to
 * drive a stimulator safely. Multicast, broadcast and wildcard destinations are refused.
 */
public final class UdpStimSink extends FrameSink {
    private final InetSocketAddress target;

    /**
     * Opens a sink sending to {@code host:port}.
     *
     * @throws IllegalArgumentException for multicast, broadcast or wildcard hosts or a bad port
     * @throws IOException              when the socket cannot be opened
     */
    public UdpStimSink(InetAddress host, int port) throws IOException {
        this(unicastTarget(host, port));
    }

    private UdpStimSink(InetSocketAddress target) throws IOException {
        super(connect(target));
        this.target = target;
    }

    private static InetSocketAddress unicastTarget(InetAddress host, int port) {
        if (host.isMulticastAddress() || host.isAnyLocalAddress()
                || host.getHostAddress().equals("255.255.255.255")) {
            throw new IllegalArgumentException("stim udp sink: destination must be unicast, was "
                    + host.getHostAddress());
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("stim udp sink: port must be in [1, 65535], was " + port);
        }
        return new InetSocketAddress(host, port);
    }

    private static DatagramChannel connect(InetSocketAddress target) throws IOException {
        DatagramChannel channel = DatagramChannel.open();
        try {
            channel.configureBlocking(false);
            channel.connect(target);
            return channel;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    @Override
    public String name() {
        return "udp:" + target.getAddress().getHostAddress() + ":" + target.getPort();
    }

    @Override
    int writeFrame(WritableByteChannel channel, ByteBuffer frame) throws IOException {
        return channel.write(frame) == 0 ? BACKPRESSURE : OK;
    }

    @Override
    boolean closeOnError() {
        return false;
    }

    @Override
    String failureText() {
        return "udp send failed";
    }

    /** Datagrams sent. */
    public long datagrams() {
        return written();
    }
}
