package io.reflex.tools;

import io.reflex.fpga.check.FpgaCheck;
import io.reflex.fpga.check.KernelCheck;
import io.reflex.fpga.xclbin.BuildParams;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code reflex fpga}: board bring-up (hdl/BRINGUP.md). */
@Command(name = "fpga", mixinStandardHelpOptions = true,
        header = "Board bring-up: check the kernels of an xclbin on a card (or on their RTL simulation).",
        subcommands = {FpgaCommand.Check.class})
final class FpgaCommand implements Runnable {

    /** Exit code: every kernel bit-exact. */
    static final int EXIT_PASS = 0;
    /** Exit code: a kernel mismatched, returned a status or timed out, or the card refused the xclbin or a kernel. */
    static final int EXIT_FAIL = 1;
    /** Exit code: the xclbin or the options cannot be used. */
    static final int EXIT_BAD_INPUT = 2;
    /** Exit code: nothing to run the vectors on (no card, no usable XRT, the noop shim, no simulator). */
    static final int EXIT_NO_DEVICE = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** {@code reflex fpga check --xclbin FILE [--rtl-sim] [--json]}. */
    @Command(name = "check", mixinStandardHelpOptions = true,
            header = "Run golden vectors through every Reflex kernel of an xclbin and report a bit-exact verdict and"
                    + " the time per invocation.",
            description = {"Opens the card (XRT device --device), loads the xclbin, opens each Reflex kernel in it"
                    + " (lfads_kernel causal or trial build, snn_kernel), checks its argument offsets against the ABI,"
                    + " and runs golden vectors built for the kernel's build parameters through the same host"
                    + " programs as the engines, comparing every output word with the fixed-point golden models."
                    + " --rtl-sim runs the same vectors on the verilated kernels built with the xclbin's parameters"
                    + " (no card needed).",
                "Exit: 0 every kernel bit-exact; 1 a kernel failed (mismatch, status, timeout, refused by the card);"
                    + " 2 the xclbin or the options cannot be used; 3 nothing to run on (no card, no usable XRT,"
                    + " XRT's noop shim, no simulator)."})
    static final class Check implements Callable<Integer> {

        @Option(names = "--xclbin", required = true, paramLabel = "FILE", description = "The xclbin to check.")
        Path xclbin;

        @Option(names = "--rtl-sim", description = "Check on the verilated kernels instead of a card.")
        boolean rtlSim;

        @Option(names = "--device", paramLabel = "N", defaultValue = "0",
                description = "XRT device index (default: ${DEFAULT-VALUE}; xbutil examine lists them).")
        int device;

        @Option(names = "--params", paramLabel = "KERNEL:NAME=VALUE,...[;KERNEL:...]",
                description = "Build parameters of kernels whose xclbin does not state them (an xclbin linked"
                        + " without hdl/vitis's metadata step).")
        String params;

        @Option(names = "--vectors", paramLabel = "N", defaultValue = "40",
                description = "Invocations per kernel (default: ${DEFAULT-VALUE}).")
        int vectors;

        @Option(names = "--seed", paramLabel = "S", defaultValue = "1",
                description = "Seed of the random models, networks and inputs (default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--timeout-ms", paramLabel = "MS", defaultValue = "10000",
                description = "Wait limit of one invocation (default: ${DEFAULT-VALUE}).")
        long timeoutMs;

        @Option(names = "--json", description = "Print one JSON object on stdout.")
        boolean json;

        @Override
        public Integer call() {
            FpgaCheck.Context ctx = new FpgaCheck.Context().xclbin(xclbin).deviceIndex(device).rtlSim(rtlSim);
            ctx.vectors().vectors(vectors).seed(seed).timeoutMs(timeoutMs);
            try {
                if (params != null) {
                    ctx.stated(BuildParams.parseSpec(params));
                }
                ctx.conclude();
            } catch (IllegalArgumentException e) {
                System.err.println("reflex fpga check: " + e.getMessage());
                return EXIT_BAD_INPUT;
            }
            FpgaCheck.Report r = FpgaCheck.run(ctx);
            if (json) {
                System.out.println(Json.write(toJson(r).node()));
            } else {
                System.out.print(text(r));
            }
            if (r.outcome() != FpgaCheck.Outcome.PASS && !json) {
                System.err.println("reflex fpga check: " + r.outcome().key() + ": " + r.reason());
            }
            return switch (r.outcome()) {
                case PASS -> EXIT_PASS;
                case FAIL -> EXIT_FAIL;
                case BAD_INPUT -> EXIT_BAD_INPUT;
                case NO_DEVICE -> EXIT_NO_DEVICE;
            };
        }
    }

