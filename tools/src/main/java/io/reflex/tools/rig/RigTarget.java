package io.reflex.tools.rig;

/**
 * One series of a rig run: Reflex itself or a baseline. Each runs one segment at a time on the schedule it is given,
 * reports every output to the recorder, and has stopped all its threads when {@link #runSegment} returns.
 */
interface RigTarget extends AutoCloseable {
    /** The series' key in reports, e.g. {@code reflex}, {@code plain_loop}. */
    String name();

    /** Legend text. */
    String label();

    /**
     * Sends {@code bins} bins on {@code schedule}, records every output in {@code recorder} (its segment begun by the
     * caller) and returns once every bin came out or {@code timeoutNs} after the last was due.
     *
     * @return outputs that came later than the deadline after their bin's last sample was taken in
     */
    long runSegment(RigSchedule schedule, long bins, LatencyRecorder recorder, long timeoutNs)
            throws InterruptedException;

    @Override
    default void close() {
    }
}
