package io.reflex.runtime.agent;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * Linux real-time scheduling for the calling thread ({@code SCHED_FIFO}), for the pipeline's critical threads. Under
 * the default scheduler a runnable thread can wait milliseconds behind a compiler thread, a kernel thread or another
 * process on the same core, and is moved to an idle core only at the next balance (measured: docs/frontend.md);
 * a {@code SCHED_FIFO} thread preempts every normal thread at once and is pushed to a free core at once.
 * Needs root or {@code CAP_SYS_NICE} (or an {@code RLIMIT_RTPRIO} at least the priority); the kernel's real-time
 * throttling (by default 0.95 s of every second) still leaves time to the rest.
 */
public final class Realtime {
    /** Highest priority accepted: 99 is left to the kernel's own threads (watchdogs, migration). */
    public static final int MAX_PRIORITY = 98;
    private static final int SCHED_FIFO = 1;

    private Realtime() {
    }

    /** libc's scheduler calls, bound on first use. */
    private interface LibC extends Library {
        int sched_setscheduler(int pid, int policy, int[] param) throws LastErrorException;
    }

    private static final class Holder {
        static final LibC LIBC = Native.load("c", LibC.class);
    }

    /**
     * Puts the calling thread under {@code SCHED_FIFO} at {@code priority}.
     *
     * @throws IllegalArgumentException for a priority outside 1..{@value #MAX_PRIORITY}
     * @throws IllegalStateException    when this is not Linux, libc cannot be bound, or the kernel refuses (the
     *                                  message names the errno and the cure)
     */
    public static void fifo(int priority) {
        if (priority < 1 || priority > MAX_PRIORITY) {
            throw new IllegalArgumentException("real-time priority " + priority + " outside 1.." + MAX_PRIORITY);
        }
        if (!Platform.isLinux()) {
            throw new IllegalStateException("real-time priority needs Linux (this is " + System.getProperty("os.name")
                    + ")");
        }
        try {
            Holder.LIBC.sched_setscheduler(0, SCHED_FIFO, new int[] {priority});
        } catch (LastErrorException e) {
            int errno = e.getErrorCode();
            String why = errno == 1 ? "EPERM: not permitted; run as root, or grant CAP_SYS_NICE (systemd: "
                    + "AmbientCapabilities=CAP_SYS_NICE) or LimitRTPRIO=" + priority + " or more"
                    : "errno " + errno;
            throw new IllegalStateException("sched_setscheduler(SCHED_FIFO, " + priority + ") failed: " + why, e);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            throw new IllegalStateException("real-time priority: libc's sched_setscheduler not available: " + e, e);
        }
    }

    /**
     * The calling thread's scheduling policy and priority as the kernel has them, e.g. {@code "fifo 10"} or
     * {@code "other 0"}, read from {@code /proc/thread-self/stat}; null where that cannot be read.
     */
    public static String current() {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/thread-self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // fields from 3 on: rt_priority is field 40, policy field 41
            int rt = Integer.parseInt(f[40 - 3]);
            int policy = Integer.parseInt(f[41 - 3]);
            String name = switch (policy) {
                case 0 -> "other";
                case 1 -> "fifo";
                case 2 -> "rr";
                case 3 -> "batch";
                case 5 -> "idle";
                case 6 -> "deadline";
                default -> "policy" + policy;
            };
            return name + " " + rt;
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }
}
