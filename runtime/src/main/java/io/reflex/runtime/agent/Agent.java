package io.reflex.runtime.agent;

/**
 * One long-lived loop body. An {@link AgentRunner} calls {@link #doWork()} repeatedly on its thread and hands the
 * returned work count to an idle strategy; tests call {@link #doWork()} directly.
 */
public interface Agent {

    /** Called once on the agent's thread before the first {@link #doWork()}. */
    default void onStart() {
    }

    /**
     * Does a bounded amount of work without blocking.
     *
     * @return how much work was done; 0 lets the idle strategy back off
     * @throws Exception reported to the runner's error handler, which keeps the loop running
     */
    int doWork() throws Exception;

    /** Called once on the agent's thread after the last {@link #doWork()}. */
    default void onClose() {
    }

    /** Short name for thread names and error reports. */
    String roleName();
}
