package io.reflex.runtime.xdf;

import io.reflex.lsl.ChannelFormat;
import io.reflex.lsl.LslBackend;
import io.reflex.lsl.StreamInfo;
import io.reflex.lsl.StreamOutlet;
import io.reflex.lsl.XmlElement;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Plays an XDF recording back as LSL outlets, one per stream, paced by its timestamps: every stream's samples are
 * merged in timestamp order and each is pushed when its time (from the recording's first sample, divided by the
 * speed) has come, stamped with the recording's timestamp moved onto the local LSL clock. The file is read one
 * Samples chunk per stream at a time, so a recording of any length plays in bounded memory. A damaged file plays
 * up to its damage.
 */
public final class XdfPlayback {
    /** One stream as played. */
    public static final class Played {
        public int id;
        public XdfStream stream;
        public long samples;
        /** The recording's first and last timestamps of what was pushed. */
        public double firstTimestampS = Double.NaN;
        public double lastTimestampS = Double.NaN;
    }

    /** What a playback did. */
    public static final class Result {
        public final List<Played> streams = new ArrayList<>();
        /** Seconds on the LSL clock to add to a recorded timestamp to get the pushed one (at speed 1). */
        public double shiftS;
        public double speed;
        public double durationS;
        /** Most a push came after its due time, s. */
        public double maxLateS;
        public boolean stopped;
        /** The file's damage (played up to it), or null. */
        public String error;
    }

    private XdfPlayback() {
    }

    /** What every stream's next sample is, for the merge. */
    private static final class Cursor {
        final Played played;
        final long[] offsets;
        final int chunks;
        final ChannelFormat format;
        final int channels;
        int nextChunk;
        int n;
        int at;
        double[] ts = new double[0];
        double[] values = new double[0];
        String[] strings = new String[0];
        StreamOutlet outlet;
        float[] f32;
        double[] f64;
        int[] i32;
        short[] i16;
        byte[] i8;
        long[] i64;
        String[] str;

        Cursor(Played p, long[] offsets, int chunks) {
            played = p;
            this.offsets = offsets;
            this.chunks = chunks;
            channels = p.stream.channelCount;
            format = lslFormat(p.stream.format);
        }

        double nextTime() {
            return ts[at];
        }
    }

    /**
     * Plays {@code file} on {@code backend} until its end or until {@code stop} says so. {@code streamNames} (empty:
     * all) picks streams by name.
     *
     * @param leadS seconds between creating the outlets and the first sample, so that inlets can connect
     */
    public static Result play(Path file, LslBackend backend, List<String> streamNames, double speed, double leadS,
                              BooleanSupplier stop) throws IOException {
        if (!(speed > 0) || speed > 1000) {
            throw new IllegalArgumentException("speed " + speed + " outside (0, 1000]");
        }
        XdfReader.Index index = XdfReader.index(file);
        Result r = new Result();
        r.speed = speed;
        r.error = index.result.error;
        List<Cursor> cursors = new ArrayList<>();
        for (Map.Entry<Integer, XdfReader.StreamStats> e : index.result.streams.entrySet()) {
            XdfStream s = e.getValue().stream;
            if (!streamNames.isEmpty() && !streamNames.contains(s.name)) {
                continue;
            }
            Played p = new Played();
            p.id = e.getKey();
            p.stream = s;
            r.streams.add(p);
            cursors.add(new Cursor(p, index.chunkOffsets.getOrDefault(p.id, new long[0]), index.chunks(p.id)));
        }
        if (!streamNames.isEmpty()) {
            for (String n : streamNames) {
                if (r.streams.stream().noneMatch(p -> p.stream.name.equals(n))) {
                    throw new IllegalArgumentException(file + " holds no stream named '" + n + "'");
                }
            }
        }
        if (cursors.isEmpty()) {
            throw new IllegalArgumentException(file + " holds no stream to play" + (r.error == null ? ""
                    : " before its damage: " + r.error));
        }
        try (XdfReader.Cursor reader = new XdfReader.Cursor(file, index)) {
            PriorityQueue<Cursor> queue = new PriorityQueue<>((a, b) -> Double.compare(a.nextTime(), b.nextTime()));
            for (Cursor c : cursors) {
                c.outlet = backend.createOutlet(info(c.played.stream));
                allocate(c);
                if (load(reader, c)) {
                    queue.add(c);
                }
            }
            double t0 = Double.POSITIVE_INFINITY;
            for (Cursor c : queue) {
                t0 = Math.min(t0, c.nextTime());
            }
            double start = backend.localClock() + Math.max(0, leadS);
            long startNs = System.nanoTime() + (long) (Math.max(0, leadS) * 1e9);
            r.shiftS = start - t0;
            while (!queue.isEmpty()) {
                if (stop.getAsBoolean()) {
                    r.stopped = true;
                    break;
                }
                Cursor c = queue.poll();
                double t = c.nextTime();
                long dueNs = startNs + (long) ((t - t0) / speed * 1e9);
                long waitNs = dueNs - System.nanoTime();
                while (waitNs > 0) {
                    LockSupport.parkNanos(Math.min(waitNs, 50_000_000L));
                    if (stop.getAsBoolean()) {
                        r.stopped = true;
                        break;
                    }
                    waitNs = dueNs - System.nanoTime();
                }
                if (r.stopped) {
                    break;
                }
                r.maxLateS = Math.max(r.maxLateS, -waitNs * 1e-9);
                push(c, start + (t - t0) / speed);
                Played p = c.played;
                if (p.samples == 0) {
                    p.firstTimestampS = t;
                }
                p.lastTimestampS = t;
                p.samples++;
                c.at++;
                if (c.at < c.n || load(reader, c)) {
                    queue.add(c);
                }
            }
            r.durationS = (System.nanoTime() - startNs) * 1e-9;
        } finally {
            for (Cursor c : cursors) {
                if (c.outlet != null) {
                    c.outlet.close();
                }
            }
        }
        return r;
    }

