package io.reflex.tools;

import io.reflex.runtime.session.ClosedLoopSession;
import java.util.function.Consumer;

/**
 * The runs of one daemon: which one is live, how the last one ended, and the worst exit code so far. The control
 * API and the SIGTERM hook only ask (start, stop, shut down); the daemon's main thread, which owns the runs, starts
 * them and reports their end. Guarded by this object's monitor; the live session and stimulation are also published
 * through volatile fields, read without the lock by the control journal, the decoder swap and the stimulation
 * routes, so that none of them waits for this monitor while holding the control server's.
 *
 * <p>Without {@code --serve} the daemon holds one run: a start is refused, and the run's end ends the daemon.
 */
final class DaemonRuns implements ControlServer.Runs {
    /** A run asked for over the control API: its number, who asked and why. */
    record Start(int number, String who, String reason) {
    }

    static final String RUNNING = "running";
    static final String IDLE = "idle";
    static final String ENDED = "ended";

    private final boolean serve;
    /** {@link #RUNNING} (from the start asked for until the run's end), {@link #IDLE} or {@link #ENDED}. */
    private String state = RUNNING;
    /** The live or last run's number, from 1. */
    private int number = 1;
    private boolean stopRequested;
    private String stopReason;
    private boolean shutdown;
    /** Stops the live run; null before it is set up and after its end. */
    private Consumer<String> stopper;
    private Start pending;
    private String journal;
    private Integer lastExit;
    private String lastFault;
    private int worstExit;
    private volatile ClosedLoopSession session;
    private volatile ControlServer.Stim stim;

    /** @param serve whether runs may follow the first ({@code --serve}) */
    DaemonRuns(boolean serve) {
        this.serve = serve;
    }

    boolean serve() {
        return serve;
    }

    /**
     * The live run is set up (main thread): its session, its stimulation (or null), its data journal directory (or
     * null) and how to stop it. A stop asked for while it was being set up is applied now.
     */
    synchronized void running(ClosedLoopSession s, StimRun st, String journalDir, Consumer<String> stop) {
        session = s;
        stim = st == null ? null : st.control();
        journal = journalDir;
        stopper = stop;
        if (stopRequested) {
            stop.accept(stopReason);
        }
    }

    /**
     * The live run ended (main thread) with its exit code and, when not 0, why.
     *
     * @return true when the daemon now waits for a start ({@code --serve}, no shutdown asked for)
     */
    synchronized boolean ended(int exit, String fault) {
        session = null;
        stim = null;
        stopper = null;
        lastExit = exit;
        lastFault = fault;
        worstExit = Math.max(worstExit, exit);
        state = serve && !shutdown ? IDLE : ENDED;
        return state.equals(IDLE);
    }

    /**
     * The next run (main thread), waiting for {@code POST /api/run/start}; null when the daemon is to exit: at once
     * without {@code --serve}, else on a shutdown (SIGTERM, {@code POST /api/stop}).
     */
    synchronized Start awaitStart() throws InterruptedException {
        while (serve && !shutdown && pending == null) {
            wait();
        }
        if (!serve || shutdown) {
            state = ENDED;
            return null;
        }
        Start s = pending;
        pending = null;
        return s;
    }

    @Override
    public synchronized Json.Obj start(String who, String reason) {
        if (!serve) {
            throw new IllegalStateException("this daemon holds one run (started without --serve); run " + number
                    + " is " + (state.equals(RUNNING) ? "live" : "over and the daemon is exiting"));
        }
        if (shutdown) {
            throw new IllegalStateException("the daemon is shutting down");
        }
        if (!state.equals(IDLE)) {
            throw new IllegalStateException("run " + number + " is " + (stopRequested ? "stopping" : "live")
                    + "; stop it first (POST /api/run/stop) and start when it has ended");
        }
        number++;
        state = RUNNING;
        stopRequested = false;
        stopReason = null;
        journal = null;
        pending = new Start(number, who, reason);
        notifyAll();
        return Json.object().put("accepted", "run-start").put("run", number);
    }

    @Override
    public synchronized Json.Obj stop(String reason, Runnable accepted) {
        if (!state.equals(RUNNING)) {
            throw new IllegalStateException(state.equals(IDLE) ? "no run is live: run " + number
                    + " ended with exit " + lastExit + "; start one with POST /api/run/start"
                    : "no run is live; the daemon is exiting");
        }
        if (stopRequested) {
            throw new IllegalStateException("run " + number + " is stopping already");
        }
        accepted.run();
        requestStop(reason);
        return Json.object().put("accepted", "run-stop").put("run", number);
    }

    /**
     * SIGTERM or {@code POST /api/stop}: stops the live run, if any, and lets no other start; the daemon exits when
     * the run has ended. Any thread.
     */
    synchronized void shutdown(String reason) {
        shutdown = true;
        if (state.equals(RUNNING) && !stopRequested) {
            requestStop(reason);
        }
        notifyAll();
    }

    private void requestStop(String reason) {
        stopRequested = true;
        stopReason = reason;
        if (stopper != null) {
            stopper.accept(reason);
        }
    }

    /** The highest exit code of the runs that ended (0 before any). */
    synchronized int worstExit() {
        return worstExit;
    }

    /** Journals a control action into the live run's data journal; nothing between runs (the control log has it). */
    void journalControlAction(String who, String what, String outcome) {
        ClosedLoopSession s = session;
        if (s != null) {
            s.journalControlAction(who, what, outcome);
        }
    }

    /**
     * The live run's session.
     *
     * @throws IllegalStateException between runs
     */
    ClosedLoopSession session() {
        ClosedLoopSession s = session;
        if (s == null) {
            throw new IllegalStateException("no run is live");
        }
        return s;
    }

    /**
     * The control API's stimulation: the live run's; between runs nothing is armed, no fault is latched, arming is
     * refused, and a disarm or an e-stop has nothing to stop.
     */
    ControlServer.Stim stimControl() {
        return new ControlServer.Stim() {
            @Override
            public String arm(String reason) throws InterruptedException {
                ControlServer.Stim s = stim;
                return s == null ? "no run is live; start one with POST /api/run/start (it starts disarmed)"
                        : s.arm(reason);
            }

            @Override
            public void disarm(String reason) throws InterruptedException {
                ControlServer.Stim s = stim;
                if (s != null) {
                    s.disarm(reason);
                }
            }

            @Override
            public void estop(String reason) {
                ControlServer.Stim s = stim;
                if (s != null) {
                    s.estop(reason);
                }
            }

            @Override
            public boolean armed() {
                ControlServer.Stim s = stim;
                return s != null && s.armed();
            }

            @Override
            public String fault() {
                ControlServer.Stim s = stim;
                return s == null ? null : s.fault();
            }
        };
    }

    /**
     * The status's {@code run} key: {@code state} (running, idle, ended), {@code number}, {@code serve},
     * {@code stopping}, {@code journal}, {@code last_exit}, {@code last_fault}, {@code exit_code}.
     */
    synchronized Json.Obj json() {
        Json.Obj o = Json.object().put("state", state).put("number", number).put("serve", serve)
                .put("stopping", state.equals(RUNNING) && stopRequested);
        if (journal != null) {
            o.put("journal", journal);
        } else {
            o.node().putNull("journal");
        }
        if (lastExit != null) {
            o.put("last_exit", (int) lastExit);
        } else {
            o.node().putNull("last_exit");
        }
        if (lastFault != null) {
            o.put("last_fault", lastFault);
        } else {
            o.node().putNull("last_fault");
        }
        return o.put("exit_code", worstExit);
    }
}
