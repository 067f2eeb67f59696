package io.reflex.fpga.xclbin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.reflex.fpga.abi.KernelAbi;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the writer puts into a metadata-only xclbin, read back with the reader. */
class XclbinBuilderTest {

    @Test
    void bothKernelsAreLaidOutAsU55cCfgLinksThem() throws Exception {
        byte[] bytes = XclbinBuilder.create().timestampS(1_700_000_000L)
                .kernel(KernelAbi.load("snn_kernel")).kernel(KernelAbi.load("lfads_kernel")).build();
        Xclbin x = Xclbin.parse(bytes, "both");

        assertThat(x.length()).isEqualTo(bytes.length);
        assertThat(x.signatureLength()).isEqualTo(-1);
        assertThat(x.platformVbnv()).isEqualTo(XclbinBuilder.U55C_PLATFORM);
        assertThat(x.timestampS()).isEqualTo(1_700_000_000L);
        assertThat(x.modeName()).isEqualTo("XCLBIN_FLAT");
        assertThat(x.sections()).extracting(XclbinSection::kindName).containsExactly("BITSTREAM", "MEM_TOPOLOGY",
                "IP_LAYOUT", "CONNECTIVITY", "EMBEDDED_METADATA", "BUILD_METADATA", "USER_METADATA");
        for (XclbinSection s : x.sections()) {
            assertThat(s.offset() % 8).as(s.kindName() + " aligned to 8 bytes").isZero();
        }
        assertThat(new String(x.section(SectionKind.BITSTREAM).orElseThrow().data()))
                .isEqualTo(XclbinBuilder.DUMMY_BITSTREAM);

        // MEM_TOPOLOGY: the 32 HBM pseudo-channels, used where a kernel is connected
        assertThat(x.memBanks()).hasSize(XclbinBuilder.HBM_CHANNELS);
        assertThat(x.memBanks().get(0).tag()).isEqualTo("HBM[0]");
        assertThat(x.memBanks().get(1).tag()).isEqualTo("HBM[1]");
        assertThat(x.memBanks().get(31).tag()).isEqualTo("HBM[31]");
        assertThat(x.memBanks()).filteredOn(MemBank::used).extracting(MemBank::index).containsExactly(0, 1);
        assertThat(x.memBanks().get(1).typeName()).isEqualTo("MEM_HBM");
        assertThat(x.memBanks().get(1).sizeKb()).isEqualTo(512 * 1024);
        assertThat(x.memBanks().get(1).baseAddress()).isEqualTo(512L << 20);

        // IP_LAYOUT: one compute unit per kernel, AP_CTRL_HS, 64 KiB apart
        assertThat(x.ips()).extracting(IpInstance::name).containsExactly("snn_kernel:snn_kernel_1",
                "lfads_kernel:lfads_kernel_1");
        assertThat(x.ips()).extracting(IpInstance::baseAddress).containsExactly(0x800000L, 0x810000L);
        assertThat(x.ips()).allSatisfy(ip -> {
            assertThat(ip.typeName()).isEqualTo("IP_KERNEL");
            assertThat(ip.controlName()).isEqualTo("AP_CTRL_HS");
        });

        // CONNECTIVITY: every buffer argument of snn_kernel on HBM[0], of lfads_kernel on HBM[1]
        for (int arg = 0; arg < 3; arg++) {
            assertThat(x.memoryOf("snn_kernel", arg)).extracting(MemBank::tag).containsExactly("HBM[0]");
            assertThat(x.memoryOf("lfads_kernel", arg)).extracting(MemBank::tag).containsExactly("HBM[1]");
        }
        assertThat(x.memoryOf("lfads_kernel", 3)).as("scalars have no memory").isEmpty();
        long buffers = 0;
        for (String k : List.of("snn_kernel", "lfads_kernel")) {
            for (JsonNode a : KernelAbi.load(k).json().path("args")) {
                buffers += a.path("kind").asText().equals("buffer") ? 1 : 0;
            }
        }
        assertThat(x.connections()).as("one per buffer argument").hasSize((int) buffers);

        // EMBEDDED_METADATA: the ABI's arguments at the ABI's offsets
        for (String k : List.of("snn_kernel", "lfads_kernel")) {
            KernelAbi abi = KernelAbi.load(k);
            KernelInfo info = x.kernel(k).orElseThrow();
            assertThat(info.instances()).containsExactly(k + "_1");
            assertThat(info.controlRangeB()).isEqualTo(abi.json().path("control").path("range").asLong());
            JsonNode args = abi.json().path("args");
            assertThat(info.args()).hasSize(args.size());
            for (int i = 0; i < args.size(); i++) {
                KernelArgInfo a = info.args().get(i);
                assertThat(a.id()).isEqualTo(i);
                assertThat(a.name()).isEqualTo(args.get(i).path("name").asText());
                assertThat(a.offset()).isEqualTo(args.get(i).path("offset").asLong())
                        .isEqualTo(KernelAbi.ARG_BASE + KernelAbi.ARG_STRIDE * i);
                assertThat(a.isBuffer()).isEqualTo(args.get(i).path("kind").asText().equals("buffer"));
                assertThat(a.port()).isEqualTo(args.get(i).path("port").asText());
            }
        }
        assertThat(x.embeddedMetadataXml().orElseThrow()).contains("<project").contains("<core ")
                .contains("<addrRemap base=\"0x810000\"");

        JsonNode meta = new ObjectMapper().readTree(x.buildMetadata().orElseThrow());
        assertThat(meta.path("build_metadata").path("xclbin").path("generated_by").path("name").asText())
                .isEqualTo("reflex");
        assertThat(meta.path("build_metadata").path("xclbin").path("user_regions").get(0).path("kernels"))
                .extracting(n -> n.path("name").asText()).containsExactly("snn_kernel", "lfads_kernel");

        // USER_METADATA: the build parameters, the ABI's defaults when none are given
        BuildParams p = BuildParams.read(x).orElseThrow();
        assertThat(p.kernels().keySet()).containsExactly("snn_kernel", "lfads_kernel");
        for (String k : List.of("snn_kernel", "lfads_kernel")) {
            KernelAbi abi = KernelAbi.load(k);
            assertThat(p.forKernel(abi).orElseThrow()).containsExactlyEntriesOf(abi.buildParameters());
        }
        assertThat(p.generatedBy()).contains("XclbinBuilder");
        assertThat(x.section(SectionKind.USER_METADATA).orElseThrow().name()).isEqualTo(BuildParams.SECTION_NAME);
    }

