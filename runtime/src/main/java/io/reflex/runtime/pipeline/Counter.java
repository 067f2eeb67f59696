package io.reflex.runtime.pipeline;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** A counter with one writing thread and any number of readers; increments allocate nothing. */
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

    /** Adds one; call only from the owning thread. */
    public void increment() {
        VALUE.setRelease(this, (long) VALUE.getOpaque(this) + 1);
    }

    public long get() {
        return (long) VALUE.getAcquire(this);
    }

    public String name() {
        return name;
    }
}
