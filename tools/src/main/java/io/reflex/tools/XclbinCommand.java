package io.reflex.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.fpga.abi.KernelAbi;
import io.reflex.fpga.xclbin.ArgConnection;
import io.reflex.fpga.xclbin.IpInstance;
import io.reflex.fpga.xclbin.KernelArgInfo;
import io.reflex.fpga.xclbin.KernelInfo;
import io.reflex.fpga.xclbin.MemBank;
import io.reflex.fpga.xclbin.Xclbin;
import io.reflex.fpga.xclbin.XclbinBuilder;
import io.reflex.fpga.xclbin.XclbinSection;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code reflex xclbin}: inspect xclbin files, or write metadata-only ones for tests and bring-up. */
@Command(name = "xclbin", mixinStandardHelpOptions = true,
        header = "Inspect an xclbin, or write a metadata-only one.",
        description = {"'info' reads any xclbin (v++'s or Reflex's) and prints its sections, UUID, kernels with their"
                + " argument offsets, memory topology, connectivity and build metadata. 'build' writes a metadata-only"
                + " xclbin of the Reflex kernels (dummy bitstream: it programs no card) for XRT's noop shim and"
                + " bring-up checks."},
        subcommands = {XclbinCommand.Info.class, XclbinCommand.Build.class})
