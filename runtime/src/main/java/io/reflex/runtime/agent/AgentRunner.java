package io.reflex.runtime.agent;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Runs one {@link Agent} on a dedicated thread until {@link #close()}: {@code doWork()} then
 * {@link IdleStrategy#idle(int)}. Exceptions and errors from the agent go to the error handler and a counter; the
 * loop keeps running, unless {@link Agent#onStart()} failed: then the agent never runs (it is still closed). Errors
 * are caught too: a fault in memory-mapped I/O (SIGBUS on a full disk) arrives as an {@link InternalError}, and a
 * thread that died of it would stop its stages silently while the run went on.
 */
public final class AgentRunner implements AutoCloseable {
    private final Agent agent;
    private final IdleStrategy idle;
    private final ErrorHandler errorHandler;
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean running = true;
    private volatile long errors;

    public AgentRunner(Agent agent, IdleStrategy idle, ErrorHandler errorHandler) {
        this.agent = agent;
        this.idle = idle;
        this.errorHandler = errorHandler;
        this.thread = new Thread(this::run, "reflex-" + agent.roleName());
        this.thread.setDaemon(true);
    }

    /** Starts the thread; returns at once. */
    public AgentRunner start() {
        thread.start();
        return this;
    }

    private void run() {
        try {
            try {
                agent.onStart();
            } catch (RuntimeException | Error e) {
                // An agent that could not start must not run; its failure goes to the handler and the counter like
                // any other, not only to the thread's uncaught-exception handler.
                errors++;
                errorHandler.onError(agent.roleName(), e);
                return;
            }
            while (running) {
                int work;
                try {
                    work = agent.doWork();
                } catch (Exception | Error e) {
                    errors++;
                    errorHandler.onError(agent.roleName(), e);
                    work = 0;
                }
                idle.idle(work);
            }
        } finally {
            try {
                agent.onClose();
            } catch (RuntimeException | Error e) {
                errorHandler.onError(agent.roleName(), e);
            }
            stopped.countDown();
        }
    }

    /** The runner's thread, e.g. to read its allocated bytes. */
    public Thread thread() {
        return thread;
    }

    /** Errors caught from the agent so far. */
    public long errors() {
        return errors;
    }

    /** Stops the loop after the current duty cycle and waits up to 5 s for {@link Agent#onClose()} to finish. */
    @Override
    public void close() {
        running = false;
        try {
            if (thread.isAlive() && !stopped.await(5, TimeUnit.SECONDS)) {
                errorHandler.onError(agent.roleName(), new IllegalStateException("did not stop within 5 s"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
