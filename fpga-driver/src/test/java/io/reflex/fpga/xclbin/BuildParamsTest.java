package io.reflex.fpga.xclbin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.fpga.abi.KernelAbi;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The build-parameter section: round trip, someone else's USER_METADATA, damaged and foreign sets, stated lists. */
class BuildParamsTest {
    static final KernelAbi LFADS = KernelAbi.load("lfads_kernel");
    static final KernelAbi SNN = KernelAbi.load("snn_kernel");

    static Xclbin withUserMetadata(String json, boolean ours) throws Exception {
        XclbinBuilder b = XclbinBuilder.create().kernel(LFADS);
        if (!ours) {
            b.withoutBuildParams();
        }
        return Xclbin.parse(b.extraSection(SectionKind.USER_METADATA, "x", json.getBytes(StandardCharsets.UTF_8))
                .build(), "f.xclbin");
    }

    @Test
    void roundTripKeepsOrderAndValues() throws Exception {
        BuildParams p = new BuildParams(Map.of("snn_kernel", Map.of("MAX_N", 64)), "test");
        BuildParams q = BuildParams.parse(new String(p.toJsonBytes(), StandardCharsets.UTF_8), "q");
        assertThat(q.kernels()).isEqualTo(p.kernels());
        assertThat(q.generatedBy()).isEqualTo("test");
        assertThat(p.toString()).startsWith("{\"" + BuildParams.FORMAT_KEY + "\":1,");
    }

    @Test
    void otherUserMetadataIsIgnoredOursIsCheckedStrictly() throws Exception {
        assertThat(BuildParams.read(withUserMetadata("not json at all", false))).isEmpty();
        assertThat(BuildParams.read(withUserMetadata("{\"vendor\": 1}", false))).isEmpty();

        assertThatThrownBy(() -> BuildParams.read(withUserMetadata("{\"reflex_build_parameters\": 1, \"kernels\": {", false)))
                .isInstanceOf(XclbinFormatException.class).hasMessageContaining("f.xclbin: section 6 (USER_METADATA")
                .hasMessageContaining("not JSON");
        assertThatThrownBy(() -> BuildParams.read(withUserMetadata("{\"reflex_build_parameters\": 2, \"kernels\": {}}",
                false))).hasMessageContaining("reflex_build_parameters is 2, this reader knows version 1");
        assertThatThrownBy(() -> BuildParams.read(withUserMetadata("{\"reflex_build_parameters\": 1, \"kernels\": []}",
                false))).hasMessageContaining("'kernels' is not an object");
        assertThatThrownBy(() -> BuildParams.read(withUserMetadata(
                "{\"reflex_build_parameters\": 1, \"kernels\": {\"lfads_kernel\": {\"D\": \"70\"}}}", false)))
                .hasMessageContaining("kernels.lfads_kernel.D is \"70\", not a 32-bit integer");
        assertThatThrownBy(() -> BuildParams.read(withUserMetadata(
                "{\"reflex_build_parameters\": 1, \"kernels\": {\"lfads_kernel\": {\"D\": 1e12}}}", false)))
                .hasMessageContaining("not a 32-bit integer");
        assertThatThrownBy(() -> BuildParams.read(withUserMetadata(
                "{\"reflex_build_parameters\": 1, \"kernels\": {}}", true)))
                .hasMessageContaining("a second Reflex build-parameter section");
    }

    @Test
    void aKernelsSetMustBeItsAbisParametersExactly() {
        Map<String, Integer> full = LFADS.buildParameters();
        BuildParams ok = new BuildParams(Map.of("lfads_kernel", full), "t");
        assertThat(ok.forKernel(LFADS).orElseThrow()).containsExactlyEntriesOf(full);
        assertThat(ok.forKernel(SNN)).isEmpty();

        Map<String, Integer> lacking = new java.util.LinkedHashMap<>(full);
        lacking.remove("T_MAX");
        lacking.put("WIDTH", 9);
        assertThatThrownBy(() -> new BuildParams(Map.of("lfads_kernel", lacking), "t").forKernel(LFADS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lacks T_MAX")
                .hasMessageContaining("names WIDTH, which lfads_kernel does not have")
                .hasMessageContaining("another version of the RTL");
    }

    @Test
    void statedListsCompleteWithTheAbiDefaultsAndRefuseWhatIsUnknown() {
        Map<String, Map<String, Integer>> m = BuildParams.parseSpec(
                " lfads_kernel:CAUSAL=1,D=5,P=0x4 ; snn_kernel:MAX_N=64");
        assertThat(m.keySet()).containsExactly("lfads_kernel", "snn_kernel");
        assertThat(m.get("lfads_kernel")).containsEntry("CAUSAL", 1).containsEntry("D", 5).containsEntry("P", 4)
                .containsEntry("T_MAX", 73);
        assertThat(m.get("snn_kernel")).containsEntry("MAX_N", 64).containsEntry("MAX_IN", 256);
        assertThat(BuildParams.parseSpec("snn_kernel:").get("snn_kernel")).isEqualTo(SNN.buildParameters());
        assertThat(BuildParams.text(m.get("snn_kernel"))).isEqualTo("MAX_N=64 MAX_IN=256 MAX_NNZ=32768 MAX_BEATS=64");

        assertThatThrownBy(() -> BuildParams.parseSpec("")).hasMessageContaining("empty");
        assertThatThrownBy(() -> BuildParams.parseSpec("MAX_N=64")).hasMessageContaining("is not KERNEL:NAME=VALUE");
        assertThatThrownBy(() -> BuildParams.parseSpec("fft_kernel:N=4")).hasMessageContaining("unknown kernel 'fft_kernel'");
        assertThatThrownBy(() -> BuildParams.parseSpec("snn_kernel:MAX_N=lots")).hasMessageContaining("'MAX_N=lots' is not NAME=INTEGER");
        assertThatThrownBy(() -> BuildParams.parseSpec("snn_kernel:N=4")).hasMessageContaining("snn_kernel has no build parameter N");
        assertThatThrownBy(() -> BuildParams.parseSpec("snn_kernel:;snn_kernel:")).hasMessageContaining("named twice");
    }
}