    @Test
    void statedBuildParametersTravelInTheFileAndChangeItsUuid() throws Exception {
        KernelAbi lfads = KernelAbi.load("lfads_kernel");
        Map<String, Integer> causal = Map.of("CAUSAL", 1, "P", 16);
        Xclbin x = Xclbin.parse(XclbinBuilder.create().kernel(lfads, causal).build(), "causal");
        Map<String, Integer> got = BuildParams.read(x).orElseThrow().forKernel(lfads).orElseThrow();
        assertThat(got).containsEntry("CAUSAL", 1).containsEntry("P", 16).containsEntry("D", 70);
        assertThat(got.keySet()).containsExactlyElementsOf(lfads.buildParameters().keySet());
        Xclbin dflt = Xclbin.parse(XclbinBuilder.forKernels("lfads_kernel"), "default");
        assertThat(x.uuid()).as("another build is another xclbin").isNotEqualTo(dflt.uuid());

        Xclbin none = Xclbin.parse(XclbinBuilder.create().kernel(lfads).withoutBuildParams().build(), "none");
        assertThat(BuildParams.read(none)).isEmpty();
        assertThat(none.sections()).hasSize(6);

        assertThatThrownBy(() -> XclbinBuilder.create().kernel(lfads, Map.of("WIDTH", 3)))
                .hasMessageContaining("lfads_kernel has no build parameter WIDTH");
    }

    @Test
    void uuidFollowsTheContentUnlessSet(@TempDir Path dir) throws Exception {
        Xclbin a = Xclbin.parse(XclbinBuilder.forKernels("lfads_kernel"), "a");
        Xclbin b = Xclbin.parse(XclbinBuilder.create().timestampS(1).kernel(KernelAbi.load("lfads_kernel")).build(), "b");
        Xclbin c = Xclbin.parse(XclbinBuilder.forKernels("snn_kernel"), "c");
        assertThat(a.uuid()).isEqualTo(b.uuid()).isNotEqualTo(c.uuid());
        UUID fixed = UUID.fromString("01234567-89ab-cdef-0123-456789abcdef");
        Path f = XclbinBuilder.create().uuid(fixed).kernel(KernelAbi.load("snn_kernel")).write(dir.resolve("x.xclbin"));
        Xclbin read = Xclbin.read(f);
        assertThat(read.uuid()).isEqualTo(fixed);
        assertThat(read.uuidBytes()).hasSize(16).startsWith((byte) 0x01, (byte) 0x23);
        assertThat(read.kernels()).extracting(KernelInfo::name).containsExactly("snn_kernel");
        assertThat(read.memBanks()).filteredOn(MemBank::used).extracting(MemBank::tag).containsExactly("HBM[0]");
    }

    @Test
    void refusesWhatXrtCouldNotUse() {
        assertThatThrownBy(() -> XclbinBuilder.create().build()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("at least one kernel");
        assertThatThrownBy(() -> XclbinBuilder.create().kernel(KernelAbi.load("snn_kernel"))
                .kernel(KernelAbi.load("snn_kernel"))).hasMessageContaining("already");
        assertThatThrownBy(() -> XclbinBuilder.create().platformVbnv("x".repeat(64)))
                .hasMessageContaining("longer than 63");
    }
}
