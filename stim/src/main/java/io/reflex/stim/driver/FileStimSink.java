package io.reflex.stim.driver;

import io.reflex.stim.StimCommand;
import io.reflex.stim.StimulatorDriver;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes accepted commands to a file as protocol frames (stim/PROTOCOL.md), back to back: the same bytes a TCP
 * stimulator would receive, for offline inspection or replay into a device. Allocation-free per command.
 */
public final class FileStimSink implements StimulatorDriver {
    private final Path path;
    private final FileChannel channel;
    private final StimWire wire = new StimWire();
    private final ByteBuffer tx = ByteBuffer.allocateDirect(StimWire.MAX_FRAME).order(ByteOrder.LITTLE_ENDIAN);
    private volatile boolean open = true;
    private volatile String alarm;
    private long frames;

    /**
     * Creates or truncates {@code path}.
     *
     * @throws IOException naming the path when it cannot be opened
     */
    public FileStimSink(Path path) throws IOException {
        this.path = path;
        try {
            channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new IOException("stim file sink: cannot open " + path + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String name() {
        return "file:" + path;
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
            while (tx.hasRemaining()) {
                channel.write(tx);
            }
            frames++;
            return OK;
        } catch (IOException | RuntimeException e) {
            alarm = "file sink write failed: " + e;
            open = false;
            return IO_ERROR;
        }
    }

    /** Frames written. */
    public long frames() {
        return frames;
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
