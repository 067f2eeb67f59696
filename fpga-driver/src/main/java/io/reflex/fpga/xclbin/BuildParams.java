package io.reflex.fpga.xclbin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.fpga.abi.KernelAbi;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The Verilog build parameters of the kernels in an xclbin, as the xclbin itself states them: a USER_METADATA section
 * holding JSON
 * <pre>
 * {"reflex_build_parameters": 1,
 *  "generated_by": "...",
 *  "kernels": {"lfads_kernel": {"CAUSAL": 1, "D": 70, ...}, "snn_kernel": {"MAX_N": 1024, ...}}}
 * </pre>
 * written by {@link XclbinBuilder}; for an xclbin linked by v++ (hdl/vitis), the bring-up guide hdl/BRINGUP.md shows
 * how to add the section with {@code xclbinutil}, or the parameters are stated instead. Each kernel's object names every build parameter
 * of its ABI ({@link KernelAbi#buildParameters()}) with an integer value, and nothing else; the host needs them to
 * lay out the model images and buffers, and XRT's own metadata does not carry them.
 *
 * <p>Reading never trusts the bytes: a Reflex section that is not well-formed JSON, has another format version, or
 * names a parameter with a non-integer value is an {@link XclbinFormatException}. Whether a kernel's set matches its
 * ABI is checked by {@link #forKernel}, where the ABI is known.
 */
public final class BuildParams {
    /** The key that marks the section as Reflex's, and the format version. */
    public static final String FORMAT_KEY = "reflex_build_parameters";
    /** The format version this class reads and writes. */
    public static final int FORMAT_VERSION = 1;
    /** The section name {@link XclbinBuilder} gives the section (xclbinutil leaves it empty; the reader ignores it). */
    public static final String SECTION_NAME = "reflex_build";

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Map<String, Map<String, Integer>> kernels;
    private final String generatedBy;

    /**
     * @param kernels     per kernel name, its parameters (copied, in order)
     * @param generatedBy who wrote them (free text)
     */
    public BuildParams(Map<String, Map<String, Integer>> kernels, String generatedBy) {
        Map<String, Map<String, Integer>> k = new LinkedHashMap<>();
        kernels.forEach((name, p) -> k.put(name, Collections.unmodifiableMap(new LinkedHashMap<>(p))));
        this.kernels = Collections.unmodifiableMap(k);
        this.generatedBy = generatedBy == null ? "" : generatedBy;
    }

    /** Per kernel name, its parameters, in the order stated. */
    public Map<String, Map<String, Integer>> kernels() {
        return kernels;
    }

    /** Who wrote the parameters (the section's {@code generated_by}). */
    public String generatedBy() {
        return generatedBy;
    }

    /**
     * The parameters an xclbin states, or empty when it holds no Reflex USER_METADATA section.
     *
     * @throws XclbinFormatException when a Reflex section is malformed, or there are two of them
     */
    public static Optional<BuildParams> read(Xclbin x) throws XclbinFormatException {
        BuildParams found = null;
        List<XclbinSection> sections = x.sections();
        for (int i = 0; i < sections.size(); i++) {
            XclbinSection s = sections.get(i);
            if (s.kind() != SectionKind.USER_METADATA.code()) {
                continue;
            }
            String what = x.source() + ": section " + i + " (USER_METADATA '" + s.name() + "', Reflex build parameters)";
            boolean ours = new String(s.data(), StandardCharsets.ISO_8859_1).contains("\"" + FORMAT_KEY + "\"");
            JsonNode root;
            try {
                root = MAPPER.readTree(s.data());
            } catch (java.io.IOException e) {
                if (ours) {
                    throw new XclbinFormatException(what + ": not JSON: " + e.getMessage().lines().findFirst()
                            .orElse(""));
                }
                continue; // someone else's USER_METADATA
            }
            if (root == null || !root.isObject() || !root.has(FORMAT_KEY)) {
                continue;
            }
            if (found != null) {
                throw new XclbinFormatException(what + ": a second Reflex build-parameter section");
            }
            found = parse(root, what);
        }
        return Optional.ofNullable(found);
    }

    /** Parses the section's JSON text (for files written by hand, and tests). */
    public static BuildParams parse(String json, String what) throws XclbinFormatException {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new XclbinFormatException(what + ": not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new XclbinFormatException(what + ": not a JSON object");
        }
        return parse(root, what);
    }

    private static BuildParams parse(JsonNode root, String what) throws XclbinFormatException {
        JsonNode v = root.path(FORMAT_KEY);
        if (!v.isInt() || v.asInt() != FORMAT_VERSION) {
            throw new XclbinFormatException(what + ": " + FORMAT_KEY + " is " + v + ", this reader knows version "
                    + FORMAT_VERSION);
        }
        JsonNode ks = root.path("kernels");
        if (!ks.isObject()) {
            throw new XclbinFormatException(what + ": 'kernels' is not an object of kernel names");
        }
        Map<String, Map<String, Integer>> kernels = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = ks.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> k = it.next();
            if (!k.getValue().isObject()) {
                throw new XclbinFormatException(what + ": kernels." + k.getKey() + " is not an object of parameters");
            }
            Map<String, Integer> p = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> pit = k.getValue().fields(); pit.hasNext();) {
                Map.Entry<String, JsonNode> e = pit.next();
                if (!e.getValue().isInt()) {
                    throw new XclbinFormatException(what + ": kernels." + k.getKey() + "." + e.getKey() + " is "
                            + e.getValue() + ", not a 32-bit integer");
                }
                p.put(e.getKey(), e.getValue().asInt());
            }
            kernels.put(k.getKey(), p);
        }
        return new BuildParams(kernels, root.path("generated_by").asText(""));
    }

    /** The section's bytes (compact JSON, UTF-8). */
    public byte[] toJsonBytes() {
        ObjectNode root = MAPPER.createObjectNode();
        root.put(FORMAT_KEY, FORMAT_VERSION);
        root.put("generated_by", generatedBy);
        ObjectNode ks = root.putObject("kernels");
        kernels.forEach((name, p) -> {
            ObjectNode o = ks.putObject(name);
            p.forEach(o::put);
        });
        try {
            return MAPPER.writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The stated parameters of {@code abi}'s kernel, checked against the ABI: every build parameter it lists, and no
     * other name.
     *
     * @return empty when this set names no such kernel
     * @throws IllegalArgumentException naming what is missing or unknown (an xclbin built from another RTL version)
     */
    public Optional<Map<String, Integer>> forKernel(KernelAbi abi) {
        Map<String, Integer> p = kernels.get(abi.name());
        if (p == null) {
            return Optional.empty();
        }
        return Optional.of(checked(abi, p, "the xclbin states"));
    }

    /**
     * {@code given} completed with the ABI's defaults (the Verilog defaults of the top module: what a build that does
     * not set a parameter has), in the ABI's order.
     *
     * @throws IllegalArgumentException for a name that is not a build parameter of the kernel
     */
    public static Map<String, Integer> complete(KernelAbi abi, Map<String, Integer> given) {
        Map<String, Integer> defaults = abi.buildParameters();
        Set<String> unknown = new TreeSet<>(given.keySet());
        unknown.removeAll(defaults.keySet());
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(abi.name() + " has no build parameter " + String.join(", ", unknown)
                    + " (its parameters: " + String.join(", ", defaults.keySet()) + ")");
        }
        Map<String, Integer> out = new LinkedHashMap<>();
        defaults.forEach((k, v) -> out.put(k, given.getOrDefault(k, v)));
        return out;
    }

    private static Map<String, Integer> checked(KernelAbi abi, Map<String, Integer> p, String who) {
        Set<String> want = abi.buildParameters().keySet();
        Set<String> missing = new TreeSet<>(want);
        missing.removeAll(p.keySet());
        Set<String> unknown = new TreeSet<>(p.keySet());
        unknown.removeAll(want);
        if (!missing.isEmpty() || !unknown.isEmpty()) {
            List<String> why = new ArrayList<>();
            if (!missing.isEmpty()) {
                why.add("lacks " + String.join(", ", missing));
            }
            if (!unknown.isEmpty()) {
                why.add("names " + String.join(", ", unknown) + ", which " + abi.name() + " does not have");
            }
            throw new IllegalArgumentException(who + " " + abi.name() + " parameters " + p + " but "
                    + String.join(" and ", why) + " (this ABI's build parameters: " + String.join(", ", want)
                    + "): the xclbin was built from another version of the RTL");
        }
        Map<String, Integer> out = new LinkedHashMap<>();
        for (String k : want) {
            out.put(k, p.get(k));
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * Parses explicitly stated parameters: {@code KERNEL:NAME=VALUE,NAME=VALUE} per kernel, kernels separated by
     * {@code ;} (e.g. {@code lfads_kernel:CAUSAL=1,D=70,T_MAX=73,H=64,CO=4,LAG_MAX=4,F=4,RO=70,P=16}). Parameters not
     * named take the ABI's default.
     *
     * @throws IllegalArgumentException naming the part that cannot be read, an unknown kernel or parameter
     */
    public static Map<String, Map<String, Integer>> parseSpec(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("empty build-parameter list; expected KERNEL:NAME=VALUE,...[;KERNEL:...]");
        }
        Map<String, Map<String, Integer>> out = new LinkedHashMap<>();
        for (String part : spec.split(";")) {
            String p = part.strip();
            if (p.isEmpty()) {
                continue;
            }
            int colon = p.indexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("'" + p + "' is not KERNEL:NAME=VALUE,... (e.g. snn_kernel:MAX_N=64)");
            }
            String kernel = p.substring(0, colon).strip();
            KernelAbi abi;
            try {
                abi = KernelAbi.load(kernel);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown kernel '" + kernel + "' in '" + p + "' (Reflex kernels:"
                        + " lfads_kernel, snn_kernel)");
            }
            if (out.containsKey(kernel)) {
                throw new IllegalArgumentException("kernel " + kernel + " is named twice");
            }
            Map<String, Integer> given = new LinkedHashMap<>();
            String body = p.substring(colon + 1).strip();
            if (!body.isEmpty()) {
                for (String kv : body.split(",")) {
                    int eq = kv.indexOf('=');
                    String name = eq < 0 ? kv.strip() : kv.substring(0, eq).strip();
                    String value = eq < 0 ? "" : kv.substring(eq + 1).strip();
                    try {
                        given.put(name, Integer.decode(value));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException(kernel + ": '" + kv.strip() + "' is not NAME=INTEGER");
                    }
                }
            }
            out.put(kernel, complete(abi, given));
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("empty build-parameter list; expected KERNEL:NAME=VALUE,...");
        }
        return out;
    }

    /** Verilog-style text of one kernel's parameters, e.g. {@code CAUSAL=1 D=70 ...}. */
    public static String text(Map<String, Integer> params) {
        StringBuilder sb = new StringBuilder();
        params.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : " ").append(k).append('=').append(v));
        return sb.toString();
    }

    @Override
    public String toString() {
        return new String(toJsonBytes(), StandardCharsets.UTF_8);
    }
}
