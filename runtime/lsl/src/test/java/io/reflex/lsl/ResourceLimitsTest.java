package io.reflex.lsl;

import static io.reflex.lsl.LslTestSupport.config;
import static io.reflex.lsl.LslTestSupport.info;
import static io.reflex.lsl.LslTestSupport.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Sizes and peers from outside are bounded: channel counts and XML depth from a peer's stream info, queue memory per
 * consumer and per inlet, the number of consumers and of connections mid-handshake, and the time a handshake may
 * take however slowly the peer sends.
 */
@Timeout(60)
class ResourceLimitsTest {

    private static String infoXml(int channels, String desc) {
        return "<?xml version=\"1.0\"?>\n<info><name>bomb</name><type>EEG</type><channel_count>" + channels
                + "</channel_count><channel_format>float32</channel_format><source_id></source_id>"
                + "<nominal_srate>1000</nominal_srate><version>1.1</version><created_at>1</created_at>"
                + "<uid>u-1</uid><session_id>default</session_id><hostname>h</hostname><v4address></v4address>"
                + "<v4data_port>16572</v4data_port><v4service_port>16572</v4service_port><v6address></v6address>"
                + "<v6data_port>0</v6data_port><v6service_port>0</v6service_port><desc>" + desc + "</desc></info>";
    }

    private static String nested(int depth) {
        StringBuilder sb = new StringBuilder(depth * 8);
        sb.append("<a>".repeat(depth)).append('x').append("</a>".repeat(depth));
        return sb.toString();
    }

