package io.reflex.runtime.journal;

/**
 * The journal's record layout (little-endian, as Chronicle Bytes writes it), version 1. Each Chronicle document is
 * one record that starts with a type byte.
 *
 * <p>{@link #TYPE_META}: {@code u8 type, u8 version, utf8 json} — run metadata written once at open.
 *
 * <p>{@link #TYPE_FRAME}: {@code u8 type, u8 version, i64 sequence, i64 sourceSequence, f64 acquisitionTimeS,
 * i64 deadlineNs, i32 flags, i32 decodeStatus, i32 decoderGeneration, u8 stageCount, i64[stageCount] stampNs,
 * i32 sampleCount, i32 channels, i32 referenceCount, i32 outputCount, f64[sampleCount] sampleTimestampsS,
 * f32[sampleCount*channels] samples, f32[sampleCount*referenceCount] reference, f32[channels] features,
 * f32[referenceCount] targets, f32[outputCount] output, f32[outputCount] safeOutput}.
 */
public final class JournalFormat {
    /** Record type of run metadata. */
    public static final byte TYPE_META = 1;
    /** Record type of one frame. */
    public static final byte TYPE_FRAME = 2;
    /** Layout version written into every record. */
    public static final byte VERSION = 1;

    private JournalFormat() {
    }
}
