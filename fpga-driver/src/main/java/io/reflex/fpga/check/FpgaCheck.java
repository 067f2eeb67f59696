package io.reflex.fpga.check;

import io.reflex.fpga.device.DeviceException;
import io.reflex.fpga.device.KernelDevice;
import io.reflex.fpga.lfads.LfadsKernelImage;
import io.reflex.fpga.lfads.LfadsStepImage;
import io.reflex.fpga.rtlsim.RtlSimBuilds;
import io.reflex.fpga.rtlsim.RtlSimDevice;
import io.reflex.fpga.xclbin.KernelBuild;
import io.reflex.fpga.xclbin.Xclbin;
import io.reflex.fpga.xclbin.XclbinFormatException;
import io.reflex.fpga.xrt.XrtDevice;
import io.reflex.fpga.xrt.XrtEnvironment;
import io.reflex.fpga.xrt.XrtEnvironment.Shim;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Board bring-up: every Reflex kernel of an xclbin through {@link KernelCheck}'s golden vectors, on the card (each
 * kernel's compute unit opened through {@link XrtDevice}: device open, xclbin load, UUID, exclusive kernel open,
 * argument offsets and memory groups against the ABI) or, with {@link Context#rtlSim}, on the verilated kernels built
 * with the parameters the xclbin states. The parameters come from the xclbin ({@link KernelBuild}) or are stated.
 *
 * <p>The outcome says what an operator does next: {@link Outcome#PASS} (every kernel bit-exact), {@link Outcome#FAIL}
 * (a kernel mismatched, returned a status, timed out, or the card refused the xclbin or a kernel),
 * {@link Outcome#NO_DEVICE} (nothing to run on: no card, no usable XRT, the noop shim, no simulator) or
 * {@link Outcome#BAD_INPUT} (the xclbin or the stated parameters cannot be used).
 */
public final class FpgaCheck {

    /** What the check found, as a whole. */
    public enum Outcome {
        PASS, FAIL, NO_DEVICE, BAD_INPUT;

        /** Lower-case name for reports. */
        public String key() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    /**
     * The check's report.
     *
     * @param xclbin   the file
     * @param uuid     its UUID (null when it could not be read)
     * @param platform its platform VBNV (null when it could not be read)
     * @param target   {@code xrt} or {@code rtl-sim}
     * @param device   the XRT device index (-1 for rtl-sim)
     * @param outcome  the outcome
     * @param reason   why the outcome is not PASS, in one sentence (null for PASS)
     * @param kernels  per Reflex kernel, in the xclbin's order
     * @param foreign  kernels of the xclbin that are not Reflex kernels (not checked)
     */
    public record Report(String xclbin, String uuid, String platform, String target, int device, Outcome outcome,
            String reason, List<KernelCheck.Result> kernels, List<String> foreign) {
    }

    /** Settings of {@link #run}. */
    public static final class Context {
        private Path xclbin;
        private int deviceIndex;
        private Map<String, Map<String, Integer>> stated = Map.of();
        private boolean rtlSim;
        private RtlSimBuilds builds;
        private Shim shim = Shim.AUTO;
        private final KernelCheck.Context vectors = new KernelCheck.Context();
        private boolean concluded;

        /** The xclbin (required). */
        public Context xclbin(Path value) {
            this.xclbin = value;
            return this;
        }

        /** XRT device index, [0, 63]; default 0. */
        public Context deviceIndex(int value) {
            this.deviceIndex = value;
            return this;
        }

        /** Build parameters stated for kernels of an xclbin that does not state them ({@code BuildParams.parseSpec}). */
        public Context stated(Map<String, Map<String, Integer>> value) {
            this.stated = value;
            return this;
        }

        /** Check on the verilated kernels instead of a card (default false). */
        public Context rtlSim(boolean value) {
            this.rtlSim = value;
            return this;
        }

        /** Where the RTL-sim libraries are built (default: {@code RtlSimBuilds} with its defaults). */
        public Context builds(RtlSimBuilds value) {
            this.builds = value;
            return this;
        }

        /** The XRT shim (default {@link Shim#AUTO}: the environment's). */
        public Context shim(Shim value) {
            this.shim = value;
            return this;
        }

        /** Settings of the vectors (count, seed, timeout). */
        public KernelCheck.Context vectors() {
            return vectors;
        }

        /**
         * Validates the settings; runs once.
         *
         * @throws IllegalArgumentException naming the field and what is allowed
         */
        public Context conclude() {
            if (concluded) {
                return this;
            }
            if (xclbin == null) {
                throw new IllegalArgumentException("xclbin: required (the .xclbin file to check)");
            }
            if (deviceIndex < 0 || deviceIndex > 63) {
                throw new IllegalArgumentException("deviceIndex: must be in [0, 63], was " + deviceIndex);
            }
            if (stated == null || shim == null) {
                throw new IllegalArgumentException("stated and shim: required (empty map, Shim.AUTO by default)");
            }
            vectors.conclude();
            concluded = true;
            return this;
        }
    }

    private FpgaCheck() {
    }

    /**
     * Runs the check. Never throws for what the file, the environment or the device do: the report says.
     *
     * @throws IllegalArgumentException when the context is invalid
     */
    public static Report run(Context context) {
        Context ctx = context.conclude();
        String target = ctx.rtlSim ? "rtl-sim" : "xrt";
        int dev = ctx.rtlSim ? -1 : ctx.deviceIndex;
        String file = ctx.xclbin.toString();
        Xclbin x;
        List<KernelBuild> builds;
        try {
            x = Xclbin.read(ctx.xclbin);
        } catch (XclbinFormatException e) {
            return new Report(file, null, null, target, dev, Outcome.BAD_INPUT, "bad xclbin: " + e.getMessage(),
                    List.of(), List.of());
        } catch (IOException e) {
            return new Report(file, null, null, target, dev, Outcome.BAD_INPUT, "cannot read " + file + ": "
                    + e.getMessage(), List.of(), List.of());
        }
        String uuid = x.uuid().toString();
        List<String> foreign = KernelBuild.foreignKernels(x);
        try {
            builds = KernelBuild.resolve(x, ctx.stated);
        } catch (XclbinFormatException e) {
            return new Report(file, uuid, x.platformVbnv(), target, dev, Outcome.BAD_INPUT, "bad xclbin: "
                    + e.getMessage(), List.of(), foreign);
        } catch (IllegalArgumentException e) {
            return new Report(file, uuid, x.platformVbnv(), target, dev, Outcome.BAD_INPUT, e.getMessage(), List.of(),
                    foreign);
        }
        if (!ctx.rtlSim) {
            try {
                XrtEnvironment.plan(ctx.shim);
            } catch (DeviceException e) {
                return new Report(file, uuid, x.platformVbnv(), target, dev, Outcome.NO_DEVICE, "no card to check on:"
                        + " XRT cannot be used here: " + e.getMessage(), notRun(builds, e.getMessage()), foreign);
            }
        } else {
            String missing = RtlSimBuilds.missingTools();
            if (missing != null) {
                return new Report(file, uuid, x.platformVbnv(), target, dev, Outcome.NO_DEVICE, "no RTL simulation"
                        + " here: " + missing, notRun(builds, missing), foreign);
            }
        }
        List<KernelCheck.Result> results = new ArrayList<>();
        String noDevice = null;
        boolean noCard = false;
        for (KernelBuild b : builds) {
            if (noCard) {
                results.add(KernelCheck.Result.notRun(b, null, KernelCheck.Verdict.NOT_RUN, noDevice));
                continue;
            }
            KernelDevice d;
            try {
                d = ctx.rtlSim ? openRtlSim(ctx, b) : XrtDevice.open(new XrtDevice.Context().xclbin(ctx.xclbin)
                        .kernel(b.kernel()).deviceIndex(ctx.deviceIndex).shim(ctx.shim));
            } catch (DeviceException e) {
                if (!ctx.rtlSim && e.getMessage().startsWith("no XRT device")) {
                    noCard = true;
                    noDevice = e.getMessage();
                    results.add(KernelCheck.Result.notRun(b, null, KernelCheck.Verdict.NOT_RUN, noDevice));
                } else {
                    // the card or the simulator refused this kernel: the xclbin load, the UUID, the kernel, its offsets
                    results.add(KernelCheck.Result.notRun(b, null, KernelCheck.Verdict.FAIL, e.getMessage()));
                }
                continue;
            }
            try {
                if (!d.computesResults()) {
                    // XRT's noop shim: every kernel's host flow is still checked, no vector can be
                    noDevice = "XRT's noop shim computes nothing: no vector can be checked without a card";
                    results.add(KernelCheck.Result.notRun(b, d.description(), KernelCheck.Verdict.NOT_RUN,
                            "host flow only: device opened, xclbin loaded, kernel opened, argument offsets and memory"
                                    + " groups equal to the ABI's; " + noDevice));
                    continue;
                }
                results.add(KernelCheck.run(d, b, ctx.vectors));
            } finally {
                d.close();
            }
        }
        Outcome outcome;
        String reason = null;
        if (results.stream().anyMatch(r -> r.verdict() == KernelCheck.Verdict.FAIL)) {
            outcome = Outcome.FAIL;
            KernelCheck.Result bad = results.stream().filter(r -> r.verdict() == KernelCheck.Verdict.FAIL).findFirst()
                    .orElseThrow();
            reason = bad.kernel() + ": " + (bad.firstMismatch() != null ? bad.firstMismatch() : bad.detail());
        } else if (noDevice != null) {
            outcome = Outcome.NO_DEVICE;
            reason = "no card to check on: " + noDevice;
        } else if (results.stream().allMatch(r -> r.verdict() == KernelCheck.Verdict.PASS)) {
            outcome = Outcome.PASS;
        } else {
            outcome = Outcome.FAIL;
            KernelCheck.Result bad = results.stream().filter(r -> r.verdict() != KernelCheck.Verdict.PASS).findFirst()
                    .orElseThrow();
            reason = bad.kernel() + ": " + (bad.firstMismatch() != null ? bad.firstMismatch() : bad.detail());
        }
        return new Report(file, uuid, x.platformVbnv(), target, dev, outcome, reason, results, foreign);
    }

    private static List<KernelCheck.Result> notRun(List<KernelBuild> builds, String why) {
        List<KernelCheck.Result> l = new ArrayList<>();
        for (KernelBuild b : builds) {
            l.add(KernelCheck.Result.notRun(b, null, KernelCheck.Verdict.NOT_RUN, why));
        }
        return l;
    }

    /**
     * The Verilog parameters an RTL-sim library is built with for a build: those the engines' builds name (so a
     * library the rtl-sim engine built is reused) plus every other one that differs from its default.
     */
    public static Map<String, Integer> simParams(KernelBuild b) {
        Map<String, Integer> named = new LinkedHashMap<>();
        switch (KernelCheck.mode(b)) {
            case "causal" -> named.putAll(LfadsStepImage.Build.of(b.params()).params());
            case "trial" -> named.putAll(LfadsKernelImage.Build.of(b.params()).params());
            default -> {
                named.put("MAX_N", b.params().get("MAX_N"));
                named.put("MAX_IN", b.params().get("MAX_IN"));
                named.put("MAX_NNZ", b.params().get("MAX_NNZ"));
            }
        }
        Map<String, Integer> defaults = b.abi().buildParameters();
        b.params().forEach((k, v) -> {
            if (!named.containsKey(k) && !v.equals(defaults.get(k))) {
                named.put(k, v);
            }
        });
        return named;
    }

    private static KernelDevice openRtlSim(Context ctx, KernelBuild b) {
        RtlSimBuilds builds;
        try {
            builds = ctx.builds != null ? ctx.builds : new RtlSimBuilds(new RtlSimBuilds.Context());
        } catch (IllegalArgumentException e) {
            throw new DeviceException("rtl-sim: " + e.getMessage(), e);
        }
        Map<String, Integer> params = simParams(b);
        Path lib = builds.library(b.kernel(), RtlSimBuilds.tag("rt", params), params);
        return RtlSimDevice.open(new RtlSimDevice.Context().library(lib).kernel(b.kernel())
                .requiredParams(b.params()));
    }
}
