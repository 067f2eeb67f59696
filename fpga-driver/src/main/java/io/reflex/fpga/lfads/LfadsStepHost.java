package io.reflex.fpga.lfads;

import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.fpga.device.DeviceBuffer;
import io.reflex.fpga.device.DeviceException;
import io.reflex.fpga.device.KernelDevice;
import io.reflex.fpga.host.HostStatus;
import io.reflex.fpga.host.KernelInvoker;
import java.util.Arrays;

/**
 * Host program of {@code lfads_kernel} built with {@code CAUSAL=1} (the causal-step core; hdl/README.md, "LFADS
 * causal-step buffers"), over any {@link KernelDevice}: the model image is written and loaded once, then each call
 * sends {@code n} bins of counts, optionally resets the stream first, runs {@code n} causal steps on the state the
 * kernel keeps between calls, and reads back one record (Q12 factors and log-rates) per bin, after checking the
 * kernel's status word. Buffers are sized for the build at construction: {@code T_MAX} bins per call, and the
 * largest causal state of the build ({@link LfadsStepState#maxBytes}).
 *
 * <p>The causal state moves through the {@code state} buffer (argument 5) in the kernel's own layout
 * ({@link LfadsStepState}): a call with {@link #FLAG_SAVE} writes it after the run ({@link #readState} then copies
 * it to the host), one with {@link #FLAG_RESTORE} reads it before the run ({@link #writeState} puts it there first).
 *
 * <p>Per-call methods allocate nothing once the (flags, bins) pair has been used (or {@link #prepare}d) and return a
 * {@link HostStatus} code: 0, the kernel's status (1 bad magic, 2 dimensions differ, 3 no model, 4 n_bins out of
 * range, 5 the state's header differs from the model, 7 an AXI error response), or a negative host/device code;
 * {@link #lastError()} says why. Owned by one thread.
 */
public final class LfadsStepHost implements AutoCloseable {
    /** Flag: load the model buffer (also resets the stream). */
    public static final int FLAG_LOAD = 1;
    /** Flag: run {@code n_bins} causal steps. */
    public static final int FLAG_RUN = 2;
    /** Flag: reset the stream to the initial states before running. */
    public static final int FLAG_RESET = 4;
    /** Flag: write the causal state into the state buffer after the run (or alone, with no bins). */
    public static final int FLAG_SAVE = 8;
    /** Flag: read the causal state from the state buffer before the run (after LOAD and RESET). */
    public static final int FLAG_RESTORE = 16;
    /** Byte the output buffer is filled with by {@link #poisonOutput()}. */
    public static final byte POISON = (byte) 0xA5;

    private final KernelDevice device;
    private final LfadsStepImage.Build build;
    private final LfadsKernelImage.Build io;
    private final DeviceBuffer model;
    private final DeviceBuffer counts;
    private final DeviceBuffer out;
    private final DeviceBuffer state;
    private final KernelInvoker invoker;
    private final byte[] inStage;
    private final byte[] outStage;
    private boolean written;
    private boolean loaded;

    /**
     * Allocates the model, counts and output buffers of a build on the device.
     *
     * @param device    an {@code lfads_kernel} built with the parameters of {@code build}
     * @param build     the build's parameters
     * @param timeoutMs wait limit of one invocation
     * @throws DeviceException when the device is not an lfads_kernel or refuses the buffers
     */
    public LfadsStepHost(KernelDevice device, LfadsStepImage.Build build, long timeoutMs) {
        if (!"lfads_kernel".equals(device.abi().name())) {
            throw new DeviceException("LfadsStepHost drives lfads_kernel, not " + device.abi().name());
        }
        this.device = device;
        this.build = build;
        this.io = build.io();
        int tMax = build.tMax();
        this.inStage = new byte[LfadsKernelImage.countsBytes(io, tMax)];
        this.outStage = new byte[LfadsKernelImage.recordBytes(io, tMax)];
        DeviceBuffer[] bufs = new DeviceBuffer[device.abi().argCount()];
        this.model = device.alloc(0, LfadsStepImage.modelBytes(build));
        this.counts = device.alloc(1, inStage.length);
        this.out = device.alloc(2, outStage.length);
        this.state = device.alloc(5, LfadsStepState.maxBytes(build));
        bufs[0] = model;
        bufs[1] = counts;
        bufs[2] = out;
        bufs[5] = state;
        // n_bins T_MAX + 1 is accepted so that the kernel's own range check can be exercised
        this.invoker = new KernelInvoker(device, bufs, 3, 4, tMax + 1, timeoutMs);
    }

