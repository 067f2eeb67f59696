package io.reflex.runtime.pipeline;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A counter any thread may bump and read; increments are atomic and allocate nothing. Most counters have one
 * writing stage, but error counters are shared by the stages of a per-stage topology, so all are atomic (a few
 * nanoseconds per frame).
 */
public final class Counter {
    private static final VarHandle VALUE;

    static {
        try {
            VALUE = MethodHandles.lookup().findVarHandle(Counter.class, "value", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final String name;
    @SuppressWarnings("unused")
    private long value;

    public Counter(String name) {
        this.name = name;
    }

    /** Adds one. */
    public void increment() {
        // Called with its exact type (Counter, long)long so the VarHandle links without adaptation.
        long ignored = (long) VALUE.getAndAdd(this, 1L);
    }

    /** Adds {@code n}. */
    public void add(long n) {
        long ignored = (long) VALUE.getAndAdd(this, n);
    }

    public long get() {
        return (long) VALUE.getAcquire(this);
    }

    public String name() {
        return name;
    }
}