    @Test
    void aPeerClaimingAMillionChannelsIsRefusedBeforeAnythingIsSized() {
        assertThatThrownBy(() -> StreamInfo.parse(infoXml(1 << 20, "")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("channel_count 1048576")
                .hasMessageContaining(String.valueOf(StreamInfo.MAX_CHANNELS));
        assertThat(StreamInfo.parse(infoXml(StreamInfo.MAX_CHANNELS, "")).channelCount())
                .isEqualTo(StreamInfo.MAX_CHANNELS);
        assertThatThrownBy(() -> StreamInfo.builder("x", "T", StreamInfo.MAX_CHANNELS + 1, 100,
                ChannelFormat.FLOAT32, "").build()).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aDeeplyNestedDescIsRefusedWithoutAStackOverflow() {
        assertThatThrownBy(() -> StreamInfo.parse(infoXml(2, nested(200_000))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("malformed stream-info XML");
        // the deepest accepted desc survives the copy and the rendering, and round-trips
        StreamInfo deep = StreamInfo.parse(infoXml(2, nested(StreamInfo.MAX_XML_DEPTH - 2)));
        StreamInfo again = StreamInfo.parse(deep.toFullXml());
        XmlElement e = again.desc();
        int depth = 0;
        while (!e.children().isEmpty()) {
            e = e.children().get(0);
            depth++;
        }
        assertThat(depth).isEqualTo(StreamInfo.MAX_XML_DEPTH - 2);
        assertThat(e.value()).isEqualTo("x");
        assertThatThrownBy(() -> StreamInfo.parse(infoXml(2, nested(StreamInfo.MAX_XML_DEPTH - 1))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void queueCapacityIsCutToTheByteBudget() {
        assertThat(SampleQueue.capacityWithin(1 << 16, 400, 8L << 20)).isEqualTo(16_384);
        assertThat(SampleQueue.capacityWithin(100, 400, 8L << 20)).isEqualTo(128);
        assertThat(SampleQueue.capacityWithin(1 << 16, 8 << 20, 8L << 20)).isEqualTo(-1);
        for (int slot : new int[] {1, 8, 400, 4096, 262_144}) {
            for (long budget : new long[] {1024, 1 << 20, 64L << 20}) {
                int cap = SampleQueue.capacityWithin(Integer.MAX_VALUE, slot, budget);
                if (cap > 0) {
                    assertThat(Integer.bitCount(cap)).isEqualTo(1);
                    assertThat((long) cap * (slot + SampleQueue.SLOT_OVERHEAD_BYTES)).isLessThanOrEqualTo(budget);
                    assertThat((long) cap * 2 * (slot + SampleQueue.SLOT_OVERHEAD_BYTES)).isGreaterThan(budget);
                }
            }
        }
    }

    @Test
    void anInletOfTheWidestStreamStaysWithinItsBudget() {
        // 65,536 double channels at 30 kHz: liblsl's 360 s buffer would be 65,536 samples of 512 KiB (32 GiB)
        StreamInfo wide = StreamInfo.builder("wide", "T", StreamInfo.MAX_CHANNELS, 30_000, ChannelFormat.DOUBLE64,
                "").uid("w").v4address("127.0.0.1").v4dataPort(1).v4servicePort(1).build();
        LslConfig cfg = config().inletMaxBufferBytes(16L << 20).conclude();
        try (JavaInlet inlet = new JavaInlet(wide, cfg, new InletOptions(), new LslTestSupport.Errors())) {
            assertThat(inlet.bufferCapacity()).isEqualTo(16);
        }
        LslConfig tiny = config().inletMaxBufferBytes(1024).conclude();
        assertThatThrownBy(() -> new JavaInlet(wide, tiny, new InletOptions(), new LslTestSupport.Errors()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exceeds inletMaxBufferBytes");
    }

    private static String feedRequest(String uid, long maxBuffer) {
        return "LSL:streamfeed/110 " + uid + "\r\nNative-Byte-Order: 1234\r\nEndian-Performance: 0\r\n"
                + "Has-IEEE754-Floats: 1\r\nSupports-Subnormals: 1\r\nValue-Size: 4\r\nData-Protocol-Version: 110\r\n"
                + "Max-Buffer-Length: " + maxBuffer + "\r\nMax-Chunk-Length: 0\r\nHostname: t\r\nSource-Id: \r\n"
                + "Session-Id: default\r\n\r\n";
    }

    private static String statusLine(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        StringBuilder sb = new StringBuilder();
        for (int c = in.read(); c >= 0 && c != '\r' && c != '\n'; c = in.read()) {
            sb.append((char) c);
        }
        return sb.toString();
    }

    private static Socket feed(int port, String uid, long maxBuffer) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
        s.setSoTimeout(10_000);
        s.getOutputStream().write(feedRequest(uid, maxBuffer).getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        return s;
    }

    @Test
    void consumersBeyondTheCapAreRefusedAndAFreedPlaceIsTakenAgain() throws Exception {
        LslTestSupport.Errors errors = new LslTestSupport.Errors();
        try (JavaOutlet outlet = new JavaOutlet(info(uniqueName("cap"), ChannelFormat.FLOAT32, 100, 0),
                config().outletMaxConsumers(3).outletConsumerMaxBytes(1 << 20), errors)) {
            int port = outlet.info().v4dataPort();
            String uid = outlet.info().uid();
            List<Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    // a consumer asking for a billion samples gets a queue cut to its byte budget
                    Socket s = feed(port, uid, 1_000_000_000L);
                    assertThat(statusLine(s)).isEqualTo("LSL/110 200 OK");
                    held.add(s);
                }
                LslTestSupport.await(() -> outlet.consumers() == 3);
                try (Socket extra = feed(port, uid, 1000)) {
                    assertThat(statusLine(extra)).isEqualTo("LSL/110 503 Too many consumers (3)");
                }
                held.remove(0).close();
                // a sender learns that its peer left when it writes: samples flow as in a live stream
                float[] sample = new float[100];
                LslTestSupport.await(() -> {
                    outlet.pushSample(sample, 0.0);
                    return outlet.consumers() == 2;
                });
                try (Socket again = feed(port, uid, 1000)) {
                    assertThat(statusLine(again)).isEqualTo("LSL/110 200 OK");
                }
            } finally {
                for (Socket s : held) {
                    s.close();
                }
            }
            assertThat(errors.contains("503 Too many consumers")).isTrue();
        }
    }

    @Test
    void aSlowLorisRequestIsCutOffAtTheHandshakeDeadline() throws Exception {
        try (JavaOutlet outlet = new JavaOutlet(info(uniqueName("loris"), ChannelFormat.FLOAT32, 2, 0),
                config().handshakeTimeoutS(0.5), new LslTestSupport.Errors());
             Socket s = new Socket(InetAddress.getLoopbackAddress(), outlet.info().v4dataPort())) {
            byte[] request = feedRequest(outlet.info().uid(), 100).getBytes(StandardCharsets.US_ASCII);
            CountDownLatch cut = new CountDownLatch(1);
            long startNs = System.nanoTime();
            // one byte per 50 ms: each read comes well within a per-read timeout of 0.5 s, the whole never does
            Thread dribbler = new Thread(() -> {
                try {
                    OutputStream out = s.getOutputStream();
                    for (byte b : request) {
                        out.write(b);
                        out.flush();
                        if (cut.await(50, TimeUnit.MILLISECONDS)) {
                            return;
                        }
                    }
                } catch (IOException | InterruptedException e) {
                    cut.countDown();
                }
            }, "test-dribbler");
            dribbler.start();
            s.setSoTimeout(20_000);
            int first;
            try {
                first = s.getInputStream().read();
            } catch (SocketException reset) {
                first = -1;
            }
            double elapsedS = (System.nanoTime() - startNs) / 1e9;
            cut.countDown();
            dribbler.join();
            assertThat(first).as("the outlet closes without answering").isEqualTo(-1);
            assertThat(elapsedS).as("cut at the 0.5 s deadline; the request alone takes %.1f s",
                    request.length * 0.05).isBetween(0.45, 5.0);
        }
    }

    @Test
    void anInletHandshakeAgainstADribblingOutletEndsAtItsDeadline() throws Exception {
        String reply = "LSL/110 200 OK\r\nUID: fake-uid\r\nByte-Order: 1234\r\nSuppress-Subnormals: 0\r\n"
                + "Data-Protocol-Version: 110\r\n\r\n";
        CountDownLatch stop = new CountDownLatch(1);
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Thread fake = new Thread(() -> {
                try (Socket s = server.accept()) {
                    OutputStream out = s.getOutputStream();
                    for (byte b : reply.getBytes(StandardCharsets.US_ASCII)) {
                        out.write(b);
                        out.flush();
                        if (stop.await(50, TimeUnit.MILLISECONDS)) {
                            return;
                        }
                    }
                    stop.await(30, TimeUnit.SECONDS);
                } catch (IOException | InterruptedException e) {
                    stop.countDown();
                }
            }, "test-dribbling-outlet");
            fake.start();
            StreamInfo target = StreamInfo.builder("fake", "T", 2, 100, ChannelFormat.FLOAT32, "").uid("fake-uid")
                    .v4address("127.0.0.1").v4dataPort(server.getLocalPort()).v4servicePort(1).build();
            LslTestSupport.Errors errors = new LslTestSupport.Errors();
            long startNs = System.nanoTime();
            try (JavaInlet inlet = new JavaInlet(target, config().handshakeTimeoutS(0.5),
                    new InletOptions().recover(false), errors)) {
                assertThatThrownBy(() -> inlet.open(20)).isInstanceOf(IllegalStateException.class);
                double elapsedS = (System.nanoTime() - startNs) / 1e9;
                assertThat(elapsedS).as("the reply alone takes %.1f s", reply.length() * 0.05).isLessThan(5.0);
                assertThat(errors.contains("did not answer within 0.5 s")).isTrue();
            } finally {
                stop.countDown();
                fake.join(10_000);
            }
        }
    }

    @Test
    void connectionsBeyondThePendingCapAreShedAndServiceGoesOn() throws Exception {
        try (JavaOutlet outlet = new JavaOutlet(info(uniqueName("shed"), ChannelFormat.FLOAT32, 2, 0),
                config().outletMaxPendingConnections(4).handshakeTimeoutS(30), new LslTestSupport.Errors())) {
            int port = outlet.info().v4dataPort();
            List<Socket> silent = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    silent.add(new Socket(InetAddress.getLoopbackAddress(), port));
                }
                LslTestSupport.await(() -> outlet.connectionsAccepted() == 4);
                for (int i = 0; i < 3; i++) {
                    try (Socket extra = new Socket(InetAddress.getLoopbackAddress(), port)) {
                        extra.setSoTimeout(10_000);
                        assertThat(extra.getInputStream().read()).as("closed on accept").isEqualTo(-1);
                    }
                }
                assertThat(outlet.connectionsShed()).isEqualTo(3);
                // the silent four still hold their places (their deadline is 30 s away)
                for (Socket s : silent) {
                    s.setSoTimeout(1);
                    assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
                }
            } finally {
                for (Socket s : silent) {
                    s.close();
                }
            }
            LslTestSupport.await(() -> {
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    s.setSoTimeout(10_000);
                    s.getOutputStream().write("LSL:fullinfo\r\n".getBytes(StandardCharsets.US_ASCII));
                    return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8).contains("<info>");
                } catch (IOException e) {
                    return false;
                }
            });
        }
    }
}
