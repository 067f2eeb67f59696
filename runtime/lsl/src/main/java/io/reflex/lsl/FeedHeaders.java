package io.reflex.lsl;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code LSL:streamfeed/110} handshake (docs/lsl-wire.md A3), both sides: the request an inlet writes and an
 * outlet reads, the response an outlet writes and an inlet reads, and the one rule for a header line
 * (case-insensitive key, {@code ;} starts a comment). Handshake-time code: it may allocate; every line it reads
 * comes through a {@link LineSource} that bounds the line's length, and the request's header count is bounded.
 */
final class FeedHeaders {
    /** The start of a 1.10 feed request; the version and the uid follow. */
    static final String FEED_PREFIX = "LSL:streamfeed/";
    /** Request headers an outlet reads (beyond them: {@code 400 Too many headers}); liblsl sends 12. */
    static final int MAX_REQUEST_HEADERS = 257;

    private FeedHeaders() {
    }

    /** Where header lines come from: CRLF or LF stripped, null at EOF, a bounded length. */
    @FunctionalInterface
    interface LineSource {
        String readLine() throws IOException;
    }

    /** Lines of a stream read by {@link Net#readLine} (at most {@link Net#MAX_LINE_BYTES} each). */
    static final class StreamLines implements LineSource {
        private final InputStream in;

        StreamLines(InputStream in) {
            this.in = in;
        }

        @Override
        public String readLine() throws IOException {
            return Net.readLine(in);
        }
    }

    /**
     * Negotiates this library's own request for {@code info} once, so that an outlet has the handshake's classes
     * loaded and linked before a peer comes (see {@code JavaOutlet.CONNECTION_CLASSES}); the outcome is not used.
     */
    static void warmUp(StreamInfo info) {
        String request = request(info, 1.0);
        int eol = request.indexOf("\r\n");
        try {
            Feed feed = readRequest(request.substring(0, eol), new StreamLines(new ByteArrayInputStream(
                    request.substring(eol + 2).getBytes(StandardCharsets.US_ASCII))), info);
            if (feed != null) {
                response(info.uid(), feed);
            }
        } catch (IOException | Refusal e) {
            // Only the loading matters here; a peer's request is judged when it comes.
        }
    }

    /** A line split into a lower-case key and a trimmed value, or null if it is no header (no key before a colon). */
    static String[] header(String line) {
        int semi = line.indexOf(';');
        String text = semi >= 0 ? line.substring(0, semi) : line;
        int colon = text.indexOf(':');
        if (colon <= 0) {
            return null;
        }
        return new String[] {text.substring(0, colon).trim().toLowerCase(Locale.ROOT), text.substring(colon + 1).trim()};
    }

    // ------------------------------------------------------------------ inlet → outlet

    /**
     * The request a liblsl inlet would send for {@code target}: native byte order 1234, our Endian-Performance,
     * Value-Size for numeric formats, protocol 110, Max-Buffer-Length from {@code bufferS} at the nominal rate
     * (100 Hz for irregular streams).
     */
    static String request(StreamInfo target, double bufferS) {
        ChannelFormat format = target.channelFormat();
        int maxBuffer = (int) Math.min(Integer.MAX_VALUE, Math.max(1, Math.ceil(bufferS
                * (target.nominalSrate() > 0 ? target.nominalSrate() : 100))));
        StringBuilder sb = new StringBuilder(256);
        sb.append(FEED_PREFIX).append(StreamInfo.PROTOCOL_VERSION).append(' ').append(target.uid()).append("\r\n");
        sb.append("Native-Byte-Order: 1234\r\n");
        sb.append("Endian-Performance: ").append((long) JavaOutlet.ENDIAN_PERFORMANCE).append("\r\n");
        sb.append("Has-IEEE754-Floats: 1\r\n");
        sb.append("Supports-Subnormals: 1\r\n");
        if (format.isNumeric()) {
            sb.append("Value-Size: ").append(format.valueBytes()).append("\r\n");
        }
        sb.append("Data-Protocol-Version: ").append(StreamInfo.PROTOCOL_VERSION).append("\r\n");
        sb.append("Max-Buffer-Length: ").append(maxBuffer).append("\r\n");
        sb.append("Max-Chunk-Length: 0\r\n");
        sb.append("Hostname: ").append(target.hostname()).append("\r\n");
        sb.append("Source-Id: ").append(target.sourceId()).append("\r\n");
        sb.append("Session-Id: ").append(target.sessionId()).append("\r\n");
        sb.append("\r\n");
        return sb.toString();
    }

