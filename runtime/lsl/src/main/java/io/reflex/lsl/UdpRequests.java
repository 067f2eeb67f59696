package io.reflex.lsl;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * Answers the UDP requests an outlet receives (docs/lsl-wire.md A1, A6): {@code LSL:shortinfo} discovery queries
 * (on the service socket and the discovery responder) and {@code LSL:timedata} probes (service socket only).
 */
final class UdpRequests {
    /** Outcome codes, for counters. */
    static final int ANSWERED = 0;
    static final int NO_MATCH = 1;
    static final int MALFORMED = 2;
    static final int IGNORED = 3;

    private UdpRequests() {
    }

    /** Longest wave id or t0 echoed back, bytes (liblsl's are at most 20). */
    static final int MAX_TOKEN = 40;

    /** Size of the reply buffer {@link #handle} needs for time probes. */
    static final int TIME_REPLY_CAPACITY = 4 + 2 * MAX_TOKEN + 2 * LslNumbers.SECONDS_NS_MAX_CHARS;

    private static final byte[] TIMEDATA = "LSL:timedata".getBytes(StandardCharsets.US_ASCII);

    /** Dummy probe rounds {@link #warmUpTimeProbes} runs, as many as the prober's (TimeCorrector). */
    static final int WARM_UP_ROUNDS = 3000;
    private static final AtomicBoolean WARMED = new AtomicBoolean();

    /**
     * Handles one datagram.
     *
     * @param timeReply a buffer of at least {@link #TIME_REPLY_CAPACITY} bytes owned by the calling thread, for the
     *                  time-probe reply (unused when {@code answerTimeData} is false)
     * @param receivedAtNs LSL clock at receipt, nanoseconds (t1 of a time probe)
     */
    static int handle(ByteBuffer packet, InetSocketAddress from, QueryMatcher matcher, byte[] shortInfo,
                      DatagramChannel out, boolean answerTimeData, ByteBuffer timeReply, long receivedAtNs)
            throws IOException {
        if (startsWith(packet, TIMEDATA)) {
            if (!answerTimeData) {
                return IGNORED;
            }
            int rc = timeReply(packet, timeReply, receivedAtNs);
            if (rc != ANSWERED) {
                return rc;
            }
            out.send(timeReply, from);
            return ANSWERED;
        }
        String text = StandardCharsets.UTF_8.decode(packet).toString();
        String[] lines = text.split("\r?\n", -1);
        if (lines.length < 2) {
            return MALFORMED;
        }
        String command = lines[0].trim();
        if ("LSL:shortinfo".equals(command)) {
            if (lines.length < 3) {
                return MALFORMED;
            }
            String query = lines[1];
            String[] parts = lines[2].trim().split("\\s+");
            if (parts.length < 2) {
                return MALFORMED;
            }
            int returnPort;
            try {
                returnPort = Integer.parseInt(parts[0]);
            } catch (NumberFormatException e) {
                return MALFORMED;
            }
            if (returnPort < 1 || returnPort > 65535) {
                return MALFORMED;
            }
            if (!matcher.matches(query)) {
                return NO_MATCH;
            }
            byte[] id = (parts[1] + "\r\n").getBytes(StandardCharsets.US_ASCII);
            ByteBuffer reply = ByteBuffer.allocate(id.length + shortInfo.length);
            reply.put(id).put(shortInfo).flip();
            InetAddress addr = from.getAddress();
            out.send(reply, new InetSocketAddress(addr, returnPort));
            return ANSWERED;
        }
        return MALFORMED;
    }


