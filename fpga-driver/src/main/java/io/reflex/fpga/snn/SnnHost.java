package io.reflex.fpga.snn;

import io.reflex.fpga.device.DeviceBuffer;
import io.reflex.fpga.device.DeviceException;
import io.reflex.fpga.device.KernelDevice;
import io.reflex.fpga.host.HostStatus;
import io.reflex.fpga.host.KernelInvoker;
import java.util.Arrays;

/**
 * Host program of {@code snn_kernel} (hdl/README.md, "SNN buffers") over any {@link KernelDevice}: a network is
 * written and loaded once, then each call sends {@code n} ticks of input spike words, optionally resets the state
 * first, runs {@code n} LIF ticks on the state the kernel keeps between calls, and reads back {@code n} ticks of
 * output spike words, after checking the kernel's status word. Buffers are sized at construction for networks of
 * up to {@code maxNeurons} neurons, {@code maxInputs} inputs and {@code maxSynapses} synapses and calls of up to
 * {@code maxTicks} ticks.
 *
 * <p>The neurons' state moves through the {@code state} buffer (argument 5): V[N], I[N], ref[N] and the
 * ceil(N/32) spike words of the last tick, int32 little-endian (the body of the canonical {@code "SNS1"} checkpoint
 * up to its traces). A call with {@link #FLAG_SAVE} writes it after the ticks ({@link #readState} copies it to the
 * host); one with {@link #FLAG_RESTORE} reads it before the ticks ({@link #writeState} puts it there first).
 *
 * <p>Per-call methods allocate nothing once the (flags, ticks) pair has been used (or {@link #prepare}d) and return
 * a {@link HostStatus} code: 0, the kernel's status (1 bad magic, 2 dimensions exceed the build, 3 no network, 7 an
 * AXI error response), or a negative host/device code; {@link #lastError()} says why. Owned by one thread.
 */
public final class SnnHost implements AutoCloseable {
    /** Flag: load the network buffer. */
    public static final int FLAG_LOAD = 1;
    /** Flag: reset the state (I = 0, V = V_rest, ref = 0, no previous spikes) before the ticks. */
    public static final int FLAG_RESET = 2;
    /** Flag: write V[N], I[N], ref[N] and the last tick's spike words into the state buffer after the ticks. */
    public static final int FLAG_SAVE = 4;
    /** Flag: read the state (as {@link #FLAG_SAVE} writes it) from the state buffer before the ticks. */
    public static final int FLAG_RESTORE = 8;
    /** Byte the output buffer is filled with by {@link #poisonOutput()}. */
    public static final byte POISON = (byte) 0xA5;

    private final KernelDevice device;
    private final int maxNeurons;
    private final int maxInputs;
    private final int maxTicks;
    private final DeviceBuffer net;
    private final DeviceBuffer in;
    private final DeviceBuffer out;
    private final DeviceBuffer state;
    private final KernelInvoker invoker;
    private final byte[] inStage;
    private final byte[] outStage;
    private final byte[] stateStage;
    private int neurons = -1;
    private int inputs = -1;
    private int writtenNeurons = -1;
    private int writtenInputs = -1;

    /**
     * Allocates the network, input and output buffers on the device.
     *
     * @param device      an {@code snn_kernel}
     * @param maxNeurons  largest N of a network, at least 1
     * @param maxInputs   largest n_in, at least 0
     * @param maxSynapses largest nnz, at least 0
     * @param maxTicks    most ticks per call, at least 1
     * @param timeoutMs   wait limit of one invocation
     * @throws DeviceException when the device is not an snn_kernel or refuses the buffers
     */
    public SnnHost(KernelDevice device, int maxNeurons, int maxInputs, int maxSynapses, int maxTicks, long timeoutMs) {
        if (!"snn_kernel".equals(device.abi().name())) {
            throw new DeviceException("SnnHost drives snn_kernel, not " + device.abi().name());
        }
        if (maxNeurons < 1 || maxInputs < 0 || maxSynapses < 0 || maxTicks < 1 || maxTicks > 1 << 20) {
            throw new IllegalArgumentException("sizes out of range: neurons " + maxNeurons + ", inputs " + maxInputs
                    + ", synapses " + maxSynapses + ", ticks " + maxTicks);
        }
        this.device = device;
        this.maxNeurons = maxNeurons;
        this.maxInputs = maxInputs;
        this.maxTicks = maxTicks;
        int netWords = LifNet.HEADER_WORDS + maxNeurons + 1 + maxSynapses + maxNeurons;
        int inWords = Math.max(1, maxTicks * ((maxInputs + 31) >>> 5));
        int outWords = maxTicks * ((maxNeurons + 31) >>> 5);
        this.inStage = new byte[4 * inWords];
        this.outStage = new byte[4 * outWords];
        this.stateStage = new byte[4 * stateWords(maxNeurons)];
        DeviceBuffer[] bufs = new DeviceBuffer[device.abi().argCount()];
        this.net = device.alloc(0, 4L * netWords);
        this.in = device.alloc(1, inStage.length);
        this.out = device.alloc(2, outStage.length);
        this.state = device.alloc(5, stateStage.length);
        bufs[0] = net;
        bufs[1] = in;
        bufs[2] = out;
        bufs[5] = state;
        this.invoker = new KernelInvoker(device, bufs, 3, 4, maxTicks, timeoutMs);
    }

