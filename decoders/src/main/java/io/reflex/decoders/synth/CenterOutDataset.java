package io.reflex.decoders.synth;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Exports a span of the binned {@link CenterOutSource} stream as a NumPy {@code .npz} archive, so that the Python
 * tools train models on exactly the population the Java demo runs (the neurons' tuning comes from the source's
 * seed; a re-implementation in Python would be a different population).
 *
 * <pre>
 * java -cp decoders/target/classes io.reflex.decoders.synth.CenterOutDataset OUT.npz
 *     [--seed 1] [--channels 96] [--sample-rate-hz 1000] [--bin-samples 20] [--skip-bins 0] [--bins 3000]
 * </pre>
 *
 * <p><b>Binning</b> is the live pipeline's: a bin is {@code binSamples} consecutive samples of
 * {@link CenterOutSource#nextSample}, counts summed per channel, kinematics averaged over the bin (the same sums in
 * the same order as {@link CenterOutSource#nextBin}). Bin k of the file is bin {@code skipBins + k} of the stream
 * that starts at sample 0 of a new source with this seed; bins before it are generated and discarded (the source is
 * sequential). The live demo bins the stream from sample 0 as well, so {@code --skip-bins 0} gives the frames the
 * demo sees, and a span after them gives disjoint data.
 *
 * <p><b>Archive</b> ({@code numpy.load(path, allow_pickle=False)}; arrays little-endian, C order, deflated):
 * <ul>
 *   <li>{@code counts} int16 [bins, channels]: spike counts per bin (refused above 32767);</li>
 *   <li>{@code rates} float32 [bins, channels]: the expected counts of the bin, Σ over its samples of
 *       {@code max(0, b_i + m_i·(vx·cos θ_i + vy·sin θ_i)) / sampleRateHz} (the Poisson means the counts were drawn
 *       from; for reference NLLs only);</li>
 *   <li>{@code kinematics} float64 [bins, 4]: px, py (m), vx, vy (m/s) averaged over the bin;</li>
 *   <li>{@code target} int16 [bins]: {@link CenterOutSource#targetIndex()} at the start of the bin;</li>
 *   <li>{@code meta_json} uint8 [n]: UTF-8 JSON with the format name and version, the source parameters, the span
 *       and the command.</li>
 * </ul>
 * The trial structure needs no array: trials are {@code 2·(reach + hold)} samples long from sample 0 (reach out,
 * hold, reach back, hold), so the phase of any bin follows from its first sample ({@code meta_json.first_sample}).
 *
 * <p>The source is run twice (once for counts and kinematics, once for the expected counts), so memory stays at
 * O(bins) for the kinematics; {@link #MAX_VALUES} bounds the size of one array.
 */
public final class CenterOutDataset {
    /** Name in {@code meta_json.format}. */
    public static final String FORMAT = "reflex-centerout-dataset";
    /** Version in {@code meta_json.version}. */
    public static final int VERSION = 1;
    /** Largest {@code bins · channels} of one export (2^28: 512 MiB of int16 counts before compression). */
    public static final long MAX_VALUES = 1L << 28;
    /** Largest {@code skipBins}: 10^8 bins (23 days of 20 ms bins). */
    public static final long MAX_SKIP_BINS = 100_000_000L;

    /** What to export; fluent setters, defaults in the field initialisers, validated once by {@link #conclude()}. */
    public static final class Context {
        private long seed = 1L;
        private int channels = 96;
        private double sampleRateHz = 1000.0;
        private int binSamples = 20;
        private long skipBins;
        private int bins = 3000;
        private String command = "";
        private boolean concluded;

        /** Seed of the source (the demo's default is 1); default 1. */
        public Context seed(long seed) {
            this.seed = seed;
            return this;
        }

        public long seed() {
            return seed;
        }

        /** Channels, 1…100000; default 96. */
        public Context channels(int channels) {
            this.channels = channels;
            return this;
        }

        public int channels() {
            return channels;
        }

        /** Sample rate in Hz, as {@link CenterOutSource.Context#sampleRateHz}; default 1000. */
        public Context sampleRateHz(double sampleRateHz) {
            this.sampleRateHz = sampleRateHz;
            return this;
        }

        public double sampleRateHz() {
            return sampleRateHz;
        }

        /** Samples per bin, 1…100000; default 20 (20 ms bins at 1 kHz). */
        public Context binSamples(int binSamples) {
            this.binSamples = binSamples;
            return this;
        }

        public int binSamples() {
            return binSamples;
        }

        /** Bins generated and discarded before the first exported bin, 0…{@value #MAX_SKIP_BINS}; default 0. */
        public Context skipBins(long skipBins) {
            this.skipBins = skipBins;
            return this;
        }

        public long skipBins() {
            return skipBins;
        }

        /** Bins exported, ≥ 1 with bins·channels ≤ {@link #MAX_VALUES}; default 3000. */
        public Context bins(int bins) {
            this.bins = bins;
            return this;
        }

        public int bins() {
            return bins;
        }

        /** The command line recorded in {@code meta_json.command}; default empty. */
        public Context command(String command) {
            this.command = command == null ? "" : command;
            return this;
        }

        public String command() {
            return command;
        }

        /**
         * Validates every value (naming the field and the allowed range); idempotent.
         *
         * @return this
         * @throws IllegalArgumentException on the first invalid field
         */
        public Context conclude() {
            if (concluded) {
                return this;
            }
            // The source validates its own fields (channels, sample rate); check them here too so that a bad value
            // is reported before minutes of generation.
            sourceContext().conclude();
            if (binSamples < 1 || binSamples > 100_000) {
                throw new IllegalArgumentException("binSamples must be in [1, 100000], was " + binSamples);
            }
            if (skipBins < 0 || skipBins > MAX_SKIP_BINS) {
                throw new IllegalArgumentException("skipBins must be in [0, " + MAX_SKIP_BINS + "], was " + skipBins);
            }
            if (bins < 1 || (long) bins * channels > MAX_VALUES) {
                throw new IllegalArgumentException("bins must be >= 1 with bins*channels <= " + MAX_VALUES
                        + ", was " + bins + "*" + channels);
            }
            concluded = true;
            return this;
        }

        /** A new source context for these parameters (every other source field at its default). */
        CenterOutSource.Context sourceContext() {
            return new CenterOutSource.Context().seed(seed).channels(channels).sampleRateHz(sampleRateHz);
        }
    }

    private CenterOutDataset() {
    }

    /**
     * Writes the archive.
     *
     * @throws IOException when the file cannot be written; nothing is left at {@code out} in that case
     * @throws IllegalStateException when a count exceeds the int16 range
     */
    public static void write(Context ctx, Path out) throws IOException {
        ctx.conclude();
        Path tmp = out.resolveSibling(out.getFileName() + ".part");
        try {
            try (ZipOutputStream zip = new ZipOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16))) {
                zip.setLevel(Deflater.BEST_SPEED);
                writeArchive(ctx, zip);
            }
            Files.move(tmp, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void writeArchive(Context ctx, ZipOutputStream zip) throws IOException {
        final int n = ctx.bins();
        final int c = ctx.channels();
        final int s = ctx.binSamples();
        final double[] kin = new double[n * 4];
        final short[] target = new short[n];
        final float[] sample = new float[c];
        final double[] k = new double[4];
        final ByteBuffer row = ByteBuffer.allocate(c * 4).order(ByteOrder.LITTLE_ENDIAN);

        // Pass 1: counts (streamed), kinematics and targets (kept).
        CenterOutSource src = skipped(ctx);
        final float[] sum = new float[c];
        zip.putNextEntry(new ZipEntry("counts.npy"));
        zip.write(npyHeader("<i2", n, c));
        for (int b = 0; b < n; b++) {
            target[b] = (short) src.targetIndex();
            java.util.Arrays.fill(sum, 0f);
            double px = 0;
            double py = 0;
            double vx = 0;
            double vy = 0;
            for (int j = 0; j < s; j++) {
                src.nextSample(sample, k);
                for (int i = 0; i < c; i++) {
                    sum[i] += sample[i];
                }
                px += k[0];
                py += k[1];
                vx += k[2];
                vy += k[3];
            }
            kin[4 * b] = px / s;
            kin[4 * b + 1] = py / s;
            kin[4 * b + 2] = vx / s;
            kin[4 * b + 3] = vy / s;
            row.clear();
            for (int i = 0; i < c; i++) {
                if (!(sum[i] >= 0 && sum[i] <= Short.MAX_VALUE)) {
                    throw new IllegalStateException("bin " + (ctx.skipBins() + b) + " channel " + i + ": count "
                            + sum[i] + " outside the int16 range of the archive");
                }
                row.putShort((short) sum[i]);
            }
            zip.write(row.array(), 0, 2 * c);
        }
        zip.closeEntry();

        // Pass 2: the Poisson means of the same bins (the source is deterministic, so these are the same samples).
        src = skipped(ctx);
        final double dtS = 1.0 / ctx.sampleRateHz();
        final double[] mean = new double[c];
        zip.putNextEntry(new ZipEntry("rates.npy"));
        zip.write(npyHeader("<f4", n, c));
        for (int b = 0; b < n; b++) {
            java.util.Arrays.fill(mean, 0);
            for (int j = 0; j < s; j++) {
                src.nextSample(sample, k);
                for (int i = 0; i < c; i++) {
                    double rateHz = src.baseRateHz(i) + src.modulationHzPerMps(i)
                            * (k[2] * Math.cos(src.preferredDirectionRad(i)) + k[3] * Math.sin(src.preferredDirectionRad(i)));
                    mean[i] += rateHz > 0 ? rateHz * dtS : 0;
                }
            }
            row.clear();
            for (int i = 0; i < c; i++) {
                row.putFloat((float) mean[i]);
            }
            zip.write(row.array(), 0, 4 * c);
        }
        zip.closeEntry();

        ByteBuffer kb = ByteBuffer.allocate(n * 4 * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : kin) {
            kb.putDouble(v);
        }
        putArray(zip, "kinematics.npy", npyHeader("<f8", n, 4), kb.array());
        ByteBuffer tb = ByteBuffer.allocate(n * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (short v : target) {
            tb.putShort(v);
        }
        putArray(zip, "target.npy", npyHeader("<i2", n), tb.array());
        byte[] meta = metaJson(ctx).getBytes(StandardCharsets.UTF_8);
        putArray(zip, "meta_json.npy", npyHeader("|u1", meta.length), meta);
    }

    /** A new source advanced past {@code skipBins} bins. */
    private static CenterOutSource skipped(Context ctx) {
        CenterOutSource src = new CenterOutSource(ctx.sourceContext());
        float[] counts = new float[ctx.channels()];
        double[] k = new double[4];
        long samples = ctx.skipBins() * ctx.binSamples();
        for (long j = 0; j < samples; j++) {
            src.nextSample(counts, k);
        }
        return src;
    }

    private static void putArray(ZipOutputStream zip, String name, byte[] header, byte[] data) throws IOException {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(header);
        zip.write(data);
        zip.closeEntry();
    }

    /**
     * A version 1.0 {@code .npy} header (magic, version, little-endian header length, the dict padded with spaces
     * and a newline to a multiple of 64 bytes) for a C-order array.
     */
    static byte[] npyHeader(String descr, long... shape) {
        StringBuilder sh = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            sh.append(shape[i]).append(shape.length == 1 ? "," : (i + 1 < shape.length ? ", " : ""));
        }
        sh.append(')');
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + sh + ", }";
        int unpadded = 10 + dict.length() + 1;
        int total = (unpadded + 63) / 64 * 64;
        StringBuilder h = new StringBuilder(dict);
        while (10 + h.length() + 1 < total) {
            h.append(' ');
        }
        h.append('\n');
        byte[] text = h.toString().getBytes(StandardCharsets.US_ASCII);
        ByteBuffer bb = ByteBuffer.allocate(10 + text.length).order(ByteOrder.LITTLE_ENDIAN);
        bb.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        bb.putShort((short) text.length);
        bb.put(text);
        return bb.array();
    }

    /** The {@code meta_json} document: format, source parameters (every field of the source context), span. */
    static String metaJson(Context ctx) {
        CenterOutSource.Context s = ctx.sourceContext().conclude();
        double binS = ctx.binSamples() / ctx.sampleRateHz();
        long trialSamples = 2L * Math.round(s.reachMs() * 1e-3 * s.sampleRateHz())
                + 2L * Math.round(s.holdMs() * 1e-3 * s.sampleRateHz());
        StringBuilder j = new StringBuilder("{");
        field(j, "format", quote(FORMAT));
        field(j, "version", Integer.toString(VERSION));
        field(j, "generator", quote(CenterOutSource.class.getName()));
        field(j, "seed", Long.toString(ctx.seed()));
        field(j, "channels", Integer.toString(ctx.channels()));
        field(j, "sample_rate_hz", num(ctx.sampleRateHz()));
        field(j, "bin_samples", Integer.toString(ctx.binSamples()));
        field(j, "bin_s", num(binS));
        field(j, "first_bin", Long.toString(ctx.skipBins()));
        field(j, "bins", Integer.toString(ctx.bins()));
        field(j, "first_sample", Long.toString(ctx.skipBins() * ctx.binSamples()));
        field(j, "first_s", num(ctx.skipBins() * binS));
        field(j, "seconds", num(ctx.bins() * binS));
        field(j, "base_rate_min_hz", num(s.baseRateMinHz()));
        field(j, "base_rate_max_hz", num(s.baseRateMaxHz()));
        field(j, "modulation_min_hz_per_mps", num(s.modulationMinHzPerMps()));
        field(j, "modulation_max_hz_per_mps", num(s.modulationMaxHzPerMps()));
        field(j, "target_count", Integer.toString(s.targetCount()));
        field(j, "target_radius_m", num(s.targetRadiusM()));
        field(j, "reach_ms", num(s.reachMs()));
        field(j, "hold_ms", num(s.holdMs()));
        field(j, "trial_samples", Long.toString(trialSamples));
        field(j, "binning", quote("counts summed over the bin's samples; kinematics averaged (CenterOutSource.nextBin)"));
        field(j, "arrays", "[\"counts\", \"rates\", \"kinematics\", \"target\"]");
        field(j, "kinematics_columns", "[\"px\", \"py\", \"vx\", \"vy\"]");
        field(j, "command", quote(ctx.command()));
        j.setLength(j.length() - 2);
        return j.append('}').toString();
    }

    private static void field(StringBuilder j, String key, String value) {
        j.append(quote(key)).append(": ").append(value).append(", ");
    }

    private static String num(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return Double.toString(v);
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (ch < 0x20) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
                    } else {
                        b.append(ch);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    /**
     * Command-line entry point; see the class Javadoc. Exit status 0 on success, 2 on a usage error, 1 on an I/O
     * error.
     */
    public static void main(String[] args) {
        int status = run(args);
        if (status != 0) {
            System.exit(status);
        }
    }

    /** {@link #main} without the exit: returns the exit status (messages go to stdout and stderr). */
    static int run(String[] args) {
        Context ctx = new Context();
        Path out = null;
        StringBuilder cmd = new StringBuilder("java -cp decoders/target/classes " + CenterOutDataset.class.getName());
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                cmd.append(' ').append(a);
                if (!a.startsWith("--")) {
                    if (out != null) {
                        throw new IllegalArgumentException("one output file expected, got " + out + " and " + a);
                    }
                    out = Path.of(a);
                    continue;
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(a + " needs a value");
                }
                String v = args[++i];
                cmd.append(' ').append(v);
                switch (a) {
                    case "--seed" -> ctx.seed(Long.parseLong(v));
                    case "--channels" -> ctx.channels(Integer.parseInt(v));
                    case "--sample-rate-hz" -> ctx.sampleRateHz(Double.parseDouble(v));
                    case "--bin-samples" -> ctx.binSamples(Integer.parseInt(v));
                    case "--skip-bins" -> ctx.skipBins(Long.parseLong(v));
                    case "--bins" -> ctx.bins(Integer.parseInt(v));
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
            if (out == null) {
                throw new IllegalArgumentException("no output file");
            }
            ctx.command(cmd.toString()).conclude();
        } catch (IllegalArgumentException e) {
            System.err.println("CenterOutDataset: " + e.getMessage());
            System.err.println("usage: java -cp decoders/target/classes " + CenterOutDataset.class.getName()
                    + " OUT.npz [--seed 1] [--channels 96] [--sample-rate-hz 1000] [--bin-samples 20]"
                    + " [--skip-bins 0] [--bins 3000]");
            return 2;
        }
        long t0 = System.nanoTime();
        try {
            write(ctx, out);
        } catch (IOException | IllegalStateException e) {
            System.err.println("CenterOutDataset: " + e.getMessage());
            return 1;
        }
        System.out.printf(Locale.ROOT, "wrote %s: bins %d..%d of seed %d, %d channels, %.1f s (%.1f s to generate)%n",
                out, ctx.skipBins(), ctx.skipBins() + ctx.bins() - 1, ctx.seed(), ctx.channels(),
                ctx.bins() * ctx.binSamples() / ctx.sampleRateHz(), (System.nanoTime() - t0) * 1e-9);
        return 0;
    }
}
