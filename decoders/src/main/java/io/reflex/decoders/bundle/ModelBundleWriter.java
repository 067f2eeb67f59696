package io.reflex.decoders.bundle;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Builds a model bundle (decoders/BUNDLE.md, format version 1) and writes it as a ZIP ({@code .rbundle}) or as a
 * directory. The SHA-256 of every tensor is computed here. Float tensors must be finite, and every array's length
 * must equal the product of its shape, so the writer never produces a bundle that {@link ModelBundle} refuses.
 *
 * <pre>{@code
 * new ModelBundleWriter("snn", "demo-lif")
 *         .createdBy("SnnTrainer --seed 3")
 *         .hyperparameter("neurons", 128)
 *         .putInt16("w", new int[] {nnz}, weights, 0)
 *         .writeZip(Path.of("demo.rbundle"));
 * }</pre>
 *
 * <p>Not thread-safe; arrays are copied when added.
 */
public final class ModelBundleWriter {

    private final String modelType;
    private final String name;
    private String createdBy = "";
    private final Map<String, Object> hyperparameters = new LinkedHashMap<>();
    private final Map<String, Object> sections = new LinkedHashMap<>();
    private final Map<String, TensorInfo> infos = new LinkedHashMap<>();
    private final Map<String, byte[]> data = new LinkedHashMap<>();

    /**
     * @param modelType {@code model_type}, e.g. {@code "lfads"} or {@code "snn"}
     * @param name      {@code name} of the model
     */
    public ModelBundleWriter(String modelType, String name) {
        if (modelType == null || modelType.isEmpty()) {
            throw new IllegalArgumentException("modelType must be a non-empty string");
        }
        this.modelType = modelType;
        this.name = name == null ? "" : name;
    }

    /** Sets {@code created_by}: the command that made this model. */
    public ModelBundleWriter createdBy(String command) {
        this.createdBy = command == null ? "" : command;
        return this;
    }

    /** Adds a hyperparameter (number, boolean, string, list or map of those). */
    public ModelBundleWriter hyperparameter(String key, Object value) {
        hyperparameters.put(key, value);
        return this;
    }

    /** Adds all hyperparameters of the map. */
    public ModelBundleWriter hyperparameters(Map<String, ?> values) {
        hyperparameters.putAll(values);
        return this;
    }

    /**
     * Adds a top-level manifest object, e.g. {@code "arithmetic"} or {@code "golden"}.
     *
     * @throws IllegalArgumentException for the reserved keys format, format_version, model_type, name,
     *                                  created_by, hyperparameters and tensors
     */
    public ModelBundleWriter section(String key, Map<String, ?> value) {
        switch (key) {
            case "format", "format_version", "model_type", "name", "created_by", "hyperparameters", "tensors" ->
                    throw new IllegalArgumentException("manifest key '" + key + "' is reserved");
            default -> sections.put(key, new LinkedHashMap<>(value));
        }
        return this;
    }

    /** Adds a float32 tensor. */
    public ModelBundleWriter putFloat32(String tensor, int[] shape, float[] values) {
        check(tensor, shape, values.length);
        ByteBuffer b = alloc(values.length * 4L);
        for (int k = 0; k < values.length; k++) {
            if (!Float.isFinite(values[k])) {
                throw new IllegalArgumentException("tensor '" + tensor + "': non-finite value at flat index " + k);
            }
            b.putFloat(values[k]);
        }
        return add(tensor, DType.FLOAT32, shape, b.array(), TensorInfo.NO_FRAC_BITS);
    }

    /** Adds a float64 tensor. */
    public ModelBundleWriter putFloat64(String tensor, int[] shape, double[] values) {
        check(tensor, shape, values.length);
        ByteBuffer b = alloc(values.length * 8L);
        for (int k = 0; k < values.length; k++) {
            if (!Double.isFinite(values[k])) {
                throw new IllegalArgumentException("tensor '" + tensor + "': non-finite value at flat index " + k);
            }
            b.putDouble(values[k]);
        }
        return add(tensor, DType.FLOAT64, shape, b.array(), TensorInfo.NO_FRAC_BITS);
    }

