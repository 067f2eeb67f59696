package io.reflex.runtime.session;

import io.reflex.decoders.CalibrationSet;
import io.reflex.decoders.Decoder;
import io.reflex.decoders.TrainableDecoder;
import io.reflex.decoders.engine.EngineDecoder;
import io.reflex.runtime.agent.ErrorHandler;
import io.reflex.runtime.agent.RateLimitedErrorHandler;
import io.reflex.runtime.check.ConfigException;
import io.reflex.runtime.config.DecoderCatalog;
import io.reflex.runtime.config.ReflexConfig;
import io.reflex.runtime.config.SavedDecoder;
import io.reflex.runtime.journal.FreeSpaceGuard;
import io.reflex.runtime.journal.Journal;
import io.reflex.runtime.journal.JournalFaults;
import io.reflex.runtime.journal.JournalFormat;
import io.reflex.runtime.pipeline.FrameHandler;
import io.reflex.runtime.pipeline.OutputSink;
import io.reflex.runtime.pipeline.Pipeline;
import io.reflex.runtime.pipeline.SampleSource;
import io.reflex.runtime.pipeline.Topology;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

/**
 * One run of the closed loop, as the demo and the daemon drive it: start the pipeline with no decoder (safe
 * output), record a calibration block of features and true velocity, fit the live decoder and the comparison
 * decoders on it, install the live decoder, decode live until the configured time or {@link #requestStop()},
 * then drain and close (the journal holds every frame). Comparison decoders run on the same live frames in an
 * observer, off the critical path.
 */
public final class ClosedLoopSession {
    /** Receives progress on the thread that called {@link #run()}. */
    public interface Listener {
        /** A phase began: {@code calibration}, {@code fit}, {@code live}, {@code drain}. */
        default void onPhase(String phase, String detail) {
        }

        /** Called about every {@link Context#tickMs(long)} during calibration and live decoding. */
        default void onTick(Progress progress) {
        }

        /** Something the operator should see when it happens, e.g. an engine failover. */
        default void onNotice(String message) {
        }
    }

    /** A progress snapshot. */
    public static final class Progress {
        public String phase;
        public double phaseElapsedS;
        /** Planned phase length, s; 0 for an open-ended live phase. */
        public double phaseSeconds;
        public long frames;
        public long dropped;
        public long deadlineMisses;
        public int calibrationFrames;
        public int calibrationTarget;
        /** Running mean velocity R² of the live decoder (NaN before enough live frames). */
        public double liveR2 = Double.NaN;
        /** Safe outputs of this phase (as {@link #frames}). */
        public long safeOutputs;
        /** Since the pipeline started, whatever the phase: monotonic, for metrics. */
        public long totalFrames;
        public long totalDropped;
        public long totalDeadlineMisses;
        public long totalSafeOutputs;
        /** The live decoder's name (null before the live phase). */
        public String decoder;
        /** The active engine of a model decoder, {@code none} when every engine failed; null for other decoders. */
        public String engine;
        /** Engine failovers so far (0 for decoders without engines). */
        public long failovers;
        /**
         * The pipeline's latency tracks (reset when live decoding begins). Recording is wait-free on the pipeline's
         * threads, so any thread may take {@link io.reflex.runtime.pipeline.LatencyStats#snapshot}s without slowing
         * them; a snapshot copies histograms, so readers should take them sparingly.
         */
        public io.reflex.runtime.pipeline.LatencyStats latency;
    }

    /** Errors of one kind (agent or stage, exception class) shown one by one before summaries take over. */
    public static final int ERRORS_SHOWN_PER_KIND = 10;
    /** At most one summary line per kind of error per this interval. */
    public static final long ERROR_SUMMARY_INTERVAL_NS = 10_000_000_000L;

