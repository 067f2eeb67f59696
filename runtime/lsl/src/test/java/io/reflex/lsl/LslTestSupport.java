package io.reflex.lsl;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.agrona.ErrorHandler;

/** Helpers shared by the LSL tests: the loopback configuration, unique names, thread accounting. */
public final class LslTestSupport {
    private LslTestSupport() {
    }

    /** Loopback only, quick reconnects so recovery tests finish fast. */
    public static LslConfig config() {
        return LslConfig.loopback().reconnectDelayS(0.05).handshakeTimeoutS(2.0).timeUpdateIntervalS(0.5)
                .timeProbeIntervalS(0.005).timeProbeMaxRttS(0.05).conclude();
    }

    /** A Java inlet for {@code outlet}'s stream on loopback (this configuration, default options, errors ignored), open. */
    public static JavaInlet openInlet(JavaOutlet outlet) {
        JavaInlet inlet = new JavaInlet(outlet.info().toBuilder().v4address("127.0.0.1").build(), config(),
                new InletOptions(), error -> { });
        inlet.open(5);
        return inlet;
    }

    public static String uniqueName(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    public static StreamInfo info(String name, ChannelFormat format, int channels, double srate) {
        return StreamInfo.builder(name, "Test", channels, srate, format, name + "-sid").build();
    }

    /** Live threads started by the LSL code (all are named lsl-...). */
    public static List<Thread> lslThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("lsl-")).toList();
    }

    /**
     * Spins (yielding) until the condition holds; the caller's @Timeout bounds the wait (it interrupts the test
     * thread, so the spin gives up on an interrupt instead of outliving the timeout).
     */
    public static void await(BooleanSupplier condition) {
        while (!condition.getAsBoolean()) {
            if (Thread.currentThread().isInterrupted()) {
                throw new AssertionError("interrupted (test timeout) while waiting for a condition");
            }
            Thread.yield();
        }
    }

    /**
     * Polls (yielding) until the condition holds or {@code timeoutS} passes; returns whether it held. For counters
     * a service thread bumps just after its reply has gone out, so a test that has the reply may read them early.
     */
    public static boolean eventually(BooleanSupplier condition, double timeoutS) {
        long deadlineNs = System.nanoTime() + (long) (timeoutS * 1e9);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadlineNs > 0) {
                return condition.getAsBoolean();
            }
            Thread.yield();
        }
        return true;
    }

    /** Collects errors reported by LSL components: each {@link LslError} and its message ({@code where: what}). */
    public static final class Errors implements ErrorHandler {
        public final List<String> messages = Collections.synchronizedList(new ArrayList<>());
        public final List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void onError(Throwable error) {
            errors.add(error);
            messages.add(error.getMessage());
        }

        /** The first error whose message contains {@code fragment}, or null. */
        public Throwable first(String fragment) {
            synchronized (errors) {
                return errors.stream().filter(e -> e.getMessage().contains(fragment)).findFirst().orElse(null);
            }
        }

        public boolean contains(String fragment) {
            synchronized (messages) {
                return messages.stream().anyMatch(m -> m.contains(fragment));
            }
        }
    }
}