    /** Adds an int16 tensor without {@code frac_bits}. */
    public ModelBundleWriter putInt16(String tensor, int[] shape, short[] values) {
        return putInt16(tensor, shape, values, TensorInfo.NO_FRAC_BITS);
    }

    /** Adds an int16 fixed-point tensor with {@code frac_bits} ({@link TensorInfo#NO_FRAC_BITS} for none). */
    public ModelBundleWriter putInt16(String tensor, int[] shape, short[] values, int fracBits) {
        check(tensor, shape, values.length);
        ByteBuffer b = alloc(values.length * 2L);
        for (short v : values) {
            b.putShort(v);
        }
        return add(tensor, DType.INT16, shape, b.array(), fracBits);
    }

    /** Adds an int32 tensor without {@code frac_bits}. */
    public ModelBundleWriter putInt32(String tensor, int[] shape, int[] values) {
        return putInt32(tensor, shape, values, TensorInfo.NO_FRAC_BITS);
    }

    /** Adds an int32 fixed-point tensor with {@code frac_bits} ({@link TensorInfo#NO_FRAC_BITS} for none). */
    public ModelBundleWriter putInt32(String tensor, int[] shape, int[] values, int fracBits) {
        check(tensor, shape, values.length);
        ByteBuffer b = alloc(values.length * 4L);
        for (int v : values) {
            b.putInt(v);
        }
        return add(tensor, DType.INT32, shape, b.array(), fracBits);
    }

    /** Adds an int64 tensor. */
    public ModelBundleWriter putInt64(String tensor, int[] shape, long[] values) {
        check(tensor, shape, values.length);
        ByteBuffer b = alloc(values.length * 8L);
        for (long v : values) {
            b.putLong(v);
        }
        return add(tensor, DType.INT64, shape, b.array(), TensorInfo.NO_FRAC_BITS);
    }

    /** Adds an int8 tensor. */
    public ModelBundleWriter putInt8(String tensor, int[] shape, byte[] values) {
        check(tensor, shape, values.length);
        return add(tensor, DType.INT8, shape, values.clone(), TensorInfo.NO_FRAC_BITS);
    }

    /** Adds a uint8 tensor; every value must be in [0, 255]. */
    public ModelBundleWriter putUint8(String tensor, int[] shape, int[] values) {
        check(tensor, shape, values.length);
        byte[] b = new byte[values.length];
        for (int k = 0; k < values.length; k++) {
            if (values[k] < 0 || values[k] > 255) {
                throw new IllegalArgumentException("tensor '" + tensor + "': uint8 value " + values[k] + " at " + k);
            }
            b[k] = (byte) values[k];
        }
        return add(tensor, DType.UINT8, shape, b, TensorInfo.NO_FRAC_BITS);
    }

    /**
     * Adds a tensor from raw little-endian bytes exactly as given (no finiteness check): for tests that need a
     * deliberately broken bundle, and for copying tensors between bundles.
     */
    public ModelBundleWriter putRaw(String tensor, DType dtype, int[] shape, byte[] littleEndian, int fracBits) {
        ModelBundle.checkTensorName(tensor);
        return add(tensor, dtype, shape, littleEndian.clone(), fracBits);
    }

    /** Copies one tensor (data, dtype, shape, frac_bits) from an existing bundle. */
    public ModelBundleWriter copyTensor(ModelBundle from, String tensor) {
        TensorInfo i = from.info(tensor);
        return add(tensor, i.dtype(), i.shape(), from.rawBytes(tensor), i.fracBits());
    }

