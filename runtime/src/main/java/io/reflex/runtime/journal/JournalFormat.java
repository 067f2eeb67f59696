package io.reflex.runtime.journal;

/**
 * The journal's record layout (little-endian, as Chronicle Bytes writes it; every record's own layout is version 1).
 * Each Chronicle document is one record that starts with a type byte.
 *
 * <p>{@link #TYPE_META}: {@code u8 type, u8 version, utf8 json} — run metadata written once at open.
 *
 * <p>{@link #TYPE_FRAME}: {@code u8 type, u8 version, i64 sequence, i64 sourceSequence, f64 acquisitionTimeS,
 * i64 deadlineNs, i32 flags, i32 decodeStatus, i32 decoderGeneration, u8 stageCount, i64[stageCount] stampNs,
 * i32 sampleCount, i32 channels, i32 referenceCount, i32 outputCount, f64[sampleCount] sampleTimestampsS,
 * f32[sampleCount*channels] samples, f32[sampleCount*referenceCount] reference, f32[channels] features,
 * f32[referenceCount] targets, f32[outputCount] output, f32[outputCount] safeOutput}. A frame whose features are not
 * one per channel (a broadband front end with both outputs, threshold crossings and spike-band power: channels ×
 * outputs, outputs in blocks of {@code channels}) is written in layout {@link #FRAME_VERSION_FEATURES} instead: the
 * same record with {@code i32 featureCount} after {@code outputCount} and {@code f32[featureCount] features}; every
 * other frame keeps layout 1, so a journal without such frames is what it always was.
 *
 * <p>{@link #TYPE_PAIRED_TARGETS} (journal format 2): {@code u8 type, u8 version, i64 sequence, i32 count,
 * f32[count] targets} — the targets a separate kinematics stream gave the frame of that sequence, written when the
 * pairing decided it: usually well after the frame's own record, but the journal writer and the pairing poll the
 * ring independently, so it may come before it; a reader joins them by sequence. Frames the kinematics could not
 * pair (late, in a gap, before the stream's start) have no such record.
 *
 * <p>{@link #TYPE_MARKER} (journal format 3): {@code u8 type, u8 version, f64 timeS, i64 afterSequence,
 * i32 length, i32 byteCount, u8[byteCount] utf8} — one marker of the task's marker stream ({@code source.lsl.markers}): its timestamp on the
 * local LSL clock (time-corrected, the clock of the frames' {@code acquisitionTimeS}), the sequence of the last frame
 * journaled before it was written (-1: none yet), the text's length in chars, and the text, cut to its first
 * {@link #MAX_MARKER_CHARS} chars when longer ({@code length} tells). Markers are written by the journal's thread
 * after the frame that followed their arrival, or at close.
 *
 * <p>The run metadata's {@code "version"} is {@link #FORMAT_VERSION}: 2 since paired targets were added, 3 since
 * markers; a {@link JournalReader} reads journals of versions 1 to 3.
 */
public final class JournalFormat {
    /** Record type of run metadata. */
    public static final byte TYPE_META = 1;
    /** Record type of one frame. */
    public static final byte TYPE_FRAME = 2;
    /** Record type of the targets a kinematics stream paired with a frame (journal format 2). */
    public static final byte TYPE_PAIRED_TARGETS = 3;
    /** Record type of a marker of the task's marker stream (journal format 3). */
    public static final byte TYPE_MARKER = 4;
    /** Most chars of a marker's text that are journaled. */
    public static final int MAX_MARKER_CHARS = 1024;
    /** Bytes a marker record may take, Chronicle's header included. */
    public static final long MAX_MARKER_RECORD_BYTES = 2 + 8 + 8 + 4 + 4 + 3L * MAX_MARKER_CHARS + 64;
    /** Most values a paired-targets record may hold. */
    public static final int MAX_PAIRED_TARGETS = 64;
    /** The journal format version in the run metadata. */
    public static final int FORMAT_VERSION = 3;
    /** Layout version written into every record (frames: unless their features are not one per channel). */
    public static final byte VERSION = 1;
    /** Layout of a frame record whose feature count is its own ({@code i32 featureCount} after {@code outputCount}). */
    public static final byte FRAME_VERSION_FEATURES = 2;

    private JournalFormat() {
    }
}