    /** What an outlet agreed to send a consumer. */
    record Feed(boolean bigEndian, boolean suppressSubnormals, long maxBufferLength) {
    }

    /** The outlet's answer to a request it will not serve: the status after {@code LSL/110 }. */
    static final class Refusal extends Exception {
        private static final long serialVersionUID = 1L;

        Refusal(String status) {
            super(status, null, false, false);
        }

        /** E.g. {@code 505 Protocol 1.00 not supported}. */
        String status() {
            return getMessage();
        }
    }

    /**
     * Reads the headers of a {@code LSL:streamfeed/<version> <uid>} request (its first line already read) and
     * negotiates against the outlet's {@code info}, in liblsl's order: version, uid, then the headers' values.
     *
     * @return the feed, or null when the peer closed before the empty line (nothing to answer)
     * @throws Refusal the status to refuse with (400, 404 or 505)
     */
    static Feed readRequest(String requestLine, LineSource lines, StreamInfo info) throws IOException, Refusal {
        String rest = requestLine.substring(FEED_PREFIX.length());
        int sp = rest.indexOf(' ');
        String verText = sp < 0 ? rest : rest.substring(0, sp);
        String uid = sp < 0 ? "" : rest.substring(sp + 1).trim();
        int requestVersion;
        try {
            requestVersion = Integer.parseInt(verText.trim());
        } catch (NumberFormatException e) {
            throw new Refusal("400 Bad request");
        }
        Map<String, String> headers = new HashMap<>();
        for (int i = 0; ; i++) {
            String line = lines.readLine();
            if (line == null) {
                return null;
            }
            if (line.isEmpty()) {
                break;
            }
            if (i >= MAX_REQUEST_HEADERS) {
                throw new Refusal("400 Too many headers");
            }
            String[] kv = header(line);
            if (kv != null) {
                headers.put(kv[0], kv[1]);
            }
        }
        if (requestVersion / 100 > StreamInfo.PROTOCOL_VERSION / 100) {
            throw new Refusal("505 Version not supported");
        }
        if (!uid.equals(info.uid())) {
            throw new Refusal("404 Not found");
        }
        ChannelFormat format = info.channelFormat();
        int clientByteOrder;
        double clientEndianPerformance;
        boolean ieee;
        boolean subnormals;
        int valueSize;
        int clientVersion;
        long maxBufferLength;
        try {
            clientByteOrder = Integer.parseInt(headers.getOrDefault("native-byte-order", "1234"));
            clientEndianPerformance = Double.parseDouble(headers.getOrDefault("endian-performance", "0"));
            ieee = !"0".equals(headers.getOrDefault("has-ieee754-floats", "1"));
            subnormals = !"0".equals(headers.getOrDefault("supports-subnormals", "1"));
            valueSize = Integer.parseInt(headers.getOrDefault("value-size", Integer.toString(format.valueBytes())));
            clientVersion = Integer.parseInt(headers.getOrDefault("data-protocol-version",
                    Integer.toString(requestVersion)));
            maxBufferLength = Long.parseLong(headers.getOrDefault("max-buffer-length", "0"));
        } catch (NumberFormatException e) {
            throw new Refusal("400 Bad request header (" + e.getMessage() + ")");
        }
        if (clientByteOrder != 1234 && clientByteOrder != 4321) {
            throw new Refusal("400 Bad Native-Byte-Order " + clientByteOrder);
        }
        if (maxBufferLength < 0) {
            throw new Refusal("400 Bad Max-Buffer-Length " + maxBufferLength);
        }
        int version = Math.min(StreamInfo.PROTOCOL_VERSION, clientVersion);
        if (format.isNumeric() && valueSize != format.valueBytes()) {
            throw new Refusal("505 Value-Size " + valueSize + " does not match " + format.wireName() + " ("
                    + format.valueBytes() + "); protocol 1.00 not supported");
        }
        if (format.isFloatingPoint() && !ieee) {
            throw new Refusal("505 Non-IEEE754 floats need protocol 1.00, which is not supported");
        }
        if (version < StreamInfo.PROTOCOL_VERSION) {
            throw new Refusal("505 Protocol 1.00 not supported");
        }
        return new Feed(clientByteOrder == 4321 && clientEndianPerformance < JavaOutlet.ENDIAN_PERFORMANCE,
                !subnormals && format.isFloatingPoint(), maxBufferLength);
    }