    /** The JSON of {@code check --json}; keys are listed in the README's command table. */
    static Json.Obj toJson(FpgaCheck.Report r) {
        Json.Obj o = Json.object().put("xclbin", r.xclbin()).put("uuid", r.uuid()).put("platform", r.platform())
                .put("target", r.target()).put("device", r.device()).put("outcome", r.outcome().key())
                .put("reason", r.reason());
        Json.Arr ks = Json.array();
        for (KernelCheck.Result k : r.kernels()) {
            Json.Obj p = Json.object();
            k.params().forEach((name, v) -> p.put(name, (long) v));
            ks.add(Json.object().put("kernel", k.kernel()).put("mode", k.mode()).put("params", p)
                    .put("params_source", k.paramsSource()).put("device", k.device())
                    .put("verdict", k.verdict().key()).put("vectors", k.vectors()).put("mismatches", k.mismatches())
                    .put("p50_us", k.p50Ns() < 0 ? Double.NaN : k.p50Ns() / 1e3)
                    .put("max_us", k.maxNs() < 0 ? Double.NaN : k.maxNs() / 1e3)
                    .put("first_mismatch", k.firstMismatch()).put("detail", k.detail()));
        }
        o.put("kernels", ks);
        Json.Arr f = Json.array();
        r.foreign().forEach(f::add);
        o.put("foreign_kernels", f);
        return o;
    }

    static String text(FpgaCheck.Report r) {
        StringBuilder sb = new StringBuilder();
        sb.append("xclbin   ").append(r.xclbin()).append(r.uuid() == null ? "" : " (uuid " + r.uuid() + ", "
                + r.platform() + ")").append(System.lineSeparator());
        sb.append("target   ").append(r.target().equals("xrt") ? "xrt device " + r.device() : "rtl-sim (verilated"
                + " kernels)").append(System.lineSeparator());
        for (KernelCheck.Result k : r.kernels()) {
            sb.append(String.format(Locale.ROOT, "%-8s %-13s %-7s %d/%d vectors bit-exact", k.verdict().key()
                    .toUpperCase(Locale.ROOT), k.kernel(), k.mode(), k.vectors() - k.mismatches(), k.vectors()));
            if (k.p50Ns() >= 0) {
                sb.append(String.format(Locale.ROOT, ", per invocation p50 %.1f us, max %.1f us", k.p50Ns() / 1e3,
                        k.maxNs() / 1e3));
            }
            sb.append(System.lineSeparator());
            sb.append("         build ").append(BuildParams.text(k.params())).append(" (").append(k.paramsSource())
                    .append(")").append(System.lineSeparator());
            if (k.device() != null) {
                sb.append("         device ").append(k.device()).append(System.lineSeparator());
            }
            if (k.firstMismatch() != null) {
                sb.append("         first mismatch: ").append(k.firstMismatch()).append(System.lineSeparator());
            }
            if (k.detail() != null && !k.detail().isEmpty()) {
                sb.append("         ").append(k.detail()).append(System.lineSeparator());
            }
        }
        if (!r.foreign().isEmpty()) {
            sb.append("not checked (not Reflex kernels): ").append(String.join(", ", r.foreign()))
                    .append(System.lineSeparator());
        }
        sb.append("verdict  ").append(r.outcome().key().toUpperCase(Locale.ROOT))
                .append(r.reason() == null ? "" : ": " + r.reason()).append(System.lineSeparator());
        return sb.toString();
    }

    private FpgaCommand() {
    }
}
