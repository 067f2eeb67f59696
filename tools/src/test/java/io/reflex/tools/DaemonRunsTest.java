package io.reflex.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The daemon's run states without a session: what is refused when, and what a stop or a shutdown reaches. */
class DaemonRunsTest {
    @Test
    void withoutServeOneRunOnly() throws Exception {
        DaemonRuns runs = new DaemonRuns(false);
        List<String> stops = new ArrayList<>();
        runs.running(null, null, "/j/run-1", stops::add);
        assertThatThrownBy(() -> runs.start("me", "more")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("without --serve");
        List<String> accepted = new ArrayList<>();
        assertThat(runs.stop("done", () -> accepted.add("journaled")).toJson()).contains("\"run\":1");
        assertThat(accepted).containsExactly("journaled");
        assertThat(stops).containsExactly("done");
        assertThat(runs.ended(0, null)).as("no idle state without --serve").isFalse();
        assertThat(runs.awaitStart()).isNull();
        assertThat(runs.json().node().get("state").asText()).isEqualTo("ended");
    }

    @Test
    void startsAndStopsAtTheWrongTimeAreRefusedAndChangeNothing() {
        DaemonRuns runs = new DaemonRuns(true);
        List<String> stops = new ArrayList<>();
        runs.running(null, null, null, stops::add);
        assertThatThrownBy(() -> runs.start("me", "again")).hasMessageContaining("run 1 is live");
        runs.stop("first", () -> { });
        List<String> journaled = new ArrayList<>();
        assertThatThrownBy(() -> runs.stop("second", () -> journaled.add("x")))
                .hasMessageContaining("run 1 is stopping already");
        assertThat(journaled).as("a refused stop is not journaled as accepted").isEmpty();
        assertThatThrownBy(() -> runs.start("me", "again")).hasMessageContaining("run 1 is stopping");
        assertThat(runs.ended(3, "stimulation fault latched: estop")).isTrue();
        assertThatThrownBy(() -> runs.stop("idle", () -> { })).hasMessageContaining("no run is live: run 1 ended"
                + " with exit 3");
        assertThat(stops).containsExactly("first");
        assertThat(runs.json().toJson()).contains("\"state\":\"idle\"", "\"last_exit\":3",
                "\"last_fault\":\"stimulation fault latched: estop\"", "\"exit_code\":3");
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void aStartWakesTheMainThreadAndTheWorstExitCodeStays() throws Exception {
        DaemonRuns runs = new DaemonRuns(true);
        runs.running(null, null, null, r -> { });
        runs.stop("end of block 1", () -> { });
        runs.ended(4, "journal fault: disk full");
        CompletableFuture<DaemonRuns.Start> next = CompletableFuture.supplyAsync(() -> {
            try {
                return runs.awaitStart();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(runs.start("127.0.0.1 token=ok", "block 2").toJson()).contains("\"run\":2");
        DaemonRuns.Start s = next.get(20, TimeUnit.SECONDS);
        assertThat(s).isEqualTo(new DaemonRuns.Start(2, "127.0.0.1 token=ok", "block 2"));
        assertThatThrownBy(() -> runs.start("me", "block 3")).hasMessageContaining("run 2 is live");
        // a stop asked for while run 2 is being set up reaches it as soon as it is
        runs.stop("too soon", () -> { });
        List<String> stops = new ArrayList<>();
        runs.running(null, null, null, stops::add);
        assertThat(stops).containsExactly("too soon");
        runs.ended(0, null);
        assertThat(runs.worstExit()).as("the worst run, not the last").isEqualTo(4);
        assertThat(runs.json().toJson()).contains("\"number\":2", "\"last_exit\":0", "\"exit_code\":4");
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void aShutdownStopsTheLiveRunAndEndsTheWaitForAStart() throws Exception {
        DaemonRuns runs = new DaemonRuns(true);
        List<String> stops = new ArrayList<>();
        runs.running(null, null, null, stops::add);
        runs.shutdown("SIGTERM");
        assertThat(stops).containsExactly("SIGTERM");
        assertThat(runs.ended(0, null)).as("no idle state once shutting down").isFalse();
        assertThatThrownBy(() -> runs.start("me", "late")).hasMessageContaining("shutting down");
        assertThat(runs.awaitStart()).isNull();

        DaemonRuns idle = new DaemonRuns(true);
        idle.running(null, null, null, r -> { });
        idle.stop("end", () -> { });
        idle.ended(0, null);
        CompletableFuture<DaemonRuns.Start> next = CompletableFuture.supplyAsync(() -> {
            try {
                return idle.awaitStart();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        idle.shutdown("POST /api/stop");
        assertThat(next.get(20, TimeUnit.SECONDS)).isNull();
        assertThat(idle.json().node().get("state").asText()).isEqualTo("ended");
    }
}