    // ------------------------------------------------------------------ outlet → inlet

    /** The status line an outlet refuses with (no headers follow; liblsl's error replies carry no CRLF). */
    static String refusal(String status) {
        return "LSL/" + StreamInfo.PROTOCOL_VERSION + " " + status;
    }

    /** The 200 response of a feed, headers and the empty line; the test pattern follows it. */
    static String response(String uid, Feed feed) {
        return "LSL/110 200 OK\r\nUID: " + uid + "\r\nByte-Order: " + (feed.bigEndian() ? 4321 : 1234)
                + "\r\nSuppress-Subnormals: " + (feed.suppressSubnormals() ? 1 : 0)
                + "\r\nData-Protocol-Version: 110\r\n\r\n";
    }

    /** The outlet said it is not (or no longer) the stream asked for: re-resolve rather than retry. */
    static final class GoneException extends IOException {
        private static final long serialVersionUID = 1L;

        GoneException(String message) {
            super(message);
        }
    }

    /**
     * Reads an outlet's response (status line and headers, up to the empty line) to a request for
     * {@code expectedUid}.
     *
     * @return true if the samples come big-endian
     * @throws GoneException no response, 404, a redirect (3xx) or another uid
     * @throws IOException   anything else that is not a 1.10 feed (the message says what)
     */
    static boolean readResponse(LineSource lines, String expectedUid) throws IOException {
        String status = lines.readLine();
        if (status == null) {
            throw new GoneException("outlet closed the connection without a response");
        }
        String[] parts = status.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("LSL/")) {
            throw new IOException("not an LSL response: '" + abbreviate(status) + "'");
        }
        int code;
        try {
            code = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IOException("bad status line: '" + abbreviate(status) + "'");
        }
        if (code == 404 || (code >= 300 && code < 400)) {
            throw new GoneException("outlet answered '" + abbreviate(status) + "'");
        }
        if (code >= 400) {
            throw new IOException("outlet refused the feed: '" + abbreviate(status) + "'");
        }
        boolean bigEndian = false;
        int version = -1;
        while (true) {
            String line = lines.readLine();
            if (line == null) {
                throw new EOFException("response headers cut short");
            }
            if (line.isEmpty()) {
                break;
            }
            String[] kv = header(line);
            if (kv == null) {
                continue;
            }
            String value = kv[1];
            switch (kv[0]) {
                case "uid" -> {
                    if (!value.equals(expectedUid)) {
                        throw new GoneException("outlet has uid " + value + ", expected " + expectedUid);
                    }
                }
                case "byte-order" -> {
                    if ("4321".equals(value)) {
                        bigEndian = true;
                    } else if (!"1234".equals(value) && !"0".equals(value)) {
                        throw new IOException("unsupported Byte-Order " + value);
                    }
                }
                case "data-protocol-version" -> {
                    try {
                        version = Integer.parseInt(value);
                    } catch (NumberFormatException e) {
                        throw new IOException("bad Data-Protocol-Version '" + value + "'");
                    }
                }
                default -> {
                    // Suppress-Subnormals: Java handles subnormals; other headers carry nothing we need.
                }
            }
        }
        if (version != StreamInfo.PROTOCOL_VERSION) {
            throw new IOException("outlet offered Data-Protocol-Version " + version + "; only 110 is supported");
        }
        return bigEndian;
    }

    private static String abbreviate(String s) {
        return s.length() > 120 ? s.substring(0, 120) + "..." : s;
    }
}
