package io.reflex.lsl;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Finds streams (docs/lsl-wire.md A1): sends {@code LSL:shortinfo} queries in waves to the scope's discovery
 * addresses on the multicast port and to every known peer on the whole data-port range (where the outlets'
 * service sockets answer), and collects the replies, de-duplicated by uid, the address taken from the packet.
 *
 * <p>One-shot: {@link #resolve}. Continuous: {@link ContinuousResolver}. With {@link LslConfig#loopback()} only
 * 127.0.0.1 is ever addressed.
 */
public final class Resolver {
    private final LslConfig config;
    private final List<InetSocketAddress> targets;

    public Resolver(LslConfig config) {
        this.config = config.conclude();
        this.targets = targets(config);
    }

    static List<InetSocketAddress> targets(LslConfig config) {
        List<InetSocketAddress> out = new ArrayList<>();
        try {
            for (String a : config.discoveryAddresses()) {
                out.add(new InetSocketAddress(InetAddress.getByName(a), config.multicastPort()));
            }
            for (String peer : config.knownPeers()) {
                InetAddress addr = InetAddress.getByName(peer);
                for (int p = config.basePort(); p < config.basePort() + config.portRange(); p++) {
                    out.add(new InetSocketAddress(addr, p));
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("bad discovery address: " + e.getMessage(), e);
        }
        return List.copyOf(out);
    }

    /** The query predicate for a property, e.g. {@code byProperty("name", "EEG")} gives {@code name='EEG'}. */
    public static String byProperty(String property, String value) {
        return property + "=" + Net.xpathLiteral(value);
    }

    /**
     * Sends waves until at least {@code minimum} distinct streams answered (then returns at once) or the timeout
     * passes; {@code minimum} 0 waits the full timeout and returns everything seen.
     *
     * @param predicate XPath 1.0 predicate over {@code <info>} ("" = all streams)
     */
    public List<StreamInfo> resolve(String predicate, int minimum, double timeoutS) {
        if (!QueryMatcher.isValid(predicate)) {
            throw new IllegalArgumentException("not a valid XPath 1.0 predicate: " + predicate);
        }
        Map<String, StreamInfo> found = new LinkedHashMap<>();
        long start = System.nanoTime();
        long deadline = start + (long) (timeoutS * 1e9);
        long waveNs = (long) (config.oneshotResolveIntervalS() * 1e9);
        try (Wave wave = new Wave(config, predicate == null ? "" : predicate.trim())) {
            long nextWave = start;
            while (true) {
                long now = System.nanoTime();
                if (now >= nextWave) {
                    wave.send(targets);
                    nextWave = now + waveNs;
                }
                long until = Math.min(nextWave, deadline);
                wave.receive(found, until);
                if (minimum > 0 && found.size() >= minimum) {
                    break;
                }
                if (System.nanoTime() >= deadline) {
                    break;
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("resolve failed: " + e.getMessage(), e);
        }
        return List.copyOf(found.values());
    }

    /** One resolve socket with its query id. */
    static final class Wave implements AutoCloseable {
        private final DatagramSocket socket;
        private final String queryId;
        private final byte[] query;
        private final byte[] rx = new byte[65536];
        private final DatagramPacket packet = new DatagramPacket(rx, rx.length);
        private long malformedReplies;

        Wave(LslConfig config, String predicate) throws IOException {
            this.socket = new DatagramSocket(null);
            socket.bind(new InetSocketAddress(InetAddress.getByName(config.bindAddress()), 0));
            boolean needsBroadcast = config.discoveryAddresses().contains("255.255.255.255");
            if (needsBroadcast) {
                socket.setBroadcast(true);
            }
            if (config.sendsMulticastOrBroadcast()) {
                try {
                    socket.setOption(StandardSocketOptions.IP_MULTICAST_TTL, config.multicastTtl());
                } catch (UnsupportedOperationException | IOException e) {
                    // Older JDKs lack multicast options on DatagramSocket; the default TTL (1) then applies.
                }
            }
            this.queryId = Long.toUnsignedString(predicate.hashCode() * 0x9E3779B97F4A7C15L
                    ^ ThreadLocalRandom.current().nextLong());
            String q = "LSL:shortinfo\r\n" + predicate + "\r\n" + socket.getLocalPort() + " " + queryId + "\r\n";
            this.query = q.getBytes(StandardCharsets.UTF_8);
        }

        void send(List<InetSocketAddress> targets) {
            for (InetSocketAddress t : targets) {
                try {
                    socket.send(new DatagramPacket(query, query.length, t));
                } catch (IOException e) {
                    // An unreachable peer or a refused port is normal during discovery.
                }
            }
        }

        /** Collects replies until the deadline. */
        void receive(Map<String, StreamInfo> found, long deadlineNs) throws IOException {
            while (true) {
                long leftMs = (deadlineNs - System.nanoTime()) / 1_000_000;
                if (leftMs <= 0) {
                    return;
                }
                socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, leftMs)));
                try {
                    packet.setLength(rx.length);
                    socket.receive(packet);
                } catch (SocketTimeoutException e) {
                    return;
                }
                StreamInfo info = parseReply(packet);
                if (info != null) {
                    found.put(info.uid(), info);
                    return;
                }
            }
        }

        private StreamInfo parseReply(DatagramPacket p) {
            String text = new String(p.getData(), p.getOffset(), p.getLength(), StandardCharsets.UTF_8);
            int nl = text.indexOf('\n');
            if (nl < 0) {
                malformedReplies++;
                return null;
            }
            String id = text.substring(0, nl).trim();
            if (!id.equals(queryId)) {
                return null;
            }
            try {
                StreamInfo info = StreamInfo.parse(text.substring(nl + 1));
                return info.toBuilder().v4address(p.getAddress().getHostAddress()).build();
            } catch (IllegalArgumentException e) {
                malformedReplies++;
                return null;
            }
        }

        long malformedReplies() {
            return malformedReplies;
        }

        @Override
        public void close() {
            socket.close();
        }
    }
}
