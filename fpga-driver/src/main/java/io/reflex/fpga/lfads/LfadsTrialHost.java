package io.reflex.fpga.lfads;

import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.fpga.device.DeviceBuffer;
import io.reflex.fpga.device.DeviceException;
import io.reflex.fpga.device.KernelDevice;
import io.reflex.fpga.host.HostStatus;
import io.reflex.fpga.host.KernelInvoker;
import java.util.Arrays;

/**
 * Host program of {@code lfads_kernel} built with {@code CAUSAL=0} (the trial core; hdl/README.md, "LFADS
 * buffers"), over any {@link KernelDevice}: the model image is written and loaded once, then each call sends a
 * window of {@code bins} bins of counts and reads back {@code bins + recon_seq_len − encod_seq_len} records (Q12
 * factors and log-rates) after checking the kernel's status word. Buffers are sized at construction for windows of
 * up to {@code T_MAX} bins and models with up to {@code maxExtraSteps} forward-prediction steps.
 *
 * <p>Per-call methods allocate nothing once the (flags, bins) pair has been used (or {@link #prepare}d) and return a
 * {@link HostStatus} code: 0, the kernel's status (1 bad magic, 2 dimensions differ, 3 no model, 4 n_bins out of
 * range), or a negative host/device code; {@link #lastError()} says why. Owned by one thread.
 */
public final class LfadsTrialHost implements AutoCloseable {
    /** Flag: load the model buffer. */
    public static final int FLAG_LOAD = 1;
    /** Flag: run the trial over {@code n_bins} bins. */
    public static final int FLAG_RUN = 2;
    /** Byte the output buffer is filled with by {@link #poisonOutput()}. */
    public static final byte POISON = (byte) 0xA5;

    private final KernelDevice device;
    private final LfadsKernelImage.Build build;
    private final int maxExtraSteps;
    private final DeviceBuffer model;
    private final DeviceBuffer counts;
    private final DeviceBuffer out;
    private final KernelInvoker invoker;
    private final byte[] inStage;
    private final byte[] outStage;
    private boolean written;
    private boolean loaded;
    private int extraSteps = -1;
    private int writtenExtraSteps = -1;

    /**
     * Allocates the model, counts and output buffers of a build on the device.
     *
     * @param device        an {@code lfads_kernel} built with the parameters of {@code build}
     * @param build         the build's parameters
     * @param maxExtraSteps most forward-prediction steps (recon_seq_len − encod_seq_len) of a model, at least 0
     * @param timeoutMs     wait limit of one invocation
     * @throws DeviceException when the device is not an lfads_kernel or refuses the buffers
     */
    public LfadsTrialHost(KernelDevice device, LfadsKernelImage.Build build, int maxExtraSteps, long timeoutMs) {
        if (!"lfads_kernel".equals(device.abi().name())) {
            throw new DeviceException("LfadsTrialHost drives lfads_kernel, not " + device.abi().name());
        }
        this.device = device;
        if (maxExtraSteps < 0 || maxExtraSteps > 1 << 16) {
            throw new IllegalArgumentException("maxExtraSteps must be in [0, 65536], got " + maxExtraSteps);
        }
        this.build = build;
        this.maxExtraSteps = maxExtraSteps;
        int tMax = build.tMax();
        this.inStage = new byte[LfadsKernelImage.countsBytes(build, tMax)];
        this.outStage = new byte[LfadsKernelImage.recordBytes(build, tMax + maxExtraSteps)];
        DeviceBuffer[] bufs = new DeviceBuffer[device.abi().argCount()];
        this.model = device.alloc(0, LfadsKernelImage.modelBytes(build));
        this.counts = device.alloc(1, inStage.length);
        this.out = device.alloc(2, outStage.length);
        bufs[0] = model;
        bufs[1] = counts;
        bufs[2] = out;
        // n_bins T_MAX + 1 is accepted so that the kernel's own range check can be exercised
        this.invoker = new KernelInvoker(device, bufs, 3, 4, tMax + 1, timeoutMs);
    }

    /** The build this host program was sized for. */
    public LfadsKernelImage.Build build() {
        return build;
    }

    /** The device. */
    public KernelDevice device() {
        return device;
    }

