package io.reflex.decoders.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelBundleTest {

    @TempDir
    Path tmp;

    private static ModelBundleWriter sample() {
        return new ModelBundleWriter("lfads", "tiny")
                .createdBy("ModelBundleTest")
                .hyperparameter("gen_dim", 3)
                .hyperparameter("cell_clip", 5.0)
                .hyperparameter("causal", false)
                .hyperparameter("gate_order", "zrn")
                .section("arithmetic", Map.of("fixed_point_version", 1, "act_frac", 12))
                .putFloat32("w", new int[] {2, 3}, new float[] {1, -2, 3.5f, 4, 5, -6e-7f})
                .putFloat64("d", new int[] {2}, new double[] {Math.PI, -1e300})
                .putInt16("w:q", new int[] {2, 3}, new short[] {1, -2, 3, 32767, -32768, 0}, 13)
                .putInt32("b:q", new int[] {3}, new int[] {Integer.MIN_VALUE, 0, Integer.MAX_VALUE}, 25)
                .putInt64("l", new int[] {1}, new long[] {Long.MIN_VALUE})
                .putInt8("i8", new int[] {2}, new byte[] {-128, 127})
                .putUint8("u8", new int[] {2}, new int[] {0, 255})
                .putFloat32("scalar", new int[] {}, new float[] {7f});
    }

    private static void checkSample(ModelBundle b) {
        assertThat(b.modelType()).isEqualTo("lfads");
        assertThat(b.name()).isEqualTo("tiny");
        assertThat(b.createdBy()).isEqualTo("ModelBundleTest");
        assertThat(b.hpInt("gen_dim")).isEqualTo(3);
        assertThat(b.hpDouble("cell_clip")).isEqualTo(5.0);
        assertThat(b.hpBoolean("causal")).isFalse();
        assertThat(b.hpString("gate_order")).isEqualTo("zrn");
        assertThat(b.hpInt("missing", 9)).isEqualTo(9);
        assertThat(b.sectionInt("arithmetic", "act_frac")).isEqualTo(12);
        assertThat(b.tensorNames()).containsExactly("w", "d", "w:q", "b:q", "l", "i8", "u8", "scalar");
        assertThat(b.float32("w")).containsExactly(1, -2, 3.5f, 4, 5, -6e-7f);
        assertThat(b.shape("w")).containsExactly(2, 3);
        assertThat(b.float64("d")).containsExactly(Math.PI, -1e300);
        assertThat(b.floatAsDouble("w")[5]).isEqualTo((double) -6e-7f);
        assertThat(b.int16("w:q")).containsExactly((short) 1, (short) -2, (short) 3, (short) 32767, (short) -32768, (short) 0);
        assertThat(b.fracBits("w:q")).isEqualTo(13);
        assertThat(b.int32("b:q")).containsExactly(Integer.MIN_VALUE, 0, Integer.MAX_VALUE);
        assertThat(b.fracBits("b:q")).isEqualTo(25);
        assertThat(b.int64("l")).containsExactly(Long.MIN_VALUE);
        assertThat(b.int8("i8")).containsExactly((byte) -128, (byte) 127);
        assertThat(b.uint8("u8")).containsExactly(0, 255);
        assertThat(b.float32("scalar")).containsExactly(7f);
        assertThat(b.info("scalar").rank()).isZero();
    }

    @Test
    void roundTripsThroughZipDirectoryAndMemory() throws IOException {
        checkSample(sample().toBundle());
        checkSample(ModelBundle.open(sample().writeZip(tmp.resolve("a.rbundle"))));
        checkSample(ModelBundle.open(sample().writeDirectory(tmp.resolve("dir"))));
    }

    @Test
    void typedAccessorsNameTheTensorOnMisuse() {
        ModelBundle b = sample().toBundle();
        assertThatThrownBy(() -> b.int16("w")).isInstanceOf(BundleException.class)
                .hasMessageContaining("'w'").hasMessageContaining("float32");
        assertThatThrownBy(() -> b.float32("nope")).isInstanceOf(BundleException.class)
                .hasMessageContaining("'nope'").hasMessageContaining("missing");
        assertThatThrownBy(() -> b.fracBits("w")).hasMessageContaining("'w'");
        assertThatThrownBy(() -> b.requireShape("w", 3, 2)).isInstanceOf(BundleException.class)
                .hasMessageContaining("'w'").hasMessageContaining("[2, 3]").hasMessageContaining("[3, 2]");
        assertThat(((BundleException) catchThrown(() -> b.requireShape("w", 3, 2))).tensor()).isEqualTo("w");
        assertThatThrownBy(() -> b.hpInt("cell_clip2")).hasMessageContaining("cell_clip2");
        assertThatThrownBy(() -> b.hpBoolean("gen_dim")).hasMessageContaining("gen_dim");
        assertThatThrownBy(() -> b.requireModelType("snn")).hasMessageContaining("snn").hasMessageContaining("lfads");
    }

    private static Throwable catchThrown(Runnable r) {
        try {
            r.run();
        } catch (Throwable t) {
            return t;
        }
        throw new AssertionError("nothing thrown");
    }

    /** Rewrites one entry of a ZIP bundle. */
    private static byte[] replaceEntry(byte[] zip, String entry, byte[] content) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipInputStream in = new ZipInputStream(new java.io.ByteArrayInputStream(zip));
             ZipOutputStream z = new ZipOutputStream(out)) {
            ZipEntry e;
            while ((e = in.getNextEntry()) != null) {
                byte[] bytes = in.readAllBytes();
                if (e.getName().equals(entry)) {
                    if (content == null) {
                        continue;
                    }
                    bytes = content;
                }
                z.putNextEntry(new ZipEntry(e.getName()));
                z.write(bytes);
                z.closeEntry();
            }
        }
        return out.toByteArray();
    }

    private static BundleException refused(byte[] zip) {
        Throwable t = catchThrown(() -> ModelBundle.fromBytes(zip, "test"));
        assertThat(t).isInstanceOf(BundleException.class);
        return (BundleException) t;
    }

    @Test
    void corruptTensorIsRefusedByName() throws IOException {
        byte[] zip = sample().toZipBytes();
        byte[] w = sample().toBundle().rawBytes("w:q");
        w[3] ^= 1;
        BundleException e = refused(replaceEntry(zip, "tensors/w:q.bin", w));
        assertThat(e.tensor()).isEqualTo("w:q");
        assertThat(e).hasMessageContaining("SHA-256");
    }

    @Test
    void truncatedTensorIsRefusedByName() throws IOException {
        byte[] d = sample().toBundle().rawBytes("d");
        byte[] shorter = java.util.Arrays.copyOf(d, d.length - 8);
        BundleException e = refused(replaceEntry(sample().toZipBytes(), "tensors/d.bin", shorter));
        assertThat(e.tensor()).isEqualTo("d");
        assertThat(e).hasMessageContaining("8 bytes").hasMessageContaining("needs 16");
    }

    @Test
    void missingAndUnlistedTensorFilesAreRefused() throws IOException {
        BundleException missing = refused(replaceEntry(sample().toZipBytes(), "tensors/i8.bin", null));
        assertThat(missing.tensor()).isEqualTo("i8");
        assertThat(missing).hasMessageContaining("missing");

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out);
             ZipInputStream in = new ZipInputStream(new java.io.ByteArrayInputStream(sample().toZipBytes()))) {
            ZipEntry e;
            while ((e = in.getNextEntry()) != null) {
                z.putNextEntry(new ZipEntry(e.getName()));
                z.write(in.readAllBytes());
                z.closeEntry();
            }
            z.putNextEntry(new ZipEntry("tensors/stray.bin"));
            z.write(new byte[4]);
            z.closeEntry();
        }
        BundleException stray = refused(out.toByteArray());
        assertThat(stray.tensor()).isEqualTo("stray");
    }

    @Test
    void nonFiniteFloatIsRefusedByName() {
        byte[] nan = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putFloat(1f).putFloat(Float.NaN).array();
        ModelBundleWriter w = new ModelBundleWriter("lfads", "nan").putRaw("bad", DType.FLOAT32, new int[] {2}, nan,
                TensorInfo.NO_FRAC_BITS);
        BundleException e = refused(w.toZipBytes());
        assertThat(e.tensor()).isEqualTo("bad");
        assertThat(e).hasMessageContaining("non-finite").hasMessageContaining("index 1");
        assertThatThrownBy(() -> new ModelBundleWriter("x", "y").putFloat64("inf", new int[] {1},
                new double[] {Double.POSITIVE_INFINITY})).hasMessageContaining("'inf'");
    }

    private static byte[] manifestWith(String from, String to) throws IOException {
        byte[] zip = sample().toZipBytes();
        String m = new String(sample().manifestJson(), StandardCharsets.UTF_8);
        assertThat(m).contains(from);
        return replaceEntry(zip, "manifest.json", m.replace(from, to).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void manifestErrorsAreRefused() throws IOException {
        assertThat(refused(manifestWith("\"format_version\" : 1", "\"format_version\" : 2")))
                .hasMessageContaining("format_version");
        assertThat(refused(manifestWith("\"reflex-bundle\"", "\"npz\""))).hasMessageContaining("format");
        BundleException dtype = refused(manifestWith("\"dtype\" : \"int8\"", "\"dtype\" : \"bfloat16\""));
        assertThat(dtype.tensor()).isEqualTo("i8");
        assertThat(dtype).hasMessageContaining("bfloat16");
        assertThat(refused(manifestWith("\"model_type\" : \"lfads\"", "\"model_type\" : 3")))
                .hasMessageContaining("model_type");
        assertThat(refused(replaceEntry(sample().toZipBytes(), "manifest.json", "{not json".getBytes(StandardCharsets.UTF_8))))
                .hasMessageContaining("JSON");
        assertThat(refused(replaceEntry(sample().toZipBytes(), "manifest.json", null))).hasMessageContaining("manifest");
        assertThat(refused("garbage, not a zip".getBytes(StandardCharsets.UTF_8))).hasMessageContaining("ZIP");
    }

    @Test
    void shapeThatDisagreesWithFileSizeIsRefused() throws IOException {
        String m = new String(sample().manifestJson(), StandardCharsets.UTF_8);
        String wq = m.substring(m.indexOf("\"w:q\""));
        String fixed = wq.replaceFirst("\\[ 2, 3 \\]", "[ 3, 3 ]");
        assertThat(fixed).isNotEqualTo(wq);
        byte[] zip = replaceEntry(sample().toZipBytes(), "manifest.json",
                m.replace(wq, fixed).getBytes(StandardCharsets.UTF_8));
        BundleException e = refused(zip);
        assertThat(e.tensor()).isEqualTo("w:q");
        assertThat(e).hasMessageContaining("12 bytes").hasMessageContaining("needs 18");
    }

    @Test
    void unknownTopLevelKeysAreIgnoredAndSectionsReadable() throws IOException {
        ModelBundle b = ModelBundle.fromBytes(manifestWith("\"format\" :", "\"future_key\" : [1,2], \"format\" :"), "t");
        checkSample(b);
        assertThat(b.section("arithmetic")).containsEntry("fixed_point_version", 1);
        assertThat(b.section("absent")).isNull();
    }

    @Test
    void directoryBundleWithCorruptFileIsRefused() throws IOException {
        Path dir = sample().writeDirectory(tmp.resolve("d"));
        Files.write(dir.resolve("tensors/u8.bin"), new byte[] {1, 2});
        assertThatThrownBy(() -> ModelBundle.open(dir)).isInstanceOf(BundleException.class)
                .hasMessageContaining("'u8'").hasMessageContaining("SHA-256");
    }

    @Test
    void writerRejectsBadInput() {
        assertThatThrownBy(() -> new ModelBundleWriter("x", "y").putFloat32("a", new int[] {2, 2}, new float[3]))
                .hasMessageContaining("'a'").hasMessageContaining("3");
        assertThatThrownBy(() -> new ModelBundleWriter("x", "y").putFloat32("../a", new int[] {1}, new float[1]))
                .hasMessageContaining("invalid tensor name");
        assertThatThrownBy(() -> new ModelBundleWriter("x", "y").putFloat32("a", new int[] {1}, new float[1])
                .putFloat32("a", new int[] {1}, new float[1])).hasMessageContaining("already");
        assertThatThrownBy(() -> new ModelBundleWriter("x", "y").section("tensors", Map.of()))
                .hasMessageContaining("reserved");
    }
}
