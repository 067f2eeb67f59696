package io.reflex.stim.policy;

import io.reflex.stim.StimCommand;

/**
 * Turns decoded output into stimulation commands (closed loop). Called by the stimulation stage's thread once per
 * decoded bin; allocation-free. A policy only proposes: every command still goes through the
 * {@link io.reflex.stim.StimController} and its envelope.
 */
public interface StimPolicy {
    /**
     * Evaluates one decoded bin.
     *
     * @param nowNs   monotonic time of the decision
     * @param decoded decoder outputs for the bin
     * @param count   number of valid values in {@code decoded}
     * @param out     filled with the command to issue when this returns true
     * @return true when a command should be issued
     */
    boolean evaluate(long nowNs, float[] decoded, int count, StimCommand out);

    /** Forgets all history (refractory, rate window, edge state). */
    void reset();

    /** Short name for reports. */
    String name();
}