    /**
     * Writes a model image (from {@link LfadsKernelImage#model}, or any bytes) into the model buffer; the next call
     * with {@link #FLAG_LOAD} loads it. The image's header gives the model's forward-prediction steps.
     *
     * @return a {@link HostStatus} code
     */
    public int writeModel(byte[] image) {
        int extra = image.length >= 40 ? (image[32] & 0xFF) | (image[33] & 0xFF) << 8 | (image[34] & 0xFF) << 16
                | image[35] << 24 : 0;
        if (extra < 0 || extra > maxExtraSteps) {
            return invoker.fail(HostStatus.BAD_ARGUMENT, "the model predicts " + extra + " steps past its window;"
                    + " this host program holds " + maxExtraSteps);
        }
        if (image.length > model.size()) {
            return invoker.fail(HostStatus.BAD_ARGUMENT, "image of " + image.length + " bytes exceeds the model buffer ("
                    + model.size() + ")");
        }
        if (model.write(image, 0, 0, image.length) != KernelDevice.OK) {
            return invoker.fail(HostStatus.DEVICE_ERROR, device.lastError());
        }
        int s = invoker.sync(model, DeviceBuffer.TO_DEVICE, image.length);
        written = s == HostStatus.OK;
        writtenExtraSteps = extra;
        return s;
    }

    /**
     * Packs a trial bundle (no controller) for this build, writes it and loads it (LOAD, no trial). Set-up time.
     *
     * @return a {@link HostStatus} code
     * @throws IllegalArgumentException when the bundle does not fit the build
     */
    public int load(ModelBundle bundle) {
        int s = writeModel(LfadsKernelImage.model(bundle, build));
        return s != HostStatus.OK ? s : invokeRaw(FLAG_LOAD, 0);
    }

    /** Output steps of a window of {@code bins} bins with the loaded model (-1 when none is loaded). */
    public int steps(int bins) {
        return extraSteps < 0 ? -1 : bins + extraSteps;
    }

    /** Prepares the run of a (flags, bins) pair ahead of the hot path (set-up time; may throw). */
    public void prepare(int flags, int bins) {
        invoker.prepare(flags, bins);
    }

    /**
     * Starts the kernel with these flags and {@code n_bins} without sending counts or reading records (for LOAD
     * alone, and for exercising the kernel's refusals).
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
     * One trial: a window of {@code bins} bins of Q0 counts in ({@code [bins][D]} from {@code off}), optional LOAD
     * first, {@code steps(bins)} records out: {@code [steps][F]} Q12 factors and {@code [steps][RO]} Q12 log-rates.
     * On any status but OK the output arrays are left as they were.
     *
     * @param flags {@link #FLAG_RUN}, optionally with {@link #FLAG_LOAD}
     * @param bins  in [1, T_MAX] (the kernel refuses more than the model's encod_seq_len: status 4)
     * @return a {@link HostStatus} code
     */
    public int trial(int flags, short[] countsQ, int off, int bins, short[] factorsQ, short[] logRatesQ) {
        boolean load = (flags & FLAG_LOAD) != 0;
        int extra = load ? writtenExtraSteps : extraSteps;
        if ((flags & FLAG_RUN) == 0 || bins < 1 || bins > build.tMax() || off < 0
                || countsQ.length - off < bins * build.d() || extra >= 0 && (factorsQ.length < (bins + extra) * build.f()
                || logRatesQ.length < (bins + extra) * build.ro())) {
            return invoker.fail(HostStatus.BAD_ARGUMENT, "trial needs RUN, bins in [1, " + build.tMax()
                    + "] and arrays of steps × D, F, RO");
        }
        if (!loaded && !load || load && !written) {
            return invoker.fail(HostStatus.NOT_LOADED, "no model loaded through this host program");
        }
        int bytes = LfadsKernelImage.packCounts(build, countsQ, off, bins, inStage);
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
        int steps = bins + extraSteps;
        int rb = LfadsKernelImage.recordBytes(build, steps);
        s = invoker.sync(out, DeviceBuffer.FROM_DEVICE, rb);
        if (s != HostStatus.OK) {
            return s;
        }
        if (out.read(0, outStage, 0, rb) != KernelDevice.OK) {
            return invoker.fail(HostStatus.DEVICE_ERROR, device.lastError());
        }
        LfadsKernelImage.unpackRecords(build, outStage, steps, factorsQ, 0, logRatesQ, 0);
        return HostStatus.OK;
    }

    private void track(int flags, int s) {
        if ((flags & FLAG_LOAD) != 0) {
            // a refused LOAD unloads the model on the kernel too
            loaded = s == HostStatus.OK;
            extraSteps = loaded ? writtenExtraSteps : -1;
        }
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
        out.close();
        counts.close();
        model.close();
    }
}
