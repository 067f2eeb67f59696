package io.reflex.fpga.xrt;

import io.reflex.fpga.device.DeviceException;
import io.reflex.fpga.engine.DeviceProvider;
import io.reflex.fpga.xclbin.KernelBuild;
import io.reflex.fpga.xclbin.Xclbin;
import io.reflex.fpga.xclbin.XclbinFormatException;
import io.reflex.fpga.xrt.XrtEnvironment.Shim;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Devices for the {@code xrt} engine: compute units of one xclbin on one XRT device. The kernel builds are fixed by
 * the xclbin ({@link KernelBuild}: the parameters it states, or those stated for it), so the engine can refuse a model
 * of other dimensions before any device is opened ({@link #fixedBuild}); {@link #open} opens an {@link XrtDevice} for
 * the kernel (device open, xclbin load, exclusive kernel open, offsets checked against the ABI) and hands it out with
 * those parameters.
 *
 * <p>{@link #of} reads the xclbin with this package's reader and checks the parameters, but calls nothing in XRT:
 * the first native call is the first {@link #open}.
 */
public final class XrtProvider implements DeviceProvider {
    private final Path xclbinFile;
    private final Xclbin xclbin;
    private final Map<String, KernelBuild> builds;
    private final int deviceIndex;
    private final Shim shim;

    private XrtProvider(Path xclbinFile, Xclbin xclbin, Map<String, KernelBuild> builds, int deviceIndex, Shim shim) {
        this.xclbinFile = xclbinFile;
        this.xclbin = xclbin;
        this.builds = builds;
        this.deviceIndex = deviceIndex;
        this.shim = shim;
    }

    /**
     * Reads an xclbin and resolves the builds of its Reflex kernels.
     *
     * @param xclbinFile  the xclbin
     * @param deviceIndex XRT device index
     * @param stated      build parameters stated for kernels (for an xclbin that does not state them); empty for none
     * @param shim        the XRT shim to use ({@link Shim#AUTO}: from the environment)
     * @throws DeviceException with the reason: a missing, foreign or corrupt file, no Reflex kernel, parameters
     *                         neither stated by the file nor given, or contradicting the file
     */
    public static XrtProvider of(Path xclbinFile, int deviceIndex, Map<String, Map<String, Integer>> stated,
            Shim shim) {
        Xclbin x;
        List<KernelBuild> list;
        try {
            x = Xclbin.read(xclbinFile);
            list = KernelBuild.resolve(x, stated);
        } catch (XclbinFormatException e) {
            throw new DeviceException("bad xclbin: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new DeviceException("cannot read xclbin " + xclbinFile + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new DeviceException(e.getMessage(), e);
        }
        Map<String, KernelBuild> m = new LinkedHashMap<>();
        list.forEach(b -> m.put(b.kernel(), b));
        return new XrtProvider(xclbinFile, x, Collections.unmodifiableMap(m), deviceIndex, shim);
    }

    @Override
    public String name() {
        return "xrt";
    }

    /** The xclbin as read. */
    public Xclbin xclbin() {
        return xclbin;
    }

    /** The Reflex kernels of the xclbin with their builds, in file order. */
    public Map<String, KernelBuild> builds() {
        return builds;
    }

    /** XRT device index. */
    public int deviceIndex() {
        return deviceIndex;
    }

    @Override
    public FixedBuild fixedBuild(String kernel) {
        KernelBuild b = builds.get(kernel);
        if (b == null) {
            throw new DeviceException(xclbin.source() + " has no " + kernel + " (its Reflex kernels: "
                    + String.join(", ", builds.keySet()) + ")");
        }
        return new FixedBuild(b.params(), kernel + " of " + xclbin.source()
                + (b.stated() ? " (parameters as stated)" : ""));
    }

    @Override
    public Provided open(String kernel, Map<String, Integer> params) {
        FixedBuild b = fixedBuild(kernel);
        XrtDevice dev = XrtDevice.open(new XrtDevice.Context().xclbin(xclbinFile).kernel(kernel)
                .deviceIndex(deviceIndex).shim(shim));
        return new Provided(dev, b.params());
    }
}
