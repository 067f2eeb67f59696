package io.reflex.fpga.check;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.fpga.abi.KernelAbi;
import io.reflex.fpga.device.DeviceBuffer;
import io.reflex.fpga.device.KernelDevice;
import io.reflex.fpga.device.KernelRun;
import io.reflex.fpga.rtlsim.RtlSimDevice;
import io.reflex.fpga.rtlsim.TestLibraries;
import io.reflex.fpga.xclbin.KernelBuild;
import io.reflex.fpga.xclbin.Xclbin;
import io.reflex.fpga.xclbin.XclbinBuilder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fpga check --rtl-sim}: the golden vectors of every kernel mode (LFADS causal step, LFADS trial, SNN) through
 * the verilated kernels built with the parameters the xclbin states, so that the check's own vectors, host programs
 * and comparisons are proven bit-exact on a machine without a card; and a device that corrupts one output word is
 * caught. Small builds (quick to compile, every chunking path of the RTL still exercised).
 */
class FpgaCheckRtlSimTest {
    static final Map<String, Integer> CAUSAL_SMALL = Map.of("CAUSAL", 1, "D", 5, "T_MAX", 6, "H", 8, "CO", 3,
            "LAG_MAX", 2, "F", 3, "RO", 5, "P", 4);
    static final Map<String, Integer> TRIAL_SMALL = Map.of("CAUSAL", 0, "D", 5, "T_MAX", 6, "H", 8, "ICD", 4, "F", 3,
            "RO", 5, "P", 4);

    @TempDir
    static Path dir;
    static Path causal;
    static Path trial;

    @BeforeAll
    static void xclbins() throws Exception {
        causal = XclbinBuilder.create().kernel(KernelAbi.load("snn_kernel"), TestLibraries.SNN_SMALL)
                .kernel(KernelAbi.load("lfads_kernel"), CAUSAL_SMALL).write(dir.resolve("causal.xclbin"));
        trial = XclbinBuilder.create().kernel(KernelAbi.load("lfads_kernel"), TRIAL_SMALL)
                .write(dir.resolve("trial.xclbin"));
    }

    static FpgaCheck.Report check(Path xclbin, int vectors) {
        FpgaCheck.Context c = new FpgaCheck.Context().xclbin(xclbin).rtlSim(true).builds(TestLibraries.builds());
        c.vectors().vectors(vectors).seed(3);
        return FpgaCheck.run(c);
    }

    @Test
    @Timeout(1800)
    void everyKernelModeIsBitExactOnTheVerilatedKernels() {
        TestLibraries.assumeTools();
        FpgaCheck.Report r = check(causal, 40);
        assertThat(r.outcome()).as(r.reason() + " " + r.kernels()).isEqualTo(FpgaCheck.Outcome.PASS);
        assertThat(r.reason()).isNull();
        assertThat(r.target()).isEqualTo("rtl-sim");
        assertThat(r.uuid()).isEqualTo(readUuid(causal));
        assertThat(r.kernels()).extracting(KernelCheck.Result::kernel).containsExactly("snn_kernel", "lfads_kernel");
        assertThat(r.kernels()).extracting(KernelCheck.Result::mode).containsExactly("snn", "causal");
        for (KernelCheck.Result k : r.kernels()) {
            assertThat(k.verdict()).as(k.toString()).isEqualTo(KernelCheck.Verdict.PASS);
            assertThat(k.vectors()).isEqualTo(40);
            assertThat(k.mismatches()).isZero();
            assertThat(k.p50Ns()).isPositive().isLessThanOrEqualTo(k.maxNs());
            assertThat(k.device()).startsWith("rtl-sim ");
            assertThat(k.paramsSource()).isEqualTo("xclbin");
        }
        assertThat(r.kernels().get(1).params()).containsAllEntriesOf(CAUSAL_SMALL);

        FpgaCheck.Report t = check(trial, 30);
        assertThat(t.outcome()).as(t.reason() + " " + t.kernels()).isEqualTo(FpgaCheck.Outcome.PASS);
        assertThat(t.kernels()).singleElement().satisfies(k -> {
            assertThat(k.mode()).isEqualTo("trial");
            assertThat(k.vectors()).isEqualTo(30);
            assertThat(k.mismatches()).isZero();
        });
    }

