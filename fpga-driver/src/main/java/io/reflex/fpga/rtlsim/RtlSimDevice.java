package io.reflex.fpga.rtlsim;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.reflex.fpga.abi.KernelAbi;
import io.reflex.fpga.device.DeviceBuffer;
import io.reflex.fpga.device.DeviceException;
import io.reflex.fpga.device.KernelDevice;
import io.reflex.fpga.device.KernelRun;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A Reflex kernel as the verilated RTL: {@code librtlsim_<kernel>.so} (hdl/tb/common/rtlsim.h) through JNA. The
 * simulated card has one flat memory (the kernel's gmem) at address 0; buffers are carved from it by a bump
 * allocator (4 KiB aligned, optionally shifted by a random number of beats so that tests meet every burst
 * alignment), each with a host-side mirror in native memory that {@link DeviceBuffer#sync} copies across, as XRT
 * does with a card (a host program that forgets a sync fails here as it would on the card). A run writes its
 * argument registers through the AXI4-Lite port and then simulates the invocation cycle by cycle
 * ({@code rtlsim_run_until_done}): the simulation happens inside {@link KernelRun#await}, bounded by a cycle budget
 * ({@link KernelDevice#TIMEOUT} past it); the wall-clock timeout of {@code await} is checked when the simulated run
 * returns, since a simulation step cannot be interrupted. Per-invocation calls allocate nothing.
 *
 * <p>Every failure to set up (missing or foreign library, a library built for another kernel or other dimensions,
 * a refused memory size) is a {@link DeviceException} naming the reason; nothing here can crash the JVM short of
 * a defect in the library itself. Owned by one thread.
 */
public final class RtlSimDevice implements KernelDevice {
    /** Largest simulated memory (the library itself refuses more than 16 GiB; the JVM's heap is not involved). */
    public static final long MAX_MEM_BYTES = 1L << 32;
    private static final int ALIGN = 4096;

    private final Context ctx;
    private final RtlSimApi api;
    private final KernelAbi abi;
    private final Map<String, Integer> params;
    private final String description;
    private final Memory scratch = new Memory(8);
    private final long scratchAddr = Pointer.nativeValue(scratch);
    private final SplittableRandom placement;
    private final List<Buffer> buffers = new ArrayList<>();
    private final int beatBytes;
    private final int[] argOffsets;
    private long sim;
    private long next = ALIGN;
    private Run written;
    private Run started;
    private String lastError = "";

    private RtlSimDevice(Context ctx) {
        this.ctx = ctx;
        this.abi = KernelAbi.load(ctx.kernel);
        this.beatBytes = abi.memoryBeatBytes();
        this.argOffsets = new int[abi.argCount()];
        for (int i = 0; i < argOffsets.length; i++) {
            argOffsets[i] = abi.argOffset(i);
        }
        this.api = RtlSimBinding.bind(ctx.library);
        String name = api.kernelName();
        if (!ctx.kernel.equals(name)) {
            throw new DeviceException(ctx.library + " simulates " + name + ", not " + ctx.kernel);
        }
        this.params = effectiveParams(abi, api.params(), ctx.library);
        for (Map.Entry<String, Integer> e : ctx.requiredParams.entrySet()) {
            Integer have = params.get(e.getKey());
            if (!e.getValue().equals(have)) {
                throw new DeviceException(ctx.library + " was built with " + format(params) + "; this use needs "
                        + format(ctx.requiredParams) + " (" + e.getKey() + " " + have + " != " + e.getValue()
                        + "): use a library built for these dimensions");
            }
        }
        this.sim = api.create(ctx.kernel, ctx.memBytes, ctx.seed, ctx.stallPct);
        if (sim == 0) {
            throw new DeviceException("rtlsim_create refused " + ctx.kernel + " with " + ctx.memBytes
                    + " bytes of memory and " + ctx.stallPct + " % stalls (" + ctx.library + ")");
        }
        this.placement = ctx.placementJitter ? new SplittableRandom(ctx.seed * 0x9E3779B97F4A7C15L + 1) : null;
        Path dir = ctx.library.toAbsolutePath().getParent();
        this.description = "rtl-sim " + (dir == null || dir.getFileName() == null ? "" : dir.getFileName() + "/")
                + ctx.library.getFileName() + " (" + format(params) + ")";
    }

    /**
     * Loads the library of {@code ctx}, checks it and creates the simulated card.
     *
     * @throws DeviceException naming what is wrong
     */
    public static RtlSimDevice open(Context ctx) {
        return new RtlSimDevice(ctx.conclude());
    }

    /** The parameters a library reports (rtlsim_params) over the ABI's defaults for the others. */
    static Map<String, Integer> effectiveParams(KernelAbi abi, String reported, Path library) {
        Map<String, Integer> m = new LinkedHashMap<>(abi.buildParameters());
        for (String tok : reported.trim().split("\\s+")) {
            if (tok.isEmpty()) {
                continue;
            }
            int eq = tok.indexOf('=');
            try {
                m.put(tok.substring(0, eq), Integer.decode(tok.substring(eq + 1)));
            } catch (RuntimeException e) {
                throw new DeviceException(library + " reports an unreadable parameter '" + tok + "' in '" + reported
                        + "'", e);
            }
        }
        return Collections.unmodifiableMap(m);
    }

    /** {@code NAME=VALUE} pairs separated by spaces. */
    public static String format(Map<String, Integer> params) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Integer> e : params.entrySet()) {
            sb.append(sb.length() == 0 ? "" : " ").append(e.getKey()).append('=').append(e.getValue());
        }
        return sb.toString();
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public KernelAbi abi() {
        return abi;
    }

    /** The library file. */
    public Path library() {
        return ctx.library;
    }

    /** Every Verilog parameter of the build (the library's, else the RTL default). */
    public Map<String, Integer> params() {
        return params;
    }

    /** All clock cycles simulated so far, control-port traffic included. */
    public long totalCycles() {
        return sim == 0 ? 0 : api.totalCycles(sim);
    }

    @Override
    public DeviceBuffer alloc(int argIndex, long bytes) {
        checkOpen();
        if (argIndex < 0 || argIndex >= abi.argCount() || !abi.isBuffer(argIndex)) {
            throw new DeviceException(abi.name() + ": argument " + argIndex + " is not a buffer");
        }
        if (bytes <= 0 || bytes > Integer.MAX_VALUE) {
            throw new DeviceException(abi.name() + ": buffer size " + bytes + " outside [1, 2^31)");
        }
        long addr = (next + ALIGN - 1) & -ALIGN;
        if (placement != null) {
            addr += (long) beatBytes * placement.nextInt(ALIGN / beatBytes);
        }
        if (addr + bytes > ctx.memBytes) {
            throw new DeviceException(abi.name() + ": " + bytes + " bytes do not fit the simulated memory ("
                    + ctx.memBytes + " bytes, " + (ctx.memBytes - next) + " free)");
        }
        Buffer b = new Buffer(addr, bytes, next);
        next = addr + bytes;
        buffers.add(b);
        return b;
    }

    @Override
    public KernelRun newRun() {
        checkOpen();
        return new Run();
    }

    @Override
    public int readRegister(int offset, int[] value) {
        if (sim == 0) {
            return fail("device closed");
        }
        int rc = api.readReg(sim, offset, scratchAddr);
        if (rc != 0) {
            return fail("register read at 0x" + Integer.toHexString(offset) + " failed (" + rc + ")");
        }
        value[0] = scratch.getInt(0);
        return OK;
    }

    @Override
    public long lastRunCycles() {
        return sim == 0 ? -1 : api.cycles(sim);
    }

    @Override
    public String lastError() {
        return lastError;
    }

    @Override
    public void close() {
        if (sim != 0) {
            api.destroy(sim);
            sim = 0;
        }
        // buffers still held by host programs turn into closed ones (every call answers ERROR) before their
        // native memory goes
        for (int i = buffers.size() - 1; i >= 0; i--) {
            Buffer b = buffers.get(i);
            b.closed = true;
            b.host.close();
        }
        buffers.clear();
        scratch.close();
    }

    private void checkOpen() {
        if (sim == 0) {
            throw new DeviceException(description + " is closed");
        }
    }

    private int fail(String why) {
        lastError = why;
        return ERROR;
    }

    private String simError() {
        long p = api.error(sim);
        return p == 0 ? "" : new Pointer(p).getString(0);
    }

    /** A region of the simulated memory with its host mirror. */
    private final class Buffer implements DeviceBuffer {
        private final long addr;
        private final long size;
        private final long before;
        private final Memory host;
        private final long hostAddr;
        private boolean closed;

        Buffer(long addr, long size, long before) {
            this.addr = addr;
            this.size = size;
            this.before = before;
            this.host = new Memory(size);
            this.host.clear();
            this.hostAddr = Pointer.nativeValue(host);
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public long deviceAddress() {
            return addr;
        }

        @Override
        public int write(byte[] src, int srcOff, long offset, int len) {
            if (closed || srcOff < 0 || len < 0 || srcOff > src.length - len || offset < 0 || offset > size - len) {
                return fail("buffer write outside its bounds or after close");
            }
            host.write(offset, src, srcOff, len);
            return OK;
        }

        @Override
        public int read(long offset, byte[] dst, int dstOff, int len) {
            if (closed || dstOff < 0 || len < 0 || dstOff > dst.length - len || offset < 0 || offset > size - len) {
                return fail("buffer read outside its bounds or after close");
            }
            host.read(offset, dst, dstOff, len);
            return OK;
        }

        @Override
        public int sync(int direction, long offset, long len) {
            if (closed || sim == 0 || offset < 0 || len < 0 || offset > size - len) {
                return fail("buffer sync outside its bounds or after close");
            }
            int rc = direction == TO_DEVICE ? api.memWrite(sim, addr + offset, hostAddr + offset, len)
                    : direction == FROM_DEVICE ? api.memRead(sim, addr + offset, hostAddr + offset, len) : -1;
            return rc == 0 ? OK : fail("buffer sync refused by the simulator (" + rc + ")");
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            // the space returns to the allocator when the buffers are closed in reverse order of allocation
            if (!buffers.isEmpty() && buffers.get(buffers.size() - 1) == this) {
                buffers.remove(buffers.size() - 1);
                next = before;
                while (!buffers.isEmpty() && buffers.get(buffers.size() - 1).closed) {
                    Buffer b = buffers.remove(buffers.size() - 1);
                    next = b.before;
                }
            }
            host.close();
        }
    }

    /** Argument values; written to the control port on {@link #start} unless they are already there. */
    private final class Run implements KernelRun {
        private final long[] values = new long[abi.argCount()];
        private boolean closed;

        @Override
        public KernelRun arg(int argIndex, DeviceBuffer buffer) {
            check(argIndex, true);
            if (!(buffer instanceof Buffer b) || b.closed || !buffers.contains(b)) {
                throw new DeviceException(abi.name() + ": argument " + abi.argName(argIndex)
                        + " needs an open buffer of this device");
            }
            values[argIndex] = b.addr;
            if (written == this) {
                written = null;
            }
            return this;
        }

        @Override
        public KernelRun arg(int argIndex, int value) {
            check(argIndex, false);
            values[argIndex] = value & 0xFFFFFFFFL;
            if (written == this) {
                written = null;
            }
            return this;
        }

        private void check(int argIndex, boolean buffer) {
            if (argIndex < 0 || argIndex >= values.length || abi.isBuffer(argIndex) != buffer) {
                throw new DeviceException(abi.name() + ": argument " + argIndex + " is not a "
                        + (buffer ? "buffer" : "scalar"));
            }
        }

        @Override
        public int start() {
            if (closed || sim == 0) {
                return fail("run closed or device closed");
            }
            if (written != this) {
                written = null;
                for (int i = 0; i < values.length; i++) {
                    int off = argOffsets[i];
                    if (api.writeReg(sim, off, (int) values[i]) != 0
                            || api.writeReg(sim, off + 4, (int) (values[i] >>> 32)) != 0) {
                        return fail("argument register write at 0x" + Integer.toHexString(off) + " failed");
                    }
                }
                written = this;
            }
            started = this;
            return OK;
        }

        @Override
        public int await(long timeoutMs) {
            if (started != this || sim == 0) {
                return fail("await without start");
            }
            started = null;
            long t0 = System.nanoTime();
            int rc = api.runUntilDone(sim, ctx.maxRunCycles);
            long wallMs = (System.nanoTime() - t0) / 1_000_000L;
            if (rc == -2) {
                return timeout("no ap_done within " + ctx.maxRunCycles + " cycles");
            }
            if (rc != 0) {
                return fail("run failed (" + rc + "): " + simError());
            }
            if (wallMs > timeoutMs) {
                return timeout("the simulated run took " + wallMs + " ms, over the " + timeoutMs + " ms timeout");
            }
            return OK;
        }

        private int timeout(String why) {
            lastError = why;
            return TIMEOUT;
        }

        @Override
        public void close() {
            closed = true;
            if (written == this) {
                written = null;
            }
        }
    }

    /** Configuration of an {@link RtlSimDevice}; {@link #conclude()} validates. */
    public static final class Context {
        private Path library;
        private String kernel;
        private long memBytes = 64L << 20;
        private int seed = 1;
        private int stallPct;
        private long maxRunCycles = 200_000_000L;
        private boolean placementJitter;
        private Map<String, Integer> requiredParams = Map.of();
        private boolean concluded;

        /** The {@code librtlsim_<kernel>.so} file; required. */
        public Context library(Path value) {
            library = value;
            return this;
        }

        /** The kernel the library must simulate ({@code lfads_kernel}, {@code snn_kernel}); required. */
        public Context kernel(String value) {
            kernel = value;
            return this;
        }

        /** Simulated memory in bytes, [4096, {@link #MAX_MEM_BYTES}]; default 64 MiB. */
        public Context memBytes(long value) {
            memBytes = value;
            return this;
        }

        /** Seed of the random stalls (and of the buffer placement); default 1. */
        public Context seed(int value) {
            seed = value;
            return this;
        }

        /** Percentage [0, 95] of cycles in which each handshake (memory channels, control port) stalls; default 0. */
        public Context stallPct(int value) {
            stallPct = value;
            return this;
        }

        /** Cycle budget of one run, after which {@link KernelRun#await} reports a timeout; default 2·10^8. */
        public Context maxRunCycles(long value) {
            maxRunCycles = value;
            return this;
        }

        /** Shifts every buffer by a random number of beats within its 4 KiB page (tests); default off. */
        public Context placementJitter(boolean value) {
            placementJitter = value;
            return this;
        }

        /** Verilog parameters the library must have been built with (refused otherwise); default none. */
        public Context requiredParams(Map<String, Integer> value) {
            requiredParams = Map.copyOf(value);
            return this;
        }

        /** Validates every field; idempotent. */
        public Context conclude() {
            if (concluded) {
                return this;
            }
            if (library == null) {
                throw new IllegalArgumentException("library must be set (a librtlsim_<kernel>.so)");
            }
            if (kernel == null || kernel.isEmpty()) {
                throw new IllegalArgumentException("kernel must be set (lfads_kernel or snn_kernel)");
            }
            if (memBytes < ALIGN || memBytes > MAX_MEM_BYTES) {
                throw new IllegalArgumentException("memBytes must be in [4096, 2^32], got " + memBytes);
            }
            if (stallPct < 0 || stallPct > 95) {
                throw new IllegalArgumentException("stallPct must be in [0, 95], got " + stallPct);
            }
            if (maxRunCycles < 1) {
                throw new IllegalArgumentException("maxRunCycles must be >= 1, got " + maxRunCycles);
            }
            concluded = true;
            return this;
        }
    }
}
