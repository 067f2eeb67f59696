package io.reflex.runtime.lsl;

import io.reflex.lsl.ChannelFormat;
import io.reflex.lsl.InletOptions;
import io.reflex.lsl.JavaInlet;
import io.reflex.lsl.JavaLsl;
import io.reflex.lsl.LslBackend;
import io.reflex.lsl.StreamInfo;
import io.reflex.lsl.StreamInlet;
import io.reflex.lsl.StreamOutlet;
import io.reflex.lsl.TestPattern;
import io.reflex.lsl.LslTestSupport;

import static io.reflex.lsl.LslTestSupport.config;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.agrona.ErrorHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An outlet whose short info (what discovery answers) and full info (what {@code LSL:fullinfo} answers) disagree
 * cannot be used: the inlet is sized from one and the sample source from the other. It must be refused when the
 * source opens, not retried on every poll.
 */
@Timeout(60)
class InfoMismatchTest {

    /**
     * A fake outlet on loopback: answers {@code LSL:fullinfo} with {@code full} and a stream feed with a valid
     * response and test pattern for {@code feedChannels} float channels, then holds the feed open.
     */
    private static final class LyingOutlet implements AutoCloseable {
        final ServerSocket server;
        final Thread thread;
        final CountDownLatch release = new CountDownLatch(1);

        LyingOutlet(StreamInfo full, int feedChannels) throws IOException {
            server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
            thread = new Thread(() -> {
                while (!server.isClosed()) {
                    try (Socket s = server.accept()) {
                        String request = readHeader(s.getInputStream());
                        OutputStream out = s.getOutputStream();
                        if (request.startsWith("LSL:fullinfo")) {
                            out.write(full.toFullXml().getBytes(StandardCharsets.UTF_8));
                            out.flush();
                            continue;
                        }
                        out.write(("LSL/110 200 OK\r\nUID: " + full.uid() + "\r\nByte-Order: 1234\r\n"
                                + "Data-Protocol-Version: 110\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                        out.write(TestPattern.wire(ChannelFormat.FLOAT32, feedChannels, false));
                        out.flush();
                        release.await(30, TimeUnit.SECONDS);
                    } catch (IOException | InterruptedException e) {
                        return;
                    }
                }
            }, "lying-outlet");
            thread.start();
        }

        StreamInfo shortInfo(int channels) {
            return StreamInfo.builder("liar", "EEG", channels, 1000, ChannelFormat.FLOAT32, "liar-sid")
                    .uid("liar-uid").v4address("127.0.0.1").v4dataPort(server.getLocalPort()).v4servicePort(1)
                    .build();
        }

        @Override
        public void close() throws Exception {
            release.countDown();
            server.close();
            thread.join(5000);
        }
    }

    /** Reads a request up to its blank line (fullinfo requests end after their first line). */
    private static String readHeader(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (true) {
            String s = b.toString(StandardCharsets.US_ASCII);
            if (s.endsWith("\r\n\r\n") || s.equals("LSL:fullinfo\r\n")) {
                return s;
            }
            int c = in.read();
            if (c < 0) {
                return s;
            }
            b.write(c);
        }
    }

    /** A backend whose discovery answers with the given short info; inlets are the pure-Java ones. */
    private static LslBackend discovering(StreamInfo shortInfo, ErrorHandler errors) {
        JavaLsl java = new JavaLsl(config(), errors);
        return new LslBackend() {
            @Override
            public String name() {
                return "fake-discovery";
            }

            @Override
            public StreamOutlet createOutlet(StreamInfo info) {
                throw new UnsupportedOperationException();
            }

            @Override
            public List<StreamInfo> resolve(String predicate, int minimum, double timeoutS) {
                return List.of(shortInfo);
            }

            @Override
            public StreamInlet createInlet(StreamInfo info, InletOptions options) {
                return java.createInlet(info, options);
            }

            @Override
            public double localClock() {
                return java.localClock();
            }
        };
    }

    @Test
    void shortAndFullInfoWithDifferentChannelCountsAreRefusedAtOpen() throws Exception {
        Set<Thread> baseline = new HashSet<>(LslTestSupport.lslThreads());
        LslTestSupport.Errors errors = new LslTestSupport.Errors();
        try (LyingOutlet liar = new LyingOutlet(StreamInfo.builder("liar", "EEG", 100, 1000, ChannelFormat.FLOAT32,
                "liar-sid").uid("liar-uid").build(), 200)) {
            LslBackend backend = discovering(liar.shortInfo(200), errors);
            assertThatThrownBy(() -> LslSampleSource.open(backend, new LslSampleSource.Selector().name("liar"), 2.0))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("'liar'")
                    .hasMessageContaining("200 channels")
                    .hasMessageContaining("100");
        }
        List<Thread> extra = LslTestSupport.lslThreads().stream().filter(t -> !baseline.contains(t)).toList();
        assertThat(extra).as("the refused inlet is closed").isEmpty();
    }

    @Test
    void shortAndFullInfoWithDifferentFormatsOrRatesAreRefusedToo() {
        StreamInfo shortInfo = StreamInfo.builder("s", "EEG", 4, 1000, ChannelFormat.FLOAT32, "sid").uid("u").build();
        StreamInlet inlet = new JavaInlet(shortInfo, config());
        try {
            assertThatThrownBy(() -> new LslSampleSource(inlet, shortInfo.toBuilder()
                    .channelFormat(ChannelFormat.INT16).build()))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("float32")
                    .hasMessageContaining("int16");
            assertThatThrownBy(() -> new LslSampleSource(inlet, shortInfo.toBuilder().nominalSrate(500).build()))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("1000")
                    .hasMessageContaining("500");
            assertThat(new LslSampleSource(inlet, shortInfo).channels()).isEqualTo(4);
        } finally {
            inlet.close();
        }
    }
}
