package io.reflex.runtime.journal;

/**
 * Settings every Reflex Chronicle Queue shares.
 *
 * <p>No part of Reflex phones home: Chronicle's announcer, usage-analytics ping and disk monitor are switched off.
 * The launcher, surefire and the JMH command pass the same system properties; {@link #disablePhoneHome()} is the
 * safety net for any other JVM (an IDE run, an embedding application), applied before the first Chronicle class
 * loads.
 *
 * <p>Block size: Chronicle maps its files a block at a time and extends the file by a block when a write reaches the
 * end of the mapped one. Reflex uses blocks of at least {@link #MIN_BLOCK_BYTES} and at least four times the largest
 * record a journal writes ({@link #blockBytes(long)}), so that a record never spans more than two blocks and the
 * free-space reserve (see {@link FreeSpaceGuard}) can be stated in whole blocks.
 */
public final class ChronicleSettings {
    /** The smallest block Reflex journals use: 4 MiB. */
    public static final long MIN_BLOCK_BYTES = 4L << 20;
    /** The largest block: 1 GiB (a record of 256 MiB; configs are refused long before that). */
    public static final long MAX_BLOCK_BYTES = 1L << 30;

    private ChronicleSettings() {
    }

    static void disablePhoneHome() {
        for (String key : new String[] {"chronicle.analytics.disable", "chronicle.announcer.disable",
                "chronicle.disk.monitor.disable"}) {
            if (System.getProperty(key) == null) {
                System.setProperty(key, "true");
            }
        }
    }

    /**
     * The block size of a journal whose largest record is {@code maxRecordBytes}: the smallest power of two that is
     * at least {@link #MIN_BLOCK_BYTES} and at least four times the record, capped at {@link #MAX_BLOCK_BYTES}.
     */
    public static long blockBytes(long maxRecordBytes) {
        long want = Math.max(MIN_BLOCK_BYTES, maxRecordBytes > MAX_BLOCK_BYTES / 4 ? MAX_BLOCK_BYTES
                : 4 * Math.max(0, maxRecordBytes));
        long block = Long.highestOneBit(want);
        return block == want ? block : Math.min(MAX_BLOCK_BYTES, block << 1);
    }
}
