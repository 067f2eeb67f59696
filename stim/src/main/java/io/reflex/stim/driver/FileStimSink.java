package io.reflex.stim.driver;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes accepted commands to a file as protocol frames (stim/PROTOCOL.md), back to back: the same bytes a TCP
 * stimulator would receive, for offline inspection or replay into a device. Allocation-free per command.
 */
public final class FileStimSink extends FrameSink {
    private final Path path;

    /**
     * Creates or truncates {@code path}.
     *
     * @throws IOException naming the path when it cannot be opened
     */
    public FileStimSink(Path path) throws IOException {
        super(open(path));
        this.path = path;
    }

    private static FileChannel open(Path path) throws IOException {
        try {
            return FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
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
    int writeFrame(WritableByteChannel channel, ByteBuffer frame) throws IOException {
        while (frame.hasRemaining()) {
            channel.write(frame);
        }
        return OK;
    }

    @Override
    boolean closeOnError() {
        return true;
    }

    @Override
    String failureText() {
        return "file sink write failed";
    }

    /** Frames written. */
    public long frames() {
        return written();
    }
}
