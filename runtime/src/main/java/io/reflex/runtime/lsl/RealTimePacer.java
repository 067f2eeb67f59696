package io.reflex.runtime.lsl;

import io.reflex.lsl.XmlElement;

import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.DoubleConsumer;

/**
 * Paces a synthetic publisher in real time: one sample per period, each handed its due time (LSL clock, seconds) to
 * stamp it with. Every sample due within the duration goes out, late ones at once, so a run of D s at R Hz publishes
 * D·R samples however the thread was scheduled.
 */
final class RealTimePacer {
    private RealTimePacer() {
    }

    /**
     * Runs until {@code durationS} passed (0 = until {@code stop} returns true), calling {@code publish} with each
     * sample's due time.
     */
    static void run(double rateHz, double durationS, BooleanSupplier stop, DoubleConsumer publish) {
        long periodNs = (long) (1e9 / rateHz);
        long start = System.nanoTime();
        boolean bounded = durationS > 0;
        long end = bounded ? start + (long) (durationS * 1e9) : 0;
        long next = start;
        while (!stop.getAsBoolean()) {
            if (bounded && next - end >= 0) {
                return;
            }
            long now = System.nanoTime();
            if (now < next) {
                LockSupport.parkNanos(next - now);
                continue;
            }
            publish.accept(next * 1e-9);
            next += periodNs;
        }
    }

    /** Appends {@code channels} spike-count channel descriptions (labels n0, n1, ...) to {@code chans}. */
    static void describeSpikeChannels(XmlElement chans, int channels) {
        for (int i = 0; i < channels; i++) {
            chans.appendChild("channel").appendChildValue("label", "n" + i).appendChildValue("unit", "spikes")
                    .appendChildValue("type", "SpikeCount");
        }
    }
}