    /** Words of the state of N neurons: V, I, ref, then the spike words. */
    public static int stateWords(int neurons) {
        return 3 * neurons + ((neurons + 31) >>> 5);
    }

    /** The device. */
    public KernelDevice device() {
        return device;
    }

    /** Most ticks per call. */
    public int maxTicks() {
        return maxTicks;
    }

    /**
     * Writes a network buffer ({@link LifNet#image()} or any words) for the next call with {@link #FLAG_LOAD}.
     *
     * @return a {@link HostStatus} code
     */
    public int writeNetwork(int[] image) {
        if (4L * image.length > net.size()) {
            return invoker.fail(HostStatus.BAD_ARGUMENT, "network image of " + image.length
                    + " words exceeds the buffer (" + net.size() / 4 + ")");
        }
        byte[] b = new byte[4 * image.length];
        for (int i = 0; i < image.length; i++) {
            putInt(b, 4 * i, image[i]);
        }
        if (net.write(b, 0, 0, b.length) != KernelDevice.OK) {
            return invoker.fail(HostStatus.DEVICE_ERROR, device.lastError());
        }
        int s = invoker.sync(net, DeviceBuffer.TO_DEVICE, b.length);
        boolean header = image.length >= LifNet.HEADER_WORDS && image[0] == LifNet.MAGIC;
        writtenNeurons = s == HostStatus.OK && header ? image[1] : -1;
        writtenInputs = s == HostStatus.OK && header ? image[2] : -1;
        return s;
    }

    /**
     * Writes a network and loads it with the state reset (LOAD | RESET, no ticks). Set-up time.
     *
     * @return a {@link HostStatus} code
     */
    public int load(LifNet network) {
        if (network.n() > maxNeurons || network.nIn() > maxInputs
                || LifNet.HEADER_WORDS + 2L * network.n() + 1 + network.nnz() > net.size() / 4) {
            return invoker.fail(HostStatus.BAD_ARGUMENT, "network of N " + network.n() + ", n_in " + network.nIn()
                    + ", nnz " + network.nnz() + " exceeds this host program's buffers");
        }
        int s = writeNetwork(network.image());
        return s != HostStatus.OK ? s : invokeRaw(FLAG_LOAD | FLAG_RESET, 0);
    }

    /** Prepares the run of a (flags, ticks) pair ahead of the hot path (set-up time; may throw). */
    public void prepare(int flags, int ticks) {
        invoker.prepare(flags, ticks);
    }

    /**
     * Starts the kernel with these flags and {@code n_ticks} without sending input or reading output (LOAD, RESET,
     * and the kernel's refusals).
     *
     * @return a {@link HostStatus} code
     */
    public int invokeRaw(int flags, int ticks) {
        int s = invoker.invoke(flags, ticks);
        track(flags, s);
        return s;
    }