    /** The build this host program was sized for. */
    public LfadsStepImage.Build build() {
        return build;
    }

    /** The device. */
    public KernelDevice device() {
        return device;
    }

    /**
     * Writes a model image (from {@link LfadsStepImage#model}, or any bytes) into the model buffer; the next call
     * with {@link #FLAG_LOAD} loads it.
     *
     * @return a {@link HostStatus} code
     */
    public int writeModel(byte[] image) {
        if (image.length > model.size()) {
            return invoker.fail(HostStatus.BAD_ARGUMENT, "image of " + image.length + " bytes exceeds the model buffer ("
                    + model.size() + ")");
        }
        if (model.write(image, 0, 0, image.length) != KernelDevice.OK) {
            return invoker.fail(HostStatus.DEVICE_ERROR, device.lastError());
        }
        int s = invoker.sync(model, DeviceBuffer.TO_DEVICE, image.length);
        written = s == HostStatus.OK;
        return s;
    }

    /**
     * Packs a causal bundle for this build, writes it and loads it (LOAD, no steps). Set-up time.
     *
     * @return a {@link HostStatus} code
     * @throws IllegalArgumentException when the bundle does not fit the build
     */
    public int load(ModelBundle bundle) {
        int s = writeModel(LfadsStepImage.model(bundle, build));
        return s != HostStatus.OK ? s : control(FLAG_LOAD);
    }

    /** Prepares the run of a (flags, bins) pair ahead of the hot path (set-up time; may throw). */
    public void prepare(int flags, int bins) {
        invoker.prepare(flags, bins);
    }

    /**
     * An invocation without steps ({@code n_bins} 0): LOAD, RESET, RESTORE and/or SAVE.
     *
     * @return a {@link HostStatus} code
     */
    public int control(int flags) {
        return invokeRaw(flags, 0);
    }

    /**
     * Starts the kernel with these flags and {@code n_bins} without sending counts or reading records (for LOAD or
     * RESET alone, and for exercising the kernel's refusals, e.g. {@code n_bins} 0 or T_MAX + 1 with RUN).
     *
     * @param bins in [0, T_MAX + 1]
     * @return a {@link HostStatus} code
     */
    public int invokeRaw(int flags, int bins) {
        int s = invoker.invoke(flags, bins);
        track(flags, s);
        return s;
    }

    /**
     * One invocation with steps: {@code bins} bins of Q0 counts in ({@code [bins][D]} from {@code off}), optional
     * RESET (and LOAD), {@code bins} causal steps, {@code [bins][F]} Q12 factors and {@code [bins][RO]} Q12
     * log-rates out. On any status but OK the output arrays are left as they were.
     *
     * @param flags {@link #FLAG_RUN} plus optionally {@link #FLAG_RESET}, {@link #FLAG_LOAD}, {@link #FLAG_RESTORE},
     *              {@link #FLAG_SAVE}
     * @param bins  in [1, T_MAX]
     * @return a {@link HostStatus} code
     */
    public int step(int flags, short[] countsQ, int off, int bins, short[] factorsQ, short[] logRatesQ) {
        if ((flags & FLAG_RUN) == 0 || bins < 1 || bins > build.tMax() || off < 0
                || countsQ.length - off < bins * build.d() || factorsQ.length < bins * build.f()
                || logRatesQ.length < bins * build.ro()) {
            return invoker.fail(HostStatus.BAD_ARGUMENT, "step needs RUN, bins in [1, " + build.tMax()
                    + "] and arrays of bins × D, F, RO");
        }
        if (!loaded && (flags & FLAG_LOAD) == 0) {
            return invoker.fail(HostStatus.NOT_LOADED, "no model loaded through this host program");
        }
        if ((flags & FLAG_LOAD) != 0 && !written) {
            return invoker.fail(HostStatus.NOT_LOADED, "no model image written");
        }
        int bytes = LfadsKernelImage.packCounts(io, countsQ, off, bins, inStage);
        if (counts.write(inStage, 0, 0, bytes) != KernelDevice.OK) {
            return invoker.fail(HostStatus.DEVICE_ERROR, device.lastError());
        }
        int s = invoker.sync(counts, DeviceBuffer.TO_DEVICE, bytes);
        if (s != HostStatus.OK) {
            return s;
        }
        s = invoker.invoke(flags, bins);
        track(flags, s);
        if (s != HostStatus.OK) {
            return s;
        }
        int rb = LfadsKernelImage.recordBytes(io, bins);
        s = invoker.sync(out, DeviceBuffer.FROM_DEVICE, rb);
        if (s != HostStatus.OK) {
            return s;
        }
        if (out.read(0, outStage, 0, rb) != KernelDevice.OK) {
            return invoker.fail(HostStatus.DEVICE_ERROR, device.lastError());
        }
        LfadsKernelImage.unpackRecords(io, outStage, bins, factorsQ, 0, logRatesQ, 0);
        return HostStatus.OK;
    }

