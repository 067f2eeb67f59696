package io.reflex.runtime.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.reflex.fpga.lfads.LfadsStepImage;
import io.reflex.fpga.rtlsim.RtlSimBuilds;
import io.reflex.runtime.config.ReflexConfig;
import io.reflex.runtime.pipeline.Frame;
import io.reflex.runtime.pipeline.FrameHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * LFADS live on the Lorenz source through an engine chain, with a fault injected mid-run into the active engine: the
 * next engine takes the same bin over from the same state, no frame is lost, and every live output stays bit for bit
 * equal to the golden model's (the session's golden check runs a twin on cpu-fixed over the same bins). Between
 * two cpu-fixed engines, and from the rtl-sim engine (the verilated causal kernel, whose state the chain checkpoints
 * through the kernel's SAVE after every bin) to cpu-fixed.
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
        failoverMidRun(lorenzLfads(List.of("cpu-fixed", "cpu-fixed"), "cpu-fixed@150"), "cpu-fixed", FAST);
    }

    @Test
    @Timeout(value = 1200, unit = TimeUnit.SECONDS)
    void theRtlSimKernelFailsOverToCpuFixedBumplesslyOnTheLiveLoop() throws Exception {
        String missing = RtlSimBuilds.missingTools();
        assumeTrue(missing == null, "skipped: " + missing);
        // the demo causal build as fpga-driver's and hdl's tests make it (same folder, so it is built once)
        LfadsStepImage.Build demo = new LfadsStepImage.Build(70, 73, 64, 4, 4, 70, 16, 4);
        String lib = new RtlSimBuilds(new RtlSimBuilds.Context().opt(RtlSimBuilds.TEST_OPT))
                .library("lfads_kernel", "step_full", demo.params()).toString();
        ReflexConfig c = lorenzLfads(List.of("rtl-sim", "cpu-fixed"), "rtl-sim@150");
        c.decoder.engineOptions.put("rtl-sim", Map.of("library", lib));
        // real time (a simulated bin takes milliseconds of the 20 ms bin, so the simulation keeps the pace): 10 s of
        // live run give the fault at bin 150 room on both sides
        c.run.seconds = 10.0;
        failoverMidRun(c, "rtl-sim", SystemNanoClock.INSTANCE);
    }

    /** Runs the session with a fault injected into {@code first} at its 150th step; asserts the bumpless takeover. */
    static void failoverMidRun(ReflexConfig c, String first, NanoClock clock) throws Exception {
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
        SessionReport r = new ClosedLoopSession(new ClosedLoopSession.Context().config(c).clock(clock)
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
        assertThat(notices).singleElement().asString().contains(first + " failed (injected fault at step 150)")
                .contains("bumpless");
        assertThat(r.r2.get("lfads")).isGreaterThan(0.85);
    }
}
