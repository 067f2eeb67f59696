package io.reflex.decoders.bundle;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * A validated, fully loaded model bundle (decoders/BUNDLE.md, format version 1): a manifest plus named
 * little-endian tensors, read from a ZIP archive ({@code .rbundle}) or from the same layout in a directory.
 *
 * <p>Everything is checked when the bundle is opened, before any model sees it: format and version, each tensor's
 * dtype and shape against its file size, its SHA-256, and (for float tensors) that every value is finite. Every
 * error is a {@link BundleException} whose message names the offending tensor or manifest key. Model loaders then
 * use {@link #requireShape} to check shapes against their hyperparameters, which names the tensor the same way.
 *
 * <p>Instances are immutable; the typed accessors return fresh arrays (they are meant for load time, not for the
 * hot path).
 */
public final class ModelBundle {

    /** The only {@code format} this reader accepts. */
    public static final String FORMAT = "reflex-bundle";
    /** The only {@code format_version} this reader accepts. */
    public static final int FORMAT_VERSION = 1;

    static final String MANIFEST = "manifest.json";
    static final String TENSOR_DIR = "tensors/";
    static final String TENSOR_SUFFIX = ".bin";
    private static final long MAX_TENSOR_BYTES = Integer.MAX_VALUE - 64;

    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(JsonParser.Feature.ALLOW_COMMENTS)
            .build();

    private final String source;
    private final JsonNode manifest;
    private final String modelType;
    private final String name;
    private final String createdBy;
    private final Map<String, Object> hyperparameters;
    private final Map<String, TensorInfo> infos;
    private final Map<String, byte[]> data;

    private ModelBundle(String source, JsonNode manifest, Map<String, TensorInfo> infos, Map<String, byte[]> data) {
        this.source = source;
        this.manifest = manifest;
        this.modelType = manifest.get("model_type").asText();
        this.name = manifest.path("name").asText("");
        this.createdBy = manifest.path("created_by").asText("");
        JsonNode hp = manifest.path("hyperparameters");
        @SuppressWarnings("unchecked")
        Map<String, Object> hpMap = hp.isObject() ? MAPPER.convertValue(hp, LinkedHashMap.class) : new LinkedHashMap<>();
        this.hyperparameters = Collections.unmodifiableMap(hpMap);
        this.infos = Collections.unmodifiableMap(infos);
        this.data = data;
    }

    // ------------------------------------------------------------------------------------------------ opening

    /**
     * Opens a bundle: a ZIP file ({@code .rbundle}) or a directory holding {@code manifest.json} and
     * {@code tensors/}.
     *
     * @throws IOException     when the file cannot be read
     * @throws BundleException when the content is invalid (the message names the tensor or key)
     */
    public static ModelBundle open(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            return openDirectory(path);
        }
        return read(() -> Files.newInputStream(path), path.toString());
    }

    /** Largest {@code manifest.json} read (a manifest holds names, shapes and hashes: kilobytes). */
    static final int MAX_MANIFEST_BYTES = 4 << 20;
    /**
     * Most bytes a bundle may hold or expand to: the manifest's tensors together, and everything the archive
     * decompresses to. Far above any model Reflex runs (the shipped LFADS models are under 1 MiB); a ZIP bomb (a few
     * MiB that inflate to gigabytes) is refused after reading at most this much, without holding it.
     */
    public static final long MAX_BUNDLE_BYTES = 1L << 30;

    /** Opens the archive again for a second pass (a path or the bytes of a class-path resource). */
    @FunctionalInterface
    private interface Opener {
        InputStream open() throws IOException;
    }

    /**
     * Reads a ZIP bundle in two passes so that nothing is sized by what the archive claims: the first finds and
     * parses the manifest (skipping other entries, with the total inflated bytes bounded), the second reads each
     * listed tensor with a cap of exactly the bytes its shape needs.
     */
    private static ModelBundle read(Opener opener, String source) throws IOException {
        return read(opener, source, MAX_BUNDLE_BYTES);
    }

    /**
     * {@link #fromBytes(byte[], String)} with a lower inflation limit than {@link #MAX_BUNDLE_BYTES}: a bundle
     * embedded in a bounded file (a decoder file) expands to at most what that file may hold.
     *
     * @throws BundleException when the content is invalid or inflates to more than {@code maxInflatedBytes}
     */
    public static ModelBundle fromBytes(byte[] zipBytes, String source, long maxInflatedBytes) {
        try {
            return read(() -> new ByteArrayInputStream(zipBytes), source, Math.min(maxInflatedBytes, MAX_BUNDLE_BYTES));
        } catch (IOException e) {
            throw new BundleException(source + ": " + e.getMessage(), e);
        }
    }

    /**
     * The bundle as a ZIP archive ({@code .rbundle}): its manifest, then its tensors in manifest order, every entry
     * stamped with the same fixed time so that the same bundle always gives the same bytes. Read back
     * ({@link #fromBytes}), it has the same manifest and the same tensor bytes.
     */
    public byte[] toZipBytes() {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (java.util.zip.ZipOutputStream zip = new java.util.zip.ZipOutputStream(out)) {
            zip.putNextEntry(fixedTime(new ZipEntry(MANIFEST)));
            zip.write(MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest));
            zip.closeEntry();
            for (String t : infos.keySet()) {
                zip.putNextEntry(fixedTime(new ZipEntry(TENSOR_DIR + t + TENSOR_SUFFIX)));
                zip.write(data.get(t));
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new IllegalStateException("in-memory ZIP failed: " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    private static ZipEntry fixedTime(ZipEntry e) {
        e.setTime(ZIP_ENTRY_TIME_MS);
        return e;
    }

    /** 2020-01-01T00:00:00Z, the time of every entry {@link #toZipBytes} writes. */
    private static final long ZIP_ENTRY_TIME_MS = 1_577_836_800_000L;

    private static ModelBundle read(Opener opener, String source, long maxInflated) throws IOException {
        JsonNode manifest = null;
        boolean anyEntry = false;
        try (ZipInputStream zin = new ZipInputStream(opener.open())) {
            long inflated = 0;
            for (ZipEntry e = zin.getNextEntry(); e != null; e = zin.getNextEntry()) {
                anyEntry = true;
                if (e.isDirectory()) {
                    continue;
                }
                if (e.getName().equals(MANIFEST)) {
                    if (manifest != null) {
                        throw new BundleException(source + ": duplicate ZIP entry '" + MANIFEST + "'");
                    }
                    byte[] bytes = readCapped(zin, MAX_MANIFEST_BYTES, source + ": " + MANIFEST);
                    inflated += bytes.length;
                    manifest = parseManifest(bytes, source);
                } else {
                    inflated += skipCapped(zin, maxInflated - inflated, maxInflated, source);
                }
            }
        } catch (java.util.zip.ZipException e) {
            throw new BundleException(source + ": not a valid ZIP archive: " + e.getMessage(), e);
        }
        if (!anyEntry) {
            throw new BundleException(source + ": not a ZIP archive or an empty one (no entries)");
        }
        if (manifest == null) {
            throw new BundleException(source + ": no " + MANIFEST + " at the top level of the archive");
        }
        Map<String, TensorInfo> infos = parseTensors(manifest, source);
        Map<String, TensorInfo> byEntry = new HashMap<>();
        for (TensorInfo info : infos.values()) {
            byEntry.put(TENSOR_DIR + info.name() + TENSOR_SUFFIX, info);
        }
        Map<String, byte[]> data = new HashMap<>();
        try (ZipInputStream zin = new ZipInputStream(opener.open())) {
            long inflated = 0;
            Set<String> seen = new HashSet<>();
            for (ZipEntry e = zin.getNextEntry(); e != null; e = zin.getNextEntry()) {
                String entry = e.getName();
                if (e.isDirectory() || entry.equals(MANIFEST)) {
                    continue;
                }
                if (!seen.add(entry)) {
                    throw new BundleException(source + ": duplicate ZIP entry '" + entry + "'");
                }
                TensorInfo info = byEntry.get(entry);
                if (info != null) {
                    long expected = info.elementCount() * info.dtype().sizeBytes();
                    byte[] bytes = readCapped(zin, expected, null);
                    if (bytes == null) {
                        throw BundleException.forTensor(info.name(), "file is longer than the " + expected
                                + " bytes " + info.dtype().jsonName() + info.shapeString() + " needs (" + source + ")");
                    }
                    inflated += bytes.length;
                    validateData(info, bytes);
                    data.put(info.name(), bytes);
                } else if (entry.startsWith(TENSOR_DIR) && entry.endsWith(TENSOR_SUFFIX)) {
                    String t = entry.substring(TENSOR_DIR.length(), entry.length() - TENSOR_SUFFIX.length());
                    throw BundleException.forTensor(t, "file " + entry + " is not listed in the manifest (" + source
                            + ")");
                } else {
                    inflated += skipCapped(zin, maxInflated - inflated, maxInflated, source);
                }
            }
        } catch (java.util.zip.ZipException e) {
            throw new BundleException(source + ": not a valid ZIP archive: " + e.getMessage(), e);
        }
        for (TensorInfo info : infos.values()) {
            if (!data.containsKey(info.name())) {
                throw BundleException.forTensor(info.name(), "missing file " + TENSOR_DIR + info.name() + TENSOR_SUFFIX
                        + " in " + source);
            }
        }
        return new ModelBundle(source, manifest, infos, data);
    }

    /**
     * Reads the current entry, at most {@code cap} bytes. Beyond the cap: a BundleException naming {@code what}, or
     * null when {@code what} is null (the caller names the tensor). Memory grows with what was read, never with
     * what the entry claims.
     */
    private static byte[] readCapped(InputStream in, long cap, String what) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream((int) Math.min(cap, 1 << 16) + 1);
        byte[] chunk = new byte[1 << 16];
        long total = 0;
        int n;
        while ((n = in.read(chunk, 0, (int) Math.min(chunk.length, cap - total + 1))) > 0) {
            total += n;
            if (total > cap) {
                if (what == null) {
                    return null;
                }
                throw new BundleException(what + " is longer than " + cap + " bytes");
            }
            out.write(chunk, 0, n);
        }
        return out.toByteArray();
    }

    /** Skips the current entry, refusing once more than {@code budget} bytes have been inflated. */
    private static long skipCapped(InputStream in, long budget, long limit, String source) throws IOException {
        byte[] chunk = new byte[1 << 16];
        long total = 0;
        int n;
        while ((n = in.read(chunk)) > 0) {
            total += n;
            if (total > budget) {
                throw new BundleException(source + ": the archive inflates to more than " + limit
                        + " bytes (a ZIP bomb or not a model bundle)");
            }
        }
        return total;
    }

    /** Reads a ZIP bundle held in memory. */
    public static ModelBundle fromBytes(byte[] zipBytes, String source) {
        try {
            return read(() -> new ByteArrayInputStream(zipBytes), source);
        } catch (IOException e) {
            throw new BundleException(source + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads a ZIP bundle from the class path, e.g. {@code "/models/lfads-lorenz-small.rbundle"}.
     *
     * @throws BundleException when the resource does not exist or is invalid
     */
    public static ModelBundle fromResource(String resource) {
        String absolute = resource.startsWith("/") ? resource : "/" + resource;
        try (InputStream in = ModelBundle.class.getResourceAsStream(absolute)) {
            if (in == null) {
                throw new BundleException("no class-path resource " + absolute);
            }
            return read(() -> {
                InputStream again = ModelBundle.class.getResourceAsStream(absolute);
                if (again == null) {
                    throw new IOException("class-path resource " + absolute + " vanished");
                }
                return again;
            }, "classpath:" + absolute);
        } catch (IOException e) {
            throw new BundleException("classpath:" + absolute + ": " + e.getMessage(), e);
        }
    }

    private static ModelBundle openDirectory(Path dir) throws IOException {
        String source = dir.toString();
        Path manifestPath = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(manifestPath)) {
            throw new BundleException(source + ": no " + MANIFEST + " in the directory");
        }
        if (Files.size(manifestPath) > MAX_MANIFEST_BYTES) {
            throw new BundleException(source + ": " + MANIFEST + " is longer than " + MAX_MANIFEST_BYTES + " bytes");
        }
        JsonNode manifest = parseManifest(Files.readAllBytes(manifestPath), source);
        Map<String, TensorInfo> infos = parseTensors(manifest, source);
        Path tensorDir = dir.resolve("tensors");
        if (Files.isDirectory(tensorDir)) {
            try (var stream = Files.list(tensorDir)) {
                for (Iterator<Path> it = stream.iterator(); it.hasNext(); ) {
                    String file = it.next().getFileName().toString();
                    if (file.endsWith(TENSOR_SUFFIX)) {
                        String t = file.substring(0, file.length() - TENSOR_SUFFIX.length());
                        if (!infos.containsKey(t)) {
                            throw BundleException.forTensor(t, "file tensors/" + file
                                    + " is not listed in the manifest (" + source + ")");
                        }
                    }
                }
            }
        }
        Map<String, byte[]> data = new HashMap<>();
        for (TensorInfo info : infos.values()) {
            Path file = tensorDir.resolve(info.name() + TENSOR_SUFFIX);
            if (!Files.isRegularFile(file)) {
                throw BundleException.forTensor(info.name(), "missing file " + TENSOR_DIR + info.name() + TENSOR_SUFFIX
                        + " in " + source);
            }
            long size = Files.size(file);
            long expected = info.elementCount() * info.dtype().sizeBytes();
            if (size != expected) {
                throw BundleException.forTensor(info.name(), "file has " + size + " bytes but " + info.dtype().jsonName()
                        + info.shapeString() + " needs " + expected);
            }
            byte[] bytes = Files.readAllBytes(file);
            validateData(info, bytes);
            data.put(info.name(), bytes);
        }
        return new ModelBundle(source, manifest, infos, data);
    }

    // ------------------------------------------------------------------------------------------- validation

    private static JsonNode parseManifest(byte[] bytes, String source) {
        JsonNode m;
        try {
            m = MAPPER.readTree(bytes);
        } catch (IOException e) {
            throw new BundleException(source + ": " + MANIFEST + " is not valid JSON: " + e.getMessage(), e);
        }
        if (m == null || !m.isObject()) {
            throw new BundleException(source + ": " + MANIFEST + " must hold a JSON object");
        }
        JsonNode format = m.get("format");
        if (format == null || !FORMAT.equals(format.asText())) {
            throw new BundleException(source + ": manifest key 'format' must be \"" + FORMAT + "\", found "
                    + (format == null ? "nothing" : format.toString()));
        }
        JsonNode version = m.get("format_version");
        if (version == null || !version.isIntegralNumber() || version.asLong() != FORMAT_VERSION) {
            throw new BundleException(source + ": unsupported manifest 'format_version' "
                    + (version == null ? "(missing)" : version.toString()) + "; this reader knows " + FORMAT_VERSION);
        }
        JsonNode type = m.get("model_type");
        if (type == null || !type.isTextual() || type.asText().isEmpty()) {
            throw new BundleException(source + ": manifest key 'model_type' must be a non-empty string");
        }
        JsonNode hp = m.get("hyperparameters");
        if (hp != null && !hp.isObject()) {
            throw new BundleException(source + ": manifest key 'hyperparameters' must be an object");
        }
        JsonNode tensors = m.get("tensors");
        if (tensors == null || !tensors.isObject()) {
            throw new BundleException(source + ": manifest key 'tensors' must be an object");
        }
        return m;
    }

    private static Map<String, TensorInfo> parseTensors(JsonNode manifest, String source) {
        Map<String, TensorInfo> infos = new LinkedHashMap<>();
        long declared = 0;
        for (Map.Entry<String, JsonNode> e : manifest.get("tensors").properties()) {
            String t = e.getKey();
            checkTensorName(t);
            JsonNode n = e.getValue();
            if (!n.isObject()) {
                throw BundleException.forTensor(t, "manifest entry must be an object");
            }
            String dtypeName = n.path("dtype").asText("");
            DType dtype = DType.fromJsonName(dtypeName);
            if (dtype == null) {
                throw BundleException.forTensor(t, "unknown dtype '" + dtypeName
                        + "' (known: float32, float64, int8, int16, int32, int64, uint8)");
            }
            JsonNode shapeNode = n.get("shape");
            if (shapeNode == null || !shapeNode.isArray()) {
                throw BundleException.forTensor(t, "'shape' must be an array of non-negative integers");
            }
            int[] shape = new int[shapeNode.size()];
            long count = 1;
            for (int i = 0; i < shape.length; i++) {
                JsonNode d = shapeNode.get(i);
                if (!d.isIntegralNumber() || d.asLong() < 0 || d.asLong() > Integer.MAX_VALUE) {
                    throw BundleException.forTensor(t, "shape entry " + i + " is " + d + ", not a non-negative int");
                }
                shape[i] = d.asInt();
                count *= shape[i];
                if (count * dtype.sizeBytes() > MAX_TENSOR_BYTES) {
                    throw BundleException.forTensor(t, "shape " + shapeNode + " is larger than 2 GiB");
                }
            }
            String sha = n.path("sha256").asText("");
            if (!sha.matches("[0-9a-fA-F]{64}")) {
                throw BundleException.forTensor(t, "'sha256' must be 64 hex digits, found '" + sha + "'");
            }
            int fracBits = TensorInfo.NO_FRAC_BITS;
            JsonNode fb = n.get("frac_bits");
            if (fb != null && !fb.isNull()) {
                if (!fb.isIntegralNumber() || fb.asInt() < -64 || fb.asInt() > 64) {
                    throw BundleException.forTensor(t, "'frac_bits' must be an integer in [-64, 64], found " + fb);
                }
                if (dtype.isFloating()) {
                    throw BundleException.forTensor(t, "'frac_bits' given for a " + dtype.jsonName() + " tensor");
                }
                fracBits = fb.asInt();
            }
            infos.put(t, new TensorInfo(t, dtype, shape, sha.toLowerCase(java.util.Locale.ROOT), fracBits));
            declared += count * dtype.sizeBytes();
            if (declared > MAX_BUNDLE_BYTES) {
                throw BundleException.forTensor(t, "the manifest's tensors up to this one need " + declared
                        + " bytes, above the " + MAX_BUNDLE_BYTES + " a bundle may hold");
            }
        }
        return infos;
    }

    static void checkTensorName(String t) {
        if (t.isEmpty() || t.contains("/") || t.contains("\\") || t.startsWith(".") || t.chars().anyMatch(c -> c < 0x20)) {
            throw BundleException.forTensor(t, "invalid tensor name (empty, a path separator, a leading dot or a "
                    + "control character)");
        }
    }

    private static void validateData(TensorInfo info, byte[] bytes) {
        long expected = info.elementCount() * info.dtype().sizeBytes();
        if (bytes.length != expected) {
            throw BundleException.forTensor(info.name(), "file has " + bytes.length + " bytes but "
                    + info.dtype().jsonName() + info.shapeString() + " needs " + expected);
        }
        String actual = sha256Hex(bytes);
        if (!actual.equals(info.sha256())) {
            throw BundleException.forTensor(info.name(), "SHA-256 mismatch: manifest " + info.sha256() + ", file "
                    + actual + " (corrupt or modified)");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (info.dtype() == DType.FLOAT32) {
            for (int i = 0; i < bytes.length / 4; i++) {
                float v = buf.getFloat(i * 4);
                if (!Float.isFinite(v)) {
                    throw BundleException.forTensor(info.name(), "non-finite value " + v + " at flat index " + i);
                }
            }
        } else if (info.dtype() == DType.FLOAT64) {
            for (int i = 0; i < bytes.length / 8; i++) {
                double v = buf.getDouble(i * 8);
                if (!Double.isFinite(v)) {
                    throw BundleException.forTensor(info.name(), "non-finite value " + v + " at flat index " + i);
                }
            }
        }
    }

    static String sha256Hex(byte[] bytes) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(bytes);
            StringBuilder sb = new StringBuilder(64);
            for (byte b : d) {
                sb.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
            }
            return sb.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }

    // ----------------------------------------------------------------------------------------------- manifest

    /** Where the bundle came from (path or resource), for messages. */
    public String source() {
        return source;
    }

    /** {@code model_type}, e.g. {@code "lfads"}. */
    public String modelType() {
        return modelType;
    }

    /** {@code name}, or the empty string. */
    public String name() {
        return name;
    }

    /** {@code created_by} (the command that made the bundle), or the empty string. */
    public String createdBy() {
        return createdBy;
    }

    /**
     * Throws unless {@code model_type} equals {@code expected}.
     *
     * @throws BundleException naming both types
     */
    public void requireModelType(String expected) {
        if (!expected.equals(modelType)) {
            throw new BundleException(source + ": model_type is '" + modelType + "', expected '" + expected + "'");
        }
    }

    /** The hyperparameters as plain Java values (Integer/Long/Double/Boolean/String/List/Map), unmodifiable. */
    public Map<String, Object> hyperparameters() {
        return hyperparameters;
    }

    /** True when the hyperparameter exists and is not JSON null. */
    public boolean hasHyperparameter(String key) {
        JsonNode n = manifest.path("hyperparameters").get(key);
        return n != null && !n.isNull();
    }

    /** An integer hyperparameter (a JSON number with an integral value). */
    public int hpInt(String key) {
        JsonNode n = hp(key);
        if (!n.isNumber() || n.asDouble() != Math.rint(n.asDouble()) || Math.abs(n.asDouble()) > Integer.MAX_VALUE) {
            throw new BundleException(source + ": hyperparameter '" + key + "' must be an integer, found " + n);
        }
        return (int) n.asDouble();
    }

    /** An integer hyperparameter, or {@code defaultValue} when absent. */
    public int hpInt(String key, int defaultValue) {
        return hasHyperparameter(key) ? hpInt(key) : defaultValue;
    }

    /** A numeric hyperparameter. */
    public double hpDouble(String key) {
        JsonNode n = hp(key);
        if (!n.isNumber()) {
            throw new BundleException(source + ": hyperparameter '" + key + "' must be a number, found " + n);
        }
        return n.asDouble();
    }

    /** A numeric hyperparameter, or {@code defaultValue} when absent. */
    public double hpDouble(String key, double defaultValue) {
        return hasHyperparameter(key) ? hpDouble(key) : defaultValue;
    }

    /** A boolean hyperparameter. */
    public boolean hpBoolean(String key) {
        JsonNode n = hp(key);
        if (!n.isBoolean()) {
            throw new BundleException(source + ": hyperparameter '" + key + "' must be true or false, found " + n);
        }
        return n.asBoolean();
    }

    /** A boolean hyperparameter, or {@code defaultValue} when absent. */
    public boolean hpBoolean(String key, boolean defaultValue) {
        return hasHyperparameter(key) ? hpBoolean(key) : defaultValue;
    }

    /** A string hyperparameter. */
    public String hpString(String key) {
        JsonNode n = hp(key);
        if (!n.isTextual()) {
            throw new BundleException(source + ": hyperparameter '" + key + "' must be a string, found " + n);
        }
        return n.asText();
    }

    /** A string hyperparameter, or {@code defaultValue} when absent. */
    public String hpString(String key, String defaultValue) {
        return hasHyperparameter(key) ? hpString(key) : defaultValue;
    }

    private JsonNode hp(String key) {
        JsonNode n = manifest.path("hyperparameters").get(key);
        if (n == null || n.isNull()) {
            throw new BundleException(source + ": missing hyperparameter '" + key + "'");
        }
        return n;
    }

    /**
     * A top-level manifest object (e.g. {@code "arithmetic"}, {@code "golden"}) as plain Java values, or null
     * when absent. Unknown top-level keys are kept so that model-specific readers can use them.
     */
    public Map<String, Object> section(String key) {
        JsonNode n = manifest.get(key);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isObject()) {
            throw new BundleException(source + ": manifest key '" + key + "' must be an object, found " + n);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = MAPPER.convertValue(n, LinkedHashMap.class);
        return Collections.unmodifiableMap(m);
    }

    /**
     * An integer inside a top-level manifest object, e.g. {@code sectionInt("arithmetic", "act_frac")}.
     *
     * @throws BundleException naming the key when it is absent or not an integer
     */
    public int sectionInt(String section, String key) {
        JsonNode n = manifest.path(section).get(key);
        if (n == null || !n.isIntegralNumber()) {
            throw new BundleException(source + ": manifest key '" + section + "." + key + "' must be an integer, found "
                    + n);
        }
        return n.asInt();
    }

    /** True when the top-level manifest key exists and is not null. */
    public boolean hasSection(String key) {
        JsonNode n = manifest.get(key);
        return n != null && !n.isNull();
    }

    // ------------------------------------------------------------------------------------------------ tensors

    /** Tensor names in manifest order. */
    public Set<String> tensorNames() {
        return infos.keySet();
    }

    /** True when the bundle has this tensor. */
    public boolean hasTensor(String tensor) {
        return infos.containsKey(tensor);
    }

    /**
     * The manifest entry of a tensor.
     *
     * @throws BundleException when the tensor is missing
     */
    public TensorInfo info(String tensor) {
        TensorInfo i = infos.get(tensor);
        if (i == null) {
            throw BundleException.forTensor(tensor, "missing from " + source);
        }
        return i;
    }

    /** Shape of a tensor (copy). */
    public int[] shape(String tensor) {
        return info(tensor).shape();
    }

    /**
     * {@code frac_bits} of a fixed-point tensor.
     *
     * @throws BundleException when the tensor is missing or has no {@code frac_bits}
     */
    public int fracBits(String tensor) {
        TensorInfo i = info(tensor);
        if (!i.hasFracBits()) {
            throw BundleException.forTensor(tensor, "has no frac_bits (not a fixed-point tensor)");
        }
        return i.fracBits();
    }

    /**
     * Checks a tensor's shape, e.g. against the hyperparameters.
     *
     * @throws BundleException naming the tensor, the expected and the actual shape
     */
    public TensorInfo requireShape(String tensor, int... expected) {
        TensorInfo i = info(tensor);
        if (!java.util.Arrays.equals(i.shape(), expected)) {
            throw BundleException.forTensor(tensor, "shape " + i.shapeString() + " disagrees with the hyperparameters, "
                    + "which need " + java.util.Arrays.toString(expected));
        }
        return i;
    }

    /**
     * Checks a tensor's element count regardless of how it is shaped (e.g. an h0 stored as (2,1,64) or (2,64)).
     *
     * @throws BundleException naming the tensor when the count differs
     */
    public TensorInfo requireElementCount(String tensor, long expected) {
        TensorInfo i = info(tensor);
        if (i.elementCount() != expected) {
            throw BundleException.forTensor(tensor, "shape " + i.shapeString() + " has " + i.elementCount()
                    + " elements; the hyperparameters need " + expected);
        }
        return i;
    }

    private ByteBuffer buffer(String tensor, DType expected) {
        TensorInfo i = info(tensor);
        if (i.dtype() != expected) {
            throw BundleException.forTensor(tensor, "dtype is " + i.dtype().jsonName() + ", expected "
                    + expected.jsonName());
        }
        return ByteBuffer.wrap(data.get(tensor)).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A float32 tensor's values, row-major. */
    public float[] float32(String tensor) {
        ByteBuffer b = buffer(tensor, DType.FLOAT32);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }

    /** A float64 tensor's values, row-major. */
    public double[] float64(String tensor) {
        ByteBuffer b = buffer(tensor, DType.FLOAT64);
        double[] out = new double[b.remaining() / 8];
        b.asDoubleBuffer().get(out);
        return out;
    }

    /** A float32 or float64 tensor's values widened to double (exactly). */
    public double[] floatAsDouble(String tensor) {
        TensorInfo i = info(tensor);
        if (i.dtype() == DType.FLOAT64) {
            return float64(tensor);
        }
        if (i.dtype() != DType.FLOAT32) {
            throw BundleException.forTensor(tensor, "dtype is " + i.dtype().jsonName() + ", expected float32 or float64");
        }
        float[] f = float32(tensor);
        double[] out = new double[f.length];
        for (int k = 0; k < f.length; k++) {
            out[k] = f[k];
        }
        return out;
    }

    /** An int16 tensor's values, row-major. */
    public short[] int16(String tensor) {
        ByteBuffer b = buffer(tensor, DType.INT16);
        short[] out = new short[b.remaining() / 2];
        b.asShortBuffer().get(out);
        return out;
    }

    /** An int32 tensor's values, row-major. */
    public int[] int32(String tensor) {
        ByteBuffer b = buffer(tensor, DType.INT32);
        int[] out = new int[b.remaining() / 4];
        b.asIntBuffer().get(out);
        return out;
    }

    /** An int64 tensor's values, row-major. */
    public long[] int64(String tensor) {
        ByteBuffer b = buffer(tensor, DType.INT64);
        long[] out = new long[b.remaining() / 8];
        b.asLongBuffer().get(out);
        return out;
    }

    /** An int8 tensor's values, row-major. */
    public byte[] int8(String tensor) {
        ByteBuffer b = buffer(tensor, DType.INT8);
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    /** A uint8 tensor's values widened to int (0…255), row-major. */
    public int[] uint8(String tensor) {
        ByteBuffer b = buffer(tensor, DType.UINT8);
        int[] out = new int[b.remaining()];
        for (int k = 0; k < out.length; k++) {
            out[k] = b.get(k) & 0xFF;
        }
        return out;
    }

    /** A copy of a tensor's raw little-endian bytes. */
    public byte[] rawBytes(String tensor) {
        info(tensor);
        return data.get(tensor).clone();
    }

    @Override
    public String toString() {
        return "ModelBundle[" + modelType + " '" + name + "' from " + source + ", " + infos.size() + " tensors]";
    }
}
