package io.reflex.fpga.abi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * A kernel's ABI (hdl/abi/&lt;kernel&gt;.json): argument index, register offset, width and memory bundle. The single
 * source from which kernel.xml is generated, against which the RTL register map is checked, and from which the
 * host programs take their register offsets. The build copies hdl/abi/*.json into this module's resources
 * ({@link #load}).
 */
public final class KernelAbi {
    /** First argument register (Vitis layout: one 64-bit slot every 12 bytes). */
    public static final int ARG_BASE = 0x10;
    /** Bytes between argument registers. */
    public static final int ARG_STRIDE = 12;

    private final JsonNode root;

    private KernelAbi(JsonNode root) {
        this.root = root;
    }

    /** Reads an ABI file (e.g. hdl/abi/&lt;kernel&gt;.json). */
    public static KernelAbi read(Path file) throws IOException {
        return new KernelAbi(new ObjectMapper().readTree(file.toFile()));
    }

    /**
     * The ABI of a kernel as packaged with this module ({@code io/reflex/fpga/abi/<kernel>.json} on the class path).
     *
     * @throws IllegalArgumentException when no ABI of that name is packaged
     */
    public static KernelAbi load(String kernel) {
        String res = "/io/reflex/fpga/abi/" + kernel + ".json";
        try (InputStream in = KernelAbi.class.getResourceAsStream(res)) {
            if (in == null) {
                throw new IllegalArgumentException("no kernel ABI named '" + kernel + "' (" + res + ")");
            }
            return new KernelAbi(new ObjectMapper().readTree(in));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + res, e);
        }
    }

    /** The JSON tree. */
    public JsonNode json() {
        return root;
    }

    /** Kernel name. */
    public String name() {
        return root.path("kernel").asText();
    }

    /** Number of kernel arguments. */
    public int argCount() {
        return root.path("args").size();
    }

    /** Name of argument {@code index}. */
    public String argName(int index) {
        return arg(index).path("name").asText();
    }

    /**
     * Index of the argument called {@code name}.
     *
     * @throws IllegalArgumentException when the kernel has no such argument
     */
    public int argIndex(String name) {
        for (int i = 0; i < argCount(); i++) {
            if (argName(i).equals(name)) {
                return i;
            }
        }
        throw new IllegalArgumentException(name() + " has no argument '" + name + "'");
    }

    /** Control-port offset of argument {@code index} (the low word of its 64-bit slot). */
    public int argOffset(int index) {
        return arg(index).path("offset").asInt();
    }

    /** True when argument {@code index} is a buffer (a device address), false for a scalar. */
    public boolean isBuffer(int index) {
        return "buffer".equals(arg(index).path("kind").asText());
    }

    /** Control-port offset of the read-only status word. */
    public int statusOffset() {
        return root.path("status").path("offset").asInt();
    }

    /** What a status code means ("ok", "bad magic", ...), or {@code "status N"} for a code the ABI does not name. */
    public String statusName(int code) {
        JsonNode n = root.path("status").path("codes").path(Integer.toString(code));
        return n.isMissingNode() ? "status " + code : n.asText();
    }

    /** The value of a named flag bit ({@code "load"}, {@code "reset"}, ...). */
    public int flag(String name) {
        JsonNode n = root.path("flags").path(name);
        if (!n.isInt()) {
            throw new IllegalArgumentException(name() + " has no flag '" + name + "'");
        }
        return n.asInt();
    }

    /** Bytes per data beat of the kernel's (first) memory port. */
    public int memoryBeatBytes() {
        return root.path("memory_ports").get(0).path("data_width").asInt() / 8;
    }

    /**
     * The Verilog parameters of the kernel's top module with their default values ({@code build_parameters} of
     * the JSON; hdl's KernelAbiTest checks them against the RTL), in declaration order.
     */
    public java.util.Map<String, Integer> buildParameters() {
        java.util.Map<String, Integer> m = new java.util.LinkedHashMap<>();
        root.path("build_parameters").fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asInt()));
        return m;
    }

    private JsonNode arg(int index) {
        JsonNode a = root.path("args").path(index);
        if (a.isMissingNode()) {
            throw new IllegalArgumentException(name() + " has no argument " + index);
        }
        return a;
    }

    /** The Vitis kernel.xml of this ABI. */
    public String kernelXml() {
        StringBuilder sb = new StringBuilder();
        sb.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        sb.append("<!-- Generated from hdl/abi/").append(name()).append(".json by io.reflex.fpga.abi.KernelAbi;")
                .append(" KernelAbiTest checks that this file is current. -->\n");
        sb.append("<root versionMajor=\"1\" versionMinor=\"6\">\n");
        sb.append("  <kernel name=\"").append(name()).append("\" language=\"ip_c\" vlnv=\"")
                .append(root.path("vlnv").asText())
                .append("\" attributes=\"\" preferredWorkGroupSizeMultiple=\"0\" workGroupSize=\"1\"")
                .append(" interrupt=\"true\" hwControlProtocol=\"ap_ctrl_hs\">\n");
        sb.append("    <ports>\n");
        JsonNode c = root.path("control");
        sb.append("      <port name=\"").append(c.path("port").asText()).append("\" mode=\"slave\" range=\"0x")
                .append(Integer.toHexString(c.path("range").asInt()))
                .append("\" dataWidth=\"32\" portType=\"addressable\" base=\"0x0\"/>\n");
        for (JsonNode m : root.path("memory_ports")) {
            sb.append("      <port name=\"").append(m.path("name").asText())
                    .append("\" mode=\"master\" range=\"0xFFFFFFFFFFFFFFFF\" dataWidth=\"")
                    .append(m.path("data_width").asInt()).append("\" portType=\"addressable\" base=\"0x0\"/>\n");
        }
        sb.append("    </ports>\n    <args>\n");
        for (JsonNode a : root.path("args")) {
            boolean buffer = a.path("kind").asText().equals("buffer");
            sb.append("      <arg name=\"").append(a.path("name").asText()).append("\" addressQualifier=\"")
                    .append(buffer ? 1 : 0).append("\" id=\"").append(a.path("id").asInt()).append("\" port=\"")
                    .append(a.path("port").asText()).append("\" size=\"0x").append(Integer.toHexString(a.path("size").asInt()))
                    .append("\" offset=\"0x").append(String.format("%03x", a.path("offset").asInt()))
                    .append("\" type=\"").append(a.path("type").asText()).append("\" hostOffset=\"0x0\" hostSize=\"0x")
                    .append(Integer.toHexString(a.path("size").asInt())).append("\"/>\n");
        }
        sb.append("    </args>\n  </kernel>\n</root>\n");
        return sb.toString();
    }
}
