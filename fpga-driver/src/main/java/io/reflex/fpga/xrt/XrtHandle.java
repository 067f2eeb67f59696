package io.reflex.fpga.xrt;

import io.reflex.fpga.device.DeviceException;
import java.util.ArrayList;
import java.util.List;

/**
 * An XRT handle ({@code void*}) with its lifetime: never NULL while open, 0 once closed, children closed before their
 * parent (XRT crashes when a device is closed under an open kernel, or when kernel, buffer or run handles outlive the
 * program). Opening and closing are set-up work and serialise on one lock; the per-invocation calls of the subclasses
 * only read {@link #handle} and refuse a closed one.
 */
public abstract class XrtHandle implements AutoCloseable {

    /** Guards the open/close bookkeeping of every handle. */
    static final Object LOCK = new Object();

    /** The C handle; 0 once closed. Written under {@link #LOCK}, read by the owning thread. */
    long handle;
    private final XrtRuntime runtime;
    private final XrtHandle parent;
    private final List<XrtHandle> children = new ArrayList<>();
    private int releaseCode;

    XrtHandle(XrtRuntime runtime, XrtHandle parent, long handle) {
        this.runtime = runtime;
        this.parent = parent;
        this.handle = handle;
        synchronized (LOCK) {
            if (parent != null) {
                parent.children.add(this);
            } else {
                runtime.register(this);
            }
        }
    }

    /** Whether the handle is still open. */
    public final boolean isOpen() {
        return handle != 0;
    }

    /** The runtime the handle belongs to. */
    public final XrtRuntime runtime() {
        return runtime;
    }

    /** Releases the C handle ({@code xrt*Close} / {@code xrt*Free}); returns its return code. */
    abstract int release(long h);

    /** Closes the children, then this handle. Idempotent; never throws. */
    @Override
    public final void close() {
        synchronized (LOCK) {
            if (handle == 0) {
                return;
            }
            for (int i = children.size() - 1; i >= 0; i--) {
                children.get(i).close();
            }
            long h = handle;
            handle = 0;
            try {
                releaseCode = release(h);
            } catch (RuntimeException | LinkageError e) {
                // close() never throws: a failed release leaves nothing the caller could do but look at the code.
                releaseCode = Integer.MIN_VALUE;
            }
            if (parent != null) {
                parent.children.remove(this);
            } else {
                runtime.unregister(this);
            }
        }
    }

    /**
     * What XRT returned when the handle was released (0 = fine; {@link Integer#MIN_VALUE} when the call itself
     * failed); 0 while open. {@link #close()} never throws, so this is where a failed release shows.
     */
    public final int releaseCode() {
        return releaseCode;
    }

    /** Throws when the handle was closed (set-up calls; per-invocation calls return an error code instead). */
    final long requireOpen(String what) {
        long h = handle;
        if (h == 0) {
            throw new DeviceException(what + ": the handle is closed");
        }
        return h;
    }
}
