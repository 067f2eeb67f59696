package io.reflex.lsl;

import static io.reflex.lsl.LslTestSupport.config;
import static io.reflex.lsl.LslTestSupport.info;
import static io.reflex.lsl.LslTestSupport.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Broken and malicious peers on both sides: clear refusals or errors, no crash, no leaked threads. */
@Timeout(60)
class HostilePeerTest {
    private Set<Thread> baseline;

    @BeforeEach
    void recordThreads() {
        baseline = new HashSet<>(LslTestSupport.lslThreads());
    }

    private void assertNoLeakedThreads() {
        List<Thread> extra = LslTestSupport.lslThreads().stream().filter(t -> !baseline.contains(t)).toList();
        assertThat(extra).as("LSL threads left running").isEmpty();
    }

    private static String ask(int port, byte[] request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(request);
            s.getOutputStream().flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    // ---------------------------------------------------------------- hostile inlets against our outlet

    @Test
    void outletRefusesGarbageAndKeepsServing() throws IOException {
        LslTestSupport.Errors errors = new LslTestSupport.Errors();
        JavaOutlet outlet = new JavaOutlet(info(uniqueName("host"), ChannelFormat.FLOAT32, 2, 0),
                config().handshakeTimeoutS(0.2), errors);
        int port = outlet.info().v4dataPort();
        String uid = outlet.info().uid();
        assertThat(ask(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo("LSL/110 400 Bad request");
        assertThat(ask(port, "LSL:streamfeed/abc\r\n\r\n".getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo("LSL/110 400 Bad request");
        assertThat(ask(port, ("LSL:streamfeed/110 " + uid + "\r\nValue-Size: four\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII))).startsWith("LSL/110 400 Bad request header");
        assertThat(ask(port, ("LSL:streamfeed/110 " + uid + "\r\nNative-Byte-Order: 3412\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII))).startsWith("LSL/110 400 Bad Native-Byte-Order");
        assertThat(ask(port, ("LSL:streamfeed/110 " + uid + "\r\nMax-Buffer-Length: -5\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII))).startsWith("LSL/110 400 Bad Max-Buffer-Length");
        assertThat(ask(port, "LSL:streamfeed/110 wrong-uid\r\n\r\n".getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo("LSL/110 404 Not found");
        assertThat(ask(port, ("LSL:streamfeed/110 " + uid + "\r\nValue-Size: 2\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII))).startsWith("LSL/110 505 Value-Size 2");
        assertThat(ask(port, "LSL:streamfeed\r\n360 0\r\n".getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo("LSL/110 505 Protocol 1.00 not supported");
        byte[] noNewline = new byte[20_000];
        java.util.Arrays.fill(noNewline, (byte) 'A');
        assertThat(ask(port, noNewline)).isEmpty();
        byte[] binary = new byte[300];
        for (int i = 0; i < binary.length; i++) {
            binary[i] = (byte) (i * 31);
        }
        assertThat(ask(port, binary)).isEqualTo("LSL/110 400 Bad request");
        // A peer that connects and says nothing is dropped after the handshake timeout.
        try (Socket idle = new Socket("127.0.0.1", port)) {
            idle.setSoTimeout(5000);
            assertThat(idle.getInputStream().read()).isEqualTo(-1);
        }
        // A client announcing an absurd buffer gets a capped queue and normal service.
        try (Socket greedy = new Socket("127.0.0.1", port)) {
            greedy.getOutputStream().write(("LSL:streamfeed/110 " + uid + "\r\nMax-Buffer-Length: 99999999999\r\n"
                    + "Value-Size: 4\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = greedy.getInputStream();
            String head = readHeader(in);
            assertThat(head).startsWith("LSL/110 200 OK");
            in.readNBytes(TestPattern.wire(ChannelFormat.FLOAT32, 2, false).length);
        }
        // After all that a well-behaved inlet still gets its data.
        try (JavaInlet inlet = new JavaInlet(outlet.info().toBuilder().v4address("127.0.0.1").build(), config(),
                new InletOptions(), e -> { })) {
            int before = outlet.consumerCount();
            inlet.open(5);
            LslTestSupport.await(() -> outlet.consumerCount() == before + 1);
            outlet.pushSample(new float[] {3, 4}, 9.0);
            float[] v = new float[2];
            assertThat(inlet.pullSample(v, 5)).isEqualTo(9.0);
            assertThat(v).containsExactly(3, 4);
        }
        assertThat(outlet.requestsRefused()).isGreaterThanOrEqualTo(8);
        // Each error reaches the Agrona ErrorHandler as an LslError: where (outlet and peer), what, and the cause.
        String connection = "outlet '" + outlet.info().name() + "' connection /127.0.0.1:";
        LslTestSupport.await(() -> errors.first("refused 'GET / HTTP/1.1'") != null);
        assertThat(errors.first("refused 'GET / HTTP/1.1'")).isInstanceOfSatisfying(LslError.class, e -> {
            assertThat(e.where()).startsWith(connection);
            assertThat(e.what()).isEqualTo("refused 'GET / HTTP/1.1' with 400 Bad request");
            assertThat(e.getMessage()).isEqualTo(e.where() + ": " + e.what());
            assertThat(e.getCause()).isNull();
            assertThat(e.getStackTrace()).as("no stack trace of its own").isEmpty();
        });
        LslTestSupport.await(() -> errors.first("line longer than") != null);
        assertThat(errors.first("line longer than")).isInstanceOfSatisfying(LslError.class, e -> {
            assertThat(e.where()).startsWith(connection);
            assertThat(e.getCause()).isInstanceOf(IOException.class).hasMessageStartingWith("line longer than");
            assertThat(e.what()).isEqualTo(e.getCause().toString());
        });
        assertThat(errors.errors).allMatch(e -> e instanceof LslError);
        outlet.close();
        assertNoLeakedThreads();
    }

    private static String readHeader(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (!b.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                break;
            }
            b.write(c);
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    @Test
    void hostileUdpDatagramsAreIgnored() throws IOException {
        LslTestSupport.Errors errors = new LslTestSupport.Errors();
        try (JavaOutlet outlet = new JavaOutlet(info(uniqueName("udp"), ChannelFormat.FLOAT32, 1, 0), config(),
                errors);
             java.net.DatagramSocket udp = new java.net.DatagramSocket(
                     new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            String[] junk = {"", "LSL:timedata", "LSL:timedata\r\nabc def\r\n", "LSL:shortinfo\r\nname='x'\r\n",
                "LSL:shortinfo\r\nname='x'\r\n99999999 1\r\n", "\0\1\2\3", "LSL:shortinfo\r\n]]]\r\n1 1\r\n"};
            for (String j : junk) {
                byte[] b = j.getBytes(StandardCharsets.ISO_8859_1);
                udp.send(new java.net.DatagramPacket(b, b.length, InetAddress.getLoopbackAddress(),
                        outlet.info().v4servicePort()));
            }
            // The service thread survived: a real probe still gets an answer.
            udp.setSoTimeout(5000);
            byte[] q = "LSL:timedata\r\n7 1.5\r\n".getBytes(StandardCharsets.US_ASCII);
            udp.send(new java.net.DatagramPacket(q, q.length, InetAddress.getLoopbackAddress(),
                    outlet.info().v4servicePort()));
            java.net.DatagramPacket p = new java.net.DatagramPacket(new byte[256], 256);
            udp.receive(p);
            assertThat(new String(p.getData(), 0, p.getLength(), StandardCharsets.US_ASCII)).startsWith(" 7 1.5 ");
            assertThat(errors.contains("malformed")).isTrue();
        }
        assertNoLeakedThreads();
    }

    // ---------------------------------------------------------------- hostile outlets against our inlet

    /** A fake outlet that reads one request and answers with canned bytes. */
    private static final class FakeOutlet implements AutoCloseable {
        final ServerSocket server;
        final Thread thread;
        final CountDownLatch served = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        FakeOutlet(byte[] reply, boolean holdOpen) throws IOException {
            server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
            thread = new Thread(() -> {
                try (Socket s = server.accept()) {
                    readHeader(s.getInputStream());
                    OutputStream out = s.getOutputStream();
                    out.write(reply);
                    out.flush();
                    served.countDown();
                    if (holdOpen) {
                        release.await(30, TimeUnit.SECONDS);
                    }
                } catch (IOException | InterruptedException e) {
                    served.countDown();
                }
            }, "fake-outlet");
            thread.start();
        }

        StreamInfo info(ChannelFormat format, int channels) {
            return StreamInfo.builder("fake", "T", channels, 100, format, "").uid("fake-uid")
                    .v4address("127.0.0.1").v4dataPort(server.getLocalPort()).v4servicePort(1).build();
        }

        @Override
        public void close() throws Exception {
            release.countDown();
            server.close();
            thread.join(5000);
        }
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            b.writeBytes(p);
        }
        return b.toByteArray();
    }

    private static byte[] ok(ChannelFormat format, int channels) {
        return concat(("LSL/110 200 OK\r\nUID: fake-uid\r\nByte-Order: 1234\r\nSuppress-Subnormals: 0\r\n"
                + "Data-Protocol-Version: 110\r\n\r\n").getBytes(StandardCharsets.US_ASCII),
                TestPattern.wire(format, channels, false));
    }

    private void expectInletError(byte[] reply, ChannelFormat format, int channels, String fragment,
                                  int completeSamples) throws Exception {
        expectInletError(reply, format, channels, fragment, completeSamples, new InletOptions());
    }

    private void expectInletError(byte[] reply, ChannelFormat format, int channels, String fragment,
                                  int completeSamples, InletOptions options) throws Exception {
        LslTestSupport.Errors errors = new LslTestSupport.Errors();
        try (FakeOutlet fake = new FakeOutlet(reply, false);
             JavaInlet inlet = new JavaInlet(fake.info(format, channels), config(), options.recover(false), errors)) {
            try {
                inlet.open(5);
            } catch (IllegalStateException e) {
                assertThat(e.getMessage()).contains(fragment);
            }
            LslTestSupport.await(() -> errors.contains(fragment));
            LslTestSupport.await(inlet::lost);
            assertThat(inlet.samplesAvailable()).isEqualTo(completeSamples);
        }
        assertNoLeakedThreads();
    }

    @Test
    void truncatedSampleIsDiscardedAndReported() throws Exception {
        byte[] good = {2, 0, 0, 0, 0, 0, 0, (byte) 0xf0, 0x3f, 0, 0, (byte) 0x80, 0x3f, 0, 0, 0, 0x40};
        byte[] half = {2, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0};
        expectInletError(concat(ok(ChannelFormat.FLOAT32, 2), good, half), ChannelFormat.FLOAT32, 2,
                "inside a sample", 1);
    }

    @Test
    void truncatedSampleInLatestModeKeepsTheLastCompleteOne() throws Exception {
        byte[] good = {2, 0, 0, 0, 0, 0, 0, (byte) 0xf0, 0x3f, 0, 0, (byte) 0x80, 0x3f, 0, 0, 0, 0x40};
        byte[] half = {2, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0};
        expectInletError(concat(ok(ChannelFormat.FLOAT32, 2), good, half), ChannelFormat.FLOAT32, 2,
                "inside a sample", 1, new InletOptions().mode(InletOptions.Mode.LATEST));
    }

    @Test
    void absurdStringLengthIsRefused() throws Exception {
        byte[] sample = {2, 0, 0, 0, 0, 0, 0, (byte) 0xf0, 0x3f, 8, 0, 0, 0, 0, 0, 0, 0, 0x40};
        expectInletError(concat(ok(ChannelFormat.STRING, 1), sample), ChannelFormat.STRING, 1, "exceeds maxStringBytes",
                0);
    }

    @Test
    void badStringWidthIsRefused() throws Exception {
        byte[] sample = {2, 0, 0, 0, 0, 0, 0, (byte) 0xf0, 0x3f, 3, 0, 0, 0};
        expectInletError(concat(ok(ChannelFormat.STRING, 1), sample), ChannelFormat.STRING, 1, "width 3", 0);
    }

    @Test
    void badTagIsRefused() throws Exception {
        expectInletError(concat(ok(ChannelFormat.INT8, 1), new byte[] {7, 1}), ChannelFormat.INT8, 1, "bad sample tag",
                0);
    }

    @Test
    void wrongTestPatternIsRefused() throws Exception {
        byte[] reply = ok(ChannelFormat.INT16, 3);
        reply[reply.length - 1] ^= 1;
        expectInletError(reply, ChannelFormat.INT16, 3, "test pattern mismatch", 0);
    }

    @Test
    void protocol100AnswerIsRefused() throws Exception {
        byte[] reply = ("LSL/110 200 OK\r\nUID: fake-uid\r\nByte-Order: 1234\r\nData-Protocol-Version: 100\r\n\r\n"
                + "\u007f\u0001\u0009").getBytes(StandardCharsets.ISO_8859_1);
        expectInletError(reply, ChannelFormat.FLOAT32, 1, "Data-Protocol-Version 100", 0);
    }

    @Test
    void refusalIsReportedWithTheOutletsWords() throws Exception {
        try (FakeOutlet fake = new FakeOutlet("LSL/110 505 Version not supported".getBytes(StandardCharsets.US_ASCII),
                false);
             JavaInlet inlet = new JavaInlet(fake.info(ChannelFormat.FLOAT32, 1), config(),
                     new InletOptions().recover(false), e -> { })) {
            assertThatThrownBy(() -> inlet.open(5)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("505 Version not supported");
        }
        assertNoLeakedThreads();
    }

    @Test
    void garbageResponseIsRefused() throws Exception {
        try (FakeOutlet fake = new FakeOutlet("HTTP/1.1 200 OK\r\n\r\n".getBytes(StandardCharsets.US_ASCII), false);
             JavaInlet inlet = new JavaInlet(fake.info(ChannelFormat.FLOAT32, 1), config(),
                     new InletOptions().recover(false), e -> { })) {
            assertThatThrownBy(() -> inlet.open(5)).hasMessageContaining("not an LSL response");
        }
        assertNoLeakedThreads();
    }
}