    @Test
    @Timeout(1800)
    void aDeviceThatCorruptsOneWordFailsWithTheFirstMismatch() throws Exception {
        TestLibraries.assumeTools();
        KernelBuild b = KernelBuild.resolve(Xclbin.read(causal), Map.of()).stream()
                .filter(k -> k.kernel().equals("snn_kernel")).findFirst().orElseThrow();
        Path lib = TestLibraries.builds().library("snn_kernel", io.reflex.fpga.rtlsim.RtlSimBuilds.tag("rt",
                FpgaCheck.simParams(b)), FpgaCheck.simParams(b));
        KernelCheck.Context ctx = new KernelCheck.Context().vectors(12).seed(5);
        try (RtlSimDevice good = RtlSimDevice.open(new RtlSimDevice.Context().library(lib).kernel("snn_kernel"))) {
            // the output buffer is argument 2: flip bit 0 of the first word read back after the 4th run
            KernelCheck.Result r = KernelCheck.run(new CorruptingDevice(good, 2, 4), b, ctx);
            assertThat(r.verdict()).isEqualTo(KernelCheck.Verdict.FAIL);
            assertThat(r.mismatches()).isPositive();
            assertThat(r.firstMismatch()).startsWith("vector 4: ").contains("spikes word 0 of tick 0");
        }
        try (RtlSimDevice good = RtlSimDevice.open(new RtlSimDevice.Context().library(lib).kernel("snn_kernel"))) {
            KernelCheck.Result r = KernelCheck.run(good, b, ctx);
            assertThat(r.verdict()).as(r.toString()).isEqualTo(KernelCheck.Verdict.PASS);
            assertThat(r.vectors()).isEqualTo(12);
        }
    }

    private static String readUuid(Path f) {
        try {
            return Xclbin.read(f).uuid().toString();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Flips bit 0 of the first byte read back from one buffer argument's buffer after the n-th run started. */
    static final class CorruptingDevice implements KernelDevice {
        private final KernelDevice inner;
        private final int arg;
        private final int atRun;
        private int runs;

        CorruptingDevice(KernelDevice inner, int arg, int atRun) {
            this.inner = inner;
            this.arg = arg;
            this.atRun = atRun;
        }

        /** A buffer that reads through to the device's own and corrupts the chosen read. */
        final class Corrupting implements DeviceBuffer {
            final DeviceBuffer b;

            Corrupting(DeviceBuffer b) {
                this.b = b;
            }

            @Override
            public long size() {
                return b.size();
            }

            @Override
            public long deviceAddress() {
                return b.deviceAddress();
            }

            @Override
            public int write(byte[] src, int srcOff, long offset, int len) {
                return b.write(src, srcOff, offset, len);
            }

            @Override
            public int read(long offset, byte[] dst, int dstOff, int len) {
                int rc = b.read(offset, dst, dstOff, len);
                if (runs == atRun && offset == 0 && len > 0) {
                    dst[dstOff] ^= 1;
                }
                return rc;
            }

            @Override
            public int sync(int direction, long offset, long len) {
                return b.sync(direction, offset, len);
            }

            @Override
            public void close() {
                b.close();
            }
        }

        @Override
        public String description() {
            return "corrupting " + inner.description();
        }

        @Override
        public KernelAbi abi() {
            return inner.abi();
        }

        @Override
        public DeviceBuffer alloc(int argIndex, long bytes) {
            DeviceBuffer b = inner.alloc(argIndex, bytes);
            return argIndex == arg ? new Corrupting(b) : b;
        }

        @Override
        public KernelRun newRun() {
            KernelRun r = inner.newRun();
            return new KernelRun() {
                @Override
                public KernelRun arg(int index, DeviceBuffer buffer) {
                    r.arg(index, buffer instanceof Corrupting c ? c.b : buffer);
                    return this;
                }

                @Override
                public KernelRun arg(int index, int value) {
                    r.arg(index, value);
                    return this;
                }

                @Override
                public int start() {
                    runs++;
                    return r.start();
                }

                @Override
                public int await(long timeoutMs) {
                    return r.await(timeoutMs);
                }

                @Override
                public void close() {
                    r.close();
                }
            };
        }

        @Override
        public int readRegister(int offset, int[] value) {
            return inner.readRegister(offset, value);
        }

        @Override
        public boolean computesResults() {
            return inner.computesResults();
        }

        @Override
        public long lastRunCycles() {
            return inner.lastRunCycles();
        }

        @Override
        public String lastError() {
            return inner.lastError();
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
