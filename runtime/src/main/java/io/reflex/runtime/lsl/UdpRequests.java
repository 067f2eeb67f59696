package io.reflex.runtime.lsl;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;

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

    /**
     * Handles one datagram.
     *
     * @param receivedAt LSL clock at receipt (t1 of a time probe)
     */
    static int handle(ByteBuffer packet, InetSocketAddress from, QueryMatcher matcher, byte[] shortInfo,
                      DatagramChannel out, boolean answerTimeData, double receivedAt) throws IOException {
        String text = StandardCharsets.UTF_8.decode(packet).toString();
        String[] lines = text.split("\r?\n", -1);
        if (lines.length < 2) {
            return MALFORMED;
        }
        String command = lines[0].trim();
        if ("LSL:timedata".equals(command)) {
            if (!answerTimeData) {
                return IGNORED;
            }
            String[] parts = lines[1].trim().split("\\s+");
            if (parts.length < 2) {
                return MALFORMED;
            }
            long waveId;
            double t0;
            try {
                waveId = Long.parseLong(parts[0]);
                t0 = Double.parseDouble(parts[1]);
            } catch (NumberFormatException e) {
                return MALFORMED;
            }
            String reply = " " + waveId + " " + LslNumbers.general16(t0) + " " + LslNumbers.general16(receivedAt)
                    + " " + LslNumbers.general16(LslClock.now());
            out.send(ByteBuffer.wrap(reply.getBytes(StandardCharsets.US_ASCII)), from);
            return ANSWERED;
        }
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
}
