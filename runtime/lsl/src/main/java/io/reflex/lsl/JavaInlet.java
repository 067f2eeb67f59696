package io.reflex.lsl;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Pure-Java LSL inlet speaking protocol 1.10 (docs/lsl-wire.md A3–A7).
 *
 * <p>A coordinator: an {@link InletReceiver} thread connects, negotiates ({@link FeedHeaders}: native byte order,
 * Value-Size, protocol 110), has the {@link SampleReader} check both test-pattern samples byte for byte and then
 * queue samples in a {@link SampleQueue}: a numeric sample's values stay in the receive ring the socket was read
 * into, and a pull here decodes them from there into the caller's array (the one copy in the process; string
 * samples are copied into slots first). Nothing allocates on that path after connect (string samples excepted). On any error the
 * receiver waits {@link LslConfig#reconnectDelayS()} and reconnects; if the outlet is gone (refused, 404) it
 * re-resolves by source_id, name, type, channel count and format, and follows a single new match (a restarted
 * outlet), retargeting the {@link TimeCorrector}. A watchdog re-resolves when no data came for
 * {@link LslConfig#watchdogTimeThresholdS()}.
 */
public final class JavaInlet implements StreamInlet {
    private final LslConfig config;
    private final InletOptions options;
    private final ErrorHandler errors;
    private final ChannelFormat format;
    private final int channels;
    private final SampleQueue queue;
    /** The receive ring numeric samples are decoded from (null for string streams). */
    private final UnsafeBuffer ring;
    private final Histogram staleness;
    private final InletReceiver receiver;
    private final Object startLock = new Object();
    private volatile Thread receiverThread;
    private volatile TimeCorrector corrector;
    private volatile boolean closed;

    /** An inlet for a resolved stream; nothing connects until {@link #open} or the first pull. */
    public JavaInlet(StreamInfo info, LslConfig config, InletOptions options, ErrorHandler errors) {
        this.config = config.conclude();
        this.options = options.conclude();
        this.errors = errors;
        this.format = info.channelFormat();
        this.channels = info.channelCount();
        if (channels < 1 || channels > StreamInfo.MAX_CHANNELS) {
            throw new IllegalArgumentException("stream '" + info.name() + "' declares " + channels
                    + " channels; at most " + StreamInfo.MAX_CHANNELS + " are accepted");
        }
        int wanted = options.mode() == InletOptions.Mode.LATEST ? options.latestDepth()
                : (int) Math.max(1, Math.min(config.outletMaxQueueSamples(),
                        Math.ceil(config.inletBufferS() * Math.max(info.nominalSrate(), 100))));
        // a numeric sample on the wire: tag, timestamp, values; it stays in the receive ring until pulled
        int slotBytes = format.isNumeric() ? 9 + format.valueBytes() * channels : 64;
        // sized from the peer's channel count and rate: bounded by bytes before anything is allocated
        int capacity = SampleQueue.capacityWithin(wanted, slotBytes, this.config.inletMaxBufferBytes());
        if (capacity < 0) {
            throw new IllegalArgumentException("stream '" + info.name() + "': one sample of " + slotBytes
                    + " bytes exceeds inletMaxBufferBytes " + this.config.inletMaxBufferBytes());
        }
        this.queue = format.isNumeric()
                ? SampleQueue.inReceiveRing(capacity, slotBytes, this.config.receiveBufferBytes())
                : new SampleQueue(capacity, slotBytes);
        this.ring = queue.ring();
        this.staleness = new Histogram(options.stalenessMaxNs(), 3);
        this.receiver = new InletReceiver(info, this.config, this.options.recover(), errors, queue, this::retarget);
    }

    /** An inlet with default options and the logging error handler ({@link LslError#logging()}). */
    public JavaInlet(StreamInfo info, LslConfig config) {
        this(info, config, new InletOptions(), LslError.logging());
    }

    @Override
    public StreamInfo info() {
        return receiver.current();
    }

    @Override
    public StreamInfo fullInfo(double timeoutS) {
        return fetchInfo(receiver.current(), "LSL:fullinfo\r\n", timeoutS);
    }

    /** Asks an outlet for its info over TCP ({@code LSL:fullinfo} or {@code LSL:shortinfo\r\n<query>}). */
    static StreamInfo fetchInfo(StreamInfo target, String request, double timeoutS) {
        try (Socket s = new Socket()) {
            int ms = (int) Math.max(1, timeoutS * 1000);
            s.connect(new InetSocketAddress(InetAddress.getByName(Net.address(target)), target.v4dataPort()), ms);
            long deadlineNs = System.nanoTime() + (long) (Math.max(0.001, timeoutS) * 1e9);
            s.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().flush();
            // the whole reply within the timeout: an outlet dribbling bytes cannot hold the caller longer
            String xml = Net.readAll(Net.deadlineInput(s, deadlineNs), StreamInfo.MAX_XML_BYTES);
            if (xml.isEmpty()) {
                throw new IllegalStateException("outlet " + target.name() + " sent no info (no match)");
            }
            return StreamInfo.parse(xml).toBuilder().v4address(Net.address(target)).build();
        } catch (IOException e) {
            throw new IllegalStateException("cannot fetch info of '" + target.name() + "': " + e.getMessage(), e);
        }
    }

    /** The request this inlet sends for {@code target} (see {@link FeedHeaders#request}). */
    String request(StreamInfo target) {
        return FeedHeaders.request(target, config.inletBufferS());
    }

    // ------------------------------------------------------------------ lifecycle

    @Override
    public void open(double timeoutS) {
        startIfNeeded();
        String failure = receiver.awaitConnected(System.nanoTime() + (long) (timeoutS * 1e9));
        if (failure != null) {
            StreamInfo current = receiver.current();
            throw new IllegalStateException("cannot open inlet for '" + current.name() + "' at "
                    + Net.address(current) + ":" + current.v4dataPort() + ": " + failure);
        }
    }

    private void startIfNeeded() {
        if (receiverThread != null || closed) {
            return;
        }
        synchronized (startLock) {
            if (receiverThread != null) {
                return;
            }
            Thread t = new Thread(receiver, "lsl-inlet-" + receiver.current().name());
            t.setDaemon(true);
            receiverThread = t;
            if (options.timeCorrection()) {
                corrector = newCorrector();
            }
            t.start();
        }
    }

    private TimeCorrector newCorrector() {
        StreamInfo current = receiver.current();
        try {
            InetSocketAddress svc = new InetSocketAddress(InetAddress.getByName(Net.address(current)),
                    current.v4servicePort());
            return new TimeCorrector(svc, config, errors, current.name());
        } catch (IOException e) {
            throw new IllegalStateException("bad outlet address: " + e.getMessage(), e);
        }
    }

    /** The receiver switched to a restarted outlet: the time correction follows it. */
    private void retarget(StreamInfo next) {
        TimeCorrector c = corrector;
        if (c != null) {
            try {
                c.retarget(new InetSocketAddress(InetAddress.getByName(Net.address(next)), next.v4servicePort()));
            } catch (IOException e) {
                receiver.fail("bad recovered address: " + e.getMessage(), e);
            }
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        receiver.close();
        Thread t = receiverThread;
        if (t != null) {
            t.interrupt();
            LockSupport.unpark(t);
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        TimeCorrector c = corrector;
        if (c != null) {
            c.close();
        }
        queue.wakeConsumer();
    }

    // ------------------------------------------------------------------ pull

    private static final int INTO_FLOAT = 0;
    private static final int INTO_DOUBLE = 1;
    private static final int INTO_INT = 2;
    private static final int INTO_SHORT = 3;
    private static final int INTO_BYTE = 4;
    private static final int INTO_LONG = 5;
    private static final int INTO_STRING = 6;
    private static final int INTO_SPLIT = 7;

    /** The split of the pull in progress (pulling thread only). */
    private ChannelSplit split;

    private volatile boolean stalenessResetRequested;

    private double pull(Object dst, int kind, int dstOff, double timeoutS) {
        startIfNeeded();
        while (true) {
            int slot = queue.readSlot();
            if (slot < 0) {
                if (closed || receiver.lost()) {
                    return 0.0;
                }
                long deadline = timeoutS >= 1e6 ? Long.MAX_VALUE : System.nanoTime() + (long) (timeoutS * 1e9);
                if (!queue.await(deadline, options.spinIterations())) {
                    return 0.0;
                }
                continue;
            }
            double ts = queue.timestamp(slot);
            if (kind == INTO_STRING) {
                Wire.loadStrings(queue.buffer(slot), 0, channels, (String[]) dst, dstOff);
            } else {
                copyOut(queue.offset(slot), dst, kind, dstOff);
            }
            // a sample dropped meanwhile may have been read over: what was decoded is discarded, the next is taken
            if (queue.commitRead()) {
                return finish(ts);
            }
        }
    }

    /** Decodes the sample whose values start at {@code at} in the receive ring into {@code dst} from {@code off}. */
    private void copyOut(int at, Object dst, int kind, int off) {
        UnsafeBuffer b = ring;
        switch (kind) {
            case INTO_FLOAT -> {
                float[] d = (float[]) dst;
                if (format == ChannelFormat.FLOAT32) {
                    for (int i = 0; i < channels; i++) {
                        d[off + i] = b.getFloat(at + 4 * i, ByteOrder.LITTLE_ENDIAN);
                    }
                } else if (format == ChannelFormat.INT16) {
                    for (int i = 0; i < channels; i++) {
                        d[off + i] = b.getShort(at + 2 * i, ByteOrder.LITTLE_ENDIAN);
                    }
                } else {
                    for (int i = 0; i < channels; i++) {
                        d[off + i] = Wire.loadFloat(format, b, at, i);
                    }
                }
            }
            case INTO_SPLIT -> {
                float[] d = (float[]) dst;
                ChannelSplit sp = split;
                float[] r = sp.restValues();
                int main = sp.mainCount();
                int rest = sp.restCount();
                if (format == ChannelFormat.INT16) {
                    for (int i = 0; i < main; i++) {
                        d[off + i] = b.getShort(at + 2 * sp.mainChannel(i), ByteOrder.LITTLE_ENDIAN);
                    }
                    for (int i = 0; i < rest; i++) {
                        r[i] = b.getShort(at + 2 * sp.restChannel(i), ByteOrder.LITTLE_ENDIAN);
                    }
                } else {
                    for (int i = 0; i < main; i++) {
                        d[off + i] = Wire.loadFloat(format, b, at, sp.mainChannel(i));
                    }
                    for (int i = 0; i < rest; i++) {
                        r[i] = Wire.loadFloat(format, b, at, sp.restChannel(i));
                    }
                }
            }
            case INTO_DOUBLE -> {
                double[] d = (double[]) dst;
                for (int i = 0; i < channels; i++) {
                    d[off + i] = Wire.loadDouble(format, b, at, i);
                }
            }
            case INTO_INT -> {
                int[] d = (int[]) dst;
                for (int i = 0; i < channels; i++) {
                    d[off + i] = (int) Wire.loadLong(format, b, at, i);
                }
            }
            case INTO_SHORT -> {
                short[] d = (short[]) dst;
                for (int i = 0; i < channels; i++) {
                    d[off + i] = (short) Wire.loadLong(format, b, at, i);
                }
            }
            case INTO_BYTE -> {
                byte[] d = (byte[]) dst;
                for (int i = 0; i < channels; i++) {
                    d[off + i] = (byte) Wire.loadLong(format, b, at, i);
                }
            }
            default -> {
                long[] d = (long[]) dst;
                for (int i = 0; i < channels; i++) {
                    d[off + i] = Wire.loadLong(format, b, at, i);
                }
            }
        }
    }

    private double finish(double ts) {
        if (stalenessResetRequested) {
            stalenessResetRequested = false;
            staleness.reset();
        }
        TimeCorrector c = corrector;
        double corr = c == null ? Double.NaN : c.correctionS();
        double corrected = Double.isNaN(corr) ? ts : ts + corr;
        long ageNs = (long) ((LslClock.now() - corrected) * 1e9);
        staleness.recordValue(Math.max(0, Math.min(ageNs, staleness.getHighestTrackableValue())));
        return options.postprocessClockSync() ? corrected : ts;
    }

    private void checkLength(int length) {
        if (length < channels) {
            throw new IllegalArgumentException("destination holds " + length + " values; the stream has "
                    + channels + " channels");
        }
    }

    private void checkRange(int length, int offset) {
        if (offset < 0 || offset > length - channels) {
            throw new IllegalArgumentException("destination holds " + length + " values; the stream's " + channels
                    + " channels do not fit from offset " + offset);
        }
    }

    private void checkNumeric() {
        if (!format.isNumeric()) {
            throw new IllegalArgumentException("stream '" + info().name() + "' carries strings; pull String[]");
        }
    }

    @Override
    public double pullSample(float[] dst, double timeoutS) {
        checkNumeric();
        checkLength(dst.length);
        return pull(dst, INTO_FLOAT, 0, timeoutS);
    }

    /** Decodes the sample from the receive ring straight into {@code dst} at {@code offset}: no copy in between. */
    @Override
    public double pullSample(float[] dst, int offset, double timeoutS) {
        checkNumeric();
        checkRange(dst.length, offset);
        return pull(dst, INTO_FLOAT, offset, timeoutS);
    }

    /** Decodes the main channels from the receive ring straight to {@code dst} and the rest to the split's array. */
    @Override
    public double pullSample(float[] dst, int offset, ChannelSplit channelSplit, double timeoutS) {
        checkNumeric();
        channelSplit.check(channels, dst, offset);
        split = channelSplit;
        return pull(dst, INTO_SPLIT, offset, timeoutS);
    }

    @Override
    public double pullSample(double[] dst, double timeoutS) {
        checkNumeric();
        checkLength(dst.length);
        return pull(dst, INTO_DOUBLE, 0, timeoutS);
    }

    @Override
    public double pullSample(int[] dst, double timeoutS) {
        checkNumeric();
        checkLength(dst.length);
        return pull(dst, INTO_INT, 0, timeoutS);
    }

    @Override
    public double pullSample(short[] dst, double timeoutS) {
        checkNumeric();
        checkLength(dst.length);
        return pull(dst, INTO_SHORT, 0, timeoutS);
    }

    @Override
    public double pullSample(byte[] dst, double timeoutS) {
        checkNumeric();
        checkLength(dst.length);
        return pull(dst, INTO_BYTE, 0, timeoutS);
    }

    @Override
    public double pullSample(long[] dst, double timeoutS) {
        checkNumeric();
        checkLength(dst.length);
        return pull(dst, INTO_LONG, 0, timeoutS);
    }

    @Override
    public double pullSample(String[] dst, double timeoutS) {
        if (format != ChannelFormat.STRING) {
            throw new IllegalArgumentException("stream '" + info().name() + "' is numeric; pull a numeric array");
        }
        checkLength(dst.length);
        return pull(dst, INTO_STRING, 0, timeoutS);
    }

    @Override
    public int pullChunk(float[] dst, double[] timestamps, int maxSamples, double timeoutS) {
        return pullChunk(dst, INTO_FLOAT, dst.length, timestamps, maxSamples, timeoutS);
    }

    @Override
    public int pullChunk(double[] dst, double[] timestamps, int maxSamples, double timeoutS) {
        return pullChunk(dst, INTO_DOUBLE, dst.length, timestamps, maxSamples, timeoutS);
    }

    private int pullChunk(Object dst, int kind, int length, double[] timestamps, int maxSamples, double timeoutS) {
        checkNumeric();
        int max = Math.min(Math.min(maxSamples, timestamps.length), length / channels);
        int n = 0;
        while (n < max) {
            double ts = pull(dst, kind, n * channels, n == 0 ? timeoutS : 0.0);
            if (ts == 0.0) {
                break;
            }
            timestamps[n++] = ts;
        }
        return n;
    }

    @Override
    public double timeCorrection(double timeoutS) {
        TimeCorrector c = corrector;
        if (c == null) {
            synchronized (startLock) {
                if (corrector == null && !closed) {
                    corrector = newCorrector();
                }
                c = corrector;
            }
            if (c == null) {
                return Double.NaN;
            }
        }
        return c.await(timeoutS);
    }

    /** The time-correction estimator, or null if none has started. */
    public TimeCorrector timeCorrector() {
        return corrector;
    }

    @Override
    public int samplesAvailable() {
        return queue.size();
    }

    @Override
    public long droppedSamples() {
        return queue.dropped();
    }

    @Override
    public boolean lost() {
        return receiver.lost();
    }

    /**
     * Staleness of pulled samples (now minus time-corrected timestamp), ns. Owned by the pulling thread: read it
     * from that thread or after pulls stop.
     */
    public Histogram staleness() {
        return staleness;
    }

    /** Asks the pulling thread to clear the staleness histogram at its next pull (e.g. when a live phase starts). */
    public void requestStalenessReset() {
        stalenessResetRequested = true;
    }

    /** Samples the receive buffer holds before it drops the oldest (bounded by {@code inletMaxBufferBytes}). */
    public int bufferCapacity() { return queue.capacity(); }
    public long connects() { return receiver.connects.get(); }
    public long recoveries() { return receiver.recoveries.get(); }
    public long errors() { return receiver.errorCount.get(); }
    public long samplesReceived() { return receiver.samplesReceived.get(); }
}
