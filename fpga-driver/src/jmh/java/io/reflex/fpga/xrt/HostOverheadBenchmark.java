package io.reflex.fpga.xrt;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.engine.CpuEngine;
import io.reflex.decoders.engine.Engine;
import io.reflex.decoders.lfads.LfadsArithmetic;
import io.reflex.decoders.lfads.LfadsOutput;
import io.reflex.fpga.abi.KernelAbi;
import io.reflex.fpga.device.DeviceBuffer;
import io.reflex.fpga.device.KernelDevice;
import io.reflex.fpga.device.KernelRun;
import io.reflex.fpga.rtlsim.RtlSimBuilds;
import io.reflex.fpga.rtlsim.RtlSimDevice;
import io.reflex.fpga.xclbin.XclbinBuilder;
import io.reflex.fpga.xrt.XrtEnvironment.Shim;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
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
 * Host overhead of one kernel invocation on the two device paths, next to the cpu-fixed step, in one JMH run:
 *
 * <ul>
 *   <li>{@code xrt-noop}: {@link XrtDevice} under XRT's noop shim (a run completes at once and computes nothing), so
 *       the time is the host side only: JNA, XRT's C API and command path, the staging copies.</li>
 *   <li>{@code rtl-sim}: {@link RtlSimDevice} on a small causal {@code lfads_kernel} build (D 5, H 8), invoked with
 *       flags 0 (no LOAD, RUN or RESET: the kernel only handshakes), so the time is the host side plus the few
 *       simulated cycles of the control port and ap_start/ap_done; the library is built under hdl/target/verilator
 *       on first use.</li>
 *   <li>{@code cpu-fixed}: one {@code step} (one bin) of decoders' bit-exact engine on {@code lfads-lorenz-causal},
 *       what the device paths replace.</li>
 * </ul>
 *
 * A device invocation is what a host program does per bin: write the input and sync it to the device, start, wait,
 * sync the output back and read it; {@code bytes} each way (the causal demo model moves 140 bytes of counts in and a
 * 148-byte record out per bin). The same calls on both devices; every argument of the ABI is set, whatever their
 * number. Run with {@code -prof gc}: none of the three allocates.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HostOverheadBenchmark {

    /** {@code xrt-noop}, {@code rtl-sim} or {@code cpu-fixed}. */
    @Param({"xrt-noop", "rtl-sim", "cpu-fixed"})
    public String path;

    /** Input and output bytes per invocation. */
    @Param({"256"})
    public int bytes;

    private Path file;
    private KernelDevice device;
    private DeviceBuffer in;
    private DeviceBuffer out;
    private KernelRun run;
    private byte[] input;
    private byte[] output;
    private Engine engine;
    private float[][] counts;
    private float[] factors;
    private int next;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        switch (path) {
            case "xrt-noop" -> {
                file = Files.createTempFile("xrt-bench", ".xclbin");
                Files.write(file, XclbinBuilder.forKernels("lfads_kernel"));
                device = XrtDevice.open(new XrtDevice.Context().xclbin(file).kernel("lfads_kernel").shim(Shim.NOOP));
                prepareRun();
            }
            case "rtl-sim" -> {
                Map<String, Integer> p = new LinkedHashMap<>();
                p.put("CAUSAL", 1);
                p.put("D", 5);
                p.put("T_MAX", 6);
                p.put("H", 8);
                p.put("CO", 3);
                p.put("F", 3);
                p.put("RO", 5);
                p.put("P", 4);
                p.put("LAG_MAX", 2);
                RtlSimBuilds builds = new RtlSimBuilds(new RtlSimBuilds.Context().opt(RtlSimBuilds.RUNTIME_OPT));
                Path lib = builds.library("lfads_kernel", RtlSimBuilds.tag("bench", p), p);
                device = RtlSimDevice.open(new RtlSimDevice.Context().library(lib).kernel("lfads_kernel"));
                prepareRun();
            }
            case "cpu-fixed" -> {
                engine = new CpuEngine(LfadsArithmetic.FIXED, null, LfadsOutput.FACTORS);
                engine.load(ModelBundle.fromResource("/models/lfads-lorenz-causal.rbundle"));
                SplittableRandom r = new SplittableRandom(1);
                counts = new float[64][engine.inputCount()];
                for (float[] c : counts) {
                    for (int k = 0; k < c.length; k++) {
                        c[k] = r.nextInt(4);
                    }
                }
                factors = new float[engine.outputCount()];
            }
            default -> throw new IllegalArgumentException(path);
        }
    }

    /** Buffers for every buffer argument (the input and output ones of {@code bytes}), count 1, flags 0. */
    private void prepareRun() {
        KernelAbi abi = device.abi();
        run = device.newRun();
        for (int i = 0; i < abi.argCount(); i++) {
            String name = abi.json().path("args").get(i).path("name").asText();
            if (abi.json().path("args").get(i).path("kind").asText().equals("buffer")) {
                DeviceBuffer b = device.alloc(i, name.equals("counts") || name.equals("out") ? bytes : 4096);
                if (name.equals("counts")) {
                    in = b;
                } else if (name.equals("out")) {
                    out = b;
                }
                run.arg(i, b);
            } else {
                run.arg(i, name.equals("n_bins") ? 1 : 0);
            }
        }
        input = new byte[bytes];
        output = new byte[bytes];
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        if (device != null) {
            System.err.println(path + ": " + device.description() + "; last invocation " + device.lastRunCycles()
                    + " kernel cycles");
            device.close();
        }
        if (engine != null) {
            engine.close();
        }
        if (file != null) {
            Files.deleteIfExists(file);
        }
    }

    @Benchmark
    public int invocation() {
        if (engine != null) {
            int s = engine.step(counts[next], factors);
            next = (next + 1) & 63;
            if (s != DecodeStatus.OK) {
                throw new IllegalStateException(engine.health().detail());
            }
            return s;
        }
        input[0]++;
        int rc = in.write(input, 0, 0, bytes);
        rc |= in.sync(DeviceBuffer.TO_DEVICE, 0, bytes);
        rc |= run.start();
        rc |= run.await(10_000);
        rc |= out.sync(DeviceBuffer.FROM_DEVICE, 0, bytes);
        rc |= out.read(0, output, 0, bytes);
        if (rc != KernelDevice.OK) {
            throw new IllegalStateException(device.lastError());
        }
        return output[0];
    }
}
