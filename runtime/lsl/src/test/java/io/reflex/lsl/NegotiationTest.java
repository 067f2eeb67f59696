package io.reflex.lsl;

import static io.reflex.lsl.LslTestSupport.config;
import static io.reflex.lsl.LslTestSupport.info;
import static io.reflex.lsl.LslTestSupport.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A raw TCP/UDP client speaking to a Java outlet, checking replies byte for byte (docs/lsl-wire.md A3, A6). */
@Timeout(30)
class NegotiationTest {
    private JavaOutlet outlet;
    private final LslTestSupport.Errors errors = new LslTestSupport.Errors();

    @BeforeEach
    void start() {
        outlet = new JavaOutlet(info(uniqueName("neg"), ChannelFormat.FLOAT32, 8, 100), config(), errors);
    }

    @AfterEach
    void stop() {
        outlet.close();
    }

    static String liblslRequest(String uid, String byteOrder, String perf, String valueSize, String extra) {
        return "LSL:streamfeed/110 " + uid + "\r\n"
                + "Native-Byte-Order: " + byteOrder + "\r\n"
                + "Endian-Performance: " + perf + "\r\n"
                + "Has-IEEE754-Floats: 1\r\n"
                + "Supports-Subnormals: 1\r\n"
                + "Value-Size: " + valueSize + "\r\n"
                + "Data-Protocol-Version: 110\r\n"
                + "Max-Buffer-Length: 36000\r\n"
                + "Max-Chunk-Length: 0\r\n"
                + "Hostname: somewhere ; ignored\r\n"
                + extra
                + "\r\n";
    }

