package io.reflex.tools.faults;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.reflex.runtime.journal.JournalReader;
import io.reflex.runtime.journal.JournalRecord;
import io.reflex.runtime.stim.ChronicleStimJournal;
import io.reflex.stim.StimCommand;
import io.reflex.stim.StimEvent;
import io.reflex.stim.StimVerdict;
import io.reflex.stim.driver.StimWire;
import io.reflex.tools.CliProcess;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * The real {@code reflex daemon --json} as a child process for fault-injection tests: started with the test JVM's
 * class path and flags (plus {@code extraJvmArgs}, e.g. a small heap), its stderr collected line by line so that a
 * test can wait for a line, its stdout (the JSON summary) read at the end. Nothing here sleeps to synchronise:
 * waits are on the stderr lines arriving (with deadlines) or on the child's exit.
 */
final class FaultDaemon implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final List<String> errLines = new ArrayList<>();
    private final CompletableFuture<String> out;
    private final CompletableFuture<Void> errReader;

    private FaultDaemon(Process process) {
        this.process = process;
        this.errReader = CompletableFuture.runAsync(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getErrorStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    synchronized (errLines) {
                        errLines.add(line);
                        errLines.notifyAll();
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                synchronized (errLines) {
                    errLines.notifyAll();
                }
            }
        });
        this.out = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** Starts {@code reflex daemon --json --config cfg} in a child JVM. */
    static FaultDaemon start(Path cfg, String... extraJvmArgs) throws IOException {
        List<String> cmd = new ArrayList<>(CliProcess.command(List.of(extraJvmArgs)));
        cmd.add("daemon");
        cmd.add("--json");
        cmd.add("--config");
        cmd.add(cfg.toString());
        return new FaultDaemon(new ProcessBuilder(cmd).start());
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Every stderr line so far, one per line. */
    String stderr() {
        synchronized (errLines) {
            return String.join("\n", errLines);
        }
    }

    /** Waits until a stderr line matches, or the deadline passes, or the process ends (then false). */
    boolean awaitStderr(Predicate<String> line, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (errLines) {
            int seen = 0;
            while (true) {
                for (; seen < errLines.size(); seen++) {
                    if (line.test(errLines.get(seen))) {
                        return true;
                    }
                }
                long leftMs = (deadline - System.nanoTime()) / 1_000_000;
                if (leftMs <= 0 || errReader.isDone()) {
                    return false;
                }
                errLines.wait(Math.min(leftMs, 200));
            }
        }
    }

    /** Waits for the live phase (calibration and fit done). */
    void awaitLive(Duration timeout) throws InterruptedException {
        if (!awaitStderr(l -> l.startsWith("reflex: phase live"), timeout)) {
            throw new AssertionError("the daemon did not reach the live phase within " + timeout + "; stderr:\n"
                    + stderr());
        }
    }

    /** Sends a signal with kill(1). */
    void signal(String name) throws IOException, InterruptedException {
        int rc = new ProcessBuilder("kill", "-" + name, Long.toString(pid())).start().waitFor();
        if (rc != 0) {
            throw new AssertionError("kill -" + name + " " + pid() + " failed with " + rc);
        }
    }

    /** Waits for the exit; returns the exit code. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the daemon did not exit within " + timeout + "; stderr:\n" + stderr());
        }
        return process.exitValue();
    }

    /** The JSON summary on stdout (after the exit). */
    JsonNode report() throws Exception {
        errReader.get(10, TimeUnit.SECONDS);
        String stdout = out.get(10, TimeUnit.SECONDS).strip();
        if (stdout.isEmpty()) {
            throw new AssertionError("no JSON summary on stdout; stderr:\n" + stderr());
        }
        return JSON.readTree(stdout);
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }

    /** JSON-escapes a path for a config file. */
    static String json(Path p) {
        return p.toAbsolutePath().toString().replace("\\", "\\\\");
    }

    /**
     * Waits for {@code condition} with a deadline, checking it every few milliseconds (for conditions that have no
     * event to wait on, e.g. a counter in another process's file).
     */
    static boolean poll(BooleanSupplier condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(10_000_000L);
        }
        return true;
    }

    /**
     * The daemon's UDP command mirror ({@code stim.udp}): counts the COMMAND frames that left the process, on a
     * thread of its own; {@link #awaitCommands} waits for a count.
     */
    static final class CommandMonitor implements AutoCloseable {
        private final DatagramSocket socket;
        private final Thread thread;
        private final Map<Long, Long> received = new LinkedHashMap<>();
        private long commands;

        CommandMonitor() throws SocketException {
            socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            thread = new Thread(this::receive, "fault-test-udp-monitor");
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        private void receive() {
            byte[] buf = new byte[StimWire.MAX_FRAME];
            StimWire wire = new StimWire();
            try {
                while (true) {
                    DatagramPacket d = new DatagramPacket(buf, buf.length);
                    socket.receive(d);
                    ByteBuffer bb = ByteBuffer.wrap(buf, 0, d.getLength()).order(ByteOrder.LITTLE_ENDIAN);
                    long receivedNs = System.nanoTime();
                    if (wire.parse(bb) == StimWire.FRAME && wire.type() == StimWire.COMMAND) {
                        synchronized (this) {
                            received.put(wire.sequence(), receivedNs);
                            commands++;
                            notifyAll();
                        }
                    }
                }
            } catch (IOException closed) {
                // the socket was closed: the test is over
            }
        }

        synchronized long commands() {
            return commands;
        }

        /**
         * When each command arrived here, by sequence, on this process's {@link System#nanoTime()} (on Linux the
         * same CLOCK_MONOTONIC as the daemon's pipeline clock, so it compares with the journal's input times).
         */
        synchronized Map<Long, Long> receivedNs() {
            return new LinkedHashMap<>(received);
        }

        /** Waits until at least {@code n} commands were mirrored. */
        synchronized boolean awaitCommands(long n, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (commands < n) {
                long leftMs = (deadline - System.nanoTime()) / 1_000_000;
                if (leftMs <= 0) {
                    return false;
                }
                wait(leftMs);
            }
            return true;
        }

        @Override
        public void close() {
            socket.close();
        }
    }

    /**
     * Reads the run journal back; every record must follow its predecessor's sequence (nothing torn or lost before
     * the end). Returns the records read.
     */
    static long readRunJournal(Path file) throws IOException {
        long read = 0;
        long lastSeq = -1;
        try (JournalReader reader = new JournalReader(file)) {
            JournalRecord rec = new JournalRecord();
            while (reader.next(rec)) {
                if (rec.sequence != lastSeq + 1) {
                    throw new AssertionError("run journal " + file + ": record " + read + " has sequence "
                            + rec.sequence + " after " + lastSeq);
                }
                lastSeq = rec.sequence;
                read++;
            }
        }
        return read;
    }

    /** What a stimulation journal holds, read after the run. */
    static final class StimJournalContents {
        /** The last verdict journaled for each command sequence (a send-time refusal follows its acceptance). */
        final Map<Long, Integer> finalVerdict = new LinkedHashMap<>();
        /** For each sequence: journal time minus input acquisition time of its last record, ns. */
        final Map<Long, Long> inputAgeNs = new LinkedHashMap<>();
        /** For each sequence: the acquisition time of the input it was decided on (pipeline clock), ns. */
        final Map<Long, Long> inputTimeNs = new LinkedHashMap<>();
        final List<String> events = new ArrayList<>();
        long records;
        /** Commands journaled as accepted after the first fault event (must stay 0: a fault latches). */
        long acceptedAfterFault;
        private boolean faultSeen;

        static StimJournalContents read(Path dir) {
            StimJournalContents c = new StimJournalContents();
            ChronicleStimJournal.read(dir, new ChronicleStimJournal.Visitor() {
                @Override
                public void command(long sequence, long timeNs, int verdict, StimCommand command) {
                    c.records++;
                    if (c.faultSeen && verdict == StimVerdict.ACCEPTED) {
                        c.acceptedAfterFault++;
                    }
                    c.finalVerdict.put(sequence, verdict);
                    c.inputTimeNs.put(sequence, command.inputTimeNs());
                    c.inputAgeNs.put(sequence, command.inputTimeNs() == StimCommand.NO_INPUT_TIME ? Long.MAX_VALUE
                            : timeNs - command.inputTimeNs());
                }

                @Override
                public void event(long timeNs, int event, int code, String reason) {
                    c.records++;
                    c.faultSeen |= event == StimEvent.FAULT;
                    c.events.add(StimEvent.name(event) + ": " + reason);
                }
            });
            return c;
        }

        /** Sequences whose last verdict is ACCEPTED: the commands that were sent. */
        List<Long> sent() {
            List<Long> s = new ArrayList<>();
            finalVerdict.forEach((seq, v) -> {
                if (v == StimVerdict.ACCEPTED) {
                    s.add(seq);
                }
            });
            return s;
        }
    }
}
