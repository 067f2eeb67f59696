package io.reflex.fpga.xrt;

import io.reflex.fpga.abi.KernelAbi;
import io.reflex.fpga.device.DeviceBuffer;
import io.reflex.fpga.device.DeviceException;
import io.reflex.fpga.device.KernelDevice;
import io.reflex.fpga.device.KernelRun;
import io.reflex.fpga.xclbin.KernelArgInfo;
import io.reflex.fpga.xclbin.KernelInfo;
import io.reflex.fpga.xclbin.MemBank;
import io.reflex.fpga.xclbin.Xclbin;
import io.reflex.fpga.xclbin.XclbinFormatException;
import io.reflex.fpga.xrt.XrtEnvironment.Shim;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One compute unit of a Reflex kernel on an XRT device: a U55C, or XRT's noop shim for the host flow without a card.
 *
 * <p>{@link #open} checks everything it can before the first native call and refuses with a reason: the xclbin with
 * this package's reader (XRT loads truncated files and crashes on some corrupt ones), the kernel and its argument
 * layout against the ABI, the environment ({@link XrtEnvironment}); then opens the device, loads the xclbin, opens
 * the kernel (exclusively by default, which register reads need) and checks that the argument offsets XRT reports
 * are the ABI's and that every buffer argument has a memory group.
 *
 * <p>Per invocation only direct-mapped calls run ({@code xrtBOWrite}, {@code xrtBOSync}, {@code xrtBORead},
 * {@code xrtRunStart}, {@code xrtRunWaitFor}, {@code xrtKernelReadRegister}), with ranges checked in Java first and
 * nothing allocated; failures return {@link #ERROR} or {@link #TIMEOUT} and {@link #lastError()} says why.
 *
 * <p>Under the noop shim, runs complete at once and compute nothing, and registers cannot be read:
 * {@link #computesResults()} is false, {@link #description()} says so, and {@link #readRegister} returns
 * {@link #ERROR} without calling XRT (which would print an error line per call).
 */
public final class XrtDevice implements KernelDevice {

    /** Settings of {@link #open}. */
    public static final class Context {
        private int deviceIndex;
        private Path xclbin;
        private String kernel;
        private KernelAbi abi;
        private boolean exclusive = true;
        private Shim shim = Shim.AUTO;
        private boolean concluded;

        /** XRT device index (default 0). */
        public Context deviceIndex(int value) {
            this.deviceIndex = value;
            return this;
        }

        /** The xclbin to load (required). */
        public Context xclbin(Path value) {
            this.xclbin = value;
            return this;
        }

        /** Kernel name (default: the ABI's). */
        public Context kernel(String value) {
            this.kernel = value;
            return this;
        }

        /** Kernel ABI (default: the packaged ABI of {@link #kernel}). */
        public Context abi(KernelAbi value) {
            this.abi = value;
            return this;
        }

        /** Open the kernel's compute units exclusively (default true; register reads need it). */
        public Context exclusive(boolean value) {
            this.exclusive = value;
            return this;
        }

        /** The XRT shim (default {@link Shim#AUTO}: from {@code XCL_EMULATION_MODE}). */
        public Context shim(Shim value) {
            this.shim = value;
            return this;
        }

        /** XRT device index. */
        public int deviceIndex() {
            return deviceIndex;
        }

        /** The xclbin file. */
        public Path xclbin() {
            return xclbin;
        }

        /** Kernel name (after {@link #conclude()}: never null). */
        public String kernel() {
            return kernel;
        }

        /** Kernel ABI (after {@link #conclude()}: never null). */
        public KernelAbi abi() {
            return abi;
        }

        /** Whether the compute units are opened exclusively. */
        public boolean exclusive() {
            return exclusive;
        }

        /** The XRT shim asked for. */
        public Shim shim() {
            return shim;
        }

        /**
         * Validates the settings and fills in the defaults; runs once.
         *
         * @throws IllegalArgumentException naming the field and what is allowed
         */
        public Context conclude() {
            if (concluded) {
                return this;
            }
            if (deviceIndex < 0) {
                throw new IllegalArgumentException("deviceIndex: must be >= 0, was " + deviceIndex);
            }
            if (xclbin == null) {
                throw new IllegalArgumentException("xclbin: required (the .xclbin file to load)");
            }
            if (shim == null) {
                throw new IllegalArgumentException("shim: required (AUTO, HARDWARE or NOOP)");
            }
            if (abi == null) {
                if (kernel == null || kernel.isBlank()) {
                    throw new IllegalArgumentException("kernel: required when no abi is given (e.g. lfads_kernel)");
                }
                try {
                    abi = KernelAbi.load(kernel);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("kernel: " + e.getMessage(), e);
                }
            }
            if (kernel == null) {
                kernel = abi.name();
            } else if (!kernel.equals(abi.name())) {
                throw new IllegalArgumentException("kernel: '" + kernel + "' but the abi is that of '" + abi.name() + "'");
            }
            concluded = true;
            return this;
        }
    }

    private final Context ctx;
    private final Xclbin xclbin;
    private final XrtRuntime runtime;
    private final XrtDeviceHandle device;
    private final XrtKernelHandle kernel;
    private final int[] argOffsets;
    private final int[] argGroups;
    private final boolean[] bufferArg;
    private final long controlRangeB;
    private final String description;

    /** Written by the owning thread's failing calls (this device, its buffers and runs). */
    final DeviceError errors = new DeviceError();

    private XrtDevice(Context ctx, Xclbin xclbin, XrtRuntime runtime, XrtDeviceHandle device, XrtKernelHandle kernel,
            int[] argOffsets, int[] argGroups, boolean[] bufferArg, long controlRangeB) {
        this.ctx = ctx;
        this.xclbin = xclbin;
        this.runtime = runtime;
        this.device = device;
        this.kernel = kernel;
        this.argOffsets = argOffsets;
        this.argGroups = argGroups;
        this.bufferArg = bufferArg;
        this.controlRangeB = controlRangeB;
        this.description = "xrt device " + ctx.deviceIndex() + " " + ctx.kernel() + " ("
                + (runtime.isNoop() ? "noop shim: computes nothing, outputs are not results; " : "")
                + xclbin.source() + ", uuid " + xclbin.uuid() + ")";
    }

    /**
     * Opens the kernel's compute unit on an XRT device.
     *
     * @throws IllegalArgumentException when the context is invalid
     * @throws DeviceException          with the reason when the xclbin is unusable, the kernel is missing or built for
     *                                  another ABI, XRT cannot be loaded safely, there is no device, or XRT refuses
     */
    public static XrtDevice open(Context context) {
        Context ctx = context.conclude();
        String name = ctx.kernel();
        KernelAbi abi = ctx.abi();
        Xclbin x;
        try {
            x = Xclbin.read(ctx.xclbin());
        } catch (XclbinFormatException e) {
            throw new DeviceException("bad xclbin: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new DeviceException("cannot read xclbin " + ctx.xclbin() + ": " + e.getMessage(), e);
        }
        KernelInfo info = x.kernel(name).orElseThrow(() -> new DeviceException(x.source() + " has no kernel '" + name
                + "' (it has: " + x.kernels().stream().map(KernelInfo::name).collect(Collectors.joining(", ")) + ")"));
        if (x.computeUnits(name).isEmpty()) {
            throw new DeviceException(x.source() + ": kernel '" + name + "' has no compute unit in IP_LAYOUT");
        }
        int n = abi.json().path("args").size();
        boolean[] buffer = new boolean[n];
        int[] abiOffsets = new int[n];
        for (int i = 0; i < n; i++) {
            var a = abi.json().path("args").get(i);
            buffer[i] = a.path("kind").asText().equals("buffer");
            abiOffsets[i] = a.path("offset").asInt();
        }
        checkXmlAgainstAbi(x, info, abi, buffer, abiOffsets);

        XrtRuntime rt = XrtRuntime.load(ctx.shim());
        XrtDeviceHandle dev = XrtDeviceHandle.open(rt, ctx.deviceIndex());
        try {
            dev.loadXclbin(ctx.xclbin());
            byte[] uuid = dev.xclbinUuid();
            if (!Arrays.equals(uuid, x.uuidBytes())) {
                throw new DeviceException("device " + ctx.deviceIndex() + " reports xclbin uuid "
                        + HexFormat.of().formatHex(uuid) + " after loading " + x.source() + " (uuid " + x.uuid() + ")");
            }
            XrtKernelHandle k = dev.openKernel(uuid, name, ctx.exclusive());
            int[] offsets = new int[n];
            int[] groups = new int[n];
            for (int i = 0; i < n; i++) {
                offsets[i] = k.argOffset(i);
                if (offsets[i] != abiOffsets[i]) {
                    throw new DeviceException("XRT reports argument " + i + " of " + name + " at offset 0x"
                            + Integer.toHexString(offsets[i]) + ", the ABI at 0x" + Integer.toHexString(abiOffsets[i]));
                }
                groups[i] = buffer[i] ? k.argGroupId(i) : -1;
                if (buffer[i] && groups[i] < 0) {
                    throw new DeviceException("XRT reports no memory group for buffer argument " + i + " of " + name
                            + " (xrtKernelArgGroupId returned " + groups[i] + ")");
                }
            }
            return new XrtDevice(ctx, x, rt, dev, k, offsets, groups, buffer, info.controlRangeB());
        } catch (RuntimeException e) {
            dev.close();
            throw e;
        }
    }

    private static void checkXmlAgainstAbi(Xclbin x, KernelInfo info, KernelAbi abi, boolean[] buffer, int[] abiOffsets) {
        List<KernelArgInfo> args = info.args();
        if (args.size() != buffer.length) {
            throw new DeviceException(x.source() + ": kernel '" + info.name() + "' has " + args.size()
                    + " arguments, its ABI " + buffer.length + " (built from another ABI)");
        }
        for (int i = 0; i < args.size(); i++) {
            KernelArgInfo a = args.get(i);
            if (a.id() != i || a.offset() != abiOffsets[i] || a.isBuffer() != buffer[i]) {
                throw new DeviceException(x.source() + ": kernel '" + info.name() + "' argument " + i + " ('" + a.name()
                        + "') is a " + (a.isBuffer() ? "buffer" : "scalar") + " at 0x" + Long.toHexString(a.offset())
                        + ", the ABI says a " + (buffer[i] ? "buffer" : "scalar") + " at 0x"
                        + Integer.toHexString(abiOffsets[i]) + " (built from another ABI)");
            }
        }
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public KernelAbi abi() {
        return ctx.abi();
    }

    /** The xclbin as this driver read it. */
    public Xclbin xclbin() {
        return xclbin;
    }

    /** What XRT was loaded with (shim, libraries). */
    public XrtRuntime runtime() {
        return runtime;
    }

    /** The register offsets XRT reported for each argument at open ({@code xrtKernelArgOffset}). */
    public int[] argOffsets() {
        return argOffsets.clone();
    }

    /** The memory group XRT reported for each argument at open ({@code xrtKernelArgGroupId}; -1 for scalars). */
    public int[] argGroups() {
        return argGroups.clone();
    }

    @Override
    public boolean computesResults() {
        return !runtime.isNoop();
    }

    @Override
    public DeviceBuffer alloc(int argIndex, long bytes) {
        if (argIndex < 0 || argIndex >= bufferArg.length || !bufferArg[argIndex]) {
            throw new DeviceException("argument " + argIndex + " of " + ctx.kernel() + " is not a buffer");
        }
        int group = argGroups[argIndex];
        long limit = group < xclbin.memBanks().size() ? xclbin.memBanks().get(group).sizeKb() * 1024 : Long.MAX_VALUE;
        if (bytes <= 0 || bytes > limit) {
            String bank = group < xclbin.memBanks().size() ? xclbin.memBanks().get(group).tag() : "group " + group;
            throw new DeviceException("buffer size " + bytes + " bytes for argument " + argIndex + " is outside [1, "
                    + limit + "] (" + bank + ")");
        }
        return new XrtBuffer(this, device.allocBo(bytes, group));
    }

    @Override
    public KernelRun newRun() {
        return new XrtRun(this, errors, kernel.openRun());
    }

    @Override
    public int readRegister(int offset, int[] value) {
        if (offset < 0 || offset > controlRangeB - 4 || (offset & 3) != 0) {
            return errors.fail("register offset %d is outside the control port [0, %d) or not word-aligned", offset,
                    controlRangeB);
        }
        if (!ctx.exclusive()) {
            return errors.fail("register read at %d: the kernel was opened shared; XRT reads registers only with exclusive"
                    + " access (Context.exclusive(true))", offset, 0);
        }
        if (runtime.isNoop()) {
            return errors.fail("register read at %d: XRT's noop shim has no registers", offset, 0);
        }
        int rc = kernel.readRegister(offset, value);
        return rc == 0 ? OK : errors.fail("xrtKernelReadRegister at offset %d returned %d", offset, rc);
    }

    /** XRT's C API has no cycle counter: always -1. */
    @Override
    public long lastRunCycles() {
        return -1;
    }

    @Override
    public String lastError() {
        return errors.message();
    }

    /** Closes runs, buffers, the kernel and the device, in that order. Never throws. */
    @Override
    public void close() {
        device.close();
    }

    /** Name of a memory group for messages. */
    String bankName(int group) {
        List<MemBank> banks = xclbin.memBanks();
        return group >= 0 && group < banks.size() ? banks.get(group).tag() : "group " + group;
    }

    /** The kernel handle (for the benchmark of the raw register read). */
    XrtKernelHandle kernelHandle() {
        return kernel;
    }

    boolean isBufferArg(int index) {
        return index >= 0 && index < bufferArg.length && bufferArg[index];
    }

    int argCount() {
        return bufferArg.length;
    }

    String kernelName() {
        return ctx.kernel();
    }
}
