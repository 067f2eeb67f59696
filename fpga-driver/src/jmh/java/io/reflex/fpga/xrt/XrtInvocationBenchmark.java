package io.reflex.fpga.xrt;

import io.reflex.fpga.device.DeviceBuffer;
import io.reflex.fpga.device.KernelDevice;
import io.reflex.fpga.device.KernelRun;
import io.reflex.fpga.xclbin.XclbinBuilder;
import io.reflex.fpga.xrt.XrtEnvironment.Shim;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Host overhead of one kernel invocation on the XRT path, under XRT's noop shim (runs complete at once, so this is
 * the host side only: JNA, XRT's C API and its command path, buffer copies). A metadata-only xclbin of
 * {@code lfads_kernel}; one bin of counts in, one bin of outputs back.
 *
 * <ul>
 *   <li>{@code invocation}: what a host program does per bin through {@link KernelDevice}: write the input and sync
 *       it to the device, start, wait, sync the output back and read it (xrtBOWrite, xrtBOSync, xrtRunStart,
 *       xrtRunWaitFor, xrtBOSync, xrtBORead).</li>
 *   <li>{@code statusRead}: {@code xrtKernelReadRegister} of the status word. The noop shim has no registers: XRT
 *       fails the call (its error path, an exception caught inside XRT), so this is an upper bound of XRT's own cost,
 *       not a card's PCIe read. Needs {@code XRT_INI_PATH=fpga-driver/src/jmh/xrt-quiet.ini}, else XRT logs a line
 *       per call.</li>
 * </ul>
 *
 * Run with {@code -prof gc}: {@code invocation} allocates nothing.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class XrtInvocationBenchmark {

    /** Input and output bytes per bin (the causal demo model moves a few hundred bytes each way). */
    @Param({"256"})
    public int bytes;

    private Path file;
    private XrtDevice device;
    private DeviceBuffer in;
    private DeviceBuffer out;
    private KernelRun run;
    private byte[] input;
    private byte[] output;
    private XrtKernelHandle rawKernel;
    private final int[] status = new int[1];
    private int statusOffset;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        file = Files.createTempFile("xrt-bench", ".xclbin");
        Files.write(file, XclbinBuilder.forKernels("lfads_kernel"));
        device = XrtDevice.open(new XrtDevice.Context().xclbin(file).kernel("lfads_kernel").shim(Shim.NOOP));
        in = device.alloc(1, bytes);
        out = device.alloc(2, bytes);
        run = device.newRun().arg(0, device.alloc(0, 4096)).arg(1, in).arg(2, out).arg(3, 1).arg(4, 2);
        input = new byte[bytes];
        output = new byte[bytes];
        statusOffset = device.abi().json().path("status").path("offset").asInt();
        if (System.getenv("XRT_INI_PATH") != null) {
            rawKernel = device.kernelHandle();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        device.close();
        Files.deleteIfExists(file);
    }

    @Benchmark
    public int invocation() {
        input[0]++;
        int rc = in.write(input, 0, 0, bytes);
        rc |= in.sync(DeviceBuffer.TO_DEVICE, 0, bytes);
        rc |= run.start();
        rc |= run.await(1000);
        rc |= out.sync(DeviceBuffer.FROM_DEVICE, 0, bytes);
        rc |= out.read(0, output, 0, bytes);
        if (rc != KernelDevice.OK) {
            throw new IllegalStateException(device.lastError());
        }
        return output[0];
    }

    @Benchmark
    public int statusRead() {
        if (rawKernel == null) {
            throw new IllegalStateException("set XRT_INI_PATH=fpga-driver/src/jmh/xrt-quiet.ini (XRT would log a line"
                    + " per failed register read under the noop shim)");
        }
        return rawKernel.readRegister(statusOffset, status);
    }
}
