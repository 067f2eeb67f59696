package io.reflex.stim;

/**
 * Write-ahead journal of stimulation. The {@link StimController} records every submitted command with its verdict
 * <em>before</em> the command is handed to a driver, every stop-all frame with its sequence number before it is
 * handed to a driver, and every state change and fault. A failed command record makes the controller disarm and
 * latch a fault, so no command is ever sent without a record (a stop-all is sent even when its record fails:
 * stopping never waits on the journal). Commands and stop-alls share the controller's sequence, so every sequence
 * number a stimulator can see is in the journal.
 *
 * <p>Implementations: {@link InMemoryStimJournal} and {@link FileStimJournal} here; the runtime provides one on its
 * Chronicle Queue journal. Called by the controller's owning thread only. Methods never throw: they return
 * {@link #OK} or a negative failure code.
 */
public interface StimJournal {
    /** The record was written. */
    int OK = 0;
    /** The record could not be written (I/O error, closed, full). */
    int FAILED = -1;

    /**
     * Records one command and its verdict. The record must be durable to the implementation's stated level when
     * this returns {@link #OK}. Allocation-free in the implementations provided.
     *
     * @param sequence controller sequence number of the command (unique, increasing)
     * @param timeNs   controller clock when the verdict was reached
     * @param command  the command (not retained); its {@link StimCommand#inputTimeNs()} is recorded too
     * @param verdict  a {@link StimVerdict} code. A command refused by the send-time freshness check after it was
     *                 recorded as accepted is recorded a second time, with the same sequence and the refusal's
     *                 verdict: for a sequence, the last record holds.
     */
    int recordCommand(long sequence, long timeNs, StimCommand command, int verdict);

    /**
     * Records a stop-all frame about to be handed to the driver, with the sequence number it carries. Allocation-free
     * in the implementations provided.
     *
     * @param sequence controller sequence number of the stop-all (shared with commands)
     * @param timeNs   controller clock when it was decided
     */
    int recordStopAll(long sequence, long timeNs);

    /**
     * Records a controller event (see {@link StimEvent}) with its code and a human-readable reason. Events are rare
     * (arming, faults, resets); the reason may be built by the caller.
     */
    int recordEvent(long timeNs, int event, int code, String reason);
}