final class XclbinCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** {@code reflex xclbin info FILE [--json]}. */
    @Command(name = "info", mixinStandardHelpOptions = true,
            header = "Print what an xclbin holds; exit 2 with the reason when the file is not a usable xclbin.")
    static final class Info implements Callable<Integer> {

        @Parameters(index = "0", paramLabel = "FILE", description = "The .xclbin file.")
        Path file;

        @Option(names = "--json", description = "Print one JSON object on stdout.")
        boolean json;

        @Override
        public Integer call() {
            Xclbin x;
            try {
                x = Xclbin.read(file);
            } catch (IOException e) {
                System.err.println("reflex xclbin info: " + e.getMessage());
                return 2;
            }
            if (json) {
                System.out.println(Json.write(toJson(x)));
            } else {
                printText(x);
            }
            return 0;
        }
    }

    /** {@code reflex xclbin build --kernel K[,K] --out FILE}. */
    @Command(name = "build", mixinStandardHelpOptions = true,
            header = "Write a metadata-only xclbin of Reflex kernels (no bitstream: for XRT's noop shim and tests).")
    static final class Build implements Callable<Integer> {

        @Option(names = "--kernel", required = true, split = ",", paramLabel = "NAME",
                description = "Kernels, in compute-unit order, e.g. snn_kernel,lfads_kernel (ABIs from hdl/abi).")
        List<String> kernels;

        @Option(names = "--out", required = true, paramLabel = "FILE", description = "The file to write (replaced).")
        Path out;

        @Option(names = "--uuid", paramLabel = "UUID",
                description = "The xclbin UUID (default: derived from the content).")
        UUID uuid;

        @Override
        public Integer call() {
            XclbinBuilder b = XclbinBuilder.create();
            try {
                for (String k : kernels) {
                    b.kernel(KernelAbi.load(k));
                }
                if (uuid != null) {
                    b.uuid(uuid);
                }
                b.write(out);
                Xclbin x = Xclbin.read(out);
                System.out.println("wrote " + out + " (" + x.length() + " bytes, uuid " + x.uuid() + "): "
                        + x.kernels().stream().map(k -> k.name() + " on "
                                + x.memoryOf(k.name(), 0).stream().map(MemBank::tag).collect(Collectors.joining(",")))
                                .collect(Collectors.joining(", ")) + "; metadata only, no bitstream");
                return 0;
            } catch (IllegalArgumentException | IllegalStateException | IOException e) {
                System.err.println("reflex xclbin build: " + e.getMessage());
                return 2;
            }
        }
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    /** The JSON of {@code info --json}; keys are listed in the README's command table. */
    static ObjectNode toJson(Xclbin x) {
        ObjectNode o = Json.mapper().createObjectNode();
        o.put("file", x.source());
        o.put("length", x.length());
        o.put("uuid", x.uuid().toString());
        o.put("platform_vbnv", x.platformVbnv());
        o.put("version", x.version());
        o.put("mode", x.modeName());
        o.put("timestamp_s", x.timestampS());
        o.put("signed", x.signatureLength() > 0);
        ArrayNode sections = o.putArray("sections");
        for (int i = 0; i < x.sections().size(); i++) {
            XclbinSection s = x.sections().get(i);
            sections.addObject().put("index", i).put("kind", s.kindName()).put("kind_code", s.kind())
                    .put("name", s.name()).put("offset", s.offset()).put("size", s.size());
        }
        ArrayNode mem = o.putArray("mem_topology");
        for (MemBank m : x.memBanks()) {
            mem.addObject().put("index", m.index()).put("tag", m.tag()).put("type", m.typeName()).put("used", m.used())
                    .put("base_address", hex(m.baseAddress())).put("size_bytes", m.sizeKb() * 1024);
        }
        ArrayNode ips = o.putArray("ip_layout");
        for (IpInstance ip : x.ips()) {
            ips.addObject().put("index", ip.index()).put("name", ip.name()).put("type", ip.typeName())
                    .put("base_address", hex(ip.baseAddress())).put("control", ip.controlName())
                    .put("interrupt", (ip.properties() & 1) != 0);
        }
        ArrayNode conns = o.putArray("connectivity");
        for (ArgConnection c : x.connections()) {
            conns.addObject().put("arg_index", c.argIndex()).put("ip_index", c.ipLayoutIndex())
                    .put("ip", x.ips().get(c.ipLayoutIndex()).name()).put("mem_index", c.memDataIndex())
                    .put("mem", x.memBanks().get(c.memDataIndex()).tag());
        }
        ArrayNode kernels = o.putArray("kernels");
        for (KernelInfo k : x.kernels()) {
            ObjectNode ko = kernels.addObject();
            ko.put("name", k.name());
            ko.put("control_range", k.controlRangeB());
            ArrayNode cus = ko.putArray("compute_units");
            for (IpInstance cu : x.computeUnits(k.name())) {
                cus.addObject().put("name", cu.instanceName()).put("base_address", hex(cu.baseAddress()));
            }
            ArrayNode args = ko.putArray("args");
            for (KernelArgInfo a : k.args()) {
                ObjectNode ao = args.addObject().put("id", a.id()).put("name", a.name())
                        .put("kind", a.isBuffer() ? "buffer" : "scalar").put("offset", hex(a.offset()))
                        .put("size", a.size()).put("host_size", a.hostSize()).put("type", a.type()).put("port", a.port());
                ArrayNode m = ao.putArray("memory");
                x.memoryOf(k.name(), a.id()).forEach(b -> m.add(b.tag()));
            }
        }
        String meta = x.buildMetadata().orElse(null);
        if (meta == null) {
            o.putNull("build_metadata");
        } else {
            try {
                o.set("build_metadata", Json.mapper().readTree(meta));
            } catch (IOException e) {
                o.put("build_metadata", meta);
            }
        }
        return o;
    }

    static void printText(Xclbin x) {
        System.out.println("file      " + x.source() + " (" + x.length() + " bytes"
                + (x.signatureLength() > 0 ? ", signed" : "") + ")");
        System.out.println("uuid      " + x.uuid());
        System.out.println("platform  " + x.platformVbnv());
        System.out.println("version   " + x.version() + ", " + x.modeName() + ", made "
                + Instant.ofEpochSecond(x.timestampS()));
        System.out.println();
        System.out.printf("%-3s %-20s %-16s %10s %10s%n", "#", "SECTION", "NAME", "OFFSET", "SIZE");
        for (int i = 0; i < x.sections().size(); i++) {
            XclbinSection s = x.sections().get(i);
            System.out.printf("%-3d %-20s %-16s %10s %10d%n", i, s.kindName(), s.name(), hex(s.offset()), s.size());
        }
        for (KernelInfo k : x.kernels()) {
            System.out.println();
            String cus = x.computeUnits(k.name()).stream().map(cu -> cu.instanceName() + " @ " + hex(cu.baseAddress())
                    + " " + cu.controlName()).collect(Collectors.joining(", "));
            System.out.println("kernel " + k.name() + ": " + (cus.isEmpty() ? "no compute unit in IP_LAYOUT" : cus));
            System.out.printf("  %-3s %-14s %-7s %-7s %-5s %-8s %-14s %s%n", "ID", "ARG", "KIND", "OFFSET", "SIZE",
                    "TYPE", "PORT", "MEMORY");
            for (KernelArgInfo a : k.args()) {
                String mem = x.memoryOf(k.name(), a.id()).stream().map(MemBank::tag).collect(Collectors.joining(","));
                System.out.printf("  %-3d %-14s %-7s %-7s %-5d %-8s %-14s %s%n", a.id(), a.name(),
                        a.isBuffer() ? "buffer" : "scalar", hex(a.offset()), a.size(), a.type(), a.port(),
                        mem.isEmpty() ? "-" : mem);
            }
        }
        List<MemBank> used = x.memBanks().stream().filter(MemBank::used).collect(Collectors.toList());
        System.out.println();
        System.out.println("memory: " + x.memBanks().size() + " banks, used: " + (used.isEmpty() ? "none"
                : used.stream().map(m -> m.tag() + " (group " + m.index() + ", " + m.typeName() + ", "
                        + (m.sizeKb() / 1024) + " MiB @ " + hex(m.baseAddress()) + ")").collect(Collectors.joining(", "))));
        System.out.println("connectivity: " + (x.connections().isEmpty() ? "none" : x.connections().stream()
                .map(c -> x.ips().get(c.ipLayoutIndex()).name() + " arg " + c.argIndex() + " -> "
                        + x.memBanks().get(c.memDataIndex()).tag()).collect(Collectors.joining("; "))));
        String meta = x.buildMetadata().orElse(null);
        if (meta != null) {
            String by = "";
            try {
                JsonNode gen = Json.mapper().readTree(meta).path("build_metadata").path("xclbin").path("generated_by");
                by = Stream.of(gen.path("name").asText(""), gen.path("version").asText(""),
                        gen.path("options").asText("")).filter(s -> !s.isBlank()).collect(Collectors.joining(", "));
            } catch (IOException e) {
                by = "(not JSON)";
            }
            System.out.println("build metadata: " + meta.length() + " bytes, generated by " + (by.isEmpty() ? "?" : by));
        }
    }
}
