package io.reflex.stim.driver;

import io.reflex.stim.StimAlarm;
import io.reflex.stim.StimCommand;
import io.reflex.stim.StimulatorDriver;
import org.agrona.ErrorHandler;

/**
 * One primary stimulator plus monitor outputs (UDP, file, LSL). The primary decides success and connectivity; a
 * failing monitor is counted and reported as a warning but never blocks or stops stimulation, because it carries
 * copies, not stimulation. Monitors receive a command only after the primary accepted it.
 */
public final class TeeDriver implements StimulatorDriver {
    private final StimulatorDriver primary;
    private final StimulatorDriver[] monitors;
    private final ErrorHandler errorHandler;
    private long monitorFailures;

    public TeeDriver(StimulatorDriver primary, ErrorHandler errorHandler, StimulatorDriver... monitors) {
        this.primary = primary;
        this.monitors = monitors.clone();
        this.errorHandler = errorHandler;
    }

    @Override
    public String name() {
        return primary.name();
    }

    @Override
    public int send(long sequence, StimCommand command) {
        int rc = primary.send(sequence, command);
        if (rc == OK) {
            for (StimulatorDriver m : monitors) {
                if (m.send(sequence, command) != OK) {
                    monitorFailed(m);
                }
            }
        }
        return rc;
    }

    @Override
    public int stopAll(long sequence) {
        int rc = primary.stopAll(sequence);
        for (StimulatorDriver m : monitors) {
            if (m.stopAll(sequence) != OK) {
                monitorFailed(m);
            }
        }
        return rc;
    }

    private void monitorFailed(StimulatorDriver m) {
        if (monitorFailures++ == 0) {
            errorHandler.onError(new StimAlarm(false, "stim monitor output " + m.name() + " failed: " + m.alarm()));
        }
    }

    /** Sends that failed on a monitor output. */
    public long monitorFailures() {
        return monitorFailures;
    }

    @Override
    public int doWork(long nowNs) {
        int work = primary.doWork(nowNs);
        for (StimulatorDriver m : monitors) {
            work += m.doWork(nowNs);
        }
        return work;
    }

    @Override
    public boolean isConnected() {
        return primary.isConnected();
    }

    @Override
    public void abort() {
        primary.abort();
    }

    @Override
    public String alarm() {
        return primary.alarm();
    }

    @Override
    public void close() {
        primary.close();
        for (StimulatorDriver m : monitors) {
            m.close();
        }
    }
}