    private final Context ctx;
    private final CountDownLatch stop = new CountDownLatch(1);
    private volatile boolean stopRequested;
    /** The run's journal faults: the context's, or the session's own. */
    private final JournalFaults faults;
    /** The lab's other LSL streams (kinematics, decoded outlet, outages) of the run in progress. */
    private LabStreams lab;
    /** The {@code decoder.file} the live decoder was loaded from, or null when it is fitted on calibration. */
    private String loaded;
    /** The pipeline while the live phase runs (swaps go to it), else null. */
    private volatile Pipeline livePipeline;
    /** The decoder in the live phase now (the first, or the last swapped in). */
    private volatile Decoder current;
    /** Decoders swapped out: the decode thread may still hold one until its next frame; closed at the end. */
    private final List<Decoder> retired = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Model decoders swapped out and closed right after the hand-over (their engines freed); under swapLock. */
    private final java.util.Set<Decoder> closedEarly =
            java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    /** The decoder generation of {@link #current}. */
    private volatile int currentGeneration;
    /** The run's validated config, while it runs. */
    private volatile ReflexConfig runConfig;
    /** The calibration block the run fitted on, kept for fitting decoders swapped in; null without one. */
    private volatile CalibrationSet calibration;
    /** The engine side of every decoder generation on an engine chain, while the run's pipeline exists. */
    private volatile EngineRuns engineRuns;
    /** Swaps done; one at a time. */
    private int swaps;
    private final Object swapLock = new Object();
    /** Control actions waiting for the journal's thread (which writes them after its next frame). */
    private final java.util.concurrent.ArrayBlockingQueue<io.reflex.runtime.journal.Journal.Marker> controlFeed =
            new java.util.concurrent.ArrayBlockingQueue<>(256);
    private final java.util.concurrent.atomic.AtomicLong controlNotQueued = new java.util.concurrent.atomic.AtomicLong();

    /**
     * Journals a control action (who, what, outcome) in the run's data journal, as a marker record whose text starts
     * with {@code Journal.CONTROL_PREFIX}, timed on the session's clock; from any thread, never blocking. Returns
     * false when it could not be queued (256 waiting: the journal's thread is behind) — counted in the report.
     */
    public boolean journalControlAction(String who, String what, String outcome) {
        String text = io.reflex.runtime.journal.Journal.CONTROL_PREFIX + clean(who) + "\t" + clean(what) + "\t"
                + clean(outcome);
        boolean queued = controlFeed.offer(new io.reflex.runtime.journal.Journal.Marker(ctx.clock.nanoTime() * 1e-9,
                text));
        if (!queued) {
            controlNotQueued.incrementAndGet();
        }
        return queued;
    }

    private static String clean(String s) {
        return s == null ? "" : s.replace('\t', ' ').replace('\n', ' ');
    }

    /** The journal directory name of a run started now: {@code run-<yyyyMMdd-HHmmss>-<pid>}. */
    public static String defaultRunName() {
        return "run-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-"
                + ProcessHandle.current().pid();
    }

    /** Decode calls a decoder is warmed with before it is swapped in, so that its first live bins run compiled. */
    static final int SWAP_WARMUP_CALLS = 20_000;
    /** The most time a decoder is warmed for before it is swapped in, ms (a model on a slow engine stops sooner). */
    static final long SWAP_WARMUP_MS = 1_000;

    public ClosedLoopSession(Context ctx) {
        if (ctx.config == null) {
            throw new IllegalArgumentException("a session needs a config");
        }
        this.ctx = ctx;
        this.faults = ctx.journalFaults != null ? ctx.journalFaults : new JournalFaults();
        // A journal fault ends the run at once (the live phase wakes up); it is reported as failed.
        faults.listener((journal, reason) -> stop.countDown());
    }

    /** Ends the current phase early and closes the run cleanly; callable from any thread (e.g. a signal hook). */
    public void requestStop() {
        stopRequested = true;
        stop.countDown();
    }

    /**
     * Runs calibration, fit and live decoding.
     *
     * @throws ConfigException when the config, source, decoder or journal directory is refused at start
     */
    public SessionReport run() throws InterruptedException {
        ReflexConfig cfg = ctx.config.validate();
        NanoClock clock = ctx.clock;
        FreeSpaceGuard guard = ctx.spaceGuard != null ? ctx.spaceGuard
                : new FreeSpaceGuard(cfg.journalReserveBytes(), SystemNanoClock.INSTANCE);
        SampleSource source = null;
        try {
            source = ctx.source != null ? ctx.source : Sources.create(cfg, clock);
            return run(cfg, source, guard);
        } finally {
            if (ctx.source == null && source != null) {
                source.close();
            }
            if (ctx.spaceGuard == null) {
                guard.close();
            }
        }
    }

