package io.reflex.stim;

/**
 * A bounded in-memory {@link StimJournal} for tests and dry runs: preallocated, allocation-free for commands.
 * Holds up to {@code capacity} command records and as many stop-all records; when either is full it fails (so a controller using it disarms rather than sends unrecorded commands).
 */
public final class InMemoryStimJournal implements StimJournal {
    private final StimCommand[] commands;
    private final long[] sequences;
    private final long[] timesNs;
    private final int[] verdicts;
    private final long[] stopAllSequences;
    private final long[] stopAllTimesNs;
    private int stopAlls;
    private int size;
    private int eventCount;
    private long lastEventTimeNs;
    private int lastEvent;
    private int lastEventCode;
    private String lastEventReason;

    /** A journal holding up to {@code capacity} command records. */
    public InMemoryStimJournal(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("InMemoryStimJournal capacity must be >= 1, was " + capacity);
        }
        commands = new StimCommand[capacity];
        for (int i = 0; i < capacity; i++) {
            commands[i] = new StimCommand();
        }
        sequences = new long[capacity];
        timesNs = new long[capacity];
        verdicts = new int[capacity];
        stopAllSequences = new long[capacity];
        stopAllTimesNs = new long[capacity];
    }

    @Override
    public int recordCommand(long sequence, long timeNs, StimCommand command, int verdict) {
        if (size == commands.length) {
            return FAILED;
        }
        commands[size].copyFrom(command);
        sequences[size] = sequence;
        timesNs[size] = timeNs;
        verdicts[size] = verdict;
        size++;
        return OK;
    }

    @Override
    public int recordStopAll(long sequence, long timeNs) {
        if (stopAlls == stopAllSequences.length) {
            return FAILED;
        }
        stopAllSequences[stopAlls] = sequence;
        stopAllTimesNs[stopAlls] = timeNs;
        stopAlls++;
        return OK;
    }

    /** Stop-all records held. */
    public int stopAllCount() {
        return stopAlls;
    }

    /** Sequence number of the i-th stop-all record. */
    public long stopAllSequence(int i) {
        if (i < 0 || i >= stopAlls) {
            throw new IndexOutOfBoundsException("stop-all record " + i + " not in [0, " + stopAlls + ")");
        }
        return stopAllSequences[i];
    }

    /** Time of the i-th stop-all record. */
    public long stopAllTimeNs(int i) {
        stopAllSequence(i);
        return stopAllTimesNs[i];
    }

    @Override
    public int recordEvent(long timeNs, int event, int code, String reason) {
        eventCount++;
        lastEventTimeNs = timeNs;
        lastEvent = event;
        lastEventCode = code;
        lastEventReason = reason;
        return OK;
    }

    /** Forgets all command and stop-all records (keeps the preallocated storage). */
    public void clear() {
        size = 0;
        stopAlls = 0;
    }

    public int size() {
        return size;
    }

    public int capacity() {
        return commands.length;
    }

    /** The i-th recorded command (owned by the journal; do not keep). */
    public StimCommand command(int i) {
        return commands[checkIndex(i)];
    }

    public long sequence(int i) {
        return sequences[checkIndex(i)];
    }

    public long timeNs(int i) {
        return timesNs[checkIndex(i)];
    }

    public int verdict(int i) {
        return verdicts[checkIndex(i)];
    }

    public int eventCount() {
        return eventCount;
    }

    public int lastEvent() {
        return lastEvent;
    }

    public int lastEventCode() {
        return lastEventCode;
    }

    public String lastEventReason() {
        return lastEventReason;
    }

    public long lastEventTimeNs() {
        return lastEventTimeNs;
    }

    private int checkIndex(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("record " + i + " not in [0, " + size + ")");
        }
        return i;
    }
}
