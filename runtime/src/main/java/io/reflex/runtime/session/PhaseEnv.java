package io.reflex.runtime.session;

import io.reflex.runtime.journal.JournalFaults;
import java.util.concurrent.CountDownLatch;
import java.util.function.BooleanSupplier;

/**
 * What the phases of a run use of their session: where progress goes, the lab's other streams, the journal faults
 * that end a run, the progress period and the stop request.
 *
 * @param listener      progress, phases and notices, on the thread that runs the session
 * @param lab           the lab's kinematics, decoded outlet and outage reports
 * @param faults        journal faults; any of them ends the run
 * @param tickMs        progress period
 * @param stopRequested whether {@link ClosedLoopSession#requestStop()} was called
 * @param stop          counted down by {@link ClosedLoopSession#requestStop()}
 * @param counters      the counters another process reads, or null
 */
record PhaseEnv(ClosedLoopSession.Listener listener, LabStreams lab, JournalFaults faults, long tickMs,
                BooleanSupplier stopRequested, CountDownLatch stop, SessionCounters counters) {

    /** Sets the outside counters (if any): the phase and the heartbeat (the pipeline counts in them itself). */
    void publish(int phase) {
        if (counters != null) {
            counters.publish(phase);
        }
    }

    boolean stopping() {
        return stopRequested.getAsBoolean();
    }

    /** Passes on the failover lines the decode thread left. */
    void notices(EngineRuns engines) {
        for (String n = engines.nextNotice(); n != null; n = engines.nextNotice()) {
            listener.onNotice(n);
        }
    }
}
