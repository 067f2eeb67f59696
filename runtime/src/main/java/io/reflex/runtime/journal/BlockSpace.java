package io.reflex.runtime.journal;

import net.openhft.chronicle.wire.DocumentContext;

/**
 * What the data journal and the stimulation journal share about writing on a disk that may fill up. Chronicle maps
 * its file a block at a time, and a full disk shows only when a store into a new block faults (SIGBUS), so a writer
 * asks its {@link FreeSpaceGuard.Watch} before any record that may reach past the blocks already checked; a record
 * that fails part-way is rolled back so that no reader sees half of it. Used by one writing thread at a time.
 */
public final class BlockSpace {
    private final long blockBytes;
    private final long maxRecordBytes;
    /** The space was last checked for writes up to this file position (the end of the block after the next). */
    private long checkedUntil;

    /**
     * @param blockBytes     the queue's block size
     * @param maxRecordBytes the largest record the writer writes
     */
    public BlockSpace(long blockBytes, long maxRecordBytes) {
        this.blockBytes = blockBytes;
        this.maxRecordBytes = maxRecordBytes;
    }

    /**
     * Whether a record may be written at {@code endPosition} (the file position after the last record): true without
     * a watch, or when the record stays within the blocks already checked, or when the watch finds room now (then the
     * next two blocks count as checked); false when the watch found the disk below its reserve (it has faulted the
     * journal).
     */
    public boolean mayWrite(FreeSpaceGuard.Watch watch, long endPosition) {
        if (watch != null && endPosition + maxRecordBytes > checkedUntil) {
            if (!watch.check()) {
                return false;
            }
            checkedUntil = (endPosition / blockBytes + 2) * blockBytes;
        }
        return true;
    }

    /** Abandons a record that could not be written whole, so that no reader sees half of it. Never throws. */
    public static void rollback(DocumentContext dc) {
        try {
            dc.rollbackOnClose();
        } catch (RuntimeException | Error ignored) {
            // The record stays incomplete: a reader stops before it, which is what the rollback would have done.
        }
    }
}
