package io.reflex.stim;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** Test driver that records what it is asked to do. */
final class RecordingDriver implements StimulatorDriver {
    final List<StimCommand> sent = new ArrayList<>();
    final List<Long> sentSequences = new ArrayList<>();
    final AtomicInteger aborts = new AtomicInteger();
    int stopAlls;
    volatile boolean connected = true;
    int failSends;

    @Override
    public String name() {
        return "recording";
    }

    @Override
    public int send(long sequence, StimCommand command) {
        if (failSends > 0) {
            failSends--;
            return IO_ERROR;
        }
        sent.add(new StimCommand().copyFrom(command));
        sentSequences.add(sequence);
        return OK;
    }

    @Override
    public int stopAll(long sequence) {
        stopAlls++;
        return OK;
    }

    @Override
    public int doWork(long nowNs) {
        return 0;
    }

    @Override
    public boolean isConnected() {
        return connected;
    }

    @Override
    public void abort() {
        aborts.incrementAndGet();
        connected = false;
    }

    @Override
    public String alarm() {
        return connected ? null : "recording link down";
    }

    @Override
    public void close() {
        connected = false;
    }
}
