package io.reflex.runtime.journal;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import net.openhft.chronicle.queue.TailerDirection;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueStore;

/**
 * Checks a queue's files against their own headers. Each cycle file's header records where its last record was
 * written; a file cut short (copied in part, truncated) holds fewer bytes than that, whatever its index or the zeros
 * after the cut say. Used by the journal readers after the last readable record, so that a short journal is never
 * reported as whole.
 */
public final class QueueFiles {
    /** File names of {@code RollCycles.FAST_DAILY} cycles (days since the epoch, UTC), the roll every journal uses. */
    private static final DateTimeFormatter CYCLE_FILE = DateTimeFormatter.ofPattern("yyyyMMdd'F'");

    private QueueFiles() {
    }

    /**
     * Checks each record read against the length of the file it came from: a file cut inside a record maps the
     * missing bytes as zeros (within the last page) that read like data. Not thread-safe; one per reader.
     */
    public static final class RecordEnds {
        private final Path dir;
        private int cycle = -1;
        private long fileBytes;

        public RecordEnds(Path dir) {
            this.dir = dir;
        }

        /** Null when the record of {@code cycle} ending at {@code endByte} lies within its file; else what is wrong. */
        public String check(int cycle, long endByte, long recordNumber) {
            if (cycle != this.cycle) {
                this.cycle = cycle;
                Path file = dir.resolve(LocalDate.ofEpochDay(cycle).format(CYCLE_FILE) + ".cq4");
                try {
                    fileBytes = Files.size(file);
                } catch (IOException e) {
                    fileBytes = Long.MAX_VALUE; // named otherwise than by the daily roll: nothing to check against
                }
            }
            if (endByte > fileBytes) {
                return "the queue file of cycle " + cycle + " is cut short: record " + recordNumber + " ends at byte "
                        + endByte + " but the file holds " + fileBytes + " bytes";
            }
            return null;
        }
    }

    /**
     * Null when every cycle file holds the bytes its header says were written; otherwise what is missing, naming the
     * file. A header that cannot be read is reported too.
     */
    public static String cutShort(SingleChronicleQueue queue) {
        int cycle;
        int last;
        try {
            cycle = queue.firstCycle();
            last = queue.lastCycle();
        } catch (RuntimeException | InternalError e) {
            return "the queue's cycle files cannot be listed: " + e;
        }
        if (cycle == Integer.MAX_VALUE || last == Integer.MIN_VALUE) {
            return null; // no cycle file: an empty queue
        }
        // cycles are days; a directory holds a bounded number of them
        for (int guard = 0; guard < 100_000 && cycle <= last; guard++) {
            String problem = checkCycle(queue, cycle);
            if (problem != null) {
                return problem;
            }
            int next;
            try {
                next = queue.nextCycle(cycle, TailerDirection.FORWARD);
            } catch (ParseException | RuntimeException e) {
                return "the queue's cycle files cannot be listed after cycle " + cycle + ": " + e;
            }
            if (next <= cycle) {
                return null;
            }
            cycle = next;
        }
        return null;
    }

    private static String checkCycle(SingleChronicleQueue queue, int cycle) {
        SingleChronicleQueueStore store;
        try {
            store = queue.storeForCycle(cycle, queue.epoch(), false, null);
        } catch (RuntimeException | InternalError e) {
            return "the header of the queue file of cycle " + cycle + " cannot be read: " + e;
        }
        if (store == null) {
            return null;
        }
        try {
            File file = store.file();
            long written = store.writePosition();
            long length = file.length();
            // the last record starts at the write position: its 4-byte length header at least lies past it
            if (written > 0 && written + 4 > length) {
                return "the queue file " + file.getName() + " is cut short: its header says records were written up"
                        + " to byte " + written + " but the file holds " + length + " bytes";
            }
            return null;
        } catch (RuntimeException | InternalError e) {
            return "the header of the queue file of cycle " + cycle + " cannot be read: " + e;
        } finally {
            queue.closeStore(store);
        }
    }
}
