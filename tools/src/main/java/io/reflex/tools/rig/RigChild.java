package io.reflex.tools.rig;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@code reflex} child process of the LSL rig: the same JVM binary, flags and class path as this one, running
 * {@code ReflexCli} with the given arguments. Its stdout is read line by line into a queue, its stderr into a bounded
 * tail (for error messages), both as they come so that the child never blocks on a full pipe.
 */
final class RigChild implements AutoCloseable {
    /** How much of a child's stderr is kept. */
    static final int ERR_TAIL_CHARS = 4_000;
    /** Lines of a child's stdout kept before it blocks (the peers print a handful, the daemon one). */
    static final int MAX_LINES = 1_000;

    private final String role;
    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>(MAX_LINES);
    private final StringBuilder errTail = new StringBuilder();
    private final Thread outReader;
    private final Thread errReader;

    private RigChild(String role, Process process) {
        this.role = role;
        this.process = process;
        this.outReader = reader(role + "-stdout", process.getInputStream(), true);
        this.errReader = reader(role + "-stderr", process.getErrorStream(), false);
    }

    /** Starts {@code reflex args...} as a child named {@code role} in reports, in {@code dir}. */
    static RigChild start(String role, Path dir, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-") || a.startsWith("--enable-native") || a.startsWith("--sun-misc")
                    || a.startsWith("-Dchronicle") || a.startsWith("-Dorg.slf4j") || a.startsWith("-Dreflex.")) {
                cmd.add(a);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("io.reflex.tools.ReflexCli");
        cmd.addAll(args);
        try {
            return new RigChild(role, new ProcessBuilder(cmd).directory(dir.toFile()).start());
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the " + role + " process: " + e.getMessage(), e);
        }
    }

    private Thread reader(String name, InputStream in, boolean toQueue) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (toQueue) {
                        lines.offer(line);
                    } else {
                        synchronized (errTail) {
                            errTail.append(line).append('\n');
                            if (errTail.length() > ERR_TAIL_CHARS) {
                                errTail.delete(0, errTail.length() - ERR_TAIL_CHARS);
                            }
                        }
                    }
                }
            } catch (IOException e) {
                // the child's pipe closed: it ended or was killed
            }
        }, "rig-" + name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    String role() {
        return role;
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    /** The last {@link #ERR_TAIL_CHARS} characters the child wrote on stderr. */
    String errTail() {
        synchronized (errTail) {
            return errTail.toString().strip();
        }
    }

    /** Why the child is gone, for error messages: its exit code and its stderr's tail. */
    String death() {
        String exit = process.isAlive() ? "still running" : "exit code " + process.exitValue();
        // the stderr reader may still be copying the child's last words
        join(errReader, 1_000);
        String tail = errTail();
        return "the " + role + " process (pid " + process.pid() + ") ended (" + exit + ")"
                + (tail.isEmpty() ? ", nothing on stderr" : "; its stderr:\n" + tail);
    }

    /**
     * The next stdout line starting with {@code prefix} (lines before it are skipped), waiting at most {@code
     * timeoutS}; fails naming the child when it ends first or the time runs out.
     */
    String await(String prefix, double timeoutS) throws InterruptedException {
        return await(prefix, timeoutS, List.of());
    }

    /** As {@link #await(String, double)}, failing as well as soon as one of {@code watched} has ended. */
    String await(String prefix, double timeoutS, List<RigChild> watched) throws InterruptedException {
        long deadline = System.nanoTime() + (long) (timeoutS * 1e9);
        while (true) {
            for (RigChild c : watched) {
                if (c != this && !c.alive()) {
                    throw new IllegalStateException("waiting for the " + role + " process to say '" + prefix.strip()
                            + "': " + c.death());
                }
            }
            String l = lines.poll(50, TimeUnit.MILLISECONDS);
            if (l != null) {
                if (l.startsWith(prefix)) {
                    return l;
                }
                continue;
            }
            if (!process.isAlive() && !outReader.isAlive() && lines.isEmpty()) {
                throw new IllegalStateException("waiting for '" + prefix.strip() + "': " + death());
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("the " + role + " process (pid " + process.pid() + ") did not say '"
                        + prefix.strip() + "' within " + timeoutS + " s; its stderr:\n" + errTail());
            }
        }
    }

    /** Writes one line to the child's stdin. */
    void send(String line) {
        try {
            OutputStream in = process.getOutputStream();
            in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
        } catch (IOException e) {
            throw new IllegalStateException("cannot write to the " + role + " process: " + death(), e);
        }
    }

    /** Closes the child's stdin (the peers end on it). */
    void closeStdin() {
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // already gone: nothing more to tell it
        }
    }

    /**
     * SIGTERM (the daemon's orderly stop), through the process handle: {@code Process.destroy()} would also close
     * this side of the child's stdout, losing the summary it prints on the way out. True when it ended within
     * {@code timeoutS}.
     */
    boolean terminate(double timeoutS) throws InterruptedException {
        process.toHandle().destroy();
        return waitFor(timeoutS);
    }

    boolean waitFor(double timeoutS) throws InterruptedException {
        boolean ended = process.waitFor((long) (timeoutS * 1000), TimeUnit.MILLISECONDS);
        if (ended) {
            join(outReader, 2_000);
        }
        return ended;
    }

    int exitValue() {
        return process.exitValue();
    }

    private static void join(Thread t, long ms) {
        try {
            t.join(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Kills the child if it still runs and waits for it to be gone. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
