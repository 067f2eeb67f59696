package io.reflex.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.junit.jupiter.api.Test;

/** The telemetry publisher driven tick by tick with a fake clock and fake sessions: no server, no sleeps. */
class TelemetryHubTest {

    /** A session whose sends complete at once ({@code reads}) or never (a stalled reader). */
    static final class FakeSession {
        final List<String> sent = new ArrayList<>();
        final List<Callback> unfinished = new ArrayList<>();
        final AtomicBoolean open = new AtomicBoolean(true);
        final AtomicBoolean disconnected = new AtomicBoolean();
        final boolean reads;
        final Session session;

        FakeSession(boolean reads) {
            this.reads = reads;
            this.session = (Session) Proxy.newProxyInstance(Session.class.getClassLoader(),
                    new Class<?>[] {Session.class}, (proxy, m, args) -> switch (m.getName()) {
                        case "sendText" -> {
                            sent.add((String) args[0]);
                            if (this.reads) {
                                ((Callback) args[1]).succeed();
                            } else {
                                unfinished.add((Callback) args[1]);
                            }
                            yield null;
                        }
                        case "isOpen" -> open.get();
                        case "disconnect" -> {
                            disconnected.set(true);
                            open.set(false);
                            yield null;
                        }
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        case "toString" -> "fake session";
                        default -> throw new UnsupportedOperationException(m.getName());
                    });
        }
    }

    @Test
    void oneSerialisationPerTickToEveryClientAndAStalledOneIsCutOffNotWaitedFor() {
        AtomicLong now = new AtomicLong(1_000_000_000L);
        int[] built = {0};
        TelemetryHub hub = new TelemetryHub(() -> {
            built[0]++;
            return Json.object().put("frames", 42);
        }, 10, 3, now::get);
        assertThat(hub.doWork()).as("nothing to do without clients").isZero();
        assertThat(built[0]).as("nothing built without clients").isZero();

        FakeSession good = new FakeSession(true);
        FakeSession stalled = new FakeSession(false);
        assertThat(hub.add(good.session)).isTrue();
        assertThat(hub.add(stalled.session)).isTrue();
        assertThat(hub.clients()).isEqualTo(2);

        now.addAndGet(100_000_000L);
        assertThat(hub.doWork()).isEqualTo(2);
        assertThat(built[0]).isEqualTo(1);
        assertThat(good.sent).hasSize(1);
        assertThat(good.sent.get(0)).isSameAs(stalled.sent.get(0)).contains("\"frames\":42").contains("\"seq\":1")
                .contains("\"clients\":2");
        // Not due yet: nothing happens.
        assertThat(hub.doWork()).isZero();
        assertThat(good.sent).hasSize(1);

        for (int t = 1; t < TelemetryHub.MAX_PENDING_MESSAGES; t++) {
            now.addAndGet(100_000_000L);
            hub.doWork();
        }
        assertThat(stalled.sent).hasSize(TelemetryHub.MAX_PENDING_MESSAGES);
        assertThat(stalled.disconnected).isFalse();
        // The next tick finds it MAX_PENDING_MESSAGES behind: cut off, no further send queued to it.
        now.addAndGet(100_000_000L);
        hub.doWork();
        assertThat(stalled.disconnected).isTrue();
        assertThat(stalled.sent).hasSize(TelemetryHub.MAX_PENDING_MESSAGES);
        assertThat(hub.dropped()).isEqualTo(1);
        assertThat(hub.clients()).isEqualTo(1);
        assertThat(good.sent).hasSize(TelemetryHub.MAX_PENDING_MESSAGES + 1);
        // A failed send completes too and counts.
        stalled.unfinished.get(0).fail(new java.io.IOException("gone"));
        assertThat(hub.sendFailures()).isEqualTo(1);
    }

    @Test
    void atMostMaxClientsAndClosedSessionsAreForgotten() {
        AtomicLong now = new AtomicLong();
        TelemetryHub hub = new TelemetryHub(Json::object, 60, 2, now::get);
        FakeSession a = new FakeSession(true);
        FakeSession b = new FakeSession(true);
        FakeSession c = new FakeSession(true);
        assertThat(hub.add(a.session)).isTrue();
        assertThat(hub.add(b.session)).isTrue();
        assertThat(hub.full()).isTrue();
        assertThat(hub.add(c.session)).isFalse();
        assertThat(hub.refused()).isEqualTo(1);
        assertThat(hub.clients()).isEqualTo(2);
        hub.remove(a.session);
        hub.remove(a.session);
        assertThat(hub.clients()).isEqualTo(1);
        b.open.set(false);
        now.addAndGet(1_000_000_000L);
        hub.doWork();
        assertThat(hub.clients()).as("a session found closed at a tick is forgotten").isZero();
        assertThat(b.sent).isEmpty();
    }
}
