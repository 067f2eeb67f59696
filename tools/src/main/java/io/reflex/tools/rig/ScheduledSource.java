package io.reflex.tools.rig;

import io.reflex.runtime.pipeline.SampleBlock;
import io.reflex.runtime.pipeline.SampleSource;

/**
 * The rig's in-process source: hands over each sample once the schedule has sent it (whole chunks at a time), stamped
 * with its scheduled time on the LSL clock, and notes when each bin's last sample was actually handed over. Ends the
 * stream after {@code total} samples.
 */
final class ScheduledSource implements SampleSource {
    private final RigSignal signal;
    private final RigSchedule schedule;
    private final long total;
    private final long[] actualSendNs;
    private long next;

    ScheduledSource(RigSignal signal, RigSchedule schedule, long bins) {
        this.signal = signal;
        this.schedule = schedule;
        this.total = bins * schedule.samplesPerBin();
        this.actualSendNs = new long[(int) bins];
    }

    @Override
    public String name() {
        return "rig schedule (" + signal.kind() + ")";
    }

    @Override
    public int channels() {
        return signal.channels();
    }

    @Override
    public double nominalRateHz() {
        return schedule.rateHz();
    }

    @Override
    public int poll(SampleBlock block) {
        if (next >= total) {
            return END_OF_STREAM;
        }
        long now = System.nanoTime();
        int n = 0;
        float[] s = signal.samples();
        while (next < total && block.remaining() > 0 && schedule.sendNs(next) <= now) {
            block.append(s, signal.offset(next), schedule.timestampS(next), null);
            long bin = schedule.binEndingAt(next);
            if (bin >= 0) {
                actualSendNs[(int) bin] = now;
            }
            next++;
            n++;
        }
        return n;
    }

    /** When bin {@code b}'s last sample was handed over (valid once its frame was seen downstream). */
    long actualSendNs(long b) {
        return b >= 0 && b < actualSendNs.length ? actualSendNs[(int) b] : Long.MIN_VALUE;
    }

    /** True once every sample was handed over. */
    boolean done() {
        return next >= total;
    }
}
