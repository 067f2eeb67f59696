package io.reflex.stim.driver;

import io.reflex.stim.StimCodec;
import io.reflex.stim.StimCommand;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32;

/**
 * Framing of the Reflex stimulator protocol (stim/PROTOCOL.md): a 16-byte little-endian header, a payload and a
 * CRC-32 trailer. One instance per thread (it keeps a reusable CRC); encoding and decoding allocate nothing.
 */
public final class StimWire {
    /** "RFXS" read as a little-endian u32. */
    public static final int MAGIC = 0x53584652;
    /** Protocol version carried in every header. */
    public static final int VERSION = 1;
    /** Header bytes. */
    public static final int HEADER_BYTES = 16;
    /** Trailer bytes (CRC-32). */
    public static final int TRAILER_BYTES = 4;
    /** Largest payload. */
    public static final int MAX_PAYLOAD = 1024;
    /** Largest frame. */
    public static final int MAX_FRAME = HEADER_BYTES + MAX_PAYLOAD + TRAILER_BYTES;

    /**
     * Host to stimulator: open a session. Payload: i64 hostTimeNs, u32 heartbeatIntervalUs, u32 heartbeatTimeoutUs,
     * then optionally u16 n and an n-byte session token ({@link #HELLO_FIXED_BYTES} bytes without it).
     */
    public static final int HELLO = 0x01;
    /** HELLO payload bytes before the optional session token. */
    public static final int HELLO_FIXED_BYTES = 16;
    /** Longest session token in a HELLO. */
    public static final int MAX_TOKEN_BYTES = 64;
    /** Stimulator to host: session open. Payload: u16 protocol version, u16 max channels per command. */
    public static final int HELLO_ACK = 0x02;
    /** Host to stimulator: one pulse train. Payload: a {@link StimCodec} command. */
    public static final int COMMAND = 0x10;
    /** Stimulator to host: outcome of a COMMAND or STOP_ALL. Payload: u64 ackedSequence, i32 status. */
    public static final int ACK = 0x11;
    /** Host to stimulator: stop every train now. Empty payload. */
    public static final int STOP_ALL = 0x12;
    /** Either way: liveness. Payload: i64 senderTimeNs. */
    public static final int HEARTBEAT = 0x20;
    /** Stimulator to host: a fault on the device. Payload: u16 n, n bytes of UTF-8 text. */
    public static final int ALARM = 0x30;

    /** ACK status: accepted. Positive statuses are {@link io.reflex.stim.StimVerdict} codes of a violation. */
    public static final int STATUS_OK = 0;
    /** ACK status: the payload was malformed. */
    public static final int STATUS_MALFORMED = -1;
    /** ACK status: the trigger time had passed when the command arrived. */
    public static final int STATUS_LATE = -2;

    /** Parse result: a whole valid frame was read. */
    public static final int FRAME = 1;
    /** Parse result: more bytes are needed. */
    public static final int NEED_MORE = 0;
    /** Parse result: bad magic, version, length or CRC; the link must be dropped. */
    public static final int CORRUPT = -1;

    private final CRC32 crc = new CRC32();
    private int type;
    private long sequence;
    private int payloadLength;
    private int payloadOffset;

    /** Writes a header for {@code type}/{@code sequence}; call {@link #finish} after the payload. */
    public void begin(ByteBuffer buf, int type, long sequence) {
        buf.order(ByteOrder.LITTLE_ENDIAN);
        buf.putInt(MAGIC);
        buf.put((byte) VERSION);
        buf.put((byte) type);
        buf.putShort((short) 0);
        buf.putLong(sequence);
    }

    /** Fills in the payload length of the frame that started at {@code frameStart} and appends the CRC. */
    public void finish(ByteBuffer buf, int frameStart) {
        int payload = buf.position() - frameStart - HEADER_BYTES;
        buf.putShort(frameStart + 6, (short) payload);
        buf.putInt(crc(buf, frameStart, buf.position()));
    }

    /**
     * CRC-32 of {@code buf[from, to)}, leaving the buffer's position and limit as they were. Narrows the buffer in
     * place instead of through a {@code duplicate()}, which would allocate a buffer object per frame.
     */
    private int crc(ByteBuffer buf, int from, int to) {
        int position = buf.position();
        int limit = buf.limit();
        buf.limit(to).position(from);
        crc.reset();
        crc.update(buf);
        buf.limit(limit).position(position);
        return (int) crc.getValue();
    }

    /** Appends a whole COMMAND frame. */
    public void command(ByteBuffer buf, long sequence, StimCommand c) {
        int start = buf.position();
        begin(buf, COMMAND, sequence);
        StimCodec.encode(c, buf);
        finish(buf, start);
    }

    /** Appends a whole frame with an empty payload. */
    public void empty(ByteBuffer buf, int type, long sequence) {
        int start = buf.position();
        begin(buf, type, sequence);
        finish(buf, start);
    }

    /** Appends a HEARTBEAT frame. */
    public void heartbeat(ByteBuffer buf, long sequence, long nowNs) {
        int start = buf.position();
        begin(buf, HEARTBEAT, sequence);
        buf.putLong(nowNs);
        finish(buf, start);
    }

    /** Appends an ACK frame. */
    public void ack(ByteBuffer buf, long sequence, long ackedSequence, int status) {
        int start = buf.position();
        begin(buf, ACK, sequence);
        buf.putLong(ackedSequence);
        buf.putInt(status);
        finish(buf, start);
    }

    /**
     * Tries to parse one frame from {@code buf} (flipped for reading, little-endian). On {@link #FRAME} the
     * buffer's position is just after the frame and {@link #type()}, {@link #sequence()},
     * {@link #payloadOffset()} and {@link #payloadLength()} describe it; on {@link #NEED_MORE} the position is
     * unchanged.
     */
    public int parse(ByteBuffer buf) {
        int start = buf.position();
        if (buf.remaining() < HEADER_BYTES) {
            return NEED_MORE;
        }
        if (buf.getInt(start) != MAGIC || (buf.get(start + 4) & 0xFF) != VERSION) {
            return CORRUPT;
        }
        int len = buf.getShort(start + 6) & 0xFFFF;
        if (len > MAX_PAYLOAD) {
            return CORRUPT;
        }
        int total = HEADER_BYTES + len + TRAILER_BYTES;
        if (buf.remaining() < total) {
            return NEED_MORE;
        }
        if (crc(buf, start, start + HEADER_BYTES + len) != buf.getInt(start + HEADER_BYTES + len)) {
            return CORRUPT;
        }
        type = buf.get(start + 5) & 0xFF;
        sequence = buf.getLong(start + 8);
        payloadOffset = start + HEADER_BYTES;
        payloadLength = len;
        buf.position(start + total);
        return FRAME;
    }

    public int type() {
        return type;
    }

    public long sequence() {
        return sequence;
    }

    public int payloadOffset() {
        return payloadOffset;
    }

    public int payloadLength() {
        return payloadLength;
    }

    /** Name of a frame type, for alarms. */
    public static String typeName(int type) {
        return switch (type) {
            case HELLO -> "HELLO";
            case HELLO_ACK -> "HELLO_ACK";
            case COMMAND -> "COMMAND";
            case ACK -> "ACK";
            case STOP_ALL -> "STOP_ALL";
            case HEARTBEAT -> "HEARTBEAT";
            case ALARM -> "ALARM";
            default -> "type_" + type;
        };
    }
}
