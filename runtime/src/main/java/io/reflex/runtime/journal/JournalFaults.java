package io.reflex.runtime.journal;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The journal faults of one run: the first fault of the data journal ({@link #DATA}) and of the stimulation journal
 * ({@link #STIM}), each told once to every listener, from the thread that saw it, when it happens. A journal that
 * faulted writes nothing more; the run cannot go on without its record, so the listeners stop stimulation, print
 * the fatal line and end the run as failed. Thread-safe; listeners are added before the journals open.
 */
public final class JournalFaults {
    /** The run's data journal (every frame). */
    public static final String DATA = "journal";
    /** The write-ahead stimulation journal. */
    public static final String STIM = "stim journal";

    /** Hears of a journal fault once, on the thread that saw it. Must not throw and must not block for long. */
    @FunctionalInterface
    public interface Listener {
        /**
         * @param journal {@link #DATA} or {@link #STIM}
         * @param reason  what happened, naming the cause and the directory
         */
        void onJournalFault(String journal, String reason);
    }

    private final AtomicReference<String> data = new AtomicReference<>();
    private final AtomicReference<String> stim = new AtomicReference<>();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();

    /** Adds a listener; returns this. */
    public JournalFaults listener(Listener listener) {
        listeners.add(listener);
        return this;
    }

    /**
     * Records a fault of {@code journal}; only the first per journal is kept and told to the listeners.
     *
     * @return true when this was that journal's first fault
     */
    public boolean report(String journal, String reason) {
        AtomicReference<String> slot = STIM.equals(journal) ? stim : data;
        if (!slot.compareAndSet(null, reason)) {
            return false;
        }
        for (Listener l : listeners) {
            try {
                l.onJournalFault(journal, reason);
            } catch (RuntimeException e) {
                // A listener must not keep the others from hearing of the fault.
                System.err.println("reflex: journal fault listener failed: " + e);
            }
        }
        return true;
    }

    /** The data journal's fault, or null. */
    public String dataFault() {
        return data.get();
    }

    /** The stimulation journal's fault, or null. */
    public String stimFault() {
        return stim.get();
    }

    /** True when either journal faulted. */
    public boolean any() {
        return data.get() != null || stim.get() != null;
    }
}
