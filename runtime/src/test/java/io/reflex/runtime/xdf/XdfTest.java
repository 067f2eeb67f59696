package io.reflex.runtime.xdf;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.runtime.xdf.XdfFormat.ChannelFormat;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class XdfTest {
    private static final int CH = 96;

    /** What a reader handed over, stream by stream. */
    private static final class Collected implements XdfReader.Visitor {
        final List<XdfStream> headers = new ArrayList<>();
        final List<List<Double>> ts = new ArrayList<>();
        final List<List<Double>> values = new ArrayList<>();
        final List<List<String>> strings = new ArrayList<>();
        int offsets;
        int footers;
        int boundaries;

        @Override
        public void streamHeader(int id, XdfStream stream, String xml) {
            headers.add(stream);
            ts.add(new ArrayList<>());
            values.add(new ArrayList<>());
            strings.add(new ArrayList<>());
        }

        @Override
        public void samples(int id, int n, double[] t, double[] v, String[] s) {
            int ch = headers.get(id - 1).channelCount;
            for (int i = 0; i < n; i++) {
                ts.get(id - 1).add(t[i]);
                for (int k = 0; k < ch; k++) {
                    if (v != null) {
                        values.get(id - 1).add(v[i * ch + k]);
                    } else {
                        strings.get(id - 1).add(s[i * ch + k]);
                    }
                }
            }
        }

        @Override
        public void clockOffset(int id, double collectionTimeS, double offsetS) {
            offsets++;
        }

        @Override
        public void footer(int id, String xml) {
            footers++;
        }

        @Override
        public void boundary() {
            boundaries++;
        }
    }

    /** Writes a float32 stream of {@code samples} samples, a double stream and a marker stream; returns the file. */
    private static Path write(Path file, int samples) throws Exception {
        SplittableRandom rnd = new SplittableRandom(7);
        float[] row = new float[CH];
        try (XdfWriter w = XdfWriter.create(file)) {
            XdfStream in = new XdfStream().name("in <&> \"x\"").type("EEG").channels(CH, ChannelFormat.FLOAT32)
                    .nominalSrateHz(30_000).sourceId("src-1").note("a note & more");
            for (int i = 0; i < CH; i++) {
                in.channel("c" + i, "microvolts", "EEG");
            }
            int a = w.addStream(in);
            int b = w.addStream(new XdfStream().name("d").type("Pos").channels(2, ChannelFormat.DOUBLE64)
                    .nominalSrateHz(50).channel("x", "m", "").channel("y", "m", ""));
            int m = w.addStream(new XdfStream().name("m").type("Markers").channels(1, ChannelFormat.STRING)
                    .channel("marker", "", ""));
            w.clockOffset(a, 100.0, 0.0);
            for (int s = 0; s < samples; s++) {
                for (int k = 0; k < CH; k++) {
                    row[k] = (float) rnd.nextGaussian();
                }
                row[0] = s;
                w.sample(a, 100.0 + s / 30_000.0, row, 0);
                if (s % 600 == 0) {
                    w.sample(b, 100.0 + s / 30_000.0, new double[] {s, -s * 0.5}, 0);
                    w.marker(m, 100.0 + s / 30_000.0, "tick " + s + " ✓ <&>");
                }
            }
            w.clockOffset(a, 200.0, 0.001);
            w.finish();
        }
        return file;
    }

    @Test
    void whatIsWrittenIsReadBackWithItsHeadersOffsetsAndFooters(@TempDir Path dir) throws Exception {
        int n = 30_000; // 11.5 MB of samples: many chunks and a boundary
        Path f = write(dir.resolve("a.xdf"), n);
        assertThat(dir.resolve("a.xdf.part")).doesNotExist();
        Collected c = new Collected();
        XdfReader.Result r = XdfReader.read(f, c);
        assertThat(r.error).isNull();
        assertThat(r.bytes).isEqualTo(Files.size(f));
        assertThat(c.headers).hasSize(3);
        XdfStream in = c.headers.get(0);
        assertThat(in.name).isEqualTo("in <&> \"x\"");
        assertThat(in.type).isEqualTo("EEG");
        assertThat(in.channelCount).isEqualTo(CH);
        assertThat(in.nominalSrateHz).isEqualTo(30_000);
        assertThat(in.format).isEqualTo(ChannelFormat.FLOAT32);
        assertThat(in.sourceId).isEqualTo("src-1");
        assertThat(in.labels).hasSize(CH).startsWith("c0", "c1");
        assertThat(in.units).containsOnly("microvolts");
        assertThat(in.note).isEqualTo("a note & more");
        assertThat(c.ts.get(0)).hasSize(n);
        assertThat(r.streams.get(1).samples).isEqualTo(n);
        assertThat(r.streams.get(1).footerSampleCount).isEqualTo(n);
        assertThat(r.boundaries).isPositive();
        assertThat(c.boundaries).isEqualTo((int) r.boundaries);
        assertThat(c.offsets).isEqualTo(2);
        assertThat(c.footers).isEqualTo(3);
        // every value as written: replay the generator
        SplittableRandom rnd = new SplittableRandom(7);
        for (int s = 0; s < n; s++) {
            assertThat(c.ts.get(0).get(s)).isEqualTo(100.0 + s / 30_000.0);
            for (int k = 0; k < CH; k++) {
                float expected = (float) rnd.nextGaussian();
                assertThat(c.values.get(0).get(s * CH + k)).isEqualTo(k == 0 ? (double) (float) s : expected);
            }
        }
        assertThat(c.values.get(1)).hasSize(2 * 50).startsWith(0.0, 0.0, 600.0, -300.0);
        assertThat(c.strings.get(2)).hasSize(50).startsWith("tick 0 ✓ <&>", "tick 600 ✓ <&>");
    }

    @Test
    void aFileCutAnywhereIsAnErrorNamingTheByteAndEverySampleBeforeItIsRead(@TempDir Path dir) throws Exception {
        Path whole = write(dir.resolve("w.xdf"), 3_000);
        Collected all = new Collected();
        assertThat(XdfReader.read(whole, all).error).isNull();
        byte[] bytes = Files.readAllBytes(whole);
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < 40; i++) {
            int cut = i == 0 ? 2 : 4 + rnd.nextInt(bytes.length - 5);
            Path f = dir.resolve("cut" + i + ".xdf");
            Files.write(f, java.util.Arrays.copyOf(bytes, cut));
            Collected c = new Collected();
            XdfReader.Result r = XdfReader.read(f, c);
            assertThat(r.error).as("cut at %d", cut).isNotNull().contains(f.toString());
            if (cut >= 4) {
                assertThat(r.error).containsAnyOf("cut short", "no FileHeader");
            }
            // what was read is a prefix of the whole
            for (int s = 0; s < c.headers.size(); s++) {
                List<Double> got = c.values.get(s);
                assertThat(all.values.get(s).subList(0, got.size())).isEqualTo(got);
                assertThat(all.ts.get(s).subList(0, c.ts.get(s).size())).isEqualTo(c.ts.get(s));
            }
        }
    }

    @Test
    void damageInsideAChunkIsNamedWithItsStreamAndNothingIsAllocatedFromABadLength(@TempDir Path dir)
            throws Exception {
        Path whole = write(dir.resolve("w.xdf"), 3_000);
        byte[] bytes = Files.readAllBytes(whole);
        int firstSamples = firstChunk(bytes, XdfFormat.TAG_SAMPLES);

        // a timestamp flag byte that is neither 0 nor 8
        byte[] flag = bytes.clone();
        int countAt = firstSamples + 4; // after the stream id
        int firstFlag = countAt + 1 + (flag[countAt] & 0xFF);
        flag[firstFlag] = 5;
        XdfReader.Result r = read(dir, "flag.xdf", flag);
        assertThat(r.error).contains("timestamp flag 5", "stream 1", "at byte");

        // a sample count larger than the chunk can hold
        byte[] count = bytes.clone();
        assertThat(count[countAt]).isEqualTo((byte) 1);
        count[countAt + 1] = (byte) 0xFF;
        r = read(dir, "count.xdf", count);
        assertThat(r.error).contains("declares 255 samples", "stream 1");

        // a chunk length of 2^40 bytes: refused before anything is allocated
        ByteBuffer huge = ByteBuffer.allocate(4 + 1 + 8 + 2).order(ByteOrder.LITTLE_ENDIAN);
        huge.put(XdfFormat.MAGIC).put((byte) 8).putLong(1L << 40).putShort((short) 1);
        r = read(dir, "huge.xdf", huge.array());
        assertThat(r.error).contains("exceeds the", "limit");

        // a length width that cannot be
        byte[] width = bytes.clone();
        width[4] = 3;
        r = read(dir, "width.xdf", width);
        assertThat(r.error).contains("says it has 3 bytes");

        // not XDF at all
        r = read(dir, "not.xdf", "hello world".getBytes(StandardCharsets.UTF_8));
        assertThat(r.error).contains("is not an XDF file");

        // samples for a stream never declared
        byte[] stray = bytes.clone();
        stray[firstSamples] = 9;
        r = read(dir, "stray.xdf", stray);
        assertThat(r.error).contains("stream 9 has no StreamHeader");
    }

    @Test
    void aFooterThatCountsOtherThanTheSamplesIsReportedAfterEverySampleIsRead(@TempDir Path dir) throws Exception {
        Path whole = write(dir.resolve("w.xdf"), 3_000);
        String text = new String(Files.readAllBytes(whole), StandardCharsets.ISO_8859_1);
        String footer = "<sample_count>3000</sample_count>";
        int at = text.indexOf(footer);
        assertThat(at).isPositive();
        byte[] b = Files.readAllBytes(whole);
        byte[] wrong = "<sample_count>3001</sample_count>".getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(wrong, 0, b, at, wrong.length);
        Collected c = new Collected();
        Path f = dir.resolve("wrong.xdf");
        Files.write(f, b);
        XdfReader.Result r = XdfReader.read(f, c);
        assertThat(r.error).contains("stream 1", "footer counts 3001 samples", "hold 3000");
        assertThat(c.ts.get(0)).hasSize(3_000);
    }

    @Test
    void anExportThatIsNotFinishedLeavesNoFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("x.xdf");
        try (XdfWriter w = XdfWriter.create(f)) {
            int a = w.addStream(new XdfStream().name("a").channels(1, ChannelFormat.FLOAT32));
            w.sample(a, 1.0, new float[] {1f}, 0);
            assertThat(w.partPath()).exists();
            assertThat(f).doesNotExist();
        }
        assertThat(f).doesNotExist();
        assertThat(dir.resolve("x.xdf.part")).doesNotExist();
    }

    private static XdfReader.Result read(Path dir, String name, byte[] content) throws Exception {
        Path f = dir.resolve(name);
        Files.write(f, content);
        XdfReader.Result r = XdfReader.read(f, new XdfReader.Visitor() { });
        assertThat(r.error).as(name).isNotNull();
        return r;
    }

    /** The content offset of the first chunk tagged {@code tag}. */
    private static int firstChunk(byte[] b, int tag) {
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int at = 4;
        while (at < b.length) {
            int w = b[at] & 0xFF;
            long len = w == 1 ? b[at + 1] & 0xFF : w == 4 ? bb.getInt(at + 1) & 0xFFFFFFFFL : bb.getLong(at + 1);
            int t = bb.getShort(at + 1 + w) & 0xFFFF;
            if (t == tag) {
                return at + 1 + w + 2;
            }
            at += 1 + w + (int) len;
        }
        throw new AssertionError("no chunk tagged " + tag);
    }

    @Test
    void aFileInADirectoryThatDoesNotExistFailsWithoutLeavingAnything(@TempDir Path dir) {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> XdfWriter.create(dir.resolve("none/x.xdf")))
                .isInstanceOf(java.io.IOException.class);
        assertThat(dir.resolve("none")).doesNotExist();
    }
}
