package io.reflex.stim;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Binary layout of a {@link StimCommand}, shared by the wire protocol (stim/PROTOCOL.md), the file journal and
 * the UDP and file sinks. Little-endian; allocation-free.
 *
 * <pre>
 * offset size field
 *  0     8    triggerTimeNs       i64
 *  8     4    phase1AmplitudeNa   i32
 * 12     4    phase1WidthNs       i32
 * 16     4    interphaseGapNs     i32
 * 20     4    phase2AmplitudeNa   i32
 * 24     4    phase2WidthNs       i32
 * 28     8    frequencyMilliHz    i64
 * 36     4    pulseCount          i32
 * 40     1    polarity            u8 (0 cathodic-first, 1 anodic-first)
 * 41     1    channelCount        u8 (0..64)
 * 42     2*n  channels            u16 each
 * </pre>
 */
public final class StimCodec {
    /** Bytes before the channel list. */
    public static final int FIXED_BYTES = 42;
    /** Largest encoded command. */
    public static final int MAX_BYTES = FIXED_BYTES + 2 * StimCommand.MAX_CHANNELS;
    /** Decoding succeeded. */
    public static final int OK = 0;
    /** Too few bytes, or a field outside what the layout can carry. */
    public static final int MALFORMED = -1;

    private StimCodec() {
    }

    /** Encoded size of {@code c}. */
    public static int encodedLength(StimCommand c) {
        return FIXED_BYTES + 2 * c.channelCount();
    }

    /**
     * Writes {@code c} at {@code buf}'s position (advancing it). The buffer must be little-endian with room for
     * {@link #encodedLength}. Channel indices and polarity are written as given (masked to their field width); the
     * envelope has already rejected anything out of range.
     */
    public static void encode(StimCommand c, ByteBuffer buf) {
        buf.putLong(c.triggerTimeNs());
        buf.putInt(c.phase1AmplitudeNa());
        buf.putInt(c.phase1WidthNs());
        buf.putInt(c.interphaseGapNs());
        buf.putInt(c.phase2AmplitudeNa());
        buf.putInt(c.phase2WidthNs());
        buf.putLong(c.frequencyMilliHz());
        buf.putInt(c.pulseCount());
        buf.put((byte) c.polarity());
        int n = c.channelCount();
        buf.put((byte) n);
        for (int i = 0; i < n; i++) {
            buf.putShort((short) c.channel(i));
        }
    }

    /** Reads a command at {@code buf}'s position into {@code out}; returns {@link #OK} or {@link #MALFORMED}. */
    public static int decode(ByteBuffer buf, StimCommand out) {
        if (buf.order() != ByteOrder.LITTLE_ENDIAN || buf.remaining() < FIXED_BYTES) {
            return MALFORMED;
        }
        out.clear();
        out.triggerTimeNs(buf.getLong());
        out.phase1AmplitudeNa(buf.getInt());
        out.phase1WidthNs(buf.getInt());
        out.interphaseGapNs(buf.getInt());
        out.phase2AmplitudeNa(buf.getInt());
        out.phase2WidthNs(buf.getInt());
        out.frequencyMilliHz(buf.getLong());
        out.pulseCount(buf.getInt());
        out.polarity(buf.get() & 0xFF);
        int n = buf.get() & 0xFF;
        if (n > StimCommand.MAX_CHANNELS || buf.remaining() < 2 * n) {
            return MALFORMED;
        }
        for (int i = 0; i < n; i++) {
            out.addChannel(buf.getShort() & 0xFFFF);
        }
        return OK;
    }
}
