package io.reflex.lsl;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A bounded single-producer single-consumer queue of samples that drops the <b>oldest</b> sample when full and
 * counts what it dropped: the outlet's per-connection queue and the inlet's receive buffer.
 *
 * <p>Two kinds of storage. <b>Slots</b> (the outlet's queues, and the inlet's for string streams): each sample is
 * copied into a preallocated slot of its own (numeric samples have a fixed size; a string slot grows when a longer
 * sample arrives, so after warm-up nothing allocates). <b>A receive ring</b> ({@link #inReceiveRing}, the inlet's
 * numeric streams): the queue is the connection's receive buffer itself, a direct buffer the socket is read into;
 * a slot holds only where its sample's values start in that buffer, and a pull decodes them from there (the
 * {@link SampleReader} keeps the bytes of waiting samples from being read over, dropping the oldest when it must). No locks: the producer drops by advancing the consumer's head with
 * a CAS; the consumer reads a slot and then confirms with a CAS on the same head, discarding what it read if the
 * producer dropped (and may have overwritten) that slot meanwhile.
 *
 * <p>Owner: {@link #claim()}/{@link #publish()} by one producer thread, {@link #readSlot()}/{@link #commitRead}
 * by one consumer thread.
 */
public final class SampleQueue {
    private final int capacity;
    private final int mask;
    private final double[] timestamps;
    private final boolean[] explicit;
    private final byte[][] payload;
    private final int[] lengths;
    /** Receive-ring storage: where each slot's values start in {@link #ring} (null with slot storage). */
    private final int[] offsets;
    private final UnsafeBuffer ring;
    private final ByteBuffer ringBytes;
    private final AtomicLong head = new AtomicLong();
    private final AtomicLong tail = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private long claimed = -1;
    private volatile Thread waiter;

    /**
     * @param minCapacity     samples held (rounded up to a power of two)
     * @param slotBytes       initial bytes per slot (the fixed size for numeric formats)
     */
    public SampleQueue(int minCapacity, int slotBytes) {
        this(minCapacity, Math.max(slotBytes, 0), 0);
    }

    /** @param slotBytes -1: no slots, a receive ring of {@code ringSize} bytes */
    private SampleQueue(int minCapacity, int slotBytes, int ringSize) {
        if (minCapacity < 1 || minCapacity > 1 << 24) {
            throw new IllegalArgumentException("queue capacity must be in [1, 16777216], got " + minCapacity);
        }
        int cap = Integer.highestOneBit(minCapacity);
        if (cap < minCapacity) {
            cap <<= 1;
        }
        this.capacity = cap;
        this.mask = cap - 1;
        this.timestamps = new double[cap];
        this.explicit = new boolean[cap];
        this.lengths = new int[cap];
        if (slotBytes < 0) {
            this.payload = null;
            this.offsets = new int[cap];
            this.ringBytes = allocateRing(ringSize);
            this.ring = new UnsafeBuffer(ringBytes);
        } else {
            this.payload = new byte[cap][];
            for (int i = 0; i < cap; i++) {
                payload[i] = new byte[Math.max(slotBytes, 1)];
            }
            this.offsets = null;
            this.ring = null;
            this.ringBytes = null;
        }
    }

    /**
     * A queue whose samples stay in the receive buffer they were read into: {@code minCapacity} samples of at most
     * {@code wireBytes} bytes each on the wire (tag, timestamp and values), in a direct buffer of
     * {@link #ringBytesFor} bytes ({@code readRoomBytes}: what one socket read may bring, the old receive buffer).
     */
    public static SampleQueue inReceiveRing(int minCapacity, int wireBytes, int readRoomBytes) {
        if (wireBytes < 1) {
            throw new IllegalArgumentException("wire bytes per sample must be positive, got " + wireBytes);
        }
        if (minCapacity < 1 || minCapacity > 1 << 24) {
            throw new IllegalArgumentException("queue capacity must be in [1, 16777216], got " + minCapacity);
        }
        return new SampleQueue(minCapacity, -1, ringBytesFor(roundUp(minCapacity), wireBytes, readRoomBytes));
    }

    /**
     * A receive-ring queue with a ring of exactly {@code ringBytes} (tests: a ring smaller than its samples, where
     * the reader must drop for lack of bytes before the count does).
     */
    static SampleQueue inReceiveRingOfBytes(int minCapacity, int ringBytes) {
        return new SampleQueue(minCapacity, -1, ringBytes);
    }

    /**
     * The ring's direct memory; the JVM's direct-memory limit ({@code -XX:MaxDirectMemorySize}, by default the
     * heap's maximum) refusing it is a configuration error, reported as such. The memory goes back when the queue
     * is collected, not at the inlet's close: a pull still decoding from it must never read freed memory.
     */
    private static ByteBuffer allocateRing(int bytes) {
        try {
            return BufferUtil.allocateDirectAligned(bytes, 64);
        } catch (OutOfMemoryError e) {
            throw new IllegalArgumentException("cannot reserve " + bytes + " bytes of direct memory for an inlet's "
                    + "receive buffer (" + e.getMessage() + "); lower the inlet's buffer or raise "
                    + "-XX:MaxDirectMemorySize", e);
        }
    }

    private static int roundUp(int minCapacity) {
        int cap = Integer.highestOneBit(Math.max(1, minCapacity));
        return cap < minCapacity ? cap << 1 : cap;
    }

    /**
     * Bytes of a receive ring for {@code capacity} samples of {@code wireBytes} bytes: every sample the queue can
     * hold, plus room for reads while it is full ({@code readRoomBytes}, at least four samples), so that a full
     * queue drops by count, as one with slots does, and not for lack of bytes.
     */
    static int ringBytesFor(int capacity, int wireBytes, int readRoomBytes) {
        long bytes = (long) capacity * wireBytes + Math.max(readRoomBytes, 4L * wireBytes);
        if (bytes > MAX_RING_BYTES) {
            throw new IllegalArgumentException("a receive ring of " + capacity + " samples of " + wireBytes
                    + " bytes would take " + bytes + " bytes; at most " + MAX_RING_BYTES);
        }
        return (int) bytes;
    }

    /** The largest receive ring (inletMaxBufferBytes bounds it long before this). */
    static final long MAX_RING_BYTES = 1L << 30;

    /** Heap bytes a slot costs beside its payload: array header, timestamp, flag, length and reference. */
    static final int SLOT_OVERHEAD_BYTES = 40;

    /**
     * The capacity to ask for so that a queue of {@code slotBytes}-byte samples stays within {@code maxBytes}: the
     * largest power of two not above {@code wanted} (rounded up to a power of two, as the constructor does) whose
     * slots fit, or -1 when not even one slot fits. Sizes that come from peers (channel counts, Max-Buffer-Length)
     * go through here before anything is allocated.
     */
    static int capacityWithin(int wanted, int slotBytes, long maxBytes) {
        long perSlot = (long) Math.max(slotBytes, 1) + SLOT_OVERHEAD_BYTES;
        long fit = maxBytes / perSlot;
        if (fit < 1) {
            return -1;
        }
        long want = Math.max(1, Math.min(wanted, 1 << 24));
        long cap = Long.highestOneBit(want);
        if (cap < want) {
            cap <<= 1;
        }
        while (cap > fit) {
            cap >>= 1;
        }
        return (int) cap;
    }

    public int capacity() {
        return capacity;
    }

    /** True if the samples stay in a receive ring ({@link #ring()}); false if each has a slot of its own. */
    public boolean hasRing() {
        return ring != null;
    }

    /** The receive ring (null with slot storage): the pull decodes a sample from {@link #offset(int)} in it. */
    public UnsafeBuffer ring() {
        return ring;
    }

    /** The receive ring's memory, for socket reads (the {@link SampleReader} positions a duplicate of it). */
    ByteBuffer ringBytes() {
        return ringBytes;
    }

    /** Samples dropped (oldest first) because the queue was full. */
    public long dropped() {
        return dropped.get();
    }

    /** Samples waiting. */
    public int size() {
        return (int) Math.max(0, tail.get() - head.get());
    }

    // ---- producer ----

    /** Claims the next slot, dropping the oldest sample if the queue is full; returns the slot index. */
    public int claim() {
        long t = tail.get();
        long h = head.get();
        if (t - h >= capacity && head.compareAndSet(h, h + 1)) {
            dropped.incrementAndGet();
        }
        claimed = t;
        return (int) (t & mask);
    }

    /**
     * The slot's buffer, grown (allocating, keeping its content) if it holds fewer than {@code bytes}; only string
     * samples longer than any before grow a slot.
     */
    public byte[] slotBuffer(int slot, int bytes) {
        byte[] b = payload[slot];
        if (b.length < bytes) {
            b = java.util.Arrays.copyOf(b, Math.max(bytes, b.length * 2));
            payload[slot] = b;
        }
        return b;
    }

    /** Sets the claimed slot's metadata. */
    public void slotMeta(int slot, double timestamp, boolean isExplicit, int length) {
        timestamps[slot] = timestamp;
        explicit[slot] = isExplicit;
        lengths[slot] = length;
    }

    /** Sets where the claimed slot's sample starts in the receive ring (ring storage). */
    public void slotOffset(int slot, int offset) {
        offsets[slot] = offset;
    }

    /** Makes the claimed slot visible to the consumer and wakes it if it waits. */
    public void publish() {
        tail.set(claimed + 1);
        Thread w = waiter;
        if (w != null) {
            LockSupport.unpark(w);
        }
    }

    /** Claims, copies and publishes one sample. */
    public void offer(double timestamp, boolean isExplicit, byte[] src, int off, int length) {
        int slot = claim();
        byte[] b = slotBuffer(slot, length);
        System.arraycopy(src, off, b, 0, length);
        slotMeta(slot, timestamp, isExplicit, length);
        publish();
    }

    // ---- consumer ----

    private long reading;

    /** The slot of the oldest sample, or -1 if empty. Read its fields, then call {@link #commitRead()}. */
    public int readSlot() {
        long h = head.get();
        if (h >= tail.get()) {
            return -1;
        }
        reading = h;
        return (int) (h & mask);
    }

    public double timestamp(int slot) {
        return timestamps[slot];
    }

    public boolean isExplicit(int slot) {
        return explicit[slot];
    }

    public int length(int slot) {
        return Math.min(lengths[slot], payload[slot].length);
    }

    public byte[] buffer(int slot) {
        return payload[slot];
    }

    /** Where the slot's values start in the receive ring (ring storage). */
    public int offset(int slot) {
        return offsets[slot];
    }

    // ---- the producer's view of what is waiting (ring storage: which bytes it must not read over) ----

    /** The sequence of the oldest waiting sample (the consumer's head; it only grows). */
    long headSequence() {
        return head.get();
    }

    /** The sequence after the newest published sample (producer thread). */
    long tailSequence() {
        return tail.get();
    }

    /** Where waiting sample {@code sequence} starts in the ring (valid while it is waiting; producer thread). */
    int offsetOf(long sequence) {
        return offsets[(int) (sequence & mask)];
    }

    /**
     * Drops every sample up to and including {@code sequence} that the consumer has not taken, oldest first,
     * counting them as dropped (producer thread: before it reads over their bytes).
     */
    void dropThrough(long sequence) {
        long t = tail.get();
        while (true) {
            long h = head.get();
            if (h > sequence || h >= t) {
                return;
            }
            if (head.compareAndSet(h, h + 1)) {
                dropped.incrementAndGet();
            }
        }
    }

    /** Confirms the read; false if the producer dropped that sample meanwhile (discard what was read). */
    public boolean commitRead() {
        return head.compareAndSet(reading, reading + 1);
    }

    /** Drops everything waiting (consumer side); returns how many. */
    public long clear() {
        while (true) {
            long h = head.get();
            long t = tail.get();
            if (h >= t || head.compareAndSet(h, t)) {
                return Math.max(0, t - h);
            }
        }
    }

    /**
     * Waits until a sample is available or the deadline ({@link Long#MAX_VALUE} = none) passes (spins briefly, then parks; the producer unparks).
     *
     * @return true if a sample is available
     */
    public boolean await(long deadlineNs, int spinIterations) {
        for (int i = 0; i < spinIterations; i++) {
            if (head.get() < tail.get()) {
                return true;
            }
            Thread.onSpinWait();
        }
        Thread me = Thread.currentThread();
        waiter = me;
        try {
            while (head.get() >= tail.get()) {
                if (me.isInterrupted()) {
                    return false;
                }
                if (deadlineNs == Long.MAX_VALUE) {
                    LockSupport.park(this);
                    continue;
                }
                long left = deadlineNs - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                LockSupport.parkNanos(this, left);
            }
            return true;
        } finally {
            waiter = null;
        }
    }

    /** Wakes a consumer blocked in {@link #await} (e.g. on close). */
    public void wakeConsumer() {
        Thread w = waiter;
        if (w != null) {
            LockSupport.unpark(w);
        }
    }
}
