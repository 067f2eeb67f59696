package io.reflex.runtime.journal;

import io.reflex.runtime.config.ConfigException;
import io.reflex.runtime.pipeline.Counter;
import io.reflex.runtime.pipeline.Frame;
import io.reflex.runtime.pipeline.FrameHandler;
import io.reflex.runtime.pipeline.SampleBlock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * Records every frame (input samples, features, output, stage stamps) into a Chronicle Queue, as a pipeline
 * observer, off the critical path. Opening checks that the directory can be written and refuses to start
 * otherwise. The appender is created on the observer thread; writes reuse Chronicle's document context and
 * allocate nothing in steady state. Layout: {@link JournalFormat}; read it back with {@link JournalReader}.
 */
public final class Journal implements FrameHandler, AutoCloseable {
    static {
        ChronicleSettings.disablePhoneHome();
    }

    private final Path dir;
    private final ChronicleQueue queue;
    private final String metadataJson;
    private final Counter framesWritten = new Counter("journal_frames");
    private final Counter pairedWritten = new Counter("journal_paired_targets");
    private ExcerptAppender appender;
    private boolean closed;

    private Journal(Path dir, ChronicleQueue queue, String metadataJson) {
        this.dir = dir;
        this.queue = queue;
        this.metadataJson = metadataJson;
    }

    /**
     * Opens (creating if needed) a journal in {@code dir}.
     *
     * @param metadataJson run metadata stored as the first record (config, decoder, versions), or null
     * @throws ConfigException naming {@code journal.dir} when the directory cannot be created or written
     */
    public static Journal open(Path dir, String metadataJson) {
        Path abs = dir.toAbsolutePath().normalize();
        try {
            Files.createDirectories(abs);
        } catch (IOException | SecurityException e) {
            throw new ConfigException("journal.dir", "cannot create journal directory " + abs + " (" + e
                    + "); choose a writable directory");
        }
        try {
            Path probe = Files.createTempFile(abs, ".reflex-probe", ".tmp");
            Files.delete(probe);
        } catch (IOException | SecurityException e) {
            throw new ConfigException("journal.dir", "cannot write to journal directory " + abs + " (" + e
                    + "); choose a writable directory");
        }
        ChronicleQueue queue;
        try {
            queue = ChronicleQueue.singleBuilder(abs).rollCycle(RollCycles.FAST_DAILY).build();
        } catch (RuntimeException e) {
            throw new ConfigException("journal.dir", "cannot open a journal in " + abs + " (" + e + ")");
        }
        return new Journal(abs, queue, metadataJson);
    }

    /** The journal's directory (absolute). */
    public Path path() {
        return dir;
    }

    /** Frames written so far (journal thread writes, any thread reads). */
    public long framesWritten() {
        return framesWritten.get();
    }

    @Override
    public void onStart() {
        appender = queue.createAppender();
        if (metadataJson != null) {
            try (DocumentContext dc = appender.writingDocument()) {
                Bytes<?> b = dc.wire().bytes();
                b.writeByte(JournalFormat.TYPE_META);
                b.writeByte(JournalFormat.VERSION);
                b.writeUtf8(metadataJson);
            }
        }
    }

    @Override
    public void onFrame(Frame f) {
        SampleBlock in = f.input;
        int n = in.size();
        int channels = in.channels();
        int refs = in.referenceCount();
        int outs = f.output.length;
        try (DocumentContext dc = appender.writingDocument()) {
            Bytes<?> b = dc.wire().bytes();
            b.writeByte(JournalFormat.TYPE_FRAME);
            b.writeByte(JournalFormat.VERSION);
            b.writeLong(f.sequence);
            b.writeLong(f.sourceSequence);
            b.writeDouble(f.acquisitionTimeS);
            b.writeLong(f.deadlineNs);
            b.writeInt(f.flags);
            b.writeInt(f.decodeStatus);
            b.writeInt(f.decoderGeneration);
            b.writeByte((byte) f.stampNs.length);
            for (long s : f.stampNs) {
                b.writeLong(s);
            }
            b.writeInt(n);
            b.writeInt(channels);
            b.writeInt(refs);
            b.writeInt(outs);
            double[] ts = in.timestamps();
            for (int i = 0; i < n; i++) {
                b.writeDouble(ts[i]);
            }
            writeFloats(b, in.samples(), n * channels);
            writeFloats(b, in.reference(), n * refs);
            writeFloats(b, f.features, channels);
            writeFloats(b, f.targets, refs);
            writeFloats(b, f.output, outs);
            writeFloats(b, f.safeOutput, outs);
        }
        framesWritten.increment();
    }

    /**
     * The handler that journals the targets a kinematics stream paired with each frame ({@link
     * JournalFormat#TYPE_PAIRED_TARGETS}), so that a decoder can be fitted from the journal later. It must run on the
     * journal's own thread (the observers' thread); it writes nothing once the journal is closed.
     *
     * @param count targets per frame (the first {@code count} of {@link Frame#targets})
     */
    public FrameHandler pairedTargets(int count) {
        if (count < 1 || count > JournalFormat.MAX_PAIRED_TARGETS) {
            throw new IllegalArgumentException("paired targets must be 1.." + JournalFormat.MAX_PAIRED_TARGETS
                    + ", was " + count);
        }
        return f -> writePaired(f, count);
    }

    private synchronized void writePaired(Frame f, int count) {
        if (closed || appender == null) {
            return;
        }
        try (DocumentContext dc = appender.writingDocument()) {
            Bytes<?> b = dc.wire().bytes();
            b.writeByte(JournalFormat.TYPE_PAIRED_TARGETS);
            b.writeByte(JournalFormat.VERSION);
            b.writeLong(f.sequence);
            b.writeInt(count);
            writeFloats(b, f.targets, count);
        }
        pairedWritten.increment();
    }

    /** Paired-targets records written so far. */
    public long pairedWritten() {
        return pairedWritten.get();
    }

    private static void writeFloats(Bytes<?> b, float[] a, int count) {
        for (int i = 0; i < count; i++) {
            b.writeFloat(a[i]);
        }
    }

    @Override
    public void onClose() {
        close();
    }

    /** Closes the queue; the mapped files hold every frame written. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (appender != null) {
            appender.close();
        }
        queue.close();
    }
}
