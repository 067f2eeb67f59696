package io.reflex.runtime.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.runtime.config.ReflexConfig;
import io.reflex.runtime.pipeline.Frame;
import io.reflex.runtime.pipeline.FrameHandler;
import io.reflex.runtime.time.NanoClock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * LFADS live on the Lorenz source through an engine chain, with a fault injected mid-run into the active engine: the
 * next engine takes the same bin over from the same state, no frame is lost, and every live output stays bit for bit
 * equal to the golden model's (the session's golden check runs a twin on cpu-fixed over the same bins).
 */
class EngineFailoverSessionTest {

    /** Synthetic time 20 times faster than the wall clock. */
    private static final NanoClock FAST = () -> 20 * System.nanoTime();

    static ReflexConfig lorenzLfads(List<String> engines, String fault) {
        ReflexConfig c = new ReflexConfig();
        c.source.type = "lorenz";
        c.source.channels = 70;
        c.decoder.name = "lfads";
        c.decoder.compare = new ArrayList<>();
        c.decoder.engines = new ArrayList<>(engines);
        c.decoder.injectFault = fault;
        c.calibration.seconds = 6;
        c.run.seconds = 1.0;
        // synthetic time runs 20x: a deadline of a minute keeps a busy machine from turning outputs into safe ones
        c.pipeline.deadlineUs = 60_000_000;
        c.journal.enabled = false;
        return c;
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aFaultMidRunLosesNoFrameAndTheOutputsStayBitIdentical() throws Exception {
        ReflexConfig c = lorenzLfads(List.of("cpu-fixed", "cpu-fixed"), "cpu-fixed@150");
        AtomicLong liveFrames = new AtomicLong();
        AtomicLong safe = new AtomicLong();
        AtomicLong undecoded = new AtomicLong();
        FrameHandler count = f -> {
            if (f.decoderGeneration > 0) {
                liveFrames.incrementAndGet();
                if (f.hasFlag(Frame.FLAG_SAFE_OUTPUT)) {
                    safe.incrementAndGet();
                }
                if (f.engine < 0) {
                    undecoded.incrementAndGet();
                }
            }
        };
        List<String> notices = new ArrayList<>();
        SessionReport r = new ClosedLoopSession(new ClosedLoopSession.Context().config(c).clock(FAST)
                .observer("count", count).listener(new ClosedLoopSession.Listener() {
                    @Override
                    public void onNotice(String message) {
                        notices.add(message);
                    }
                })).run();
        long live = liveFrames.get();
        assertThat(live).isGreaterThan(300);
        assertThat(r.failovers).isEqualTo(1);
        assertThat(r.coldTakeovers).isZero();
        assertThat(r.engines).hasSize(2);
        assertThat(r.engines.get(0).frames).isEqualTo(149);
        assertThat(r.engines.get(0).reason).contains("injected fault at step 150");
        assertThat(r.engines.get(1).frames).isEqualTo(live - 149);
        assertThat(r.engines.get(1).active).isTrue();
        // no lost frame: every live frame was decoded by one engine or the other, none left with the safe output
        assertThat(undecoded.get()).isZero();
        assertThat(safe.get()).isZero();
        assertThat(r.dropped).isZero();
        // bit-identical continuation: the golden twin never ran a different model state
        assertThat(r.goldenEngine).isEqualTo("cpu-fixed");
        assertThat(r.goldenCompared).isEqualTo(live);
        assertThat(r.goldenMismatches).isZero();
        assertThat(notices).singleElement().asString().contains("cpu-fixed failed (injected fault at step 150)")
                .contains("bumpless");
        assertThat(r.r2.get("lfads")).isGreaterThan(0.85);
    }
}
