package io.reflex.runtime.journal;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * Reads a journal from the start, frame by frame, for replay and export. A journal that faulted (a full disk) may end
 * in a record that was never completed, or in a block the file system could not back (reading it faults like the
 * write did): reading stops there, every record before it is returned, and {@link #tailFault()} says what ended it.
 */
public final class JournalReader implements AutoCloseable {
    static {
        ChronicleSettings.disablePhoneHome();
    }

    /** Most samples, channels, references or outputs a frame record may name; a record's length bounds them too. */
    private static final int MAX_COUNT = 1 << 24;

    private final Path dir;
    private final SingleChronicleQueue queue;
    private final ExcerptTailer tailer;
    private String metadataJson;
    private String tailFault;
    private final QueueFiles.RecordEnds recordEnds;
    /** Documents read so far, the run metadata included. */
    private long recordsRead;

    /** Opens the journal in {@code dir} read-only. */
    public JournalReader(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("no journal directory at " + dir.toAbsolutePath());
        }
        this.dir = dir;
        recordEnds = new QueueFiles.RecordEnds(dir);
        queue = SingleChronicleQueueBuilder.single(dir.toFile()).rollCycle(RollCycles.FAST_DAILY).readOnly(true).build();
        tailer = queue.createTailer().toStart();
    }

    /** The run metadata record, once {@link #next} has passed it; null if none was written. */
    public String metadataJson() {
        return metadataJson;
    }

    /**
     * Why reading stopped before the end of the stored data (the tail a faulted writer left could not be read), or
     * null while every record read was whole.
     */
    public String tailFault() {
        return tailFault;
    }

    /**
     * Reads the next frame into {@code r}, passing over paired-targets and marker records (see {@link #nextRecord}).
     *
     * @return false when no more frames are stored, or when the tail cannot be read (see {@link #tailFault()})
     * @throws IllegalStateException when a record has an unknown type or version
     */
    public boolean next(JournalRecord r) {
        while (true) {
            byte type = nextRecord(r);
            if (type == 0) {
                return false;
            }
            if (type == JournalFormat.TYPE_FRAME) {
                return true;
            }
        }
    }

    /**
     * Reads the next frame, paired-targets or marker record into {@code r}: for {@link JournalFormat#TYPE_FRAME} every
     * frame field, for {@link JournalFormat#TYPE_PAIRED_TARGETS} {@code sequence}, {@code pairedCount} and
     * {@code pairedTargets}, for {@link JournalFormat#TYPE_MARKER} the {@code marker*} fields.
     *
     * @return the record type, or 0 when no more records are stored or the tail cannot be read (see
     *         {@link #tailFault()})
     * @throws IllegalStateException when a record has an unknown type or version, or a paired-targets record holds
     *                               more than {@link JournalFormat#MAX_PAIRED_TARGETS} values, or a marker
     *                               record more than {@link JournalFormat#MAX_MARKER_CHARS} chars
     */
    public byte nextRecord(JournalRecord r) {
        if (tailFault != null) {
            return 0;
        }
        try {
            return readRecord(r);
        } catch (FormatException e) {
            throw e;
        } catch (RuntimeException | InternalError e) {
            // A record cut short, or a page of the file the file system never backed (SIGBUS -> InternalError).
            tailFault = "the journal's tail could not be read: " + e;
            return 0;
        }
    }

    private byte readRecord(JournalRecord r) {
        while (true) {
            try (DocumentContext dc = tailer.readingDocument()) {
                if (!dc.isPresent()) {
                    checkComplete();
                    return 0;
                }
                Bytes<?> b = dc.wire().bytes();
                if (cutShort(b.readLimit())) {
                    return 0;
                }
                recordsRead++;
                byte type = b.readByte();
                byte version = b.readByte();
                if (version != JournalFormat.VERSION
                        && !(type == JournalFormat.TYPE_FRAME && version == JournalFormat.FRAME_VERSION_FEATURES)) {
                    throw new FormatException("journal record version " + version + " is not supported; this"
                            + " reader knows version " + JournalFormat.VERSION + " (frames also "
                            + JournalFormat.FRAME_VERSION_FEATURES + ")");
                }
                if (type == JournalFormat.TYPE_META) {
                    // its length (stop-bit encoded) bounded by the record before the text is read
                    long at = b.readPosition();
                    long length = b.readStopBit();
                    if (length < -1 || length > b.readRemaining()) {
                        throw new FormatException("the run metadata record is malformed (" + length + " chars in "
                                + b.readRemaining() + " bytes)");
                    }
                    b.readPosition(at);
                    metadataJson = b.readUtf8();
                    continue;
                }
                if (type == JournalFormat.TYPE_PAIRED_TARGETS) {
                    r.sequence = b.readLong();
                    int count = b.readInt();
                    if (count < 0 || count > JournalFormat.MAX_PAIRED_TARGETS) {
                        throw new FormatException("paired-targets record of frame " + r.sequence + " holds "
                                + count + " values, not 0.." + JournalFormat.MAX_PAIRED_TARGETS);
                    }
                    r.pairedCount = count;
                    r.pairedTargets = readFloats(b, r.pairedTargets, count);
                    return type;
                }
                if (type == JournalFormat.TYPE_MARKER) {
                    r.markerTimeS = b.readDouble();
                    r.markerAfterSequence = b.readLong();
                    r.markerLength = b.readInt();
                    int bytes = b.readInt();
                    // bounded before anything is allocated
                    if (r.markerLength < 0 || bytes < 0 || bytes > 3 * JournalFormat.MAX_MARKER_CHARS
                            || bytes > b.readRemaining()) {
                        throw new FormatException("marker record after frame " + r.markerAfterSequence + " is"
                                + " malformed (length " + r.markerLength + ", " + bytes + " bytes)");
                    }
                    byte[] utf8 = new byte[bytes];
                    b.read(utf8);
                    r.markerText = new String(utf8, StandardCharsets.UTF_8);
                    return type;
                }
                if (type != JournalFormat.TYPE_FRAME) {
                    throw new FormatException("unknown journal record type " + type);
                }
                read(b, r, version == JournalFormat.FRAME_VERSION_FEATURES);
                return type;
            }
        }
    }

    /**
     * True (and the tail fault set) when the record ending at {@code endByte} of the current cycle's file lies past
     * the file's end: a file cut short maps its missing pages as zeros or faults on them, so the record is not read.
     */
    private boolean cutShort(long endByte) {
        String cut = recordEnds.check(tailer.cycle(), endByte, recordsRead + 1);
        if (cut != null) {
            tailFault = cut;
            return true;
        }
        return false;
    }

    /**
     * At the end of the stored records: a queue file cut short (copied in part, truncated) ends in zeros that read
     * like the end of the queue, but the queue's index still counts the records that were written.
     */
    private void checkComplete() {
        String cut = QueueFiles.cutShort(queue);
        if (cut != null) {
            tailFault = cut + "; " + recordsRead + " records could be read";
            return;
        }
        long indexed;
        try {
            indexed = queue.entryCount();
        } catch (RuntimeException | InternalError e) {
            return; // the index itself is unreadable; what was read stands
        }
        if (indexed > recordsRead) {
            tailFault = "the queue file is cut short or damaged: its index counts " + indexed + " records, "
                    + recordsRead + " could be read";
        }
    }

    private static void read(Bytes<?> b, JournalRecord r, boolean ownFeatureCount) {
        r.sequence = b.readLong();
        r.sourceSequence = b.readLong();
        r.acquisitionTimeS = b.readDouble();
        r.deadlineNs = b.readLong();
        r.flags = b.readInt();
        r.decodeStatus = b.readInt();
        r.decoderGeneration = b.readInt();
        int stages = b.readByte();
        // every size read from the file is bounded by the record's own length before anything is allocated
        if (stages < 0 || 8L * stages > b.readRemaining()) {
            throw new FormatException("frame record " + r.sequence + " is malformed (" + stages + " stage stamps in "
                    + b.readRemaining() + " bytes)");
        }
        if (r.stampNs.length != stages) {
            r.stampNs = new long[stages];
        }
        for (int i = 0; i < stages; i++) {
            r.stampNs[i] = b.readLong();
        }
        r.sampleCount = b.readInt();
        r.channels = b.readInt();
        r.referenceCount = b.readInt();
        r.outputCount = b.readInt();
        r.featureCount = ownFeatureCount ? b.readInt() : r.channels;
        int n = r.sampleCount;
        long ch = r.channels;
        long refs = r.referenceCount;
        long outs = r.outputCount;
        long feats = r.featureCount;
        if (n < 0 || ch < 0 || refs < 0 || outs < 0 || feats < 0 || n > MAX_COUNT || ch > MAX_COUNT
                || refs > MAX_COUNT || outs > MAX_COUNT || feats > MAX_COUNT
                || 8L * n + 4L * n * ch + 4L * n * refs + 4 * feats + 4 * refs + 8 * outs > b.readRemaining()) {
            throw new FormatException("frame record " + r.sequence + " is malformed (" + n + " samples of " + ch
                    + " channels, " + feats + " features, " + refs + " references, " + outs + " outputs in "
                    + b.readRemaining() + " bytes)");
        }
        if (r.sampleTimestampsS.length < n) {
            r.sampleTimestampsS = new double[n];
        }
        for (int i = 0; i < n; i++) {
            r.sampleTimestampsS[i] = b.readDouble();
        }
        r.samples = readFloats(b, r.samples, n * r.channels);
        r.reference = readFloats(b, r.reference, n * r.referenceCount);
        r.features = readFloats(b, r.features, r.featureCount);
        r.targets = readFloats(b, r.targets, r.referenceCount);
        r.output = readFloats(b, r.output, r.outputCount);
        r.safeOutput = readFloats(b, r.safeOutput, r.outputCount);
    }

    private static float[] readFloats(Bytes<?> b, float[] into, int count) {
        float[] a = into.length >= count ? into : new float[count];
        for (int i = 0; i < count; i++) {
            a[i] = b.readFloat();
        }
        return a;
    }

    /** A record this reader does not know: an error of the file, not of its tail. */
    private static final class FormatException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        FormatException(String message) {
            super(message);
        }
    }

    @Override
    public void close() {
        tailer.close();
        queue.close();
    }
}