    /** Loads the cursor's next chunk that holds samples; false at its stream's end. */
    private static boolean load(XdfReader.Cursor reader, Cursor c) throws IOException {
        while (c.nextChunk < c.chunks) {
            long offset = c.offsets[c.nextChunk++];
            reader.read(offset, new XdfReader.Visitor() {
                @Override
                public void samples(int id, int n, double[] timestampsS, double[] values, String[] strings) {
                    if (c.ts.length < n) {
                        c.ts = new double[n];
                    }
                    System.arraycopy(timestampsS, 0, c.ts, 0, n);
                    int v = n * c.channels;
                    if (values != null) {
                        if (c.values.length < v) {
                            c.values = new double[v];
                        }
                        System.arraycopy(values, 0, c.values, 0, v);
                    } else {
                        if (c.strings.length < v) {
                            c.strings = new String[v];
                        }
                        System.arraycopy(strings, 0, c.strings, 0, v);
                    }
                    c.n = n;
                    c.at = 0;
                }
            });
            if (c.n > 0 && c.at == 0) {
                return true;
            }
        }
        return false;
    }

    private static void allocate(Cursor c) {
        int n = c.channels;
        switch (c.format) {
            case FLOAT32 -> c.f32 = new float[n];
            case DOUBLE64 -> c.f64 = new double[n];
            case INT32 -> c.i32 = new int[n];
            case INT16 -> c.i16 = new short[n];
            case INT8 -> c.i8 = new byte[n];
            case INT64 -> c.i64 = new long[n];
            case STRING -> c.str = new String[n];
            default -> throw new IllegalStateException(c.format.toString());
        }
    }

    private static void push(Cursor c, double timestamp) {
        int base = c.at * c.channels;
        int n = c.channels;
        switch (c.format) {
            case FLOAT32 -> {
                for (int i = 0; i < n; i++) {
                    c.f32[i] = (float) c.values[base + i];
                }
                c.outlet.pushSample(c.f32, timestamp);
            }
            case DOUBLE64 -> {
                System.arraycopy(c.values, base, c.f64, 0, n);
                c.outlet.pushSample(c.f64, timestamp);
            }
            case INT32 -> {
                for (int i = 0; i < n; i++) {
                    c.i32[i] = (int) c.values[base + i];
                }
                c.outlet.pushSample(c.i32, timestamp);
            }
            case INT16 -> {
                for (int i = 0; i < n; i++) {
                    c.i16[i] = (short) c.values[base + i];
                }
                c.outlet.pushSample(c.i16, timestamp);
            }
            case INT8 -> {
                for (int i = 0; i < n; i++) {
                    c.i8[i] = (byte) c.values[base + i];
                }
                c.outlet.pushSample(c.i8, timestamp);
            }
            case INT64 -> {
                for (int i = 0; i < n; i++) {
                    c.i64[i] = (long) c.values[base + i];
                }
                c.outlet.pushSample(c.i64, timestamp);
            }
            case STRING -> {
                System.arraycopy(c.strings, base, c.str, 0, n);
                c.outlet.pushSample(c.str, timestamp);
            }
            default -> throw new IllegalStateException(c.format.toString());
        }
    }

    /** The LSL stream info of a recorded stream: its header fields and channel descriptions. */
    static StreamInfo info(XdfStream s) {
        StreamInfo.Builder b = StreamInfo.builder(s.name, s.type, s.channelCount, s.nominalSrateHz,
                lslFormat(s.format), s.sourceId);
        if (!s.labels.isEmpty()) {
            XmlElement chans = b.desc().appendChild("channels");
            for (int i = 0; i < s.labels.size(); i++) {
                XmlElement ch = chans.appendChild("channel").appendChildValue("label", s.labels.get(i));
                if (!s.units.get(i).isEmpty()) {
                    ch.appendChildValue("unit", s.units.get(i));
                }
                if (!s.channelTypes.get(i).isEmpty()) {
                    ch.appendChildValue("type", s.channelTypes.get(i));
                }
            }
        }
        if (!s.note.isEmpty()) {
            b.desc().appendChildValue("reflex", s.note);
        }
        return b.build();
    }

    static ChannelFormat lslFormat(XdfFormat.ChannelFormat f) {
        return switch (f) {
            case FLOAT32 -> ChannelFormat.FLOAT32;
            case DOUBLE64 -> ChannelFormat.DOUBLE64;
            case INT8 -> ChannelFormat.INT8;
            case INT16 -> ChannelFormat.INT16;
            case INT32 -> ChannelFormat.INT32;
            case INT64 -> ChannelFormat.INT64;
            case STRING -> ChannelFormat.STRING;
        };
    }

    static XdfFormat.ChannelFormat xdfFormat(ChannelFormat f) {
        return switch (f) {
            case FLOAT32 -> XdfFormat.ChannelFormat.FLOAT32;
            case DOUBLE64 -> XdfFormat.ChannelFormat.DOUBLE64;
            case INT8 -> XdfFormat.ChannelFormat.INT8;
            case INT16 -> XdfFormat.ChannelFormat.INT16;
            case INT32 -> XdfFormat.ChannelFormat.INT32;
            case INT64 -> XdfFormat.ChannelFormat.INT64;
            case STRING -> XdfFormat.ChannelFormat.STRING;
            default -> throw new IllegalArgumentException("LSL format " + f + " has no XDF equivalent");
        };
    }
}
