package io.reflex.runtime.agent;

import java.util.List;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.IdleStrategy;

/**
 * How Reflex runs Agrona {@link Agent}s: on a daemon thread named {@code reflex-<roleName>}, by Agrona's
 * {@link AgentRunner}, with errors reported under the agent's role name, and closed with a bounded wait.
 *
 * <p>Two things are added to Agrona's runner, both so that a fault is reported when it happens and never stops a
 * pipeline silently: an {@link Error} from {@code doWork()} (an {@link InternalError} from a fault in memory-mapped
 * I/O, SIGBUS on a full disk) is reported like an exception and the loop goes on (one from {@code onStart()}: the
 * agent never runs and is closed), where Agrona's runner would rethrow it and let the thread die without closing its
 * agent; and {@link #close} waits at most
 * {@link #CLOSE_WAIT_MS} for the agent to stop, then reports that it did not, where Agrona's would wait and interrupt
 * forever (an agent blocked in native code would hang shutdown).
 */
public final class Agents {

    /** How long {@link #close} waits for an agent's thread to finish its {@code onClose()}, ms. */
    public static final int CLOSE_WAIT_MS = 5_000;

    private Agents() {
    }

    /** Starts {@code agent} on a new daemon thread {@code reflex-<roleName>}; returns at once. */
    public static AgentRunner start(Agent agent, IdleStrategy idle, ErrorHandler errorHandler) {
        AgentRunner runner = runner(agent, idle, errorHandler);
        startOnThread(runner);
        return runner;
    }

    /** A runner for {@code agent}, not started yet: {@link #startOnThread(AgentRunner)} starts it. */
    public static AgentRunner runner(Agent agent, IdleStrategy idle, ErrorHandler errorHandler) {
        org.agrona.ErrorHandler sourced = errorHandler.forSource(agent.roleName());
        return new AgentRunner(idle, sourced, null, new ErrorsContained(agent, sourced));
    }

    /** Starts {@code runner} on a new daemon thread {@code reflex-<roleName>} and returns that thread. */
    public static Thread startOnThread(AgentRunner runner) {
        Thread thread = new Thread(runner, "reflex-" + runner.agent().roleName());
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /**
     * Stops the runner's loop after the current duty cycle and waits up to {@link #CLOSE_WAIT_MS} for the agent's
     * {@code onClose()} to finish; if it has not, reports "did not stop within 5 s" to {@code errorHandler} and
     * returns (the thread is a daemon and does not hold the process).
     */
    public static void close(AgentRunner runner, ErrorHandler errorHandler) {
        try {
            runner.close(CLOSE_WAIT_MS, thread -> {
                throw new StillRunning();
            });
        } catch (StillRunning e) {
            errorHandler.onError(runner.agent().roleName(),
                    new IllegalStateException("did not stop within " + CLOSE_WAIT_MS / 1000 + " s"));
        }
    }

    /** Runs several agents on one thread, in order, each duty cycle (how pipeline stages are fused), as one role. */
    public static Agent composite(String roleName, List<? extends Agent> agents) {
        return new CompositeAgent(agents) {
            @Override
            public String roleName() {
                return roleName;
            }
        };
    }

    /** Ends Agrona's retrying close at the first timeout. */
    private static final class StillRunning extends RuntimeException {
        private static final long serialVersionUID = 1L;

        StillRunning() {
            super(null, null, false, false);
        }
    }

    /**
     * Reports an {@link Error} from {@code doWork()} and goes on, as Agrona's runner does with exceptions; one from
     * {@code onStart()} is reported and the agent never runs but is closed, as after an exception there.
     */
    private static final class ErrorsContained implements Agent {
        final Agent agent;
        private final org.agrona.ErrorHandler errorHandler;
        private boolean startFailed;

        ErrorsContained(Agent agent, org.agrona.ErrorHandler errorHandler) {
            this.agent = agent;
            this.errorHandler = errorHandler;
        }

        @Override
        public void onStart() {
            try {
                agent.onStart();
            } catch (Error e) {
                // Reported here rather than rethrown: Agrona's runner would end the thread without closing the agent.
                startFailed = true;
                errorHandler.onError(e);
            }
        }

        @Override
        public int doWork() throws Exception {
            if (startFailed) {
                throw new AgentTerminationException(true); // never runs; the runner goes on to onClose()
            }
            try {
                return agent.doWork();
            } catch (Error e) {
                errorHandler.onError(e);
                return 0;
            }
        }

        @Override
        public void onClose() {
            agent.onClose();
        }

        @Override
        public String roleName() {
            return agent.roleName();
        }
    }
}