    /**
     * Builds the reply to {@code LSL:timedata\r\n<wave-id> <t0>\r\n} in {@code reply} (flipped, ready to send),
     * echoing the wave id and t0 as received. Allocation-free; t2 is read last, just before the caller's send, so
     * the reply's own formatting does not bias the prober's offset.
     *
     * @return {@link #ANSWERED} when {@code reply} is ready, else {@link #MALFORMED}
     */
    static int timeReply(ByteBuffer packet, ByteBuffer reply, long receivedAtNs) {
        int p = packet.position() + TIMEDATA.length;
        int end = packet.limit();
        if (p < end && packet.get(p) == '\r') {
            p++;
        }
        if (p >= end || packet.get(p) != '\n') {
            return MALFORMED;
        }
        p = skipBlanks(packet, p + 1, end);
        int idStart = p;
        while (p < end && packet.get(p) >= '0' && packet.get(p) <= '9') {
            p++;
        }
        int idEnd = p;
        if (idEnd == idStart || idEnd - idStart > 19 || p >= end || !blank(packet.get(p))) {
            return MALFORMED;
        }
        p = skipBlanks(packet, p, end);
        int t0Start = p;
        while (p < end && numberChar(packet.get(p))) {
            p++;
        }
        int t0End = p;
        if (t0End == t0Start || t0End - t0Start > MAX_TOKEN || (p < end && !blank(packet.get(p))
                && packet.get(p) != '\r' && packet.get(p) != '\n')) {
            return MALFORMED;
        }
        byte[] r = reply.array();
        int o = reply.arrayOffset();
        int q = o;
        r[q++] = ' ';
        for (int i = idStart; i < idEnd; i++) {
            r[q++] = packet.get(i);
        }
        r[q++] = ' ';
        for (int i = t0Start; i < t0End; i++) {
            r[q++] = packet.get(i);
        }
        r[q++] = ' ';
        q = LslNumbers.putSecondsNs(receivedAtNs, r, q);
        r[q++] = ' ';
        q = LslNumbers.putSecondsNs(System.nanoTime(), r, q);
        reply.clear();
        reply.position(q - o).flip();
        return ANSWERED;
    }

    private static boolean startsWith(ByteBuffer packet, byte[] prefix) {
        if (packet.remaining() < prefix.length) {
            return false;
        }
        int p = packet.position();
        for (int i = 0; i < prefix.length; i++) {
            if (packet.get(p + i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static int skipBlanks(ByteBuffer b, int p, int end) {
        while (p < end && blank(b.get(p))) {
            p++;
        }
        return p;
    }

    private static boolean blank(byte c) {
        return c == ' ' || c == '\t';
    }

    private static boolean numberChar(byte c) {
        return (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E';
    }

    /**
     * Once per JVM, runs the responder's probe path ({@code receive}, {@link #handle}, {@code send}) between two
     * private loopback channels so the JIT has compiled it before real probes come: an outlet answers a few
     * probes a second, too few to compile, and interpreted code between receipt and the t1 reading biases every
     * prober's offset (issue #13). Lock-step, one datagram in flight; stops early when {@code stop} says so.
     */
    static void warmUpTimeProbes(BooleanSupplier stop) throws IOException {
        if (!WARMED.compareAndSet(false, true)) {
            return;
        }
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try (DatagramChannel prober = DatagramChannel.open().bind(loopback);
             DatagramChannel responder = DatagramChannel.open().bind(loopback)) {
            SocketAddress to = responder.getLocalAddress();
            byte[] head = "LSL:timedata\r\n1 ".getBytes(StandardCharsets.US_ASCII);
            ByteBuffer probe = ByteBuffer.allocate(head.length + LslNumbers.SECONDS_NS_MAX_CHARS + 2);
            ByteBuffer in = ByteBuffer.allocate(512);
            ByteBuffer reply = ByteBuffer.allocate(TIME_REPLY_CAPACITY);
            for (int i = 0; i < WARM_UP_ROUNDS && !stop.getAsBoolean(); i++) {
                byte[] p = probe.array();
                System.arraycopy(head, 0, p, 0, head.length);
                int end = LslNumbers.putSecondsNs(System.nanoTime(), p, head.length);
                p[end] = '\r';
                p[end + 1] = '\n';
                probe.clear().limit(end + 2);
                prober.send(probe, to);
                in.clear();
                SocketAddress from = responder.receive(in);
                long t1Ns = LslClock.nowNs();
                in.flip();
                handle(in, (InetSocketAddress) from, null, null, responder, true, reply, t1Ns);
                in.clear();
                prober.receive(in);
            }
        }
    }
}