    private static void check(String tensor, int[] shape, int length) {
        ModelBundle.checkTensorName(tensor);
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor '" + tensor + "': negative dimension in " + Arrays.toString(shape));
            }
            n *= d;
        }
        if (n != length) {
            throw new IllegalArgumentException("tensor '" + tensor + "': shape " + Arrays.toString(shape) + " holds " + n
                    + " values but " + length + " were given");
        }
    }

    private static ByteBuffer alloc(long bytes) {
        return ByteBuffer.allocate(Math.toIntExact(bytes)).order(ByteOrder.LITTLE_ENDIAN);
    }

    private ModelBundleWriter add(String tensor, DType dtype, int[] shape, byte[] bytes, int fracBits) {
        if (infos.containsKey(tensor)) {
            throw new IllegalArgumentException("tensor '" + tensor + "' was already added");
        }
        infos.put(tensor, new TensorInfo(tensor, dtype, shape, ModelBundle.sha256Hex(bytes), fracBits));
        data.put(tensor, bytes);
        return this;
    }

    /** The manifest as pretty-printed UTF-8 JSON. */
    public byte[] manifestJson() {
        ObjectNode m = ModelBundle.MAPPER.createObjectNode();
        m.put("format", ModelBundle.FORMAT);
        m.put("format_version", ModelBundle.FORMAT_VERSION);
        m.put("model_type", modelType);
        m.put("name", name);
        m.put("created_by", createdBy);
        m.set("hyperparameters", ModelBundle.MAPPER.valueToTree(hyperparameters));
        for (Map.Entry<String, Object> e : sections.entrySet()) {
            m.set(e.getKey(), ModelBundle.MAPPER.valueToTree(e.getValue()));
        }
        ObjectNode tensors = m.putObject("tensors");
        for (TensorInfo i : infos.values()) {
            ObjectNode t = tensors.putObject(i.name());
            t.put("dtype", i.dtype().jsonName());
            ArrayNode s = t.putArray("shape");
            for (int d : i.shape()) {
                s.add(d);
            }
            t.put("sha256", i.sha256());
            if (i.hasFracBits()) {
                t.put("frac_bits", i.fracBits());
            }
        }
        try {
            return ModelBundle.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(m);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot serialise the manifest: " + e.getMessage(), e);
        }
    }

    /** Writes the ZIP archive to a stream (entries stored in manifest order, manifest first). */
    public void writeZip(OutputStream out) throws IOException {
        ZipOutputStream zip = new ZipOutputStream(out);
        zip.putNextEntry(new ZipEntry(ModelBundle.MANIFEST));
        zip.write(manifestJson());
        zip.closeEntry();
        for (Map.Entry<String, byte[]> e : data.entrySet()) {
            zip.putNextEntry(new ZipEntry(ModelBundle.TENSOR_DIR + e.getKey() + ModelBundle.TENSOR_SUFFIX));
            zip.write(e.getValue());
            zip.closeEntry();
        }
        zip.finish();
    }

    /** Writes the ZIP archive to a file, atomically (temporary file, then rename). */
    public Path writeZip(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, file.getFileName().toString(), ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            writeZip(out);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        return file;
    }

    /** The ZIP archive as bytes. */
    public byte[] toZipBytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            writeZip(out);
        } catch (IOException e) {
            throw new IllegalStateException("in-memory ZIP failed: " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    /** Writes the unpacked layout ({@code manifest.json}, {@code tensors/*.bin}) into a directory. */
    public Path writeDirectory(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("tensors"));
        for (Map.Entry<String, byte[]> e : data.entrySet()) {
            Files.write(dir.resolve("tensors").resolve(e.getKey() + ModelBundle.TENSOR_SUFFIX), e.getValue());
        }
        Files.write(dir.resolve(ModelBundle.MANIFEST), manifestJson());
        return dir;
    }

    /** The bundle as a validated {@link ModelBundle}, without touching the disk. */
    public ModelBundle toBundle() {
        return ModelBundle.fromBytes(toZipBytes(), "memory:" + name);
    }
}
