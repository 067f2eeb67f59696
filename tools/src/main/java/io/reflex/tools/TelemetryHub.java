package io.reflex.tools;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.IdleStrategy;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;

/**
 * The telemetry publisher of {@code GET /api/telemetry}: one agent that, once per tick, serialises the control state
 * once and hands the same text to every client's WebSocket with a non-blocking send. It reads only the session's
 * progress snapshot (see {@link ControlState}), never the pipeline. A client with more than
 * {@link #MAX_PENDING_MESSAGES} sends not yet written to its socket (a stalled or slow reader) is disconnected at
 * once, never waited for; at most {@code maxClients} are served.
 */
final class TelemetryHub implements Agent, IdleStrategy {
    /** Messages queued for one client before it is dropped as too slow (3.2 s at 10 Hz). */
    static final int MAX_PENDING_MESSAGES = 32;
    /** Longest park between ticks, ns, so that a close is seen soon. */
    private static final long MAX_PARK_NS = 50_000_000L;

    private final Supplier<Json.Obj> snapshot;
    private final long periodNs;
    private final int maxClients;
    private final LongSupplier clockNs;
    private final Set<Client> clients = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<Session, Client> bySession = new ConcurrentHashMap<>();
    private long nextTickNs;
    private volatile long sequence;
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong sendFailures = new AtomicLong();
    private volatile long messages;

    /** One connected client; {@code pending}: sends handed to Jetty and not yet completed. */
    private static final class Client {
        final Session session;
        final AtomicInteger pending = new AtomicInteger();
        final Callback done;

        Client(Session session, AtomicLong failures) {
            this.session = session;
            this.done = Callback.from(pending::decrementAndGet, x -> {
                pending.decrementAndGet();
                failures.incrementAndGet();
            });
        }
    }

    /**
     * @param snapshot   the message body, built once per tick (on this agent's thread)
     * @param hz         messages per second
     * @param maxClients clients served at once
     */
    TelemetryHub(Supplier<Json.Obj> snapshot, int hz, int maxClients, LongSupplier clockNs) {
        this.snapshot = snapshot;
        this.periodNs = 1_000_000_000L / hz;
        this.maxClients = maxClients;
        this.clockNs = clockNs;
        this.nextTickNs = clockNs.getAsLong();
    }

    /** Whether another client may connect now (the upgrade is refused when not). */
    boolean full() {
        return clients.size() >= maxClients;
    }

    /**
     * Serves a newly connected session (any thread).
     *
     * @return false when {@code maxClients} are served already (the caller closes the session)
     */
    boolean add(Session session) {
        Client c = new Client(session, sendFailures);
        if (bySession.putIfAbsent(session, c) != null) {
            return true;
        }
        clients.add(c);
        if (clients.size() > maxClients) {
            remove(session);
            refused.incrementAndGet();
            return false;
        }
        accepted.incrementAndGet();
        return true;
    }

    /** Forgets a closed or failed session (any thread; idempotent). */
    void remove(Session session) {
        Client c = bySession.remove(session);
        if (c != null) {
            clients.remove(c);
        }
    }

    /** An upgrade refused because {@link #full()}. */
    void refusedFull() {
        refused.incrementAndGet();
    }

    @Override
    public int doWork() {
        long now = clockNs.getAsLong();
        if (now - nextTickNs < 0) {
            return 0;
        }
        // A late tick is not caught up: the next one is a period after this one.
        nextTickNs = Math.max(nextTickNs + periodNs, now + periodNs / 2);
        if (clients.isEmpty()) {
            return 0;
        }
        String text = snapshot.get().put("seq", ++sequence).put("clients", clients.size()).toJson();
        int sent = 0;
        for (Client c : clients) {
            if (!c.session.isOpen()) {
                remove(c.session);
                continue;
            }
            if (c.pending.get() >= MAX_PENDING_MESSAGES) {
                // Too slow: cut off without a close handshake (it would queue behind the backlog).
                dropped.incrementAndGet();
                remove(c.session);
                c.session.disconnect();
                continue;
            }
            c.pending.incrementAndGet();
            c.session.sendText(text, c.done);
            sent++;
        }
        messages += sent;
        return Math.max(1, sent);
    }

    /** Parks until the next tick (at most {@value #MAX_PARK_NS} ns). */
    @Override
    public void idle(int workCount) {
        long wait = nextTickNs - clockNs.getAsLong();
        if (wait > 0) {
            LockSupport.parkNanos(Math.min(wait, MAX_PARK_NS));
        }
    }

    @Override
    public void idle() {
        idle(0);
    }

    @Override
    public void reset() {
    }

    @Override
    public String roleName() {
        return "telemetry";
    }

    /** Clients served now. */
    int clients() {
        return clients.size();
    }

    /** Clients accepted since start. */
    long accepted() {
        return accepted.get();
    }

    /** Clients cut off because their sends fell behind. */
    long dropped() {
        return dropped.get();
    }

    /** Connections refused because {@code maxClients} were served. */
    long refused() {
        return refused.get();
    }

    /** Messages handed to clients' sockets. */
    long messages() {
        return messages;
    }

    /** Sends that failed (a client gone mid-send). */
    long sendFailures() {
        return sendFailures.get();
    }

    /** Messages published so far (the last one's {@code seq}). */
    long sequence() {
        return sequence;
    }
}
