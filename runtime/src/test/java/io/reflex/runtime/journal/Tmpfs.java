package io.reflex.runtime.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A small tmpfs mounted on a test's directory, to fill up: a real full file system, as a journal meets it. Needs
 * root (the tests run as root); where mounting is not permitted the test is skipped, saying why.
 */
public final class Tmpfs implements AutoCloseable {
    private final Path dir;

    private Tmpfs(Path dir) {
        this.dir = dir;
    }

    /** Mounts a tmpfs of {@code sizeMiB} on {@code dir} (created if needed), or skips the test. */
    public static Tmpfs mount(Path dir, int sizeMiB) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        String out;
        int rc;
        try {
            Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + sizeMiB + "m", "tmpfs",
                    dir.toString()).redirectErrorStream(true).start();
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            rc = p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
        } catch (IOException e) {
            out = e.toString();
            rc = -1;
        }
        Assumptions.assumeTrue(rc == 0, "skipped: cannot mount a tmpfs on " + dir + " (mount exit " + rc + ": "
                + out + "); these tests need root and permission to mount");
        return new Tmpfs(dir);
    }

    public Path dir() {
        return dir;
    }

    /** Usable bytes now. */
    public long usableBytes() throws IOException {
        return Files.getFileStore(dir).getUsableSpace();
    }

    /**
     * Appends to the file {@code name} until at most {@code leaveBytes} stay usable (or the disk is full), as another
     * process filling the disk would.
     */
    public void fillLeaving(long leaveBytes, String name) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        try (FileChannel ch = FileChannel.open(dir.resolve(name), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            long toWrite = usableBytes() - leaveBytes;
            while (toWrite > 0) {
                buf.clear();
                buf.limit((int) Math.min(buf.capacity(), toWrite));
                toWrite -= ch.write(buf);
            }
        } catch (IOException e) {
            if (usableBytes() > leaveBytes) {
                throw e;
            }
            // ENOSPC while filling up to nothing: full, as asked.
        }
    }

    /** Fills the disk completely. */
    public void fillUp(String name) throws IOException {
        fillLeaving(0, name);
    }

    /** Unmounts (lazily when something still holds it open). */
    @Override
    public void close() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("umount", dir.toString()).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            Process lazy = new ProcessBuilder("umount", "-l", dir.toString()).redirectErrorStream(true).start();
            lazy.getInputStream().readAllBytes();
            lazy.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
