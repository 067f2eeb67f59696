package io.reflex.runtime.lsl;

import io.reflex.lsl.InletOptions;
import io.reflex.lsl.LslBackend;
import io.reflex.lsl.StreamInfo;
import io.reflex.lsl.StreamInlet;

import java.util.List;

/**
 * Reads a task's string marker stream (trial start, target on, block start/end) on a thread of its own: resolves it
 * (retrying until it appears, so the task may start after the daemon), pulls each marker with its timestamp mapped to
 * the local LSL clock (time correction), and counts them. Nothing here runs on the pipeline's threads; the figures
 * are read at the end of the run.
 */
public final class MarkerInlet implements AutoCloseable {
    /** Told of each marker, on the reader's thread. */
    @FunctionalInterface
    public interface Listener {
        void onMarker(double timeS, String text);
    }

    private final LslBackend backend;
    private final String predicate;
    private final Listener listener;
    private final Thread reader;
    private volatile boolean closed;
    private volatile String stream = "";
    private volatile long received;
    private volatile String last = "";
    private volatile double lastTimeS = Double.NaN;

    /** Starts the reader thread for the stream {@code selector} chooses. */
    public MarkerInlet(LslBackend backend, LslSampleSource.Selector selector) {
        this(backend, selector, null);
    }

    /**
     * Starts the reader thread for the stream {@code selector} chooses; {@code listener} (or null) is told of each
     * marker, on that thread, before it is counted.
     */
    public MarkerInlet(LslBackend backend, LslSampleSource.Selector selector, Listener listener) {
        this.backend = backend;
        this.listener = listener;
        this.predicate = selector.predicate();
        this.reader = new Thread(this::read, "reflex-markers");
        reader.setDaemon(true);
        reader.start();
    }

    private void read() {
        String[] sample = new String[1];
        while (!closed) {
            List<StreamInfo> found = backend.resolve(predicate, 1, 1.0);
            if (found.isEmpty()) {
                continue;
            }
            StreamInlet in = backend.createInlet(found.get(0), new InletOptions().postprocessClockSync(true));
            try {
                stream = found.get(0).name();
                in.open(5.0);
                while (!closed && !in.lost()) {
                    double ts = in.pullSample(sample, 0.2);
                    if (ts != 0.0) {
                        String text = sample[0] == null ? "" : sample[0];
                        if (listener != null) {
                            listener.onMarker(ts, text);
                        }
                        last = text;
                        lastTimeS = ts;
                        received = received + 1;
                    }
                }
            } catch (RuntimeException e) {
                // the task went away while connecting or reading: resolve it again
            } finally {
                in.close();
            }
        }
    }

    /** The stream's name once resolved, else "". */
    public String stream() {
        return stream;
    }

    /** Markers received. */
    public long received() {
        return received;
    }

    /** The last marker's text ("" before the first). */
    public String last() {
        return last;
    }

    /** The last marker's timestamp on the local LSL clock, s (NaN before the first). */
    public double lastTimeS() {
        return lastTimeS;
    }

    @Override
    public void close() {
        closed = true;
        try {
            reader.join(3_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
