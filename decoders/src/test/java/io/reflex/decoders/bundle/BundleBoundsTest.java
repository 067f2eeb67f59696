package io.reflex.decoders.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.decoders.lfads.LfadsDims;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sizes in a bundle from outside are bounded before they are allocated: entries that inflate beyond what their
 * manifest entry needs (ZIP bombs), junk that inflates beyond the bundle limit, and hyperparameters (sequence
 * lengths, dimensions) that would size buffers nothing checks against a tensor.
 */
class BundleBoundsTest {
    private static final String SHIPPED = "/models/lfads-lorenz-small.rbundle";

    @TempDir
    Path tmp;

    /** The entries of a shipped bundle, in order. */
    private static Map<String, byte[]> entries(String resource) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (InputStream in = BundleBoundsTest.class.getResourceAsStream(resource);
             ZipInputStream zin = new ZipInputStream(in)) {
            for (ZipEntry e = zin.getNextEntry(); e != null; e = zin.getNextEntry()) {
                out.put(e.getName(), zin.readAllBytes());
            }
        }
        return out;
    }

    /** A ZIP of the given entries, plus one entry of {@code zeros} zero bytes (deflated to a few KiB) where asked. */
    private static byte[] zip(Map<String, byte[]> entries, String zerosName, long zeros) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                if (e.getKey().equals(zerosName)) {
                    continue;
                }
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(e.getValue());
                z.closeEntry();
            }
            if (zerosName != null) {
                z.putNextEntry(new ZipEntry(zerosName));
                byte[] block = new byte[1 << 20];
                for (long left = zeros; left > 0; left -= block.length) {
                    z.write(block, 0, (int) Math.min(block.length, left));
                }
                z.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    @Test
    void aTensorEntryInflatingBeyondItsShapeIsRefusedWithoutBeingHeld() throws IOException {
        Map<String, byte[]> e = entries(SHIPPED);
        String tensor = e.keySet().stream().filter(n -> n.startsWith("tensors/")).findFirst().orElseThrow();
        byte[] bomb = zip(e, tensor, 128L << 20);
        assertThat(bomb.length).isLessThan(2 << 20);
        Path file = tmp.resolve("bomb.rbundle");
        Files.write(file, bomb);
        long before = allocatedBytes();
        String name = tensor.substring("tensors/".length(), tensor.length() - ".bin".length());
        assertThatThrownBy(() -> ModelBundle.open(file)).isInstanceOf(BundleException.class)
                .hasMessageContaining("'" + name + "'").hasMessageContaining("is longer than");
        long allocated = allocatedBytes() - before;
        assertThat(allocated).as("bytes allocated while refusing a 128 MiB entry").isLessThan(16L << 20);
    }

    @Test
    void junkInflatingBeyondTheBundleLimitIsRefusedAndSmallJunkIsSkipped() throws IOException {
        Map<String, byte[]> e = entries(SHIPPED);
        byte[] plain = zip(e, null, 0);
        byte[] withJunk = zip(e, "notes/readme.txt", 24L << 20);
        ModelBundle.fromBytes(plain, "warm-up");
        long before = allocatedBytes();
        ModelBundle.fromBytes(plain, "plain");
        long plainBytes = allocatedBytes() - before;
        before = allocatedBytes();
        ModelBundle ok = ModelBundle.fromBytes(withJunk, "junk");
        long junkBytes = allocatedBytes() - before;
        assertThat(ok.modelType()).isEqualTo("lfads");
        assertThat(junkBytes - plainBytes).as("24 MiB of skipped junk is not held").isLessThan(4L << 20);
        // the same mechanism as the 1 GiB default, at 32 MiB so that the test inflates little
        byte[] huge = zip(e, "junk.bin", 40L << 20);
        assertThatThrownBy(() -> ModelBundle.fromBytes(huge, "bomb", 32L << 20)).isInstanceOf(BundleException.class)
                .hasMessageContaining("inflates to more than " + (32L << 20));
    }

    @Test
    void theManifestNeedNotComeFirst() throws IOException {
        Map<String, byte[]> e = entries(SHIPPED);
        Map<String, byte[]> reversed = new LinkedHashMap<>();
        e.keySet().stream().sorted(java.util.Comparator.reverseOrder()).forEach(k -> reversed.put(k, e.get(k)));
        assertThat(reversed.keySet().iterator().next()).isNotEqualTo("manifest.json");
        ModelBundle b = ModelBundle.fromBytes(zip(reversed, null, 0), "reversed");
        assertThat(b.tensorNames()).containsExactlyInAnyOrderElementsOf(
                ModelBundle.fromResource(SHIPPED).tensorNames());
    }

    @Test
    void aManifestDeclaringMoreThanTheBundleLimitIsRefusedBeforeReadingTensors() throws IOException {
        Map<String, byte[]> e = entries(SHIPPED);
        ObjectNode m = (ObjectNode) ModelBundle.MAPPER.readTree(e.get("manifest.json"));
        ObjectNode t = ((ObjectNode) m.get("tensors")).putObject("huge");
        t.put("dtype", "float32");
        t.putArray("shape").add(1 << 26).add(5);
        t.put("sha256", "0".repeat(64));
        e.put("manifest.json", ModelBundle.MAPPER.writeValueAsBytes(m));
        assertThatThrownBy(() -> ModelBundle.fromBytes(zip(e, null, 0), "declared"))
                .isInstanceOf(BundleException.class).hasMessageContaining("'huge'")
                .hasMessageContaining("above the " + ModelBundle.MAX_BUNDLE_BYTES);
    }

    @Test
    void sequenceLengthsAndDimensionsAreBoundedBeforeAnythingIsSized() throws IOException {
        for (long seq : new long[] {1L << 25, 1_000_000, 1L << 30}) {
            Map<String, byte[]> e = entries(SHIPPED);
            ObjectNode m = (ObjectNode) ModelBundle.MAPPER.readTree(e.get("manifest.json"));
            ObjectNode hp = (ObjectNode) m.get("hyperparameters");
            hp.put("encod_seq_len", seq);
            hp.put("recon_seq_len", seq);
            e.put("manifest.json", ModelBundle.MAPPER.writeValueAsBytes(m));
            ModelBundle b = ModelBundle.fromBytes(zip(e, null, 0), "seq" + seq);
            assertThatThrownBy(() -> LfadsDims.from(b)).isInstanceOf(BundleException.class)
                    .hasMessageContaining("encod_seq_len must be at most " + LfadsDims.MAX_SEQ_LEN)
                    .hasMessageContaining("found " + seq);
        }
        Map<String, byte[]> e = entries(SHIPPED);
        ObjectNode m = (ObjectNode) ModelBundle.MAPPER.readTree(e.get("manifest.json"));
        ObjectNode hp = (ObjectNode) m.get("hyperparameters");
        hp.put("encod_seq_len", 60_000);
        hp.put("recon_seq_len", 60_000);
        e.put("manifest.json", ModelBundle.MAPPER.writeValueAsBytes(m));
        ModelBundle wide = ModelBundle.fromBytes(zip(e, null, 0), "window");
        if (LfadsDims.from(ModelBundle.fromResource(SHIPPED)).dataDim() * 60_000L > LfadsDims.MAX_WINDOW_VALUES) {
            assertThatThrownBy(() -> LfadsDims.from(wide)).isInstanceOf(BundleException.class)
                    .hasMessageContaining("values per window");
        } else {
            assertThat(LfadsDims.from(wide).encSeqLen()).isEqualTo(60_000);
        }
        assertThatThrownBy(() -> new LfadsDims(LfadsDims.MAX_DIM + 1, 10, 10, 8, 0, 0, 0, 8, 8, 4, 4, 0, 5, 0.02,
                false)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("encod_data_dim");
    }
}