    /**
     * One call: {@code ticks} ticks of input spike words in ({@code ceil(n_in/32)} words per tick from
     * {@code inOff}), optional RESET (and LOAD), {@code ticks} LIF ticks, {@code ceil(N/32)} output spike words per
     * tick out (bit i%32 of word i/32 = neuron i spiked). On any status but OK {@code spikesOut} is left as it was.
     *
     * @param flags any of {@link #FLAG_LOAD}, {@link #FLAG_RESET}, {@link #FLAG_RESTORE}, {@link #FLAG_SAVE}
     * @param ticks in [1, maxTicks]
     * @return a {@link HostStatus} code
     */
    public int run(int flags, int[] spikesIn, int inOff, int ticks, int[] spikesOut) {
        boolean load = (flags & FLAG_LOAD) != 0;
        int n = load ? writtenNeurons : neurons;
        int nIn = load ? writtenInputs : inputs;
        if (n < 0) {
            return invoker.fail(HostStatus.NOT_LOADED, "no network loaded through this host program");
        }
        int wi = (nIn + 31) >>> 5;
        int wn = (n + 31) >>> 5;
        if (ticks < 1 || ticks > maxTicks || flags < 0 || flags > 15 || inOff < 0
                || spikesIn.length - inOff < ticks * wi || spikesOut.length < ticks * wn) {
            return invoker.fail(HostStatus.BAD_ARGUMENT, "run needs ticks in [1, maxTicks] and arrays of ticks ×"
                    + " input and output words");
        }
        int inBytes = 4 * Math.max(1, ticks * wi);
        for (int i = 0; i < ticks * wi; i++) {
            putInt(inStage, 4 * i, spikesIn[inOff + i]);
        }
        if (ticks * wi == 0) {
            putInt(inStage, 0, 0);
        }
        if (in.write(inStage, 0, 0, inBytes) != KernelDevice.OK) {
            return invoker.fail(HostStatus.DEVICE_ERROR, device.lastError());
        }
        int s = invoker.sync(in, DeviceBuffer.TO_DEVICE, inBytes);
        if (s != HostStatus.OK) {
            return s;
        }
        s = invoker.invoke(flags, ticks);
        track(flags, s);
        if (s != HostStatus.OK) {
            return s;
        }
        int outBytes = 4 * ticks * wn;
        s = invoker.sync(out, DeviceBuffer.FROM_DEVICE, outBytes);
        if (s != HostStatus.OK) {
            return s;
        }
        if (out.read(0, outStage, 0, outBytes) != KernelDevice.OK) {
            return invoker.fail(HostStatus.DEVICE_ERROR, device.lastError());
        }
        for (int i = 0; i < ticks * wn; i++) {
            spikesOut[i] = getInt(outStage, 4 * i);
        }
        return HostStatus.OK;
    }

    /**
     * Copies the state buffer of the loaded network as the device holds it (what the last {@link #FLAG_SAVE} wrote:
     * {@link #stateWords}(N) int32 little-endian) into {@code dst} at {@code off}.
     *
     * @return a {@link HostStatus} code
     */
    public int readState(byte[] dst, int off) {
        int bytes = 4 * stateWords(Math.max(neurons, 0));
        if (neurons < 0) {
            return invoker.fail(HostStatus.NOT_LOADED, "no network loaded through this host program");
        }
        if (off < 0 || dst.length - off < bytes) {
            return invoker.fail(HostStatus.BAD_ARGUMENT, "state array shorter than " + bytes + " bytes");
        }
        int s = invoker.sync(state, DeviceBuffer.FROM_DEVICE, bytes);
        if (s != HostStatus.OK) {
            return s;
        }
        return state.read(0, dst, off, bytes) == KernelDevice.OK ? HostStatus.OK
                : invoker.fail(HostStatus.DEVICE_ERROR, device.lastError());
    }

    /**
     * The state the last {@link #FLAG_SAVE} wrote: membrane V, current I and refractory counter of each neuron
     * ({@code N} each) and the last tick's spike words ({@code ceil(N/32)}).
     *
     * @return a {@link HostStatus} code
     */
    public int readState(int[] v, int[] i, int[] ref, int[] spikes) {
        int n = neurons;
        int wn = (n + 31) >>> 5;
        if (n >= 0 && (v.length < n || i.length < n || ref.length < n || spikes.length < wn)) {
            return invoker.fail(HostStatus.BAD_ARGUMENT, "state arrays shorter than N or ceil(N/32)");
        }
        int s = readState(stateStage, 0);
        if (s != HostStatus.OK) {
            return s;
        }
        for (int k = 0; k < n; k++) {
            v[k] = getInt(stateStage, 4 * k);
            i[k] = getInt(stateStage, 4 * (n + k));
            ref[k] = getInt(stateStage, 4 * (2 * n + k));
        }
        for (int k = 0; k < wn; k++) {
            spikes[k] = getInt(stateStage, 4 * (3 * n + k));
        }
        return HostStatus.OK;
    }

