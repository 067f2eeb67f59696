package io.reflex.decoders.engine;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.BundleException;
import io.reflex.decoders.bundle.ModelBundle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * A fallback chain of engines, e.g. {@code [xrt, rtl-sim, cpu-fixed]}, with bumpless failover.
 *
 * <p>{@link #load} loads the model on every engine that can take it; calls go to the first usable one (the
 * <em>active</em> engine). After every step that did not fault, when a usable engine follows the active one, the
 * chain keeps a checkpoint of the active engine's stream state ({@link Engine#saveCheckpoint}, into one of two
 * preallocated buffers, so a failed save never spoils the last good one).
 *
 * <p><b>Failover.</b> When the active engine faults (a step or trial returns {@code ENGINE_FAULT}, throws, or the
 * engine reports itself unhealthy before a call), the chain marks it failed with the reason, picks the next healthy
 * usable engine, brings it to the failed engine's state and repeats the same call there, within the same call: no
 * frame is lost. Bringing the state over:
 * <ul>
 *   <li>at the start of a stream (no step since {@link #load} or {@link #reset}): the next engine is reset;</li>
 *   <li>otherwise the last checkpoint is restored into it ({@link Engine#restoreCheckpoint}). The layouts are
 *       canonical per model type (decoders/LFADS.md, decoders/SNN.md), so this works between any two engines of
 *       the same model: between engines of the {@code fixed} family the outputs after the failover are
 *       bit-identical to those of an uninterrupted run; a {@code float32} engine taking over from a fixed-point one
 *       reads the Q12 state divided by 4096 (exact), a fixed-point engine taking over from a float32 one reads the
 *       float state rounded to Q12 (within 2^−13 per value), and from there each runs its own arithmetic;</li>
 *   <li>when there is no checkpoint to restore (the failed engine cannot checkpoint, its last save failed, or the
 *       next engine cannot restore it), the next engine is reset: the stream restarts there, and
 *       {@link #coldTakeovers()} counts it.</li>
 * </ul>
 * Each failover counts once in {@link #failovers()}; the reason stays in {@link #statuses()} and the optional
 * {@link FailoverListener} hears about it once.
 *
 * <p><b>Bad input is not a fault.</b> A short array, a count that is not valid ({@link
 * io.reflex.decoders.Counts}: negative, NaN or infinite), or a window outside
 * {@code [1, maxTrialBins()]} returns {@code INVALID_INPUT} before any engine is called; an engine returning
 * {@code INVALID_INPUT} is passed through. Neither marks an engine failed. {@link #reset} never revives a failed
 * engine; only a new {@link #load} does.
 *
 * <p>Steps, trials and checkpoints allocate nothing in the steady state; a fault allocates its reason text. Owned by
 * one thread: {@link #statuses()} and the counters are read on that thread.
 */
public final class EngineChain implements Engine {

    /** Hears about each failover once, on the thread that made the call. Must not throw. */
    @FunctionalInterface
    public interface FailoverListener {
        /**
         * @param from     index of the engine that faulted
         * @param to       index of the engine that took over, or -1 when none was left
         * @param reason   why {@code from} failed
         * @param bumpless true when {@code to} continued from the failed engine's state (a restore, or the start of
         *                 a stream); false for a cold takeover (reset) or when none was left
         */
        void onFailover(int from, int to, String reason, boolean bumpless);
    }

    private final Engine[] engines;
    private final boolean[] usable;
    private final String[] reasons;
    private final long[] served;
    private final long[] faults;
    private int active = -1;
    private int lastServed = -1;
    private boolean loaded;
    private int inputs;
    private int outputs;
    private long failovers;
    private long coldTakeovers;
    private long checkpointFailures;
    private String lastFailoverReason;
    private FailoverListener listener;

    /** True when a usable engine follows the active one: only then are checkpoints taken. */
    private boolean standby;
    private byte[] ckFront = new byte[0];
    private byte[] ckBack = new byte[0];
    /** Bytes of the valid checkpoint in {@link #ckFront}, 0 when there is none. */
    private int ckBytes;
    /** No step since the last load or reset: the stream is at its start. */
    private boolean atReset = true;
    /** {@link #health()} after a fault, rebuilt only when the active engine's health or the fault count changes. */
    private EngineHealth health;
    private EngineHealth healthOf;
    private long healthFaults;

    /** A chain over the given engines, in order of preference; the chain owns them (closes them). */
    public EngineChain(List<Engine> engines) {
        if (engines == null || engines.isEmpty()) {
            throw new IllegalArgumentException("an engine chain needs at least one engine");
        }
        this.engines = engines.toArray(new Engine[0]);
        this.usable = new boolean[this.engines.length];
        this.reasons = new String[this.engines.length];
        this.served = new long[this.engines.length];
        this.faults = new long[this.engines.length];
        Arrays.fill(reasons, "not loaded");
    }

    /**
     * A chain from engine names, e.g. {@code of("xrt", "rtl-sim", "cpu-fixed")}; see {@link #create(List)}.
     *
     * @throws EngineException when none of the names gives an engine
     */
    public static EngineChain of(String... names) {
        return create(EngineSpec.names(names));
    }

    /**
     * A chain from engine specs, resolved through {@link EngineFactory} service providers, each engine created with
     * its options and, where the spec asks, wrapped in a {@link FaultInjectingEngine}. A name without a provider, or
     * whose engine cannot be created here, stays in the chain as an unusable entry with its reason (so reports list
     * it).
     *
     * @throws EngineException when none of the specs gives an engine (listing every reason)
     */
    public static EngineChain create(List<EngineSpec> specs) {
        if (specs == null || specs.isEmpty()) {
            throw new EngineException("an engine chain needs at least one engine name");
        }
        Map<String, EngineFactory> factories = new HashMap<>();
        for (EngineFactory f : ServiceLoader.load(EngineFactory.class)) {
            factories.putIfAbsent(f.name(), f);
        }
        List<Engine> list = new ArrayList<>();
        StringBuilder missing = new StringBuilder();
        boolean any = false;
        for (EngineSpec s : specs) {
            EngineFactory f = factories.get(s.name());
            String why;
            if (f == null) {
                why = "no provider of engine '" + s.name() + "' on the class path (known: "
                        + new java.util.TreeSet<>(factories.keySet()) + ")";
            } else {
                try {
                    Engine e = f.create(s.options());
                    list.add(s.faultAtStep() > 0 ? new FaultInjectingEngine(e, s.faultAtStep()) : e);
                    any = true;
                    continue;
                } catch (EngineException | IllegalArgumentException e) {
                    why = e.getMessage();
                }
            }
            list.add(new UnavailableEngine(s.name(), why));
            missing.append("\n  ").append(s.name()).append(": ").append(why);
        }
        if (!any) {
            throw new EngineException("no engine available among " + specs + ":" + missing);
        }
        return new EngineChain(list);
    }

    /** Names of every engine a provider offers on the class path. */
    public static List<String> availableEngineNames() {
        List<String> names = new ArrayList<>();
        for (EngineFactory f : ServiceLoader.load(EngineFactory.class)) {
            names.add(f.name());
        }
        return names;
    }

    /** Sets the listener told about each failover (null for none). */
    public void failoverListener(FailoverListener l) {
        this.listener = l;
    }

    // ------------------------------------------------------------------------------------------------ accessors

    /** Number of engines in the chain, usable or not. */
    public int engineCount() {
        return engines.length;
    }

    /** The engine at {@code index}. */
    public Engine engine(int index) {
        return engines[index];
    }

    /** The engine calls go to now, or null when none is usable. */
    public Engine active() {
        return active < 0 ? null : engines[active];
    }

    /** Index of the engine calls go to now, or -1. */
    public int activeIndex() {
        return active;
    }

    /** Index of the engine that answered the last call ({@link #step} or {@link #trial}), or -1 when none did. */
    public int lastServedIndex() {
        return lastServed;
    }

    /** Calls engine {@code index} answered without a fault since the last load. */
    public long served(int index) {
        return served[index];
    }

    /** Faults the chain saw from engine {@code index} since the last load. */
    public long faults(int index) {
        return faults[index];
    }

    /** Whether engine {@code index} is loaded and not failed. */
    public boolean usable(int index) {
        return usable[index];
    }

    /** {@code "ready"} or why engine {@code index} is not usable. */
    public String reason(int index) {
        return reasons[index];
    }

    /** How often the chain moved to the next engine since the last load. */
    public long failovers() {
        return failovers;
    }

    /**
     * Failovers whose next engine was reset instead of continuing from the failed engine's state (no checkpoint to
     * restore), since the last load.
     */
    public long coldTakeovers() {
        return coldTakeovers;
    }

    /** Checkpoint saves of the active engine that failed (the next failover would be cold), since the last load. */
    public long checkpointFailures() {
        return checkpointFailures;
    }

    /** The reason of the last failover, or null. */
    public String lastFailoverReason() {
        return lastFailoverReason;
    }

    /** A snapshot of every engine, in chain order (allocates; for reports). */
    public List<EngineStatus> statuses() {
        List<EngineStatus> l = new ArrayList<>(engines.length);
        for (int i = 0; i < engines.length; i++) {
            Engine e = engines[i];
            boolean healthy;
            try {
                healthy = e.health().healthy();
            } catch (RuntimeException ex) {
                healthy = false;
            }
            l.add(new EngineStatus(i, e.name(), safeDevice(e), safeArithmetic(e), usable[i], healthy, i == active,
                    reasons[i], served[i], faults[i]));
        }
        return l;
    }

    private static String safeDevice(Engine e) {
        try {
            return e.device();
        } catch (RuntimeException ex) {
            return "unknown (" + ex + ")";
        }
    }

    private static String safeArithmetic(Engine e) {
        try {
            return e.arithmetic();
        } catch (RuntimeException ex) {
            return "unknown";
        }
    }

    /** One line per engine for people: active mark, name, arithmetic, state or reason, served, faults. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        for (EngineStatus s : statuses()) {
            sb.append(s.active() ? "* " : "  ").append(s.name()).append(" [").append(s.arithmetic()).append("]: ")
                    .append(s.reason()).append(", served ").append(s.served()).append(", faults ").append(s.faults())
                    .append('\n');
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------------------------------------ Engine

    /** The active engine's name, or {@code "chain"} when none is usable. */
    @Override
    public String name() {
        return active < 0 ? "chain" : engines[active].name();
    }

    /** The active engine's arithmetic family (the first engine's when none is usable). */
    @Override
    public String arithmetic() {
        return engines[active < 0 ? 0 : active].arithmetic();
    }

    /** The active engine's device. */
    @Override
    public String device() {
        return active < 0 ? "none" : engines[active].device();
    }

    /**
     * Loads the model on every engine (which revives engines that failed before); an engine that refuses it, or
     * whose input and output counts differ from the first usable engine's, is left out with its reason. Counters
     * start again from zero.
     *
     * @throws EngineException when no engine can run the model (listing every reason); a {@link BundleException}
     *                         from the first engine is rethrown as is when every engine refuses the bundle
     */
    @Override
    public void load(ModelBundle bundle) {
        active = -1;
        lastServed = -1;
        loaded = false;
        RuntimeException first = null;
        int cap = 0;
        for (int i = 0; i < engines.length; i++) {
            served[i] = 0;
            faults[i] = 0;
            try {
                engines[i].load(bundle);
                EngineHealth h = engines[i].health();
                usable[i] = h.healthy();
                reasons[i] = usable[i] ? "ready" : h.detail();
            } catch (RuntimeException e) {
                usable[i] = false;
                reasons[i] = String.valueOf(e.getMessage());
                if (first == null) {
                    first = e;
                }
            }
            if (usable[i] && active >= 0 && (engines[i].inputCount() != inputs
                    || engines[i].outputCount() != outputs)) {
                usable[i] = false;
                reasons[i] = "dimensions differ from " + engines[active].name() + ": " + engines[i].inputCount()
                        + " inputs, " + engines[i].outputCount() + " outputs; expected " + inputs + ", " + outputs;
            }
            if (usable[i] && active < 0) {
                active = i;
                inputs = engines[i].inputCount();
                outputs = engines[i].outputCount();
            }
            if (usable[i]) {
                cap = Math.max(cap, Math.max(0, engines[i].checkpointBytes()));
            }
        }
        failovers = 0;
        coldTakeovers = 0;
        checkpointFailures = 0;
        lastFailoverReason = null;
        if (active < 0) {
            if (first instanceof BundleException be) {
                throw be;
            }
            throw new EngineException("no engine can run " + bundle.name() + ":\n" + describe(), first);
        }
        if (ckFront.length < cap) {
            ckFront = new byte[cap];
            ckBack = new byte[cap];
        }
        ckBytes = 0;
        atReset = true;
        loaded = true;
        updateStandby();
    }

    private void updateStandby() {
        standby = false;
        for (int i = active + 1; active >= 0 && i < engines.length; i++) {
            if (usable[i]) {
                standby = true;
                return;
            }
        }
    }

    @Override
    public int inputCount() {
        return loaded ? inputs : 0;
    }

    @Override
    public int outputCount() {
        return loaded ? outputs : 0;
    }

    @Override
    public int maxTrialBins() {
        return active < 0 ? 0 : engines[active].maxTrialBins();
    }

    @Override
    public int trialSteps(int bins) {
        return active < 0 ? 0 : engines[active].trialSteps(bins);
    }

    private static void zero(float[] out, int n) {
        if (out != null) {
            Arrays.fill(out, 0, Math.min(n, out.length), 0f);
        }
    }

    /**
     * One bin on the active engine, failing over within the call when it faults.
     *
     * @return the engine's status; {@code INVALID_INPUT} for bad input (no engine is called); {@code NOT_READY}
     *         before a load; {@code ENGINE_FAULT} only when no usable engine is left
     */
    @Override
    public int step(float[] in, float[] out) {
        if (!loaded) {
            zero(out, out == null ? 0 : out.length);
            return DecodeStatus.NOT_READY;
        }
        if (in == null || out == null || in.length < inputs || out.length < outputs) {
            zero(out, outputs);
            return DecodeStatus.INVALID_INPUT;
        }
        for (int k = 0; k < inputs; k++) {
            if (!io.reflex.decoders.Counts.valid(in[k])) {
                zero(out, outputs);
                return DecodeStatus.INVALID_INPUT;
            }
        }
        while (active >= 0) {
            Engine e = engines[active];
            int s;
            String why = null;
            try {
                EngineHealth h = e.health();
                if (!h.healthy()) {
                    s = DecodeStatus.ENGINE_FAULT;
                    why = "unhealthy: " + h.detail();
                } else {
                    s = e.step(in, out);
                }
            } catch (RuntimeException ex) {
                s = DecodeStatus.ENGINE_FAULT;
                why = "step threw " + ex;
            }
            if (s != DecodeStatus.ENGINE_FAULT) {
                served[active]++;
                lastServed = active;
                if (s != DecodeStatus.INVALID_INPUT) {
                    atReset = false;
                    if (standby) {
                        keepCheckpoint(e);
                    }
                }
                return s;
            }
            failActive(why != null ? why : faultReason(e, "step"));
        }
        lastServed = -1;
        zero(out, outputs);
        return DecodeStatus.ENGINE_FAULT;
    }

    /**
     * A whole window on the active engine, failing over within the call when it faults (the stream state is carried
     * over as for {@link #step}).
     *
     * @return as {@link #step}; {@code INVALID_INPUT} for {@code bins} outside {@code [1, maxTrialBins()]}, short
     *         arrays or non-finite values
     */
    @Override
    public int trial(float[] window, int bins, float[] out) {
        if (!loaded) {
            zero(out, out == null ? 0 : out.length);
            return DecodeStatus.NOT_READY;
        }
        int steps = trialSteps(bins);
        if (window == null || out == null || bins < 1 || bins > maxTrialBins() || steps <= 0
                || window.length < (long) bins * inputs || out.length < (long) steps * outputs) {
            zero(out, out == null ? 0 : out.length);
            return DecodeStatus.INVALID_INPUT;
        }
        for (int k = 0; k < bins * inputs; k++) {
            if (!io.reflex.decoders.Counts.valid(window[k])) {
                zero(out, out.length);
                return DecodeStatus.INVALID_INPUT;
            }
        }
        while (active >= 0) {
            Engine e = engines[active];
            int s;
            String why = null;
            try {
                EngineHealth h = e.health();
                if (!h.healthy()) {
                    s = DecodeStatus.ENGINE_FAULT;
                    why = "unhealthy: " + h.detail();
                } else if (!fitsTrial(e, bins, out)) {
                    // After a failover the next engine may take shorter windows than the one that failed: a window
                    // beyond this engine's bounds is bad input for it, not a reason to fail it too.
                    zero(out, out.length);
                    return DecodeStatus.INVALID_INPUT;
                } else {
                    s = e.trial(window, bins, out);
                }
            } catch (RuntimeException ex) {
                s = DecodeStatus.ENGINE_FAULT;
                why = "trial threw " + ex;
            }
            if (s != DecodeStatus.ENGINE_FAULT) {
                served[active]++;
                lastServed = active;
                return s;
            }
            failActive(why != null ? why : faultReason(e, "trial"));
        }
        lastServed = -1;
        zero(out, out.length);
        return DecodeStatus.ENGINE_FAULT;
    }

    /**
     * Windows of the same length at once on the active engine ({@link Engine#trials}), failing over within the call
     * when it faults: the next engine runs the whole batch again (trials leave the stream alone, so nothing else
     * needs to move).
     *
     * @return the engine's status; {@code INVALID_INPUT} for bad input (no engine is called; every output zeroed);
     *         {@code NOT_READY} before a load; {@code ENGINE_FAULT} only when no usable engine is left
     */
    @Override
    public int trials(float[][] windows, int bins, float[][] outs) {
        if (!loaded) {
            zeroAll(outs);
            return DecodeStatus.NOT_READY;
        }
        int steps = trialSteps(bins);
        boolean bad = windows == null || outs == null || outs.length < windows.length || bins < 1
                || bins > maxTrialBins() || steps <= 0;
        int shortestOut = Integer.MAX_VALUE;
        for (int i = 0; !bad && i < windows.length; i++) {
            float[] w = windows[i];
            bad = w == null || outs[i] == null || w.length < (long) bins * inputs
                    || outs[i].length < (long) steps * outputs;
            for (int k = 0; !bad && k < bins * inputs; k++) {
                bad = !io.reflex.decoders.Counts.valid(w[k]);
            }
            shortestOut = bad ? shortestOut : Math.min(shortestOut, outs[i].length);
        }
        if (bad) {
            zeroAll(outs);
            return DecodeStatus.INVALID_INPUT;
        }
        if (windows.length == 0) {
            return DecodeStatus.OK;
        }
        while (active >= 0) {
            Engine e = engines[active];
            int s;
            String why = null;
            try {
                EngineHealth h = e.health();
                if (!h.healthy()) {
                    s = DecodeStatus.ENGINE_FAULT;
                    why = "unhealthy: " + h.detail();
                } else if (!fitsTrial(e, bins, shortestOut)) {
                    // as in trial: a window beyond this engine's own bounds is bad input for it
                    zeroAll(outs);
                    return DecodeStatus.INVALID_INPUT;
                } else {
                    s = e.trials(windows, bins, outs);
                }
            } catch (RuntimeException ex) {
                s = DecodeStatus.ENGINE_FAULT;
                why = "trials threw " + ex;
            }
            if (s != DecodeStatus.ENGINE_FAULT) {
                served[active]++;
                lastServed = active;
                return s;
            }
            failActive(why != null ? why : faultReason(e, "trials"));
        }
        lastServed = -1;
        zeroAll(outs);
        return DecodeStatus.ENGINE_FAULT;
    }

    private static void zeroAll(float[][] outs) {
        if (outs != null) {
            for (float[] o : outs) {
                if (o != null) {
                    Arrays.fill(o, 0f);
                }
            }
        }
    }

    /** Whether a window of {@code bins} bins and {@code out} are within engine {@code e}'s own bounds. */
    private boolean fitsTrial(Engine e, int bins, float[] out) {
        return fitsTrial(e, bins, out.length);
    }

    private boolean fitsTrial(Engine e, int bins, int outLength) {
        int steps = e.trialSteps(bins);
        return bins >= 1 && bins <= e.maxTrialBins() && steps > 0 && outLength >= (long) steps * outputs;
    }

    /** Why an engine that returned ENGINE_FAULT failed: its own health detail when it says more than "ok". */
    private static String faultReason(Engine e, String call) {
        String detail;
        try {
            EngineHealth h = e.health();
            detail = h.healthy() ? null : h.detail();
        } catch (RuntimeException ex) {
            detail = "health() threw " + ex;
        }
        return detail != null ? detail : call + " returned engine_fault";
    }

    /** Saves the active engine's state into the back buffer; on success the buffers swap. */
    private void keepCheckpoint(Engine e) {
        int s;
        int bytes;
        try {
            bytes = e.checkpointBytes();
            s = bytes > 0 && bytes <= ckBack.length ? e.saveCheckpoint(ckBack) : DecodeStatus.NOT_READY;
        } catch (RuntimeException ex) {
            bytes = 0;
            s = DecodeStatus.ENGINE_FAULT;
        }
        if (s == DecodeStatus.OK) {
            byte[] t = ckFront;
            ckFront = ckBack;
            ckBack = t;
            ckBytes = bytes;
        } else {
            // the state has moved on: the previous checkpoint would replay an older bin
            ckBytes = 0;
            checkpointFailures++;
        }
    }

    /** Marks the active engine failed and moves to the next healthy usable engine, carrying the stream state over. */
    private void failActive(String why) {
        int from = active;
        usable[from] = false;
        faults[from]++;
        reasons[from] = "failed: " + why;
        lastFailoverReason = engines[from].name() + ": " + why;
        boolean bumpless = false;
        int to = -1;
        for (int i = from + 1; i < engines.length && to < 0; i++) {
            if (!usable[i]) {
                continue;
            }
            Engine next = engines[i];
            try {
                EngineHealth h = next.health();
                if (!h.healthy()) {
                    usable[i] = false;
                    faults[i]++;
                    reasons[i] = "failed: unhealthy at takeover: " + h.detail();
                    continue;
                }
                if (atReset) {
                    next.reset();
                    bumpless = true;
                } else if (ckBytes > 0 && next.checkpointBytes() == ckBytes) {
                    int r = next.restoreCheckpoint(ckFront);
                    if (r == DecodeStatus.ENGINE_FAULT) {
                        usable[i] = false;
                        faults[i]++;
                        reasons[i] = "failed: checkpoint restore returned engine_fault";
                        continue;
                    }
                    bumpless = r == DecodeStatus.OK;
                    if (!bumpless) {
                        next.reset();
                    }
                } else {
                    next.reset();
                }
            } catch (RuntimeException ex) {
                usable[i] = false;
                faults[i]++;
                reasons[i] = "failed: takeover threw " + ex;
                continue;
            }
            to = i;
        }
        active = to;
        if (to >= 0) {
            failovers++;
            if (!bumpless) {
                coldTakeovers++;
                atReset = true;
            }
            updateStandby();
            if (!standby) {
                ckBytes = 0;
            }
        }
        if (listener != null) {
            try {
                listener.onFailover(from, to, why, bumpless);
            } catch (RuntimeException ignored) {
                // a listener must not throw; if it does, the failover has happened all the same
            }
        }
    }

    /**
     * Starts a new stream. Only the active engine is reset: a standby engine's own stream state never matters,
     * because a takeover either resets it (at the start of a stream) or restores the checkpoint into it. A failed
     * engine stays failed (only {@link #load} revives engines); if the active engine's reset throws, it is marked
     * failed and the next usable engine takes over from its reset state.
     */
    @Override
    public void reset() {
        atReset = true;
        ckBytes = 0;
        if (active < 0) {
            return;
        }
        try {
            engines[active].reset();
        } catch (RuntimeException ex) {
            failActive("reset threw " + ex);
        }
    }

    /** The active engine's checkpoint size (0 when none is usable). */
    @Override
    public int checkpointBytes() {
        return active < 0 ? 0 : engines[active].checkpointBytes();
    }

    /** Saves the active engine's stream state. */
    @Override
    public int saveCheckpoint(byte[] dst) {
        return active < 0 ? DecodeStatus.NOT_READY : engines[active].saveCheckpoint(dst);
    }

    /** Restores a stream state into the active engine (and keeps it as the chain's checkpoint). */
    @Override
    public int restoreCheckpoint(byte[] src) {
        if (active < 0) {
            return DecodeStatus.NOT_READY;
        }
        int s = engines[active].restoreCheckpoint(src);
        if (s == DecodeStatus.OK) {
            atReset = false;
            ckBytes = 0;
            if (standby) {
                keepCheckpoint(engines[active]);
            }
        }
        return s;
    }

    /** Device cycles of the engine that answered the last call, or -1. */
    @Override
    public long lastCallCycles() {
        return lastServed < 0 ? -1 : engines[lastServed].lastCallCycles();
    }

    @Override
    public EngineHealth health() {
        if (!loaded) {
            return EngineHealth.NOT_LOADED;
        }
        long total = 0;
        for (long f : faults) {
            total += f;
        }
        if (active < 0) {
            return new EngineHealth(false, "no usable engine left: " + lastFailoverReason, total);
        }
        EngineHealth h = engines[active].health();
        if (total == 0) {
            return h;
        }
        if (h != healthOf || total != healthFaults) {
            healthOf = h;
            healthFaults = total;
            health = new EngineHealth(h.healthy(), h.detail(), total + h.faults());
        }
        return health;
    }

    /** Closes every engine (never throws); the chain is unusable afterwards. */
    @Override
    public void close() {
        for (Engine e : engines) {
            try {
                e.close();
            } catch (RuntimeException ignored) {
                // close never throws by contract; a broken engine must not stop the others from closing
            }
        }
        active = -1;
        loaded = false;
        Arrays.fill(usable, false);
        Arrays.fill(reasons, "closed");
    }
}
