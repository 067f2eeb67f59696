package io.reflex.lsl;

import static io.reflex.lsl.LslTestSupport.config;
import static io.reflex.lsl.LslTestSupport.info;
import static io.reflex.lsl.LslTestSupport.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ReadableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A numeric stream's queue is its receive buffer: samples stay where the socket read put them and are decoded
 * from there ({@link SampleQueue#inReceiveRing}). These tests run the ring through many passes with the bytes
 * arriving in arbitrary pieces, with samples waiting across its restarts, full, and read over while a slow puller
 * decodes from it.
 */
@Timeout(60)
class ReceiveRingTest {
    private static final ErrorHandler QUIET = e -> { };
    private static final int CHANNELS = 3;
    /** Tag, timestamp, three int16 values. */
    private static final int WIRE = 9 + 2 * CHANNELS;

    /** The wire bytes of the test pattern and then {@code n} int16 samples; every seventh timestamp is explicit. */
    private static byte[] stream(int n, boolean bigEndian) {
        byte[] pattern = TestPattern.wire(ChannelFormat.INT16, CHANNELS, bigEndian);
        byte[] out = new byte[pattern.length + n * WIRE];
        System.arraycopy(pattern, 0, out, 0, pattern.length);
        int p = pattern.length;
        byte[] storage = new byte[2 * CHANNELS];
        for (int k = 0; k < n; k++) {
            for (int c = 0; c < CHANNELS; c++) {
                Wire.storeLong(ChannelFormat.INT16, storage, 0, c, value(k, c));
            }
            p = Wire.encodeSample(ChannelFormat.INT16, CHANNELS, k % 7 == 0, 1000.0 + k, storage, 0, bigEndian,
                    false, out, p);
        }
        return java.util.Arrays.copyOf(out, p);
    }

    private static short value(int k, int c) {
        return (short) (k * 31 + c * 1009 - 20_000);
    }

    /** A blocking channel handing out {@code bytes} in random pieces of 1 to {@code largest} bytes. */
    private static ReadableByteChannel pieces(byte[] bytes, int largest, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        return new ReadableByteChannel() {
            private int at;

            @Override
            public int read(ByteBuffer dst) {
                if (at == bytes.length) {
                    return -1;
                }
                int n = Math.min(Math.min(dst.remaining(), bytes.length - at), 1 + random.nextInt(largest));
                dst.put(bytes, at, n);
                at += n;
                return n;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        };
    }

    private static SampleReader reader(SampleQueue queue, byte[] bytes, int largest, boolean bigEndian, long seed)
            throws IOException {
        SampleReader reader = new SampleReader(info("ring", ChannelFormat.INT16, CHANNELS, 1.0), 1024, 1024, queue);
        reader.reset(pieces(bytes, largest, seed), null, () -> {
            throw new IOException("timed out");
        }, 1000, Long.MAX_VALUE);
        reader.expectTestPattern(bigEndian);
        return reader;
    }

    /**
     * Takes every waiting sample, checking that it comes after the last one taken and holds its own values (its
     * index is in its timestamp); returns the index after the last one taken.
     */
    private static int drain(SampleQueue queue, int next, long[] taken) {
        UnsafeBuffer ring = queue.ring();
        while (true) {
            int slot = queue.readSlot();
            if (slot < 0) {
                return next;
            }
            int k = (int) (queue.timestamp(slot) - 1000.0);
            assertThat(k).as("index of the sample after %d", next - 1).isGreaterThanOrEqualTo(next);
            int at = queue.offset(slot);
            for (int c = 0; c < CHANNELS; c++) {
                assertThat(ring.getShort(at + 2 * c, ByteOrder.LITTLE_ENDIAN)).as("sample %d channel %d", k, c)
                        .isEqualTo(value(k, c));
            }
            assertThat(queue.commitRead()).isTrue();
            taken[0]++;
            next = k + 1;
        }
    }

    @ParameterizedTest(name = "big-endian peer: {0}, reads of up to {1} bytes")
    @CsvSource({"false, 40", "true, 40", "false, 1000", "true, 1000"})
    void samplesWaitingAcrossHundredsOfPassesOfTheRingComeOutWholeAndInOrder(boolean bigEndian, int largest)
            throws IOException {
        int n = 20_000;
        SampleQueue queue = SampleQueue.inReceiveRing(16, WIRE, 64);
        assertThat(queue.ring().capacity()).isEqualTo(16 * WIRE + 64);
        SampleReader reader = reader(queue, stream(n, bigEndian), largest, bigEndian, 42);
        long[] taken = new long[1];
        SplittableRandom random = new SplittableRandom(7);
        int next = 0;
        int threshold = 1 + random.nextInt(15);
        for (int k = 0; k < n; k++) {
            reader.readSample();
            if (queue.size() >= threshold) {
                next = drain(queue, next, taken);
                threshold = 1 + random.nextInt(15);
            }
        }
        next = drain(queue, next, taken);
        assertThat(next).isEqualTo(n);
        assertThat(taken[0] + queue.dropped()).isEqualTo(n);
        if (largest <= 40) {
            // reads too small to reach the samples waiting ahead: none is dropped
            assertThat(queue.dropped()).isZero();
        }
        // the ring restarted hundreds of times; each time less than one sample's bytes were moved to its start
        long passes = (long) n * WIRE / queue.ring().capacity();
        assertThat(passes).isGreaterThan(500);
        assertThat(reader.bytesMoved).isPositive().isLessThan(passes * WIRE);
    }

    @Test
    void aFullRingDropsTheOldestByCountAndKeepsTheNewestWhole() throws IOException {
        int n = 5_000;
        SampleQueue queue = SampleQueue.inReceiveRing(16, WIRE, 64);
        SampleReader reader = reader(queue, stream(n, false), 1000, false, 3);
        for (int k = 0; k < n; k++) {
            reader.readSample();
        }
        assertThat(queue.size()).isEqualTo(16);
        assertThat(queue.dropped()).isEqualTo(n - 16);
        long[] taken = new long[1];
        assertThat(drain(queue, n - 16, taken)).isEqualTo(n);
        assertThat(taken[0]).isEqualTo(16);
    }

    @ParameterizedTest(name = "reads of up to {0} bytes")
    @ValueSource(ints = {40, 1000})
    void aRingTooSmallForItsSamplesDropsForBytesAndNeverHandsOutOneReadOver(int largest) throws IOException {
        int n = 20_000;
        // room for 64 samples by count but only 7 by bytes: the reader drops for lack of bytes, before it reads
        // into a waiting sample's values or moves a cut sample over them
        SampleQueue queue = SampleQueue.inReceiveRingOfBytes(64, 7 * WIRE);
        SampleReader reader = reader(queue, stream(n, false), largest, false, 5);
        long[] taken = new long[1];
        SplittableRandom random = new SplittableRandom(9);
        int next = 0;
        for (int k = 0; k < n; k++) {
            reader.readSample();
            if (random.nextInt(20) == 0) {
                next = drain(queue, next, taken);
            }
        }
        drain(queue, next, taken);
        assertThat(taken[0] + queue.dropped()).isEqualTo(n);
        assertThat(queue.dropped()).isPositive();
        assertThat(taken[0]).isGreaterThan(n / 20);
    }

    @Test
    void aSlowPullerGetsWholeSamplesOrNoneWhileTheRingIsReadOver() throws Exception {
        int channels = 64;
        int n = 100_000;
        LslConfig small = config().receiveBufferBytes(1024).conclude();
        try (JavaOutlet outlet = new JavaOutlet(info(uniqueName("ring"), ChannelFormat.INT32, channels, 0), small,
                QUIET);
             JavaInlet inlet = new JavaInlet(outlet.info().toBuilder().v4address("127.0.0.1").build(), small,
                     new InletOptions().mode(InletOptions.Mode.LATEST).latestDepth(8), QUIET)) {
            inlet.open(5);
            // eight samples of 9 + 256 bytes and 1,060 bytes of room: the receiver reads over the ring every 12
            assertThat(inlet.bufferCapacity()).isEqualTo(8);
            AtomicReference<Throwable> pushFailed = new AtomicReference<>();
            Thread pusher = new Thread(() -> {
                try {
                    int[] v = new int[channels];
                    for (int k = 1; k <= n; k++) {
                        java.util.Arrays.fill(v, k);
                        outlet.pushSample(v, k);
                    }
                } catch (Throwable t) {
                    pushFailed.set(t);
                }
            }, "ring-pusher");
            pusher.start();
            SplittableRandom random = new SplittableRandom(11);
            int[] v = new int[channels];
            int last = 0;
            long pulled = 0;
            List<String> torn = new ArrayList<>();
            while (last < n) {
                double ts = inlet.pullSample(v, 5);
                assertThat(ts).as("a sample within 5 s (last pulled %d)", last).isPositive();
                for (int c = 1; c < channels; c++) {
                    if (v[c] != v[0]) {
                        torn.add("sample " + v[0] + " has " + v[c] + " in channel " + c);
                        break;
                    }
                }
                assertThat(v[0]).isGreaterThan(last);
                assertThat(ts).isEqualTo(v[0]);
                last = v[0];
                pulled++;
                for (int spin = random.nextInt(20_000); spin > 0; spin--) {
                    Thread.onSpinWait(); // a puller slower than the stream, so that the receiver reads over it
                }
            }
            pusher.join();
            assertThat(pushFailed.get()).isNull();
            assertThat(torn).isEmpty();
            long got = pulled;
            // every sample received was either pulled whole or counted as dropped
            LslTestSupport.await(() -> got + inlet.droppedSamples() == inlet.samplesReceived());
            assertThat(inlet.droppedSamples()).isPositive();
        }
    }
}
