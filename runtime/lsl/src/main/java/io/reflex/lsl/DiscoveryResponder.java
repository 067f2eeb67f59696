package io.reflex.lsl;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.ErrorHandler;

/**
 * The discovery responder on the multicast port (16571): one per process and listen address, shared by every
 * outlet of the process, so that a unicast query to 127.0.0.1:16571 is answered for all of them (sockets sharing
 * a port with SO_REUSEADDR do not all receive unicast datagrams). Joins the configured multicast groups only when
 * the scope has any and the listen address is not loopback.
 */
final class DiscoveryResponder implements Runnable {
    private static final Map<String, DiscoveryResponder> SHARED = new HashMap<>();

    private final String key;
    private final DatagramChannel channel;
    private final Thread thread;
    private final ErrorHandler errors;
    private volatile Registration[] registrations = new Registration[0];
    private int refs;
    private final AtomicLong answered = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();

    /** One outlet's entry: its own matcher (owned by the responder thread) and short info bytes. */
    static final class Registration {
        final QueryMatcher matcher;
        final byte[] shortInfo;

        Registration(StreamInfo info) {
            this.matcher = new QueryMatcher(info);
            this.shortInfo = info.toShortXml().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    private DiscoveryResponder(String key, DatagramChannel channel, ErrorHandler errors) {
        this.key = key;
        this.channel = channel;
        this.errors = errors;
        this.thread = new Thread(this, "lsl-discovery-" + key);
        this.thread.setDaemon(true);
    }

    /** Registers an outlet, starting the shared responder if needed; null if the port cannot be bound. */
    static synchronized DiscoveryResponder register(LslConfig cfg, Registration reg, ErrorHandler errors) {
        String listen = cfg.listenAddress().isEmpty() ? "0.0.0.0" : cfg.listenAddress();
        String key = listen + ":" + cfg.multicastPort();
        DiscoveryResponder r = SHARED.get(key);
        if (r == null) {
            try {
                r = open(cfg, listen, key, errors);
            } catch (IOException e) {
                errors.onError(new LslError("discovery responder " + key, "cannot bind (" + e.getMessage()
                        + "); this process's outlets are found through their service ports only", e));
                return null;
            }
            SHARED.put(key, r);
            r.thread.start();
        }
        r.refs++;
        Registration[] old = r.registrations;
        Registration[] next = java.util.Arrays.copyOf(old, old.length + 1);
        next[old.length] = reg;
        r.registrations = next;
        return r;
    }

    /** Unregisters an outlet; the last one closes the socket and joins the thread. */
    void unregister(Registration reg) {
        boolean last;
        synchronized (DiscoveryResponder.class) {
            List<Registration> keep = new ArrayList<>(List.of(registrations));
            keep.remove(reg);
            registrations = keep.toArray(new Registration[0]);
            last = --refs == 0;
            if (last) {
                SHARED.remove(key);
            }
        }
        if (last) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // Closing is best effort; the thread ends either way.
            }
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static DiscoveryResponder open(LslConfig cfg, String listen, String key, ErrorHandler errors)
            throws IOException {
        DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET);
        try {
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            InetAddress listenAddr = InetAddress.getByName(listen);
            ch.bind(new InetSocketAddress(listenAddr, cfg.multicastPort()));
            if (!listenAddr.isLoopbackAddress()) {
                joinGroups(ch, cfg, errors);
            }
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        return new DiscoveryResponder(key, ch, errors);
    }

    private static void joinGroups(DatagramChannel ch, LslConfig cfg, ErrorHandler errors) throws IOException {
        for (String a : cfg.discoveryAddresses()) {
            InetAddress group = InetAddress.getByName(a);
            if (!group.isMulticastAddress() || a.contains(":")) {
                continue;
            }
            Enumeration<NetworkInterface> ifs = NetworkInterface.getNetworkInterfaces();
            while (ifs != null && ifs.hasMoreElements()) {
                NetworkInterface ni = ifs.nextElement();
                try {
                    if (ni.isUp() && ni.supportsMulticast()) {
                        ch.join(group, ni);
                    }
                } catch (IOException e) {
                    errors.onError(new LslError("discovery responder", "cannot join " + a + " on " + ni.getName()
                            + ": " + e.getMessage(), e));
                }
            }
        }
    }

    @Override
    public void run() {
        ByteBuffer buf = ByteBuffer.allocate(65536);
        while (channel.isOpen()) {
            try {
                buf.clear();
                SocketAddress from = channel.receive(buf);
                buf.flip();
                if (!(from instanceof InetSocketAddress src)) {
                    continue;
                }
                for (Registration r : registrations) {
                    int rc = UdpRequests.handle(buf.duplicate(), src, r.matcher, r.shortInfo, channel, false, null, 0);
                    if (rc == UdpRequests.ANSWERED) {
                        answered.incrementAndGet();
                    } else if (rc == UdpRequests.MALFORMED) {
                        malformed.incrementAndGet();
                        break;
                    }
                }
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException | RuntimeException e) {
                if (!channel.isOpen()) {
                    return;
                }
                errors.onError(new LslError("discovery responder " + key, e.toString(), e));
            }
        }
    }
}