    /** Sends a request and reads {@code bytes} bytes (or until EOF when negative). */
    private byte[] exchange(String request, int bytes) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", outlet.info().v4dataPort()), 2000);
            s.setSoTimeout(5000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            while (bytes < 0 || out.size() < bytes) {
                int c = in.read();
                if (c < 0) {
                    break;
                }
                out.write(c);
            }
            return out.toByteArray();
        }
    }

    private static String okHeader(String uid, int byteOrder, int suppress) {
        return "LSL/110 200 OK\r\nUID: " + uid + "\r\nByte-Order: " + byteOrder + "\r\nSuppress-Subnormals: "
                + suppress + "\r\nData-Protocol-Version: 110\r\n\r\n";
    }

    @Test
    void liblslRequestGetsTheExactResponseAndTestPatterns() throws IOException {
        String uid = outlet.info().uid();
        byte[] header = okHeader(uid, 1234, 0).getBytes(StandardCharsets.US_ASCII);
        byte[] pattern = TestPattern.wire(ChannelFormat.FLOAT32, 8, false);
        byte[] got = exchange(liblslRequest(uid, "1234", "3.06074e+06", "4", ""), header.length + pattern.length);
        assertThat(new String(got, 0, header.length, StandardCharsets.US_ASCII))
                .isEqualTo(new String(header, StandardCharsets.US_ASCII));
        assertThat(Arrays.copyOfRange(got, header.length, got.length)).isEqualTo(pattern);
    }

    @Test
    void bigEndianClientThatCannotConvertGetsBigEndianBytes() throws IOException {
        String uid = outlet.info().uid();
        byte[] header = okHeader(uid, 4321, 0).getBytes(StandardCharsets.US_ASCII);
        byte[] got = exchange(liblslRequest(uid, "4321", "0", "4", ""), header.length + 9);
        assertThat(new String(got, 0, header.length, StandardCharsets.US_ASCII)).contains("Byte-Order: 4321\r\n");
        assertThat(Arrays.copyOfRange(got, header.length, header.length + 9))
                .isEqualTo(new byte[] {2, 0x40, (byte) 0xfe, 0x24, 0x0c, (byte) 0x9f, (byte) 0xbe, 0x76, (byte) 0xc9});
    }

    @Test
    void bigEndianClientThatConvertsFasterGetsNativeOrder() throws IOException {
        String uid = outlet.info().uid();
        byte[] got = exchange(liblslRequest(uid, "4321", "1e12", "4", ""), okHeader(uid, 1234, 0).length());
        assertThat(new String(got, StandardCharsets.US_ASCII)).isEqualTo(okHeader(uid, 1234, 0));
    }

    @Test
    void clientWithoutSubnormalsIsToldTheyAreSuppressed() throws IOException {
        String uid = outlet.info().uid();
        String req = liblslRequest(uid, "1234", "0", "4", "").replace("Supports-Subnormals: 1", "Supports-Subnormals: 0");
        byte[] got = exchange(req, okHeader(uid, 1234, 1).length());
        assertThat(new String(got, StandardCharsets.US_ASCII)).isEqualTo(okHeader(uid, 1234, 1));
    }

    @Test
    void headersAreCaseInsensitiveAndCommentsAreStripped() throws IOException {
        String uid = outlet.info().uid();
        String req = "LSL:streamfeed/110 " + uid + "\r\nvalue-size: 4 ; four\r\nMAX-BUFFER-LENGTH: 10\r\n\r\n";
        byte[] got = exchange(req, okHeader(uid, 1234, 0).length());
        assertThat(new String(got, StandardCharsets.US_ASCII)).isEqualTo(okHeader(uid, 1234, 0));
    }

    @Test
    void wrongUidGets404WithoutLineEnd() throws IOException {
        byte[] got = exchange(liblslRequest("00000000-0000-4000-8000-000000000000", "1234", "0", "4", ""), -1);
        assertThat(new String(got, StandardCharsets.US_ASCII)).isEqualTo("LSL/110 404 Not found");
    }

    @Test
    void newerMajorVersionGets505() throws IOException {
        String req = liblslRequest(outlet.info().uid(), "1234", "0", "4", "").replace("streamfeed/110", "streamfeed/200");
        byte[] got = exchange(req, -1);
        assertThat(new String(got, StandardCharsets.US_ASCII)).isEqualTo("LSL/110 505 Version not supported");
    }

    @Test
    void wrongValueSizeIsRefusedRatherThanDowngradedTo100() throws IOException {
        byte[] got = exchange(liblslRequest(outlet.info().uid(), "1234", "0", "8", ""), -1);
        String reply = new String(got, StandardCharsets.US_ASCII);
        assertThat(reply).startsWith("LSL/110 505 ").contains("Value-Size 8").doesNotContain("\r\n");
    }

    @Test
    void protocol100RequestsAreRefused() throws IOException {
        byte[] legacy = exchange("LSL:streamfeed\r\n360 0\r\n", -1);
        assertThat(new String(legacy, StandardCharsets.US_ASCII)).isEqualTo("LSL/110 505 Protocol 1.00 not supported");
        String req = liblslRequest(outlet.info().uid(), "1234", "0", "4", "")
                .replace("Data-Protocol-Version: 110", "Data-Protocol-Version: 100");
        assertThat(new String(exchange(req, -1), StandardCharsets.US_ASCII))
                .isEqualTo("LSL/110 505 Protocol 1.00 not supported");
    }

    @Test
    void fullinfoAndShortinfoOverTcp() throws IOException {
        assertThat(new String(exchange("LSL:fullinfo\r\n", -1), StandardCharsets.UTF_8))
                .isEqualTo(outlet.info().toFullXml());
        String name = outlet.info().name();
        assertThat(new String(exchange("LSL:shortinfo\r\nname='" + name + "'\r\n", -1), StandardCharsets.UTF_8))
                .isEqualTo(outlet.info().toShortXml());
        assertThat(exchange("LSL:shortinfo\r\nname='someone-else'\r\n", -1)).isEmpty();
    }

    @Test
    void zeroMaxBufferLengthGetsHeaderAndPatternThenNothing() throws IOException {
        String uid = outlet.info().uid();
        String req = liblslRequest(uid, "1234", "0", "4", "").replace("Max-Buffer-Length: 36000", "Max-Buffer-Length: 0");
        int expect = okHeader(uid, 1234, 0).length() + TestPattern.wire(ChannelFormat.FLOAT32, 8, false).length;
        try (Socket s = new Socket("127.0.0.1", outlet.info().v4dataPort())) {
            s.getOutputStream().write(req.getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            assertThat(in.readNBytes(expect)).hasSize(expect);
            assertThat(outlet.consumerCount()).isZero();
            outlet.pushSample(new float[8], 1.0);
            s.setSoTimeout(200);
            assertThat(in.available()).isZero();
        }
    }

    @Test
    void timeProbesGetTheLiblslReplyFormat() throws IOException {
        try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            udp.setSoTimeout(5000);
            byte[] q = "LSL:timedata\r\n4711 592.177877513\r\n".getBytes(StandardCharsets.US_ASCII);
            double before = LslClock.now();
            udp.send(new DatagramPacket(q, q.length, InetAddress.getLoopbackAddress(), outlet.info().v4servicePort()));
            DatagramPacket p = new DatagramPacket(new byte[512], 512);
            udp.receive(p);
            double after = LslClock.now();
            String reply = new String(p.getData(), 0, p.getLength(), StandardCharsets.US_ASCII);
            assertThat(reply).startsWith(" 4711 592.177877513 ").doesNotContain("\r").doesNotContain("\n");
            String[] f = reply.trim().split(" ");
            assertThat(f).hasSize(4);
            double t1 = Double.parseDouble(f[2]);
            double t2 = Double.parseDouble(f[3]);
            assertThat(t1).isBetween(before, after);
            assertThat(t2).isBetween(t1, after);
            // The service thread counts a probe after its reply is sent, so the count may trail our receive.
            LslTestSupport.eventually(() -> outlet.timeProbesAnswered() >= 1, 5);
            assertThat(outlet.timeProbesAnswered()).isEqualTo(1);
        }
    }

    @Test
    void serviceSocketAnswersDiscoveryAtTheReturnPort() throws IOException {
        try (DatagramSocket send = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             DatagramSocket recv = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            recv.setSoTimeout(5000);
            String q = "LSL:shortinfo\r\nname='" + outlet.info().name() + "'\r\n" + recv.getLocalPort()
                    + " 11973266323178842010\r\n";
            byte[] b = q.getBytes(StandardCharsets.US_ASCII);
            send.send(new DatagramPacket(b, b.length, InetAddress.getLoopbackAddress(), outlet.info().v4servicePort()));
            DatagramPacket p = new DatagramPacket(new byte[65536], 65536);
            recv.receive(p);
            assertThat(new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8))
                    .isEqualTo("11973266323178842010\r\n" + outlet.info().toShortXml());
        }
    }

    @Test
    void inletRequestLooksLikeLiblsls() {
        JavaInlet inlet = new JavaInlet(outlet.info(), config());
        String req = inlet.request(outlet.info());
        assertThat(req).startsWith("LSL:streamfeed/110 " + outlet.info().uid() + "\r\nNative-Byte-Order: 1234\r\n")
                .contains("Value-Size: 4\r\n", "Data-Protocol-Version: 110\r\n", "Max-Buffer-Length: 36000\r\n")
                .endsWith("\r\n\r\n");
        inlet.close();
    }
}
