package io.reflex.runtime.xdf;

/**
 * Constants of the XDF 1.0 container (the format LabRecorder writes and pyxdf, MNE, EEGLAB and MoBILAB read), as
 * Reflex writes and reads it; docs/xdf.md describes the layout.
 *
 * <p>A file is the four bytes {@code XDF:} followed by chunks. Each chunk is a length (one byte saying how many bytes
 * the length has, 1, 4 or 8, then the length itself, little-endian), counting the 2-byte tag and the content; the tag
 * (little-endian); the content. Samples chunks hold a stream id, a sample count (again a variable-length integer)
 * and the samples, each a timestamp flag byte (0: none, 8: a little-endian double follows) and its values.
 */
public final class XdfFormat {
    /** The file's first four bytes. */
    public static final byte[] MAGIC = {'X', 'D', 'F', ':'};

    public static final int TAG_FILE_HEADER = 1;
    public static final int TAG_STREAM_HEADER = 2;
    public static final int TAG_SAMPLES = 3;
    public static final int TAG_CLOCK_OFFSET = 4;
    public static final int TAG_BOUNDARY = 5;
    public static final int TAG_STREAM_FOOTER = 6;

    /** The content of every Boundary chunk: a fixed 16-byte UUID a reader can seek to after damage. */
    public static final byte[] BOUNDARY = {
        (byte) 0x43, (byte) 0xA5, (byte) 0x46, (byte) 0xDC, (byte) 0xCB, (byte) 0xF5, (byte) 0x41, (byte) 0x0F,
        (byte) 0xB3, (byte) 0x0E, (byte) 0xD5, (byte) 0x46, (byte) 0x73, (byte) 0x83, (byte) 0xCB, (byte) 0xE4};

    /**
     * Largest chunk Reflex reads (its length is checked before anything is allocated), bytes. Writers flush far
     * smaller chunks (Reflex 64 KiB, LabRecorder a fraction of a second); decoded as doubles a chunk of one-byte
     * values takes eight times its size, so this bounds a reader's memory to about half a GiB.
     */
    public static final long MAX_CHUNK_BYTES = 64L << 20;
    /** Largest XML header or footer, chars-as-bytes. */
    public static final int MAX_XML_BYTES = 16 << 20;
    /** Most channels a stream may declare. */
    public static final int MAX_CHANNELS = 1 << 16;

    private XdfFormat() {
    }

    /** A stream's value format ({@code channel_format} in its header) and the bytes one value takes (0: string). */
    public enum ChannelFormat {
        FLOAT32("float32", 4), DOUBLE64("double64", 8), INT8("int8", 1), INT16("int16", 2), INT32("int32", 4),
        INT64("int64", 8), STRING("string", 0);

        private final String xml;
        private final int bytes;

        ChannelFormat(String xml, int bytes) {
            this.xml = xml;
            this.bytes = bytes;
        }

        /** The name in a stream header. */
        public String xml() {
            return xml;
        }

        /** Bytes per value; 0 for strings (each carries its own length). */
        public int bytes() {
            return bytes;
        }

        /** The format a header names, or an {@link IllegalArgumentException} naming it. */
        public static ChannelFormat of(String xml) {
            for (ChannelFormat f : values()) {
                if (f.xml.equals(xml)) {
                    return f;
                }
            }
            // "double" is accepted as an alias by some writers
            if ("double".equals(xml)) {
                return DOUBLE64;
            }
            throw new IllegalArgumentException("unknown channel_format '" + xml + "' (float32, double64, int8, int16,"
                    + " int32, int64 or string)");
        }
    }
}
