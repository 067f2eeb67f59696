package io.reflex.lsl;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Socket helpers shared by the LSL components: port-range binding, line reading, the host name. */
final class Net {
    /** Longest request or header line accepted from a TCP peer. */
    static final int MAX_LINE_BYTES = 4096;

    private static final String HOSTNAME = lookupHostname();

    private Net() {
    }

    /** The address to reach a stream's outlet at: its v4address, 127.0.0.1 when it has none. */
    static String address(StreamInfo info) {
        return info.v4address().isEmpty() ? "127.0.0.1" : info.v4address();
    }

    static String hostname() {
        return HOSTNAME;
    }

    private static String lookupHostname() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env.trim();
        }
        try {
            String s = Files.readString(Path.of("/etc/hostname")).trim();
            if (!s.isEmpty()) {
                return s;
            }
        } catch (IOException | RuntimeException ignored) {
            // Not Linux or no file: fall through to the default.
        }
        return "localhost";
    }

    /** Binds a TCP acceptor on the first free port of the range, else (if allowed) an ephemeral port. */
    static ServerSocket bindTcp(LslConfig cfg) throws IOException {
        InetAddress addr = InetAddress.getByName(cfg.bindAddress());
        for (int p = cfg.basePort(); p < cfg.basePort() + cfg.portRange(); p++) {
            ServerSocket s = new ServerSocket();
            try {
                s.setReuseAddress(false);
                s.bind(new InetSocketAddress(addr, p), 64);
                return s;
            } catch (BindException e) {
                s.close();
            }
        }
        if (!cfg.allowRandomPorts()) {
            throw new BindException("no free TCP port in " + cfg.basePort() + ".." + (cfg.basePort() + cfg.portRange() - 1)
                    + " and AllowRandomPorts is off");
        }
        ServerSocket s = new ServerSocket();
        s.bind(new InetSocketAddress(addr, 0), 64);
        return s;
    }

    /** Binds a UDP service socket (no SO_REUSEADDR) on the first free port of the range, else ephemeral. */
    static DatagramChannel bindUdp(LslConfig cfg) throws IOException {
        InetAddress addr = InetAddress.getByName(cfg.bindAddress());
        for (int p = cfg.basePort(); p < cfg.basePort() + cfg.portRange(); p++) {
            DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET);
            try {
                ch.bind(new InetSocketAddress(addr, p));
                return ch;
            } catch (BindException e) {
                ch.close();
            }
        }
        if (!cfg.allowRandomPorts()) {
            throw new BindException("no free UDP port in " + cfg.basePort() + ".." + (cfg.basePort() + cfg.portRange() - 1)
                    + " and AllowRandomPorts is off");
        }
        DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET);
        ch.bind(new InetSocketAddress(addr, 0));
        return ch;
    }

    /**
     * The socket's input bounded by a total deadline: before every read the socket timeout is set to the time left,
     * so a peer that sends one byte per second cannot stretch a handshake past {@code deadlineNs} (a per-read timeout
     * alone restarts with every byte).
     */
    static InputStream deadlineInput(Socket socket, long deadlineNs) throws IOException {
        return new DeadlineInput(socket, socket.getInputStream(), deadlineNs);
    }

    /** See {@link #deadlineInput}; a named class so that an outlet can load it before it is needed. */
    static final class DeadlineInput extends InputStream {
        private final Socket socket;
        private final InputStream raw;
        private final long deadlineNs;

        DeadlineInput(Socket socket, InputStream raw, long deadlineNs) {
            this.socket = socket;
            this.raw = raw;
            this.deadlineNs = deadlineNs;
        }

        private void arm() throws IOException {
            long leftNs = deadlineNs - System.nanoTime();
            if (leftNs <= 0) {
                throw new SocketTimeoutException("handshake deadline passed");
            }
            socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, leftNs / 1_000_000)));
        }

        @Override
        public int read() throws IOException {
            arm();
            return raw.read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            arm();
            return raw.read(b, off, len);
        }

        @Override
        public int available() throws IOException {
            return raw.available();
        }
    }

    /**
     * Reads one line ending in LF (a preceding CR is removed). Returns null at EOF before any byte; a line cut by
     * EOF is returned as is (error replies carry no CRLF). Throws if the line exceeds {@link #MAX_LINE_BYTES}.
     */
    static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(128);
        while (true) {
            int c = in.read();
            if (c < 0) {
                return buf.size() == 0 ? null : strip(buf);
            }
            if (c == '\n') {
                return strip(buf);
            }
            if (buf.size() >= MAX_LINE_BYTES) {
                throw new IOException("line longer than " + MAX_LINE_BYTES + " bytes");
            }
            buf.write(c);
        }
    }

    private static String strip(ByteArrayOutputStream buf) {
        String s = buf.toString(StandardCharsets.UTF_8);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    /** Reads until EOF, refusing more than {@code maxBytes}. */
    static String readAll(InputStream in, int maxBytes) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(1024);
        byte[] b = new byte[4096];
        int n;
        while ((n = in.read(b)) > 0) {
            if (buf.size() + n > maxBytes) {
                throw new IOException("reply longer than " + maxBytes + " bytes");
            }
            buf.write(b, 0, n);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    /** An XPath string literal for any value (XPath 1.0 has no escapes: use concat() around apostrophes). */
    static String xpathLiteral(String s) {
        if (!s.contains("'")) {
            return "'" + s + "'";
        }
        if (!s.contains("\"")) {
            return "\"" + s + "\"";
        }
        StringBuilder sb = new StringBuilder("concat(");
        String[] parts = s.split("'", -1);
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) {
                sb.append(", \"'\", ");
            }
            sb.append('\'').append(parts[i]).append('\'');
        }
        return sb.append(')').toString();
    }
}