    /**
     * Swaps the live decoder between two bins, from any thread but the pipeline's: {@code next} (fitted, of the
     * session's input and output counts: a Kalman or Wiener decoder, e.g. read from a decoder file, or a fitted model
     * decoder on an engine chain, which the session then owns) is first warmed on this thread (up to
     * {@value #SWAP_WARMUP_CALLS} decodes of zero features, at most {@value #SWAP_WARMUP_MS} ms, then reset), then
     * handed to the decode stage, which takes it up at the start of its next frame: no frame is dropped or decoded by
     * half of each, and the frames after it carry the next decoder generation (journaled). A Kalman or Wiener decoder
     * swapped out is closed when the run ends; a model decoder swapped out is closed right after the hand-over, so
     * that its engines (a card, a simulation) are free again. Waits until the decode stage has taken it up.
     *
     * @return the decoder generation that {@code next} runs as
     * @throws IllegalStateException    when the session is not in its live phase, or the decode stage did not take
     *                                  the decoder up within {@code timeoutMs} (the pipeline is stalled or stopping;
     *                                  the hand-over is then withdrawn and the decoder before it stays live)
     * @throws IllegalArgumentException when {@code next} does not fit the session (inputs, outputs) or is not fitted
     */
    public int swapDecoder(Decoder next, long timeoutMs) throws InterruptedException {
        synchronized (swapLock) {
            requireLive();
            return swapIn(next, timeoutMs);
        }
    }

    /**
     * Builds a decoder by name on the run's own engine chain ({@code decoder.engines} with their
     * {@code decoder.engineOptions}; the fault drill of {@code decoder.injectFault} is not repeated), fits it on the
     * run's calibration block and swaps it in as {@link #swapDecoder} does: {@code lfads} (option {@code model}: a
     * shipped model or a bundle path, default the one for the source), {@code snn}, or a Kalman or Wiener decoder
     * fitted on the same block. The decoder live until then keeps decoding while the new one is built, fitted and
     * warmed; an engine that cannot open a second model at once (one card) is passed over by the new decoder's chain
     * as at start (a notice names why), and when no engine of the chain can run it the swap is refused.
     *
     * @param decoderName {@code lfads}, {@code snn}, {@code kalman} or {@code wiener}
     * @param options     the decoder's options (as {@code decoder.options}); null for none
     * @return the decoder generation it runs as
     * @throws IllegalStateException    when the session is not live, has no calibration block (it loaded its decoder
     *                                  from {@code decoder.file}), or the decode stage did not take it up in time
     * @throws IllegalArgumentException when the name or an option is refused, no engine can run the model, or the
     *                                  fit fails
     */
    public int swapModel(String decoderName, Map<String, String> options, long timeoutMs)
            throws InterruptedException {
        synchronized (swapLock) {
            requireLive();
            ReflexConfig cfg = runConfig;
            if (decoderName == null || !DecoderCatalog.names().contains(decoderName)) {
                throw new IllegalArgumentException("decoder \"" + decoderName + "\" is not one of "
                        + DecoderCatalog.names());
            }
            CalibrationSet set = calibration;
            if (set == null) {
                throw new IllegalStateException("this run has no calibration block to fit " + decoderName + " on: it "
                        + (loaded != null ? "loaded its decoder from decoder.file " + loaded + " and did not calibrate"
                        : "did not calibrate") + "; swap in a decoder file instead, or start a run that calibrates");
            }
            Decoder next = DecoderCatalog.create("options", decoderName, set.channels(), set.outputs(),
                    DecoderCatalog.options(decoderName, options, cfg.source.type),
                    DecoderCatalog.engines(decoderName, cfg.decoder.engines, cfg.decoder.engineOptions));
            try {
                try {
                    ((TrainableDecoder) next).fit(set);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("fitting " + next.name() + " on the run's calibration block of "
                            + set.size() + " bins failed: " + e.getMessage(), e);
                }
                String mismatch = populationMismatch(cfg, next);
                if (mismatch != null) {
                    ctx.listener.onNotice(mismatch);
                }
                if (next instanceof EngineDecoder ed && ed.chain().activeIndex() != 0) {
                    io.reflex.decoders.engine.EngineStatus first = ed.chain().statuses().get(0);
                    ctx.listener.onNotice("decoder " + next.name() + " to swap in: engine " + first.name()
                            + " cannot run it (" + first.reason() + "); it runs on "
                            + (ed.chain().activeIndex() < 0 ? "no engine"
                            : ed.chain().engine(ed.chain().activeIndex()).name()));
                }
                return swapIn(next, timeoutMs);
            } catch (RuntimeException | InterruptedException e) {
                if (!closedEarly.contains(next) && current != next && next instanceof AutoCloseable c) {
                    DecoderCatalog.closeQuietly(c);
                }
                throw e;
            }
        }
    }

