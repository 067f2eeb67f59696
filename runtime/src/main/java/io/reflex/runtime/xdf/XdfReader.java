package io.reflex.runtime.xdf;

import io.reflex.runtime.xdf.XdfFormat.ChannelFormat;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * Reads an XDF file chunk by chunk and hands each to a {@link Visitor}: a file of any length is read in bounded
 * memory (every length read from the file is checked against {@link XdfFormat#MAX_CHUNK_BYTES} and the bytes left
 * before anything is allocated). Damage (a file cut short, a length or flag that cannot be, a Samples chunk whose
 * samples do not fill it exactly, a stream whose footer counts other than what was read) ends the reading with an
 * error that names the byte offset and the stream; every valid chunk before it has been handed over.
 */
public final class XdfReader {
    /** What a reader is told, chunk by chunk, in file order. */
    public interface Visitor {
        default void fileHeader(String xml) {
        }

        default void streamHeader(int id, XdfStream stream, String xml) {
        }

        /**
         * {@code n} samples of stream {@code id}: their timestamps (a sample written without one gets the previous
         * one plus one nominal period) and values, sample-major: numeric formats in {@code values}
         * ({@code n × channels}; null for a string stream), strings in {@code strings} (null otherwise). The arrays
         * are the reader's own and reused: copy what is kept.
         */
        default void samples(int id, int n, double[] timestampsS, double[] values, String[] strings) {
        }

        default void clockOffset(int id, double collectionTimeS, double offsetS) {
        }

        default void footer(int id, String xml) {
        }

        default void boundary() {
        }
    }

    /** What was read, and where it stopped. */
    public static final class Result {
        public long bytes;
        public long chunks;
        public long boundaries;
        /** Per stream id, in the order their headers came. */
        public final Map<Integer, StreamStats> streams = new LinkedHashMap<>();
        /** Null when the whole file was read and checked; else what is wrong and where. */
        public String error;

        public boolean ok() {
            return error == null;
        }
    }

    /** One stream's header and what its chunks held. */
    public static final class StreamStats {
        public XdfStream stream;
        public long samples;
        public double firstTimestampS = Double.NaN;
        public double lastTimestampS = Double.NaN;
        public long clockOffsets;
        /** The footer's {@code sample_count}, or -1 without a footer. */
        public long footerSampleCount = -1;
    }

    private final Path file;
    private final FileChannel ch;
    private final long size;
    private final ByteBuffer small = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    private final Result result = new Result();
    private long pos;
    private double[] ts = new double[0];
    private double[] values = new double[0];
    private String[] strings = new String[0];

    private XdfReader(Path file, FileChannel ch) throws IOException {
        this.file = file;
        this.ch = ch;
        this.size = ch.size();
    }

    /** Reads {@code file} to its end or its first damage; an unreadable file is an {@link IOException}. */
    public static Result read(Path file, Visitor visitor) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            XdfReader r = new XdfReader(file, ch);
            r.readAll(visitor);
            r.result.bytes = r.pos;
            return r.result;
        }
    }

    private void readAll(Visitor v) throws IOException {
        try {
            small.clear().limit(4);
            fill(small);
            if (!Arrays.equals(Arrays.copyOf(small.array(), 4), XdfFormat.MAGIC)) {
                result.error = file + " is not an XDF file: it does not start with \"XDF:\"";
                return;
            }
        } catch (EOFException e) {
            result.error = file + " is not an XDF file: it is shorter than its 4-byte magic";
            return;
        }
        boolean headerSeen = false;
        while (pos < size) {
            long at = pos;
            String problem = chunk(at, v, headerSeen);
            if (problem != null) {
                result.error = file + ": chunk " + (result.chunks + 1) + " at byte " + at + ": " + problem;
                return;
            }
            headerSeen = true;
            result.chunks++;
        }
        if (result.chunks == 0) {
            result.error = file + ": no FileHeader chunk after the magic";
            return;
        }
        for (Map.Entry<Integer, StreamStats> e : result.streams.entrySet()) {
            StreamStats s = e.getValue();
            if (s.footerSampleCount >= 0 && s.footerSampleCount != s.samples) {
                result.error = file + ": stream " + e.getKey() + " ('" + s.stream.name + "'): its footer counts "
                        + s.footerSampleCount + " samples but its Samples chunks hold " + s.samples;
                return;
            }
        }
    }

    /** Reads one chunk; returns null, or what is wrong with it. */
    private String chunk(long at, Visitor v, boolean headerSeen) throws IOException {
        long length;
        int tag;
        try {
            length = varLen("the chunk length");
            if (length < 2) {
                return "its length " + length + " cannot hold a tag";
            }
            if (length > XdfFormat.MAX_CHUNK_BYTES) {
                return "its length " + length + " exceeds the " + XdfFormat.MAX_CHUNK_BYTES + "-byte limit";
            }
            if (length > size - pos) {
                return "the file is cut short: the chunk declares " + length + " bytes, " + (size - pos)
                        + " are left";
            }
            small.clear().limit(2);
            fill(small);
            tag = small.getShort(0) & 0xFFFF;
        } catch (EOFException e) {
            return "the file is cut short inside the chunk's length or tag";
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        int contentBytes = (int) (length - 2);
        if (!headerSeen && tag != XdfFormat.TAG_FILE_HEADER) {
            return "the first chunk is tagged " + tag + ", not a FileHeader (1)";
        }
        ByteBuffer c = ByteBuffer.allocate(contentBytes).order(ByteOrder.LITTLE_ENDIAN);
        fill(c);
        c.flip();
        try {
            return switch (tag) {
                case XdfFormat.TAG_FILE_HEADER -> {
                    v.fileHeader(utf8(c));
                    yield null;
                }
                case XdfFormat.TAG_STREAM_HEADER -> streamHeader(c, v);
                case XdfFormat.TAG_SAMPLES -> samples(c, v);
                case XdfFormat.TAG_CLOCK_OFFSET -> {
                    int id = c.getInt();
                    StreamStats s = known(id);
                    if (c.remaining() != 16) {
                        yield "a ClockOffset chunk of stream " + id + " holds " + c.remaining() + " bytes, not 16";
                    }
                    s.clockOffsets++;
                    v.clockOffset(id, c.getDouble(), c.getDouble());
                    yield null;
                }
                case XdfFormat.TAG_BOUNDARY -> {
                    byte[] b = new byte[c.remaining()];
                    c.get(b);
                    if (!Arrays.equals(b, XdfFormat.BOUNDARY)) {
                        yield "a Boundary chunk does not hold the boundary UUID";
                    }
                    result.boundaries++;
                    v.boundary();
                    yield null;
                }
                case XdfFormat.TAG_STREAM_FOOTER -> footer(c, v);
                default -> null; // a chunk type this reader does not know is skipped, as the specification asks
            };
        } catch (java.nio.BufferUnderflowException e) {
            return "a chunk tagged " + tag + " ends before its fields (" + contentBytes + " bytes)";
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    private String streamHeader(ByteBuffer c, Visitor v) {
        int id = c.getInt();
        if (result.streams.containsKey(id)) {
            return "stream " + id + " is declared twice";
        }
        String xml = utf8(c);
        XdfStream s = parseHeader(id, xml);
        StreamStats st = new StreamStats();
        st.stream = s;
        result.streams.put(id, st);
        v.streamHeader(id, s, xml);
        return null;
    }

    private String samples(ByteBuffer c, Visitor v) {
        int id = c.getInt();
        StreamStats st = known(id);
        XdfStream s = st.stream;
        long declared = varLen(c, "the sample count");
        int channels = s.channelCount;
        ChannelFormat f = s.format;
        // every sample takes at least its flag byte and, unless strings, its values: bound before allocating
        long minBytes = 1L + (long) channels * Math.max(1, f.bytes());
        if (declared > c.remaining() / minBytes) {
            return "a Samples chunk of stream " + id + " ('" + s.name + "') declares " + declared + " samples, but its "
                    + c.remaining() + " bytes hold at most " + c.remaining() / minBytes;
        }
        int n = (int) declared;
        if (ts.length < n) {
            ts = new double[n];
        }
        if (f == ChannelFormat.STRING) {
            if (strings.length < n * channels) {
                strings = new String[n * channels];
            }
        } else if (values.length < n * channels) {
            values = new double[n * channels];
        }
        double period = s.nominalSrateHz > 0 ? 1.0 / s.nominalSrateHz : 0;
        for (int i = 0; i < n; i++) {
            int flag = c.get() & 0xFF;
            if (flag == 8) {
                ts[i] = c.getDouble();
            } else if (flag == 0) {
                double prev = i > 0 ? ts[i - 1] : st.lastTimestampS;
                ts[i] = Double.isNaN(prev) ? 0 : prev + period;
            } else {
                return "sample " + (st.samples + i) + " of stream " + id + " has timestamp flag " + flag
                        + " (0 or 8)";
            }
            int base = i * channels;
            for (int k = 0; k < channels; k++) {
                switch (f) {
                    case FLOAT32 -> values[base + k] = c.getFloat();
                    case DOUBLE64 -> values[base + k] = c.getDouble();
                    case INT8 -> values[base + k] = c.get();
                    case INT16 -> values[base + k] = c.getShort();
                    case INT32 -> values[base + k] = c.getInt();
                    case INT64 -> values[base + k] = c.getLong();
                    case STRING -> {
                        long len = varLen(c, "a string length");
                        if (len > c.remaining()) {
                            return "sample " + (st.samples + i) + " of stream " + id + ": a string of " + len
                                    + " bytes with " + c.remaining() + " left in the chunk";
                        }
                        byte[] b = new byte[(int) len];
                        c.get(b);
                        strings[base + k] = new String(b, StandardCharsets.UTF_8);
                    }
                    default -> throw new IllegalStateException(f.toString());
                }
            }
        }
        if (c.hasRemaining()) {
            return "a Samples chunk of stream " + id + " ('" + s.name + "') holds " + c.remaining()
                    + " bytes after its " + n + " samples";
        }
        if (n > 0) {
            if (st.samples == 0) {
                st.firstTimestampS = ts[0];
            }
            st.lastTimestampS = ts[n - 1];
        }
        st.samples += n;
        v.samples(id, n, ts, f == ChannelFormat.STRING ? null : values, f == ChannelFormat.STRING ? strings : null);
        return null;
    }

    private String footer(ByteBuffer c, Visitor v) {
        int id = c.getInt();
        StreamStats st = known(id);
        String xml = utf8(c);
        Element info = parse(xml).getDocumentElement();
        String count = text(info, "sample_count");
        if (!count.isEmpty()) {
            try {
                st.footerSampleCount = Long.parseLong(count.trim());
            } catch (NumberFormatException e) {
                return "the footer of stream " + id + " has sample_count '" + count + "'";
            }
        }
        v.footer(id, xml);
        return null;
    }

    private StreamStats known(int id) {
        StreamStats s = result.streams.get(id);
        if (s == null) {
            throw new IllegalArgumentException("stream " + id + " has no StreamHeader before its chunks");
        }
        return s;
    }

    /** Parses a stream header's XML; an invalid one is an {@link IllegalArgumentException} naming the stream. */
    static XdfStream parseHeader(int id, String xml) {
        Element info = parse(xml).getDocumentElement();
        XdfStream s = new XdfStream();
        s.name = text(info, "name");
        s.type = text(info, "type");
        s.sourceId = text(info, "source_id");
        s.hostname = text(info, "hostname");
        try {
            s.channelCount = Integer.parseInt(text(info, "channel_count").trim());
            s.nominalSrateHz = Double.parseDouble(text(info, "nominal_srate").trim());
            String created = text(info, "created_at").trim();
            s.createdAt = created.isEmpty() ? 0 : Double.parseDouble(created);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("the header of stream " + id + " has a malformed number: "
                    + e.getMessage());
        }
        if (s.channelCount < 1 || s.channelCount > XdfFormat.MAX_CHANNELS) {
            throw new IllegalArgumentException("the header of stream " + id + " declares " + s.channelCount
                    + " channels (1.." + XdfFormat.MAX_CHANNELS + ")");
        }
        if (!(s.nominalSrateHz >= 0) || Double.isInfinite(s.nominalSrateHz)) {
            throw new IllegalArgumentException("the header of stream " + id + " declares nominal_srate "
                    + s.nominalSrateHz);
        }
        try {
            s.format = ChannelFormat.of(text(info, "channel_format").trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the header of stream " + id + ": " + e.getMessage());
        }
        Element desc = child(info, "desc");
        Element channels = desc == null ? null : child(desc, "channels");
        if (channels != null) {
            NodeList list = channels.getChildNodes();
            for (int i = 0; i < list.getLength(); i++) {
                if (list.item(i) instanceof Element ch && ch.getTagName().equals("channel")) {
                    s.channel(text(ch, "label"), text(ch, "unit"), text(ch, "type"));
                }
            }
        }
        if (desc != null) {
            s.note = text(desc, "reflex");
        }
        return s;
    }

    private static Document parse(String xml) {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setExpandEntityReferences(false);
            DocumentBuilder b = f.newDocumentBuilder();
            b.setErrorHandler(new org.xml.sax.helpers.DefaultHandler() {
                @Override
                public void fatalError(org.xml.sax.SAXParseException e) throws org.xml.sax.SAXException {
                    throw e; // reported by the caller, never printed to stderr by the parser
                }
            });
            return b.parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new IllegalArgumentException("its XML cannot be parsed: " + e.getMessage());
        }
    }

    private static Element child(Element parent, String tag) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(tag)) {
                return e;
            }
        }
        return null;
    }

    private static String text(Element parent, String tag) {
        Element e = child(parent, tag);
        return e == null ? "" : e.getTextContent();
    }

    private static String utf8(ByteBuffer c) {
        if (c.remaining() > XdfFormat.MAX_XML_BYTES) {
            throw new IllegalArgumentException("an XML block of " + c.remaining() + " bytes exceeds the "
                    + XdfFormat.MAX_XML_BYTES + "-byte limit");
        }
        byte[] b = new byte[c.remaining()];
        c.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private long varLen(String what) throws IOException {
        small.clear().limit(1);
        fill(small);
        int n = small.get(0) & 0xFF;
        if (n != 1 && n != 4 && n != 8) {
            throw new IllegalArgumentException(what + " says it has " + n + " bytes (1, 4 or 8)");
        }
        small.clear().limit(n);
        fill(small);
        return value(small, n, what);
    }

    private static long varLen(ByteBuffer c, String what) {
        int n = c.get() & 0xFF;
        if (n != 1 && n != 4 && n != 8) {
            throw new IllegalArgumentException(what + " says it has " + n + " bytes (1, 4 or 8)");
        }
        long v = switch (n) {
            case 1 -> c.get() & 0xFFL;
            case 4 -> c.getInt() & 0xFFFF_FFFFL;
            default -> c.getLong();
        };
        if (v < 0) {
            throw new IllegalArgumentException(what + " is " + Long.toUnsignedString(v));
        }
        return v;
    }

    private static long value(ByteBuffer b, int n, String what) {
        long v = switch (n) {
            case 1 -> b.get(0) & 0xFFL;
            case 4 -> b.getInt(0) & 0xFFFF_FFFFL;
            default -> b.getLong(0);
        };
        if (v < 0) {
            throw new IllegalArgumentException(what + " is " + Long.toUnsignedString(v));
        }
        return v;
    }

    private void fill(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            int n = ch.read(b, pos);
            if (n < 0) {
                throw new EOFException();
            }
            pos += n;
        }
    }
}
