package io.reflex.fpga.check;

import io.reflex.fpga.device.KernelDevice;
import io.reflex.fpga.xclbin.BuildParams;
import io.reflex.fpga.xclbin.KernelBuild;
import java.util.Arrays;
import java.util.Map;

/**
 * Golden vectors through one kernel on a device — a card through XRT or its RTL simulation — with the host programs
 * the engines use, compared bit for bit with the fixed-point golden models of decoders: {@code lfads_kernel}'s causal
 * step ({@code CAUSAL=1}) with {@code LfadsFixed.stepQ}, its trial core ({@code CAUSAL=0}) with
 * {@code LfadsFixed.trialQ}, {@code snn_kernel} with {@code LifPopulation}. The vectors are built for the kernel's
 * build parameters: random models and networks of exactly the build's dimensions (one with saturating weights), one
 * at the build's limits (T_MAX bins, MAX_N neurons), and the shipped demo model where it fits the build. The seed
 * makes them reproducible.
 *
 * <p>A vector is one kernel invocation; it mismatches when its status is not 0 or any output word differs. A device
 * error or timeout ends the check of that kernel (its state is unknown). The time per invocation is the wall time of
 * the host program's call: input written and synced, run started and awaited, status read, output synced and read.
 */
public final class KernelCheck {

    /** The outcome of one kernel's check. */
    public enum Verdict {
        /** Every vector ran and matched. */
        PASS,
        /** A vector mismatched, a status was not 0, or the device failed. */
        FAIL,
        /** No vector ran (the device cannot compute, or could not be opened). */
        NOT_RUN;

        /** Lower-case name for reports. */
        public String key() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    /**
     * One kernel's result.
     *
     * @param kernel        kernel name
     * @param mode          {@code causal}, {@code trial} or {@code snn}
     * @param params        the build parameters checked against
     * @param paramsSource  {@code xclbin} or {@code stated}
     * @param device        the device's description (null when none was opened)
     * @param verdict       the outcome
     * @param vectors       invocations run
     * @param mismatches    invocations whose status or output differed
     * @param p50Ns         median wall time per invocation, ns (-1 when none ran)
     * @param maxNs         longest invocation, ns (-1 when none ran)
     * @param firstMismatch the first mismatch, described (null when none)
     * @param detail        what was run, or why not
     */
    public record Result(String kernel, String mode, Map<String, Integer> params, String paramsSource, String device,
            Verdict verdict, int vectors, int mismatches, long p50Ns, long maxNs, String firstMismatch,
            String detail) {

        /** A result for a kernel no vector ran on. */
        public static Result notRun(KernelBuild b, String device, Verdict verdict, String detail) {
            return new Result(b.kernel(), KernelCheck.mode(b), b.params(), b.source(), device, verdict, 0, 0, -1, -1,
                    null, detail);
        }
    }

    /** Settings of a check. */
    public static final class Context {
        private int vectors = 40;
        private long seed = 1;
        private long timeoutMs = 10_000;
        private boolean concluded;

        /** Invocations per kernel, [1, 100000]; default 40. */
        public Context vectors(int value) {
            this.vectors = value;
            return this;
        }

        /** Seed of the random models, networks and inputs; default 1. */
        public Context seed(long value) {
            this.seed = value;
            return this;
        }

        /** Wait limit of one invocation, ms, [1, 3600000]; default 10,000. */
        public Context timeoutMs(long value) {
            this.timeoutMs = value;
            return this;
        }

        /** Invocations per kernel. */
        public int vectors() {
            return vectors;
        }

        /** Seed. */
        public long seed() {
            return seed;
        }

        /** Wait limit of one invocation, ms. */
        public long timeoutMs() {
            return timeoutMs;
        }

        /**
         * Validates the settings; runs once.
         *
         * @throws IllegalArgumentException naming the field and the allowed range
         */
        public Context conclude() {
            if (concluded) {
                return this;
            }
            if (vectors < 1 || vectors > 100_000) {
                throw new IllegalArgumentException("vectors: must be in [1, 100000], was " + vectors);
            }
            if (timeoutMs < 1 || timeoutMs > 3_600_000) {
                throw new IllegalArgumentException("timeoutMs: must be in [1, 3600000], was " + timeoutMs);
            }
            concluded = true;
            return this;
        }
    }

