package io.reflex.stim.driver;

import io.reflex.stim.StimCommand;
import io.reflex.stim.StimulatorDriver;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;

/**
 * A one-way output of protocol frames (stim/PROTOCOL.md: COMMAND, STOP_ALL) over a byte channel, with no
 * acknowledgements: the part {@link FileStimSink} and {@link UdpStimSink} share. A subclass only says how one
 * encoded frame goes out ({@link #writeFrame}). Allocation-free per command.
 */
abstract class FrameSink implements StimulatorDriver {
    private final WritableByteChannel channel;
    private final StimWire wire = new StimWire();
    private final ByteBuffer tx = ByteBuffer.allocateDirect(StimWire.MAX_FRAME).order(ByteOrder.LITTLE_ENDIAN);
    private volatile boolean open = true;
    private volatile String alarm;
    private long written;

    FrameSink(WritableByteChannel channel) {
        this.channel = channel;
    }

    /**
     * Writes the encoded frame in {@code frame} (flipped, ready to read) to {@code channel}.
     *
     * @return {@link #OK} when the frame left, or another status code of {@link StimulatorDriver}
     * @throws IOException when the channel fails ({@link #send} turns it into {@link #IO_ERROR} and an alarm)
     */
    abstract int writeFrame(WritableByteChannel channel, ByteBuffer frame) throws IOException;

    /** Whether a failed write closes the sink (a file cannot recover; a datagram socket can). */
    abstract boolean closeOnError();

    /** Prefix of the alarm text on a failed write, e.g. "udp send failed". */
    abstract String failureText();

    /** Frames that left. */
    final long written() {
        return written;
    }

    @Override
    public final int send(long sequence, StimCommand command) {
        tx.clear();
        wire.command(tx, sequence, command);
        return write();
    }

    @Override
    public final int stopAll(long sequence) {
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
            int status = writeFrame(channel, tx);
            if (status == OK) {
                written++;
            }
            return status;
        } catch (IOException | RuntimeException e) {
            alarm = failureText() + ": " + e;
            if (closeOnError()) {
                open = false;
            }
            return IO_ERROR;
        }
    }

    @Override
    public final int doWork(long nowNs) {
        return 0;
    }

    @Override
    public final boolean isConnected() {
        return open;
    }

    @Override
    public final void abort() {
        open = false;
    }

    @Override
    public final String alarm() {
        return alarm;
    }

    @Override
    public final void close() {
        open = false;
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing: nothing left to report to
        }
    }
}