    /** The engine of the decoder live now ({@code cpu} for Kalman and Wiener, {@code none} when every engine failed). */
    public String liveEngine() {
        Decoder d = current;
        if (d instanceof EngineDecoder ed) {
            int a = ed.chain().activeIndex();
            return a < 0 ? "none" : ed.chain().engine(a).name();
        }
        return "cpu";
    }

    /** The model bundle's name of the decoder live now when it runs on an engine chain, else null. */
    public String liveModel() {
        return current instanceof EngineDecoder ed ? ed.bundle().name() : null;
    }

    private void requireLive() {
        if (livePipeline == null || stopRequested) {
            throw new IllegalStateException("no live phase to swap the decoder in: the session is "
                    + (stopRequested ? "stopping" : "not live yet"));
        }
    }

    /** The hand-over of {@link #swapDecoder}; the caller holds swapLock and has checked the live phase. */
    private int swapIn(Decoder next, long timeoutMs) throws InterruptedException {
        Pipeline p = livePipeline;
        Decoder now = current;
        if (next.inputCount() != now.inputCount() || next.outputCount() != now.outputCount()) {
            throw new IllegalArgumentException("decoder " + next.name() + " maps " + next.inputCount()
                    + " inputs to " + next.outputCount() + " outputs; the session decodes " + now.inputCount()
                    + " channels to " + now.outputCount() + " outputs");
        }
        if (next instanceof TrainableDecoder t && !t.fitted()) {
            throw new IllegalArgumentException("decoder " + next.name() + " is not fitted");
        }
        if (next == now || closedEarly.contains(next) || retired.contains(next)) {
            throw new IllegalArgumentException("decoder " + next.name() + " ran in this session already; swap in"
                    + " a new one");
        }
        EngineRuns runs = engineRuns;
        // before the warm-up: a failover while warming is told too
        EngineRun run = next instanceof EngineDecoder ed ? new EngineRun(ed) : null;
        warm(next);
        int before = p.decoderGeneration();
        int generation = before + 1;
        if (run != null) {
            // before the hand-over: the observers must find the run of the first frame of its generation
            runs.add(generation, run);
        }
        p.installDecoder(next);
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        boolean interrupted = false;
        while (p.decoderGeneration() == before) {
            boolean late = System.nanoTime() - deadline > 0;
            if (late || interrupted) {
                if (p.withdrawDecoder(next)) {
                    if (run != null) {
                        runs.remove(generation);
                    }
                    if (interrupted) {
                        throw new InterruptedException("interrupted while the decode stage had not taken the new"
                                + " decoder up; the swap was withdrawn and " + now.name() + " stays live");
                    }
                    throw new IllegalStateException("the decode stage did not take the new decoder up within "
                            + timeoutMs + " ms (no frame came: the source is silent or the pipeline stalled); the"
                            + " swap was withdrawn and " + now.name() + " stays live");
                }
                break; // taken up just now: the swap is done, its bookkeeping too
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (now instanceof EngineDecoder old) {
            // the decode stage holds the new decoder now and never touches the old one again: free its engines
            EngineRun oldRun = runs.get(before);
            if (oldRun != null) {
                oldRun.retire();
            }
            DecoderCatalog.closeQuietly(old);
            closedEarly.add(old);
        } else {
            retired.add(now);
        }
        current = next;
        currentGeneration = generation;
        swaps++;
        ctx.listener.onNotice("decoder swapped: " + now.name() + " -> " + next.name()
                + (next instanceof EngineDecoder ed ? " (" + ed.bundle().name() + ")" : "") + " (generation "
                + generation + ")");
        return generation;
    }

    /**
     * Runs the decoder to be swapped in on zero features so that its first live bins run compiled, then resets it;
     * bounded in time too, for slow engines.
     */
    private static void warm(Decoder next) {
        float[] zeros = new float[next.inputCount()];
        float[] out = new float[next.outputCount()];
        long end = System.nanoTime() + SWAP_WARMUP_MS * 1_000_000L;
        for (int i = 0; i < SWAP_WARMUP_CALLS; i++) {
            next.decode(zeros, out);
            if ((i & 63) == 63 && System.nanoTime() - end > 0) {
                break;
            }
        }
        next.reset();
    }

    /** Decoder swaps done so far. */
    public int decoderSwaps() {
        synchronized (swapLock) {
            return swaps;
        }
    }

    /** The run's journal faults (the context's, or the session's own). */
    public JournalFaults journalFaults() {
        return faults;
    }

    private SessionReport run(ReflexConfig cfg, SampleSource source, FreeSpaceGuard guard)
            throws InterruptedException {
        try (LabStreams streams = LabStreams.open(cfg, source, ctx.kinematics)) {
            lab = streams;
            return runWithLab(cfg, source, guard);
        }
    }

    private SessionReport runWithLab(ReflexConfig cfg, SampleSource source, FreeSpaceGuard guard)
            throws InterruptedException {
        // the decoders' inputs: the channels, or with a broadband front end its features
        int channels = cfg.featureCount();
        DecodeTargets targets = DecodeTargets.of(lab.referenceNames(source));
        int outputs = targets == null ? 2 : targets.count();
        io.reflex.decoders.file.DecoderFile.Contents saved = cfg.decoder.file == null ? null
                : SavedDecoder.load(cfg);
        if (saved != null && saved.outputs() != outputs) {
            throw new ConfigException("decoder.file", "decoder file " + cfg.decoder.file + " decodes " + saved.outputs()
                    + " outputs but the session's targets are " + (targets == null ? "2 (velocity)" : targets.names()));
        }
        Decoder live = saved != null ? SavedDecoder.decoder(saved, cfg)
                : DecoderCatalog.create("decoder.name", cfg.decoder.name, channels, outputs,
                DecoderCatalog.options(cfg.decoder.name, cfg.decoder.options, cfg.source.type),
                DecoderCatalog.engines(cfg.decoder));
        loaded = saved == null ? null : cfg.decoder.file;
        List<Decoder> compare = new ArrayList<>();
        try {
            for (int i = 0; i < cfg.decoder.compare.size(); i++) {
                String name = cfg.decoder.compare.get(i);
                compare.add(DecoderCatalog.create("decoder.compare[" + i + "]", name, channels, outputs,
                        DecoderCatalog.options(name, Map.of(), cfg.source.type), List.of()));
            }
            return run(cfg, source, live, compare, targets, outputs, guard);
        } finally {
            livePipeline = null;
            synchronized (swapLock) {
                closeAll(closedEarly.contains(live) ? null : live, compare);
                for (Decoder d : retired) {
                    if (d != live && d instanceof AutoCloseable c) {
                        DecoderCatalog.closeQuietly(c);
                    }
                }
                if (current != live && current instanceof AutoCloseable c) {
                    DecoderCatalog.closeQuietly(c);
                }
                calibration = null;
                runConfig = null;
                engineRuns = null;
            }
        }
    }

    /** Closes the decoders (null for none). */
    private static void closeAll(Decoder live, List<Decoder> compare) {
        if (live instanceof AutoCloseable c) {
            DecoderCatalog.closeQuietly(c);
        }
        for (Decoder d : compare) {
            if (d instanceof AutoCloseable c) {
                DecoderCatalog.closeQuietly(c);
            }
        }
    }

    /**
     * The run in its phases: assembled (journal, outlets, observers, pipeline), then calibration, fit and live
     * decoding, then the drain that every run ends with.
     */
    private SessionReport run(ReflexConfig cfg, SampleSource source, Decoder live, List<Decoder> compare,
                              DecodeTargets targets, int outputs, FreeSpaceGuard guard) throws InterruptedException {
        if (ctx.counters != null) {
            ctx.counters.runStarted();
        }
        SessionRun r = assemble(cfg, source, live, compare, targets, outputs, guard);
        PhaseEnv env = new PhaseEnv(ctx.listener, lab, faults, ctx.tickMs, () -> stopRequested, stop, ctx.counters);
        try {
            r.pipeline.start();
            if (CalibratePhase.run(r, env)) {
                FitPhase.run(r, env);
                // kept for decoders swapped in during the live phase (the recorder adds nothing once it is full)
                calibration = r.set;
                LivePhase.run(r, env, new SwapState());
            }
            return DrainPhase.run(r, env, () -> controlNotQueued.get() + controlFeed.size());
        } catch (RuntimeException | InterruptedException e) {
            r.closeAfterError();
            throw e;
        }
    }

    /**
     * Everything a run needs before its pipeline starts: the calibration block when a decoder must be fitted, the
     * journal, the lab's outlet, the observers (calibration, scoring, engines, golden check, the caller's) and the
     * pipeline itself, which has not started. What it opened is closed again when it throws.
     */
    private SessionRun assemble(ReflexConfig cfg, SampleSource source, Decoder live, List<Decoder> compare,
                                DecodeTargets targets, int outputs, FreeSpaceGuard guard) {
        NanoClock clock = ctx.clock;
        int channels = cfg.source.channels;
        String mismatch = populationMismatch(cfg, live);
        if (mismatch != null) {
            ctx.listener.onNotice(mismatch);
        }
        boolean needsCalibration = loaded == null && live instanceof TrainableDecoder;
        for (Decoder d : compare) {
            needsCalibration |= d instanceof TrainableDecoder;
        }
        if (needsCalibration && targets == null) {
            throw new ConfigException("source", "source '" + source.name() + "' carries no reference to calibrate on"
                    + " (velocity vx, vy or Lorenz state lx, ly, lz); it carries " + source.referenceNames()
                    + ("lsl".equals(cfg.source.type) ? "; name the task's kinematics stream in source.lsl.kinematics"
                    + " (docs/lab-setup.md)" : ""));
        }
        double binS = cfg.pipeline.binWidthUs * 1e-6;
        int calibrationBins = needsCalibration ? Math.max(10, (int) Math.round(cfg.calibration.seconds / binS)) : 0;
        int features = cfg.featureCount();
        CalibrationSet set = needsCalibration ? new CalibrationSet(calibrationBins, features, outputs) : null;
        CalibrationRecorder recorder = new CalibrationRecorder(set, targets);
        Scorer scorer = new Scorer(compare, targets);

        Journal journal = null;
        if (cfg.journal.enabled) {
            String run = ctx.runName != null ? ctx.runName : defaultRunName();
            long samplesPerBin = Math.round(cfg.pipeline.binWidthUs * cfg.source.sampleRateHz / 1e6);
            long frameBytes = Math.max(cfg.journalFrameBytes(), Journal.frameBytes(channels, samplesPerBin,
                    source.referenceCount(), outputs, cfg.featureCount()));
            journal = Journal.open(Path.of(cfg.journal.dir).resolve(run), metadata(cfg, source.referenceNames(),
                    lab.pairs() && targets != null ? targets.names() : List.of()), frameBytes, guard, faults);
        }
        // A fault that repeats on every poll or frame is counted every time but shown only so often.
        RateLimitedErrorHandler errors = new RateLimitedErrorHandler(ctx.errorHandler, ERRORS_SHOWN_PER_KIND,
                ERROR_SUMMARY_INTERVAL_NS, System::nanoTime);
        Pipeline.Context pc = new Pipeline.Context().source(source).channels(channels).outputCount(outputs)
                .binWidthUs(cfg.pipeline.binWidthUs).ringSize(cfg.pipeline.ringSize)
                .deadlineUs(cfg.pipeline.deadlineUs).topology(Topology.byKey(cfg.pipeline.topology))
                .hotIdle(cfg.pipeline.hotIdle).idle(cfg.pipeline.idle)
                .realtimePriority(cfg.pipeline.realtimePriority).clock(clock).errorHandler(errors)
                .frontEnd(cfg.frontend == null ? null : cfg.frontend.toContext());
        if (ctx.counters != null) {
            pc.counters(ctx.counters.pipeline());
        }
        for (OutputSink s : ctx.sinks) {
            pc.sink(s);
        }
        OutputSink decodedOutlet;
        try {
            decodedOutlet = lab.openOutlet(cfg, targets == null ? List.of("out0", "out1") : targets.names());
        } catch (RuntimeException e) {
            if (journal != null) {
                journal.close();
            }
            throw e;
        }
        if (decodedOutlet != null) {
            pc.sink(decodedOutlet);
        }
        if (journal != null) {
            pc.observer("journal", journal);
            lab.journalMarkers(journal);
            journal.journalControl(controlFeed);
        }
        if (lab.pairs()) {
            // targets come from another stream: frames wait (copied) for their kinematics, off the critical path
            pc.observer("kinematics", lab.pairing(cfg, features, outputs, set != null ? recorder : null, scorer,
                    journal == null ? null : journal.pairedTargets(outputs)));
        } else {
            if (set != null) {
                pc.observer("calibration", recorder);
            }
            pc.observer("score", scorer);
        }
        // every run can swap a model decoder in: the engine observers follow the live decoder's generation
        EngineRuns engines = new EngineRuns();
        EngineRun initialRun = live instanceof EngineDecoder ed ? new EngineRun(ed) : null;
        pc.observer("engines", engines.monitor());
        pc.observer("golden", engines.golden());
        for (Map.Entry<String, FrameHandler> e : ctx.observers.entrySet()) {
            pc.observer(e.getKey(), e.getValue());
        }
        Pipeline pipeline;
        try {
            pipeline = new Pipeline(pc);
        } catch (RuntimeException e) {
            if (journal != null) {
                journal.close();
            }
            throw e;
        }
        SessionReport report = new SessionReport();
        report.decoder = live.name();
        report.targetKind = targets == null ? DecodeTargets.VELOCITY : targets.kind();
        report.channels = channels;
        report.binWidthUs = cfg.pipeline.binWidthUs;
        report.deadlineUs = cfg.pipeline.deadlineUs;
        report.topology = cfg.pipeline.topology;
        report.journal = journal == null ? null : journal.path();
        report.decoderLoaded = loaded;
        report.ending = "completed";
        return new SessionRun(cfg, source.name(), live, compare, targets, set, calibrationBins, recorder, scorer,
                journal, pipeline, errors, engines, initialRun, report);
    }

    /** The session's swap state as the live phase opens and closes it. */
    private final class SwapState implements LivePhase.Swaps {
        @Override
        public void open(Pipeline pipeline, Decoder live, int generation, ReflexConfig cfg, EngineRuns engines) {
            current = live;
            currentGeneration = generation;
            runConfig = cfg;
            engineRuns = engines;
            livePipeline = pipeline;
        }

        @Override
        public Decoder current() {
            return current;
        }

        @Override
        public int currentGeneration() {
            return currentGeneration;
        }

        @Override
        public int close(SessionReport report) {
            synchronized (swapLock) {
                livePipeline = null;
                report.decoderSwaps = swaps;
                report.decoderFinal = current.name();
                return currentGeneration;
            }
        }
    }

    /**
     * A model trained on a synthetic population (its manifest's {@code demo_data.source}) fits only that population:
     * the center-out source's neurons are drawn from its seed. Returns a warning when the session's synthetic source
     * is another population, else null.
     */
    static String populationMismatch(ReflexConfig cfg, Decoder live) {
        if (!(live instanceof EngineDecoder ed) || !"synthetic".equals(cfg.source.type)) {
            return null;
        }
        Map<String, Object> data = ed.bundle().section("demo_data");
        if (data == null || !(data.get("source") instanceof Map<?, ?> src)
                || !String.valueOf(src.get("generator")).endsWith("CenterOutSource")) {
            return null;
        }
        Object seed = src.get("seed");
        if (seed instanceof Number n && n.longValue() != cfg.source.seed) {
            return "model " + ed.bundle().name() + " was trained on the center-out population of seed " + n.longValue()
                    + "; source.seed " + cfg.source.seed + " draws other neurons, so expect a poor fit";
        }
        return null;
    }

    /**
     * The journal's run metadata: the config, the source's reference names (the frames' targets follow them) and the
     * names of the targets in paired-targets records (empty without a kinematics stream).
     */
    private static String metadata(ReflexConfig cfg, List<String> references, List<String> paired) {
        return "{\"format\":\"reflex-journal\",\"version\":" + JournalFormat.FORMAT_VERSION + ",\"references\":"
                + SavedDecoder.jsonStrings(references) + ",\"paired_targets\":" + SavedDecoder.jsonStrings(paired) + ",\"config\":"
                + cfg.toJson().replace("\n", "") + "}";
    }

    /** What a session needs; the config is required, everything else has a default. */
    public static final class Context {
        private ReflexConfig config;
        private NanoClock clock = SystemNanoClock.INSTANCE;
        private SampleSource source;
        private Listener listener = new Listener() {
        };
        private ErrorHandler errorHandler = ErrorHandler.stderr();
        private long tickMs = 500;
        private final List<OutputSink> sinks = new ArrayList<>();
        private final Map<String, FrameHandler> observers = new LinkedHashMap<>();
        private io.reflex.runtime.lsl.KinematicsInlet kinematics;
        private JournalFaults journalFaults;
        private FreeSpaceGuard spaceGuard;
        private String runName;
        private SessionCounters counters;

        /**
         * Counters another process can read while the run goes on (run, phase, heartbeat, the pipeline's counters),
         * the session sets its own at every progress tick and phase change, the pipeline counts in its own as it goes; shared by
         * the runs of one process (default: none).
         */
        public Context counters(SessionCounters counters) {
            this.counters = counters;
            return this;
        }

        /**
         * The name of the run's journal directory under {@code journal.dir} (default {@link #defaultRunName()});
         * a daemon that holds several runs gives each its own.
         */
        public Context runName(String runName) {
            if (runName == null || runName.isBlank() || runName.contains("/") || runName.contains("\\")
                    || runName.startsWith(".")) {
                throw new IllegalArgumentException("a run name is one plain directory name, was '" + runName + "'");
            }
            this.runName = runName;
            return this;
        }

        /**
         * The run's journal faults, shared with the stimulation journal (default: the session's own). A fault
         * reported there ends the run as failed.
         */
        public Context journalFaults(JournalFaults journalFaults) {
            this.journalFaults = journalFaults;
            return this;
        }

        /**
         * The free-space guard of the run's journals (default: the session's own, with the config's
         * {@code journal.reserveMiB}, closed when the run ends; a guard given here is the caller's to close).
         */
        public Context spaceGuard(FreeSpaceGuard spaceGuard) {
            this.spaceGuard = spaceGuard;
            return this;
        }

        public Context config(ReflexConfig config) {
            this.config = config;
            return this;
        }

        /** Overrides the source the config describes (e.g. an LSL inlet opened by the caller). */
        public Context source(SampleSource source) {
            this.source = source;
            return this;
        }

        public Context clock(NanoClock clock) {
            this.clock = clock;
            return this;
        }

        public Context listener(Listener listener) {
            this.listener = listener;
            return this;
        }

        public Context errorHandler(ErrorHandler errorHandler) {
            this.errorHandler = errorHandler;
            return this;
        }

        /** Progress period, ms (default 500). */
        public Context tickMs(long tickMs) {
            this.tickMs = tickMs;
            return this;
        }

        /** Adds an output sink (LSL outlet, stimulator) called by the emit stage. */
        public Context sink(OutputSink sink) {
            sinks.add(sink);
            return this;
        }

        /**
         * Overrides the kinematics stream {@code source.lsl.kinematics} describes (an inlet opened by the caller, who
         * closes it): the session calibrates and scores on it, paired with the bins by timestamp.
         */
        public Context kinematics(io.reflex.runtime.lsl.KinematicsInlet kinematics) {
            this.kinematics = kinematics;
            return this;
        }

        /** Adds an observer that sees every frame after emit, off the critical path. */
        public Context observer(String name, FrameHandler handler) {
            observers.put(name, handler);
            return this;
        }
    }
}
