package io.reflex.fpga.xclbin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.fpga.abi.KernelAbi;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * Writes metadata-only xclbins for Reflex kernels: everything XRT reads to open a device, load the file, open a
 * kernel, find its argument offsets and memory groups and run it — but a dummy BITSTREAM, so the file programs no
 * card. For tests under XRT's noop shim and for bring-up checks of the host side; a real card needs the xclbin v++
 * builds from hdl/vitis.
 *
 * <p>The layout follows hdl/vitis/u55c.cfg: one compute unit per kernel named {@code <kernel>_1}, the memory bundle
 * of each kernel on the HBM pseudo-channel its ABI names ({@code memory_ports[].hbm}: {@code snn_kernel} on HBM[0],
 * {@code lfads_kernel} on HBM[1]). Sections: BITSTREAM (dummy), MEM_TOPOLOGY (the 32 HBM pseudo-channels of a U55C,
 * used where connected), IP_LAYOUT ({@code kernel:instance}, AP_CTRL_HS, interrupt enabled), CONNECTIVITY (every
 * buffer argument to its bank), EMBEDDED_METADATA (the {@code <kernel>} element of the kernel.xml generated from the
 * ABI, as v++ embeds it under {@code project/platform/device/core}, plus its instance), BUILD_METADATA (JSON) and
 * USER_METADATA {@value BuildParams#SECTION_NAME}: the Verilog build parameters of each kernel ({@link BuildParams};
 * the ABI's defaults unless given), which the host needs and XRT's metadata does not carry.
 */
public final class XclbinBuilder {

    /** The platform hdl/vitis links against. */
    public static final String U55C_PLATFORM = "xilinx_u55c_gen3x16_xdma_3_202210_1";
    /** Base address of the first compute unit's control port (the next ones follow at {@link #CU_STRIDE}). */
    public static final long CU_BASE = 0x800000L;
    /** Address space of one compute unit's control port. */
    public static final long CU_STRIDE = 0x10000L;
    /** HBM pseudo-channels of a U55C. */
    public static final int HBM_CHANNELS = 32;
    /** Size of one U55C HBM pseudo-channel (16 GiB / 32). */
    public static final long HBM_CHANNEL_BYTES = 512L << 20;
    /** What the dummy BITSTREAM section holds. */
    public static final String DUMMY_BITSTREAM = "Reflex metadata-only xclbin: no bitstream\n";

    private static final Pattern HBM = Pattern.compile("HBM\\[(\\d+)]");
    private static final int[] VERSION = {2, 13, 0};

    private final List<KernelAbi> kernels = new ArrayList<>();
    private final Map<String, Map<String, Integer>> params = new LinkedHashMap<>();
    private boolean writeBuildParams = true;
    private final List<Object[]> extraSections = new ArrayList<>();
    private String platformVbnv = U55C_PLATFORM;
    private UUID uuid;
    private long timestampS = System.currentTimeMillis() / 1000;

    /** A builder with no kernel yet. */
    public static XclbinBuilder create() {
        return new XclbinBuilder();
    }

    /** The bytes of a metadata-only xclbin with the packaged ABIs of these kernels, in this order. */
    public static byte[] forKernels(String... kernelNames) {
        XclbinBuilder b = create();
        for (String k : kernelNames) {
            b.kernel(KernelAbi.load(k));
        }
        return b.build();
    }

    /**
     * Adds a kernel (one compute unit) built with the ABI's default parameters; compute units get control-port
     * addresses in the order added.
     */
    public XclbinBuilder kernel(KernelAbi abi) {
        return kernel(abi, Map.of());
    }

    /**
     * Adds a kernel (one compute unit) built with {@code buildParams} (the others at the ABI's defaults).
     *
     * @throws IllegalArgumentException for a kernel already added or a name that is not one of its build parameters
     */
    public XclbinBuilder kernel(KernelAbi abi, Map<String, Integer> buildParams) {
        if (kernels.stream().anyMatch(k -> k.name().equals(abi.name()))) {
            throw new IllegalArgumentException("kernel " + abi.name() + " is already in this xclbin");
        }
        bankOf(abi);
        Map<String, Integer> p = BuildParams.complete(abi, buildParams);
        kernels.add(abi);
        params.put(abi.name(), p);
        return this;
    }

    /**
     * Leaves the build-parameter section out, as in an xclbin linked by v++ alone (the engine and
     * {@code fpga check} refuse such a file unless the parameters are stated): for tests of that refusal.
     */
    public XclbinBuilder withoutBuildParams() {
        this.writeBuildParams = false;
        return this;
    }

    /**
     * Sets the UUID (default: a name-based UUID of the sections but BUILD_METADATA, which holds the time stamp, so
     * equal kernels and layout give an equal UUID).
     */
    public XclbinBuilder uuid(UUID value) {
        this.uuid = value;
        return this;
    }

    /** Appends a section after the others (tests: foreign or damaged sections). */
    XclbinBuilder extraSection(SectionKind kind, String name, byte[] data) {
        extraSections.add(new Object[] {kind, name, data.clone()});
        return this;
    }

    /** Sets {@code m_timeStamp} (default: now). */
    public XclbinBuilder timestampS(long seconds) {
        this.timestampS = seconds;
        return this;
    }

    /** Sets {@code m_platformVBNV} (default {@link #U55C_PLATFORM}); at most 63 bytes. */
    public XclbinBuilder platformVbnv(String vbnv) {
        if (vbnv.getBytes(StandardCharsets.UTF_8).length >= Xclbin.VBNV_BYTES) {
            throw new IllegalArgumentException("platform VBNV longer than " + (Xclbin.VBNV_BYTES - 1) + " bytes: " + vbnv);
        }
        this.platformVbnv = vbnv;
        return this;
    }

    /** Writes the xclbin to {@code out} (replacing it) and returns {@code out}. */
    public Path write(Path out) throws IOException {
        Files.write(out, build());
        return out;
    }

    /** The xclbin's bytes. */
    public byte[] build() {
        if (kernels.isEmpty()) {
            throw new IllegalStateException("an xclbin needs at least one kernel");
        }
        List<byte[]> data = new ArrayList<>();
        List<Integer> kinds = new ArrayList<>();
        List<String> names = new ArrayList<>();
        add(kinds, names, data, SectionKind.BITSTREAM, "bitstream", DUMMY_BITSTREAM.getBytes(StandardCharsets.US_ASCII));
        add(kinds, names, data, SectionKind.MEM_TOPOLOGY, "mem_topology", memTopology());
        add(kinds, names, data, SectionKind.IP_LAYOUT, "ip_layout", ipLayout());
        add(kinds, names, data, SectionKind.CONNECTIVITY, "connectivity", connectivity());
        add(kinds, names, data, SectionKind.EMBEDDED_METADATA, "runtime_data", embeddedXml());
        add(kinds, names, data, SectionKind.BUILD_METADATA, "build_metadata", buildMetadata());
        if (writeBuildParams) {
            add(kinds, names, data, SectionKind.USER_METADATA, BuildParams.SECTION_NAME,
                    new BuildParams(params, "reflex XclbinBuilder (metadata-only xclbin)").toJsonBytes());
        }
        for (Object[] e : extraSections) {
            add(kinds, names, data, (SectionKind) e[0], (String) e[1], (byte[]) e[2]);
        }

        int n = data.size();
        long pos = align8(Xclbin.OFF_SECTIONS + (long) n * Xclbin.SECTION_HEADER_BYTES);
        long[] offsets = new long[n];
        for (int i = 0; i < n; i++) {
            offsets[i] = pos;
            pos = align8(pos + data.get(i).length);
        }
        ByteBuffer out = ByteBuffer.allocate((int) pos).order(ByteOrder.LITTLE_ENDIAN);
        byte[] all = out.array();
        System.arraycopy((Xclbin.MAGIC + "\0").getBytes(StandardCharsets.US_ASCII), 0, all, Xclbin.OFF_MAGIC, 8);
        out.putInt(Xclbin.OFF_SIGNATURE_LENGTH, -1);
        // xclbin.h: "reserved ... Initialized to 0xFFs"; the unused key block is filled alike.
        Arrays.fill(all, Xclbin.OFF_RESERVED, Xclbin.OFF_UNIQUE_ID, (byte) 0xFF);
        out.putLong(Xclbin.OFF_LENGTH, pos);
        out.putLong(Xclbin.OFF_TIMESTAMP, timestampS);
        out.putShort(Xclbin.OFF_VERSION_PATCH, (short) VERSION[2]);
        all[Xclbin.OFF_VERSION_MAJOR] = (byte) VERSION[0];
        all[Xclbin.OFF_VERSION_MINOR] = (byte) VERSION[1];
        out.putShort(Xclbin.OFF_MODE, (short) 0); // XCLBIN_FLAT
        putString(all, Xclbin.OFF_PLATFORM_VBNV, platformVbnv, Xclbin.VBNV_BYTES);
        out.putInt(Xclbin.OFF_NUM_SECTIONS, n);
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        for (int i = 0; i < n; i++) {
            int h = Xclbin.OFF_SECTIONS + i * Xclbin.SECTION_HEADER_BYTES;
            out.putInt(h, kinds.get(i));
            putString(all, h + 4, names.get(i), Xclbin.SECTION_NAME_BYTES);
            out.putLong(h + 24, offsets[i]);
            out.putLong(h + 32, data.get(i).length);
            System.arraycopy(data.get(i), 0, all, (int) offsets[i], data.get(i).length);
            if (kinds.get(i) != SectionKind.BUILD_METADATA.code()) { // it holds the time stamp
                content.writeBytes(data.get(i));
            }
        }
        UUID id = uuid != null ? uuid : UUID.nameUUIDFromBytes(content.toByteArray());
        System.arraycopy(Xclbin.uuidToBytes(id), 0, all, Xclbin.OFF_UUID, 16);
        return all;
    }

    /** The MEM_TOPOLOGY index (memory group) of the HBM pseudo-channel a kernel's ABI names. */
    static int bankOf(KernelAbi abi) {
        String hbm = abi.json().path("memory_ports").path(0).path("hbm").asText("");
        Matcher m = HBM.matcher(hbm);
        if (!m.matches() || Integer.parseInt(m.group(1)) >= HBM_CHANNELS) {
            throw new IllegalArgumentException("kernel " + abi.name() + ": memory_ports[0].hbm '" + hbm
                    + "' is not HBM[0.." + (HBM_CHANNELS - 1) + "]");
        }
        return Integer.parseInt(m.group(1));
    }

    private static String instanceOf(KernelAbi abi) {
        return abi.name() + "_1";
    }

    private boolean bankUsed(int bank) {
        return kernels.stream().anyMatch(k -> bankOf(k) == bank);
    }

    private byte[] memTopology() {
        ByteBuffer b = ByteBuffer.allocate(8 + HBM_CHANNELS * Xclbin.MEM_DATA_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, HBM_CHANNELS);
        for (int i = 0; i < HBM_CHANNELS; i++) {
            int e = 8 + i * Xclbin.MEM_DATA_BYTES;
            b.put(e, (byte) MemBank.MEM_HBM);
            b.put(e + 1, (byte) (bankUsed(i) ? 1 : 0));
            b.putLong(e + 8, HBM_CHANNEL_BYTES / 1024);
            b.putLong(e + 16, i * HBM_CHANNEL_BYTES);
            putString(b.array(), e + 24, "HBM[" + i + "]", Xclbin.MEM_TAG_BYTES);
        }
        return b.array();
    }

    private byte[] ipLayout() {
        ByteBuffer b = ByteBuffer.allocate(8 + kernels.size() * Xclbin.IP_DATA_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, kernels.size());
        for (int i = 0; i < kernels.size(); i++) {
            int e = 8 + i * Xclbin.IP_DATA_BYTES;
            b.putInt(e, IpInstance.IP_KERNEL);
            // interrupt enabled (bit 0), interrupt id i (bits 1-7), AP_CTRL_HS (bits 8-15)
            b.putInt(e + 4, 1 | (i << 1) | (IpInstance.AP_CTRL_HS << 8));
            b.putLong(e + 8, CU_BASE + i * CU_STRIDE);
            String name = kernels.get(i).name() + ":" + instanceOf(kernels.get(i));
            if (name.length() >= Xclbin.IP_NAME_BYTES) {
                throw new IllegalArgumentException("IP name longer than " + (Xclbin.IP_NAME_BYTES - 1) + " bytes: " + name);
            }
            putString(b.array(), e + 16, name, Xclbin.IP_NAME_BYTES);
        }
        return b.array();
    }

    private byte[] connectivity() {
        List<int[]> conns = new ArrayList<>();
        for (int i = 0; i < kernels.size(); i++) {
            for (var a : kernels.get(i).json().path("args")) {
                if (a.path("kind").asText().equals("buffer")) {
                    conns.add(new int[] {a.path("id").asInt(), i, bankOf(kernels.get(i))});
                }
            }
        }
        ByteBuffer b = ByteBuffer.allocate(4 + Math.max(1, conns.size()) * Xclbin.CONNECTION_BYTES)
                .order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, conns.size());
        for (int i = 0; i < conns.size(); i++) {
            int e = 4 + i * Xclbin.CONNECTION_BYTES;
            b.putInt(e, conns.get(i)[0]).putInt(e + 4, conns.get(i)[1]).putInt(e + 8, conns.get(i)[2]);
        }
        return b.array();
    }

    private byte[] embeddedXml() {
        try {
            Document doc = Xclbin.secureXmlParser().newDocument();
            Element project = child(doc, doc, "project", "name", "reflex_metadata_only");
            project.setAttribute("platform", platformVbnv);
            Element platform = child(doc, project, "platform", "vendor", "xilinx");
            platform.setAttribute("boardid", "u55c");
            platform.setAttribute("name", platformVbnv);
            platform.setAttribute("featureRomTime", "0");
            Element device = child(doc, platform, "device", "name", "fpga0");
            Element core = child(doc, device, "core", "name", "OCL_REGION_0");
            core.setAttribute("target", "bitstream");
            core.setAttribute("type", "clc_region");
            core.setAttribute("numComputeUnits", Integer.toString(kernels.size()));
            for (int i = 0; i < kernels.size(); i++) {
                KernelAbi abi = kernels.get(i);
                // The <kernel> of the kernel.xml packaged into the .xo, laid out as v++ embeds it: same attributes,
                // <port> and <arg> directly under <kernel> (XRT reads them there), then the compute unit.
                Document kx = Xclbin.secureXmlParser().parse(
                        new ByteArrayInputStream(abi.kernelXml().getBytes(StandardCharsets.UTF_8)));
                Element packaged = (Element) kx.getElementsByTagName("kernel").item(0);
                Element kernel = doc.createElement("kernel");
                NamedNodeMap attrs = packaged.getAttributes();
                for (int a = 0; a < attrs.getLength(); a++) {
                    kernel.setAttribute(attrs.item(a).getNodeName(), attrs.item(a).getNodeValue());
                }
                for (String tag : new String[] {"port", "arg"}) {
                    NodeList list = packaged.getElementsByTagName(tag);
                    for (int j = 0; j < list.getLength(); j++) {
                        kernel.appendChild(doc.importNode(list.item(j), false));
                    }
                }
                core.appendChild(kernel);
                Element inst = child(doc, kernel, "instance", "name", instanceOf(abi));
                Element remap = child(doc, inst, "addrRemap", "base", "0x" + Long.toHexString(CU_BASE + i * CU_STRIDE));
                remap.setAttribute("range", "0x" + Long.toHexString(CU_STRIDE));
                remap.setAttribute("port", abi.json().path("control").path("port").asText());
            }
            Transformer t = TransformerFactory.newInstance().newTransformer();
            t.setOutputProperty(OutputKeys.INDENT, "yes");
            t.setOutputProperty(OutputKeys.ENCODING, "UTF-8");
            t.setOutputProperty("{http://xml.apache.org/xslt}indent-amount", "2");
            StringWriter w = new StringWriter();
            t.transform(new DOMSource(doc), new StreamResult(w));
            return w.toString().getBytes(StandardCharsets.UTF_8);
        } catch (SAXException | IOException | TransformerException e) {
            throw new IllegalStateException("cannot build the kernel XML: " + e.getMessage(), e);
        }
    }

    private byte[] buildMetadata() {
        ObjectMapper m = new ObjectMapper();
        ObjectNode root = m.createObjectNode();
        ObjectNode bm = root.putObject("build_metadata");
        ObjectNode xclbin = bm.putObject("xclbin");
        ObjectNode by = xclbin.putObject("generated_by");
        by.put("name", "reflex");
        by.put("options", "metadata-only: dummy bitstream, programs no card");
        by.put("time_stamp", Long.toString(timestampS));
        ArrayNode regions = xclbin.putArray("user_regions");
        ObjectNode region = regions.addObject();
        region.put("name", "OCL_REGION_0");
        region.put("type", "clc_region");
        ArrayNode ks = region.putArray("kernels");
        for (KernelAbi k : kernels) {
            ObjectNode o = ks.addObject();
            o.put("name", k.name());
            o.put("vlnv", k.json().path("vlnv").asText());
            o.putArray("instances").addObject().put("name", instanceOf(k));
            o.put("memory", "HBM[" + bankOf(k) + "]");
        }
        bm.putObject("dsa").put("name", platformVbnv);
        try {
            return m.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Element child(Document doc, org.w3c.dom.Node parent, String tag, String attr, String value) {
        Element e = doc.createElement(tag);
        e.setAttribute(attr, value);
        parent.appendChild(e);
        return e;
    }

    private static void add(List<Integer> kinds, List<String> names, List<byte[]> data, SectionKind kind, String name,
            byte[] bytes) {
        kinds.add(kind.code());
        names.add(name);
        data.add(bytes);
    }

    private static void putString(byte[] dst, int off, String s, int max) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(b, 0, dst, off, Math.min(b.length, max - 1));
    }

    private static long align8(long v) {
        return (v + 7) & ~7L;
    }
}