    /**
     * Puts a state of the loaded network (or, when none is loaded, of the written one) ({@link #stateWords}(N) int32
     * little-endian from {@code src} at {@code off}, the layout {@link #FLAG_SAVE} writes) into the state buffer for
     * the next {@link #FLAG_RESTORE}.
     *
     * @return a {@link HostStatus} code
     */
    public int writeState(byte[] src, int off) {
        int n = stateNeurons();
        if (n < 0) {
            return invoker.fail(HostStatus.NOT_LOADED, "no network loaded or written through this host program");
        }
        int bytes = 4 * stateWords(n);
        if (off < 0 || src.length - off < bytes) {
            return invoker.fail(HostStatus.BAD_ARGUMENT, "state array shorter than " + bytes + " bytes");
        }
        if (state.write(src, off, 0, bytes) != KernelDevice.OK) {
            return invoker.fail(HostStatus.DEVICE_ERROR, device.lastError());
        }
        return invoker.sync(state, DeviceBuffer.TO_DEVICE, bytes);
    }

    /** {@link #writeState(byte[], int)} from V, I, ref and the spike words. */
    public int writeState(int[] v, int[] i, int[] ref, int[] spikes) {
        int n = stateNeurons();
        int wn = (n + 31) >>> 5;
        if (n < 0) {
            return invoker.fail(HostStatus.NOT_LOADED, "no network loaded or written through this host program");
        }
        if (v.length < n || i.length < n || ref.length < n || spikes.length < wn) {
            return invoker.fail(HostStatus.BAD_ARGUMENT, "state arrays shorter than N or ceil(N/32)");
        }
        for (int k = 0; k < n; k++) {
            putInt(stateStage, 4 * k, v[k]);
            putInt(stateStage, 4 * (n + k), i[k]);
            putInt(stateStage, 4 * (2 * n + k), ref[k]);
        }
        for (int k = 0; k < wn; k++) {
            putInt(stateStage, 4 * (3 * n + k), spikes[k]);
        }
        return writeState(stateStage, 0);
    }

    /** N of the state a RESTORE will read: the loaded network's, or the written one's for a LOAD + RESTORE call. */
    private int stateNeurons() {
        return neurons >= 0 ? neurons : writtenNeurons;
    }

    /** Fills the whole state buffer with {@link #POISON} on the device, so that a SAVE that writes nothing shows. */
    public int poisonState() {
        Arrays.fill(stateStage, POISON);
        if (state.write(stateStage, 0, 0, stateStage.length) != KernelDevice.OK) {
            return invoker.fail(HostStatus.DEVICE_ERROR, device.lastError());
        }
        return invoker.sync(state, DeviceBuffer.TO_DEVICE, stateStage.length);
    }

    private void track(int flags, int s) {
        if ((flags & FLAG_LOAD) != 0) {
            // a refused LOAD leaves the kernel without a network
            neurons = s == HostStatus.OK ? writtenNeurons : -1;
            inputs = s == HostStatus.OK ? writtenInputs : -1;
        }
    }

    /** Neurons of the loaded network (-1 when none). */
    public int neurons() {
        return neurons;
    }

    /** Inputs of the loaded network (-1 when none). */
    public int inputs() {
        return inputs;
    }

    /** Fills the whole output buffer with {@link #POISON} on the device, so that a run that writes nothing shows. */
    public int poisonOutput() {
        Arrays.fill(outStage, POISON);
        if (out.write(outStage, 0, 0, outStage.length) != KernelDevice.OK) {
            return invoker.fail(HostStatus.DEVICE_ERROR, device.lastError());
        }
        return invoker.sync(out, DeviceBuffer.TO_DEVICE, outStage.length);
    }

    /** Copies the first {@code words} output words as the device holds them into {@code dst}. */
    public int readRawOutput(int[] dst, int words) {
        if (words < 0 || 4L * words > outStage.length || dst.length < words) {
            return invoker.fail(HostStatus.BAD_ARGUMENT, "words outside the output buffer");
        }
        int s = invoker.sync(out, DeviceBuffer.FROM_DEVICE, 4L * words);
        if (s != HostStatus.OK) {
            return s;
        }
        if (out.read(0, outStage, 0, 4 * words) != KernelDevice.OK) {
            return invoker.fail(HostStatus.DEVICE_ERROR, device.lastError());
        }
        for (int i = 0; i < words; i++) {
            dst[i] = getInt(outStage, 4 * i);
        }
        return HostStatus.OK;
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
        in.close();
        net.close();
    }

    private static void putInt(byte[] b, int o, int v) {
        b[o] = (byte) v;
        b[o + 1] = (byte) (v >> 8);
        b[o + 2] = (byte) (v >> 16);
        b[o + 3] = (byte) (v >> 24);
    }

    private static int getInt(byte[] b, int o) {
        return (b[o] & 0xFF) | (b[o + 1] & 0xFF) << 8 | (b[o + 2] & 0xFF) << 16 | b[o + 3] << 24;
    }
}