    private void track(int flags, int s) {
        if ((flags & FLAG_LOAD) != 0) {
            // a refused LOAD unloads the model on the kernel too
            loaded = s == HostStatus.OK;
        }
    }

    /** Bytes of the state buffer (the largest state of the build). */
    public int stateBytes() {
        return (int) state.size();
    }

    /**
     * Copies the first {@code len} bytes of the state buffer as the device holds them (what the last SAVE wrote)
     * into {@code dst}.
     *
     * @return a {@link HostStatus} code
     */
    public int readState(byte[] dst, int len) {
        if (len < 0 || len > state.size() || dst.length < len) {
            return invoker.fail(HostStatus.BAD_ARGUMENT, "state length outside the state buffer");
        }
        int s = invoker.sync(state, DeviceBuffer.FROM_DEVICE, len);
        if (s != HostStatus.OK) {
            return s;
        }
        return state.read(0, dst, 0, len) == KernelDevice.OK ? HostStatus.OK
                : invoker.fail(HostStatus.DEVICE_ERROR, device.lastError());
    }

    /**
     * Puts {@code len} bytes of a kernel state ({@link LfadsStepState}) into the state buffer, for the next call with
     * {@link #FLAG_RESTORE}.
     *
     * @return a {@link HostStatus} code
     */
    public int writeState(byte[] src, int len) {
        if (len < 0 || len > state.size() || src.length < len) {
            return invoker.fail(HostStatus.BAD_ARGUMENT, "state length outside the state buffer");
        }
        if (state.write(src, 0, 0, len) != KernelDevice.OK) {
            return invoker.fail(HostStatus.DEVICE_ERROR, device.lastError());
        }
        return invoker.sync(state, DeviceBuffer.TO_DEVICE, len);
    }

    /** Fills the whole state buffer with {@link #POISON} on the device, so that a SAVE that writes nothing shows. */
    public int poisonState() {
        byte[] p = new byte[(int) state.size()];
        Arrays.fill(p, POISON);
        return writeState(p, p.length);
    }

    /** Fills the whole output buffer with {@link #POISON} on the device, so that a run that writes nothing shows. */
    public int poisonOutput() {
        Arrays.fill(outStage, POISON);
        if (out.write(outStage, 0, 0, outStage.length) != KernelDevice.OK) {
            return invoker.fail(HostStatus.DEVICE_ERROR, device.lastError());
        }
        return invoker.sync(out, DeviceBuffer.TO_DEVICE, outStage.length);
    }

    /** Copies the first {@code len} bytes of the output buffer as the device holds them into {@code dst}. */
    public int readRawOutput(byte[] dst, int len) {
        int s = invoker.sync(out, DeviceBuffer.FROM_DEVICE, len);
        if (s != HostStatus.OK) {
            return s;
        }
        return out.read(0, dst, 0, len) == KernelDevice.OK ? HostStatus.OK
                : invoker.fail(HostStatus.DEVICE_ERROR, device.lastError());
    }

    /** True after a successful LOAD through this host program (and no refused LOAD since). */
    public boolean loaded() {
        return loaded;
    }

    /** Device cycles of the last invocation. */
    public long lastCycles() {
        return invoker.lastCycles();
    }

    /** Why the last call did not return OK, or {@code ""}. */
    public String lastError() {
        return invoker.lastError();
    }

    /** A description of a status code of this host program. */
    public String describe(int status) {
        return HostStatus.describe(status, device.abi());
    }

    /** Closes the runs and frees the buffers (in reverse order), not the device. Never throws. */
    @Override
    public void close() {
        invoker.close();
        state.close();
        out.close();
        counts.close();
        model.close();
    }
}