    private KernelCheck() {
    }

    /** {@code causal}, {@code trial} or {@code snn}: which golden model a build is checked against. */
    public static String mode(KernelBuild b) {
        if (b.kernel().equals("snn_kernel")) {
            return "snn";
        }
        return b.params().getOrDefault("CAUSAL", 0) == 1 ? "causal" : "trial";
    }

    /**
     * Runs the golden vectors of {@code build} on {@code device} (an open device of that kernel, built with those
     * parameters). Never throws for what the device does: failures are in the result.
     */
    public static Result run(KernelDevice device, KernelBuild build, Context context) {
        Context ctx = context.conclude();
        Vectors v;
        switch (mode(build)) {
            case "snn" -> v = new SnnVectors(device, build, ctx);
            case "causal" -> v = new LfadsStepVectors(device, build, ctx);
            default -> v = new LfadsTrialVectors(device, build, ctx);
        }
        try {
            v.run();
        } catch (RuntimeException e) {
            // a host program that cannot even be set up for this build (buffers refused, parameters it cannot use)
            v.stop("the check could not run on " + device.description() + ": " + e.getMessage());
        } finally {
            v.close();
        }
        return v.result();
    }

    /** What the per-kernel checks share: the tally, the timings and the end of a check. */
    abstract static class Vectors {
        final KernelDevice device;
        final KernelBuild build;
        final Context ctx;
        final java.util.SplittableRandom r;
        private final long[] times;
        private int count;
        private int mismatches;
        private String first;
        private String stopped;
        private final StringBuilder detail = new StringBuilder();

        Vectors(KernelDevice device, KernelBuild build, Context ctx) {
            this.device = device;
            this.build = build;
            this.ctx = ctx;
            this.r = new java.util.SplittableRandom(ctx.seed());
            this.times = new long[ctx.vectors()];
        }

        /** Runs vectors until {@link #full()} or {@link #stopped()}. */
        abstract void run();

        /** Releases the host program. */
        abstract void close();

        /** Notes what was run, for the result's detail. */
        void note(String what) {
            detail.append(detail.length() == 0 ? "" : "; ").append(what);
        }

        boolean full() {
            return count >= times.length;
        }

        boolean stopped() {
            return stopped != null;
        }

        /** Ends the check: the device failed or the state is unknown. */
        void stop(String why) {
            if (stopped == null) {
                stopped = why;
            }
        }

        /** Records an invocation: its time and whether it matched. */
        void record(long ns, String mismatch) {
            times[count++] = ns;
            if (mismatch != null) {
                mismatches++;
                if (first == null) {
                    first = "vector " + count + ": " + mismatch;
                }
            }
        }

        Result result() {
            long[] t = Arrays.copyOf(times, count);
            Arrays.sort(t);
            Verdict verdict = stopped == null && mismatches == 0 && count > 0 ? Verdict.PASS : Verdict.FAIL;
            String d = detail.toString();
            if (stopped != null) {
                d = stopped + (d.isEmpty() ? "" : " (ran: " + d + ")");
            }
            return new Result(build.kernel(), mode(build), build.params(), build.source(), device.description(),
                    verdict, count, mismatches, count == 0 ? -1 : t[(count - 1) / 2], count == 0 ? -1 : t[count - 1],
                    first, d);
        }

        /** The first differing word of two arrays, described, or null when they are equal. */
        static String diff(String what, short[] got, short[] want, int n, int perStep) {
            for (int i = 0; i < n; i++) {
                if (got[i] != want[i]) {
                    return what + "[" + (i % perStep) + "] of step " + (i / perStep) + ": got " + got[i] + ", want "
                            + want[i];
                }
            }
            return null;
        }

        static String diff(String what, int[] got, int[] want, int n, int perTick) {
            for (int i = 0; i < n; i++) {
                if (got[i] != want[i]) {
                    return what + " word " + (i % perTick) + " of tick " + (i / perTick) + ": got 0x"
                            + Integer.toHexString(got[i]) + ", want 0x" + Integer.toHexString(want[i]);
                }
            }
            return null;
        }

        String buildText() {
            return BuildParams.text(build.params());
        }
    }
}
