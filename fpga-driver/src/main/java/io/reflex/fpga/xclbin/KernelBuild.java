package io.reflex.fpga.xclbin;

import io.reflex.fpga.abi.KernelAbi;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * One Reflex kernel of an xclbin with the Verilog parameters it was built with, from the xclbin's own
 * {@link BuildParams} section or, for an xclbin without one, as stated by the user.
 *
 * @param kernel the kernel name ({@code lfads_kernel}, {@code snn_kernel})
 * @param abi    its ABI (packaged with this module)
 * @param params every build parameter of the ABI, in the ABI's order
 * @param stated true when the parameters were stated by the user, false when the xclbin states them
 */
public record KernelBuild(String kernel, KernelAbi abi, Map<String, Integer> params, boolean stated) {

    /** Where the parameters come from, for reports: {@code "xclbin"} or {@code "stated"}. */
    public String source() {
        return stated ? "stated" : "xclbin";
    }

    /** The ABI of a kernel name, or empty when it is not a Reflex kernel. */
    public static Optional<KernelAbi> reflexAbi(String kernel) {
        try {
            return Optional.of(KernelAbi.load(kernel));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The kernels of the xclbin that are not Reflex kernels (no packaged ABI), in file order. */
    public static List<String> foreignKernels(Xclbin x) {
        return x.kernels().stream().map(KernelInfo::name).filter(k -> reflexAbi(k).isEmpty())
                .collect(Collectors.toList());
    }

    /**
     * The build of every Reflex kernel in {@code x}, in file order: each kernel's parameters as the xclbin states
     * them, or as {@code stated} gives them (complete: see {@link BuildParams#parseSpec}) when the xclbin has none.
     *
     * @param stated per kernel, parameters the user states (empty map for none)
     * @throws XclbinFormatException    when the xclbin's parameter section is malformed
     * @throws IllegalArgumentException naming the file and the reason when the xclbin holds no Reflex kernel, a
     *                                  kernel's parameters are neither stated by the file nor by the user, the file's
     *                                  set does not match the ABI, a stated set contradicts the file's, or a stated
     *                                  kernel is not in the file
     */
    public static List<KernelBuild> resolve(Xclbin x, Map<String, Map<String, Integer>> stated)
            throws XclbinFormatException {
        BuildParams inFile = BuildParams.read(x).orElse(null);
        List<KernelBuild> out = new ArrayList<>();
        for (KernelInfo k : x.kernels()) {
            KernelAbi abi = reflexAbi(k.name()).orElse(null);
            if (abi == null) {
                continue;
            }
            Map<String, Integer> fromFile;
            try {
                fromFile = inFile == null ? null : inFile.forKernel(abi).orElse(null);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(x.source() + ": " + e.getMessage(), e);
            }
            Map<String, Integer> given = stated.get(k.name());
            if (fromFile != null && given != null && !fromFile.equals(given)) {
                throw new IllegalArgumentException(x.source() + " states " + k.name() + " " + BuildParams.text(fromFile)
                        + ", the stated parameters say " + BuildParams.text(given)
                        + ": the file's own parameters are the ones its bitstream was built with; drop the statement");
            }
            if (fromFile == null && given == null) {
                throw new IllegalArgumentException(x.source() + " does not state the build parameters of " + k.name()
                        + (inFile == null ? " (it has no Reflex build-parameter section: an xclbin linked before"
                        + " hdl/vitis wrote one, or not by hdl/vitis)" : "")
                        + "; rebuild it with hdl/vitis (make hw), or state them (fpga check --params, engine option"
                        + " params), e.g. " + k.name() + ":" + BuildParams.text(abi.buildParameters()).replace(' ', ','));
            }
            out.add(new KernelBuild(k.name(), abi, fromFile != null ? fromFile : given, fromFile == null));
        }
        for (String s : stated.keySet()) {
            if (x.kernel(s).isEmpty()) {
                throw new IllegalArgumentException("parameters are stated for " + s + ", which " + x.source()
                        + " does not hold (it has: " + kernelList(x) + ")");
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(x.source() + " holds no Reflex kernel (it has: " + kernelList(x)
                    + "); Reflex kernels: lfads_kernel, snn_kernel");
        }
        return out;
    }

    static String kernelList(Xclbin x) {
        return x.kernels().isEmpty() ? "no kernel" : x.kernels().stream().map(KernelInfo::name)
                .collect(Collectors.joining(", "));
    }
}
