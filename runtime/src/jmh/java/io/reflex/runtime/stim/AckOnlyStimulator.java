package io.reflex.runtime.stim;

import io.reflex.stim.StimCommand;
import io.reflex.stim.driver.StimWire;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * A minimal loopback stimulator for benchmarks: speaks the protocol (HELLO_ACK, an ACK with status 0 per COMMAND and
 * STOP_ALL, a HEARTBEAT per HEARTBEAT) with preallocated buffers and no envelope oracle, so that JMH's
 * {@code -prof gc}, which counts every thread of the JVM, sees only the host's send path.
 */
final class AckOnlyStimulator implements AutoCloseable {
    private final ServerSocketChannel server;
    private final Thread thread;
    private volatile boolean closed;

    AckOnlyStimulator() throws IOException {
        server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        thread = new Thread(this::serve, "ack-only-stimulator");
        thread.setDaemon(true);
        thread.start();
    }

    int port() throws IOException {
        return ((InetSocketAddress) server.getLocalAddress()).getPort();
    }

    private void serve() {
        StimWire wire = new StimWire();
        ByteBuffer rx = ByteBuffer.allocateDirect(64 * 1024).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer tx = ByteBuffer.allocateDirect(4 * StimWire.MAX_FRAME).order(ByteOrder.LITTLE_ENDIAN);
        long seq = 0;
        while (!closed) {
            try (SocketChannel ch = server.accept()) {
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                rx.clear();
                while (!closed) {
                    if (ch.read(rx) < 0) {
                        break;
                    }
                    rx.flip();
                    tx.clear();
                    while (wire.parse(rx) == StimWire.FRAME) {
                        int start = tx.position();
                        switch (wire.type()) {
                            case StimWire.HELLO -> {
                                wire.begin(tx, StimWire.HELLO_ACK, ++seq);
                                tx.putShort((short) StimWire.VERSION);
                                tx.putShort((short) StimCommand.MAX_CHANNELS);
                                wire.finish(tx, start);
                            }
                            case StimWire.COMMAND, StimWire.STOP_ALL -> wire.ack(tx, ++seq, wire.sequence(),
                                    StimWire.STATUS_OK);
                            case StimWire.HEARTBEAT -> wire.heartbeat(tx, ++seq, System.nanoTime());
                            default -> {
                                // not part of a host's session: ignored
                            }
                        }
                    }
                    rx.compact();
                    tx.flip();
                    while (tx.hasRemaining()) {
                        ch.write(tx);
                    }
                }
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
    }
}
