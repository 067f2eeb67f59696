package io.reflex.runtime.xdf;

import io.reflex.lsl.ChannelFormat;
import io.reflex.lsl.InletOptions;
import io.reflex.lsl.LslBackend;
import io.reflex.lsl.StreamInfo;
import io.reflex.lsl.StreamInlet;
import io.reflex.lsl.XmlElement;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Records LSL streams to an XDF file as LabRecorder does: each stream's samples with the timestamps its outlet gave
 * them (its own clock), and every few seconds a ClockOffset chunk with the inlet's time correction (local clock minus
 * the outlet's), so that a reader can map every stream onto the recording machine's clock. One thread pulls every
 * inlet in turn and writes as it goes; the file appears under its name only when the recording is finished.
 */
public final class XdfRecorder {
    /** Seconds between clock offset measurements of a stream. */
    public static final double OFFSET_EVERY_S = 5.0;

    /** One stream as recorded. */
    public static final class Recorded {
        public int id;
        public StreamInfo info;
        public long samples;
        public long clockOffsets;
        public double lastOffsetS = Double.NaN;
        public long dropped;
        /** Why this stream stopped being recorded before the end (its inlet failed), or null. */
        public String failure;
    }

    /** What a recording did. */
    public static final class Result {
        public final List<Recorded> streams = new ArrayList<>();
        public double durationS;
        public long bytes;
    }

    private static final class Open {
        final Recorded rec;
        final StreamInlet inlet;
        final boolean strings;
        final double[] values;
        final double[] ts;
        final String[] str;
        double nextOffsetS;

        Open(Recorded rec, StreamInlet inlet) {
            this.rec = rec;
            this.inlet = inlet;
            int ch = rec.info.channelCount();
            strings = rec.info.channelFormat() == ChannelFormat.STRING;
            int chunk = strings ? 1 : Math.max(1, 65_536 / ch);
            values = new double[strings ? 0 : chunk * ch];
            ts = new double[chunk];
            str = new String[strings ? ch : 0];
        }
    }

    private XdfRecorder() {
    }

    /**
     * Records {@code streams} (resolved on {@code backend}) into {@code file} until {@code stop} says so (asked on the
     * recording thread with the counts so far), reporting
     * progress to {@code progress} about once a second. The file is finished (footers, fsync, renamed from
     * {@code .part}) before returning; on an exception nothing is left under its name.
     */
    public static Result record(Path file, LslBackend backend, List<StreamInfo> streams, Predicate<Result> stop,
                                Consumer<Result> progress) throws IOException {
        Result r = new Result();
        List<Open> open = new ArrayList<>();
        try (XdfWriter w = XdfWriter.create(file)) {
            for (StreamInfo s : streams) {
                StreamInlet inlet = backend.createInlet(s, new InletOptions());
                StreamInfo full = inlet.fullInfo(5.0);
                Recorded rec = new Recorded();
                rec.info = full != null ? full : s;
                rec.id = w.addStream(header(rec.info));
                r.streams.add(rec);
                open.add(new Open(rec, inlet));
            }
            long t0 = System.nanoTime();
            long nextProgress = t0 + 1_000_000_000L;
            while (!stop.test(r)) {
                int pulled = 0;
                for (Open o : open) {
                    pulled += safePull(w, o);
                }
                double now = backend.localClock();
                for (Open o : open) {
                    if (now >= o.nextOffsetS && o.rec.failure == null) {
                        try {
                            offset(w, o, now);
                        } catch (RuntimeException e) {
                            fail(o, "its clock offset could not be measured: " + e);
                        }
                    }
                }
                long ns = System.nanoTime();
                if (ns >= nextProgress && progress != null) {
                    nextProgress = ns + 1_000_000_000L;
                    r.durationS = (ns - t0) * 1e-9;
                    r.bytes = w.bytesWritten();
                    progress.accept(r);
                }
                if (pulled == 0) {
                    LockSupport.parkNanos(1_000_000L);
                }
            }
            // what arrived before the stop is kept
            for (Open o : open) {
                while (safePull(w, o) > 0) {
                    // drain
                }
                if (o.rec.failure == null) {
                    try {
                        offset(w, o, backend.localClock());
                    } catch (RuntimeException e) {
                        fail(o, "its clock offset could not be measured: " + e);
                    }
                }
                o.rec.dropped = o.inlet.droppedSamples();
            }
            r.durationS = (System.nanoTime() - t0) * 1e-9;
            w.finish();
            r.bytes = w.bytesWritten();
        } finally {
            for (Open o : open) {
                o.inlet.close();
            }
        }
        return r;
    }

    /**
     * Pulls what one stream has; an inlet that fails stops only its own stream (named in {@link Recorded#failure}):
     * the others and everything recorded so far are kept. A write failure is the file's and ends the recording.
     */
    private static int safePull(XdfWriter w, Open o) throws IOException {
        if (o.rec.failure != null) {
            return 0;
        }
        try {
            return pull(w, o);
        } catch (RuntimeException e) {
            fail(o, "its inlet failed: " + e);
            return 0;
        }
    }

    private static void fail(Open o, String why) {
        o.rec.failure = why;
    }

    private static int pull(XdfWriter w, Open o) throws IOException {
        int ch = o.rec.info.channelCount();
        if (o.strings) {
            double t = o.inlet.pullSample(o.str, 0.0);
            if (t == 0.0) {
                return 0;
            }
            w.strings(o.rec.id, t, o.str);
            o.rec.samples++;
            return 1;
        }
        int n = o.inlet.pullChunk(o.values, o.ts, o.ts.length, 0.0);
        for (int i = 0; i < n; i++) {
            w.sample(o.rec.id, o.ts[i], o.values, i * ch);
        }
        o.rec.samples += n;
        return n;
    }

    private static void offset(XdfWriter w, Open o, double now) throws IOException {
        double c = o.inlet.timeCorrection(2.0);
        o.nextOffsetS = now + OFFSET_EVERY_S;
        if (Double.isNaN(c)) {
            return;
        }
        w.clockOffset(o.rec.id, now, c);
        o.rec.clockOffsets++;
        o.rec.lastOffsetS = c;
    }

    /** The XDF header of an LSL stream: its fields and channel descriptions. */
    static XdfStream header(StreamInfo info) {
        XdfStream s = new XdfStream().name(info.name()).type(info.type())
                .channels(info.channelCount(), XdfPlayback.xdfFormat(info.channelFormat()))
                .nominalSrateHz(info.nominalSrate()).sourceId(info.sourceId());
        s.hostname = info.hostname();
        s.createdAt = info.createdAt();
        XmlElement chans = info.desc() == null ? null : info.desc().child("channels");
        if (chans != null) {
            List<XmlElement> list = new ArrayList<>();
            for (XmlElement c : chans.children()) {
                if (c.name().equals("channel")) {
                    list.add(c);
                }
            }
            if (list.size() == info.channelCount()) {
                for (XmlElement c : list) {
                    s.channel(c.childValue("label"), c.childValue("unit"), c.childValue("type"));
                }
            }
        }
        if (info.desc() != null) {
            s.note = info.desc().childValue("reflex");
        }
        return s;
    }
}
