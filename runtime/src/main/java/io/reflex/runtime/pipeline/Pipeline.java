package io.reflex.runtime.pipeline;

import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import io.reflex.decoders.Decoder;
import io.reflex.runtime.agent.Agents;
import io.reflex.runtime.agent.ErrorHandler;
import io.reflex.runtime.agent.IdleStrategies;
import io.reflex.runtime.agent.Realtime;
import io.reflex.runtime.check.Check;
import io.reflex.runtime.check.ConfigException;
import io.reflex.runtime.frontend.FrontEnd;
import io.reflex.runtime.pipeline.SampleSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

/**
 * The closed loop: a Disruptor ring of preallocated {@link Frame}s flowing ingest → features → decode → emit,
 * then to observers (journal, recorders) off the critical path. Each stage is an {@link Agent} polling its own
 * consumer sequence, so the same pipeline runs on threads ({@link #start()}) or is driven by a test
 * ({@link #startManual()}).
 *
 * <pre>{@code
 * try (Pipeline p = new Pipeline(new Pipeline.Context().source(src).channels(96).decoder(kalman))) {
 *     p.start();
 *     ...
 * }
 * }</pre>
 */
public final class Pipeline implements AutoCloseable {
    /** Latency track: acquisition timestamp of the bin's last sample to its ingest stamp. */
    public static final String TRACK_INGEST = "ingest";
    /** Latency track: ingest stamp to emit stamp, the end-to-end figure. */
    public static final String TRACK_INGEST_TO_EMIT = "ingest_to_emit";

    private final Context ctx;
    private final RingBuffer<Frame> ring;
    private final PipelineCounters counters;
    private final LatencyStats latency = new LatencyStats();
    private final IngestAgent ingest;
    private final DecodeStage decodeStage;
    private final FrontEnd frontEnd;
    private final List<StageAgent> stages = new ArrayList<>();
    private final List<StageAgent> observers = new ArrayList<>();
    private final List<AgentRunner> runners = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private Agent manual;
    private boolean closed;

    /** Builds the pipeline (validating the context) without starting anything. */
    public Pipeline(Context ctx) {
        ctx.conclude();
        this.ctx = ctx;
        if (ctx.counters != null) {
            counters = ctx.counters;
            counters.reset();
        } else {
            counters = new PipelineCounters();
        }
        // Every consumer is an EventPoller, which never waits on the ring's wait strategy, so the strategy is only
        // ever asked to signal. The default (BlockingWaitStrategy) takes a monitor and calls notifyAll on every
        // publish: cheap in a hot loop, but 4-5 µs of cold JVM runtime code per frame when frames are 20 ms apart
        // (docs/benchmarks.md). BusySpinWaitStrategy signals nothing.
        this.ring = RingBuffer.createSingleProducer(
                () -> new Frame(ctx.channels, ctx.samplesPerFrame, ctx.source.referenceCount(), ctx.outputCount,
                        ctx.featureCount),
                ctx.ringSize, new BusySpinWaitStrategy());
        for (int i = 0; i < ctx.ringSize; i++) {
            ring.get(i).clear();
        }
        int[] tracks = new int[Stage.COUNT];
        for (Stage s : Stage.ALL) {
            tracks[s.ordinal()] = latency.addTrack(s.key());
        }
        int endToEnd = latency.addTrack(TRACK_INGEST_TO_EMIT);
        ingest = new IngestAgent(ring, ctx.source, ctx.clock, counters, ctx.deadlineUs * 1_000L,
                ctx.samplesPerFrame);
        decodeStage = new DecodeStage(ctx.clock, counters, ctx.featureCount, ctx.outputCount, ctx.decoder);
        frontEnd = ctx.frontEnd == null ? null : new FrontEnd(ctx.frontEnd);
        FrameHandler[] handlers = {
            null,
            new FeatureStage(counters, ctx.source.referenceNames().indexOf(SampleSource.TRIAL_START), frontEnd),
            decodeStage,
            new EmitStage(ctx.clock, counters, ctx.sinks.toArray(new OutputSink[0]), ctx.errorHandler)
        };
        Sequence previous = null;
        for (int s = 1; s < Stage.COUNT; s++) {
            Stage stage = Stage.ALL[s];
            EventPoller<Frame> poller = previous == null ? ring.newPoller() : ring.newPoller(previous);
            StageAgent agent = new StageAgent(stage.key(), poller, handlers[s], stage, ctx.clock, latency,
                    stage == Stage.EMIT ? tracks : null, endToEnd, counters.stageErrors, ctx.errorHandler);
            stages.add(agent);
            previous = agent.sequence();
        }
        for (Map.Entry<String, FrameHandler> e : ctx.observers.entrySet()) {
            StageAgent agent = new StageAgent(e.getKey(), ring.newPoller(previous), e.getValue(), null, ctx.clock,
                    latency, new int[] {latency.addTrack(e.getKey())}, -1, counters.observerErrors,
                    ctx.errorHandler);
            observers.add(agent);
            ring.addGatingSequences(agent.sequence());
        }
        if (observers.isEmpty()) {
            ring.addGatingSequences(previous);
        }
    }

    /** Starts the threads of the configured topology. */
    public synchronized Pipeline start() {
        if (manual != null || !runners.isEmpty()) {
            throw new IllegalStateException("pipeline already started");
        }
        List<Agent> critical = new ArrayList<>();
        critical.add(ingest);
        critical.addAll(stages);
        List<CompletableFuture<String>> realtime = new ArrayList<>();
        switch (ctx.topology) {
            case SINGLE: {
                List<Agent> all = new ArrayList<>(critical);
                all.addAll(observers);
                launch(critical(Agents.composite("pipeline", all), realtime), ctx.hotIdle);
                break;
            }
            case FUSED:
                launch(critical(Agents.composite("pipeline", critical), realtime), ctx.hotIdle);
                launchObservers();
                break;
            case PER_STAGE:
                launch(critical(ingest, realtime), ctx.hotIdle);
                for (StageAgent s : stages) {
                    launch(critical(s, realtime), ctx.idle);
                }
                launchObservers();
                break;
            default:
                throw new IllegalStateException("topology " + ctx.topology);
        }
        for (CompletableFuture<String> r : realtime) {
            String refused;
            try {
                refused = r.get(Agents.CLOSE_WAIT_MS, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                refused = "a critical thread did not start within " + Agents.CLOSE_WAIT_MS + " ms: " + e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                refused = "interrupted while the critical threads started";
            }
            if (refused != null) {
                close();
                throw new ConfigException("pipeline.realtimePriority", ctx.realtimePriority + " refused: " + refused);
            }
        }
        return this;
    }

    /** A critical-path agent: under SCHED_FIFO from its first step when the context asks for a real-time priority. */
    private Agent critical(Agent agent, List<CompletableFuture<String>> started) {
        if (ctx.realtimePriority == 0) {
            return agent;
        }
        CompletableFuture<String> done = new CompletableFuture<>();
        started.add(done);
        return new RealtimeAgent(agent, ctx.realtimePriority, done);
    }

    /**
     * Puts its thread under {@code SCHED_FIFO} before the agent's own {@code onStart()}; when the kernel refuses, the
     * agent never starts and {@link #start()} closes the pipeline with the reason. Once the policy is set, the agent
     * starts and closes as it would without this wrapper (a failing {@code onStart()} is still closed).
     */
    private static final class RealtimeAgent implements Agent {
        private final Agent agent;
        private final int priority;
        private final CompletableFuture<String> done;
        private boolean started;

        RealtimeAgent(Agent agent, int priority, CompletableFuture<String> done) {
            this.agent = agent;
            this.priority = priority;
            this.done = done;
        }

        @Override
        public void onStart() {
            try {
                Realtime.fifo(priority);
            } catch (RuntimeException e) {
                done.complete(e.getMessage());
                throw e;
            }
            // the policy is set: from here on the agent's own start and its faults are reported as without one
            done.complete(null);
            started = true;
            agent.onStart();
        }

        @Override
        public int doWork() throws Exception {
            return agent.doWork();
        }

        @Override
        public void onClose() {
            if (started) {
                agent.onClose();
            }
        }

        @Override
        public String roleName() {
            return agent.roleName();
        }
    }

    private void launchObservers() {
        if (!observers.isEmpty()) {
            launch(Agents.composite("monitor", observers), ctx.idle);
        }
    }

    private void launch(Agent agent, String idle) {
        AgentRunner runner = Agents.runner(agent, IdleStrategies.byName(idle), ctx.errorHandler);
        runners.add(runner);
        threads.add(Agents.startOnThread(runner));
    }

    /**
     * For tests and benchmarks: starts no thread and returns one agent that runs every stage once per
     * {@code doWork()} on the caller's thread.
     */
    public synchronized Agent startManual() {
        if (manual != null || !runners.isEmpty()) {
            throw new IllegalStateException("pipeline already started");
        }
        List<Agent> all = new ArrayList<>();
        all.add(ingest);
        all.addAll(stages);
        all.addAll(observers);
        manual = Agents.composite("pipeline", all);
        manual.onStart();
        return manual;
    }

    /** The ingest agent alone, so a test can drive it without the stages behind it. */
    Agent ingestAgent() {
        return ingest;
    }

    /** Hands a new decoder to the decode stage, which takes it up at its next frame. */
    public void installDecoder(Decoder decoder) {
        decodeStage.install(decoder);
    }

    /**
     * Takes back a decoder handed over with {@link #installDecoder} that the decode stage has not taken up yet.
     *
     * @return true when it was withdrawn (it never decodes), false when the decode stage had taken it up already or
     *         another decoder was handed over after it
     */
    public boolean withdrawDecoder(Decoder decoder) {
        return decodeStage.withdraw(decoder);
    }

    /** How many decoders the decode stage has taken up (0 before the first). */
    public int decoderGeneration() {
        return decodeStage.installedGeneration();
    }

    /**
     * The broadband front end of the features stage, or null without one. Owned by the features stage: read its
     * report accessors once the pipeline has drained (after {@link #close()}).
     */
    public FrontEnd frontEnd() {
        return frontEnd;
    }

    public PipelineCounters counters() {
        return counters;
    }

    /**
     * Latency tracks: one per {@link Stage}, {@link #TRACK_INGEST_TO_EMIT}, and one per observer (lag behind emit).
     * A frame's stage and end-to-end latencies are recorded together by the emit stage once its sinks have the
     * output (off the critical path), so a frame still in flight is in none of them yet.
     */
    public LatencyStats latency() {
        return latency;
    }

    /** The concluded context. */
    public Context context() {
        return ctx;
    }

    /** The pipeline's threads (empty until {@link #start()}), e.g. to read their allocated bytes. */
    public List<Thread> threads() {
        return new ArrayList<>(threads);
    }

    /** The last exception the source threw when ingest polled it (also counted in sourceErrors), or null. */
    public RuntimeException lastSourceError() {
        return ingest.lastSourceError();
    }

    /** True once ingest has stopped (the source ended or {@link #close()} began). */
    public boolean ingestStopped() {
        return ingest.isStopped();
    }

    /** True when every stage and observer has processed every published frame. */
    public boolean drained() {
        long cursor = ring.getCursor();
        for (StageAgent s : stages) {
            if (s.sequence().get() < cursor) {
                return false;
            }
        }
        for (StageAgent s : observers) {
            if (s.sequence().get() < cursor) {
                return false;
            }
        }
        return true;
    }

    /**
     * Stops ingest, lets every published frame through every stage and observer (so the journal holds all of
     * them), then stops the threads and closes the handlers. Waits at most the context's drain timeout.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        ingest.requestStop();
        if (manual != null) {
            try {
                do {
                    manual.doWork();
                } while (!ingest.isStopped() || !drained());
            } catch (Exception e) {
                ctx.errorHandler.onError("pipeline close", e);
            }
            manual.onClose();
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ctx.drainTimeoutMs);
        while ((!ingest.isStopped() || !drained()) && !runners.isEmpty() && System.nanoTime() < deadline) {
            LockSupport.parkNanos(100_000);
        }
        for (AgentRunner r : runners) {
            Agents.close(r, ctx.errorHandler);
        }
    }

    /**
     * Everything a pipeline needs, with defaults in one place. {@link #conclude()} validates every value, naming
     * the field and what is allowed, and derives the samples per frame from the bin width and the source rate.
     */
    public static final class Context {
        private SampleSource source;
        private int channels = -1;
        private int outputCount = 2;
        private long binWidthUs = 20_000;
        private int ringSize = 1024;
        private long deadlineUs = 5_000;
        private Topology topology = Topology.FUSED;
        private String hotIdle = "backoff";
        private int realtimePriority;
        private String idle = "park";
        private long drainTimeoutMs = 5_000;
        private NanoClock clock = SystemNanoClock.INSTANCE;
        private Decoder decoder;
        private final List<OutputSink> sinks = new ArrayList<>();
        private final Map<String, FrameHandler> observers = new LinkedHashMap<>();
        private ErrorHandler errorHandler = ErrorHandler.stderr();
        private PipelineCounters counters;
        private int availableProcessors = Runtime.getRuntime().availableProcessors();
        private FrontEnd.Context frontEnd;
        private int featureCount;
        private int samplesPerFrame;
        private boolean concluded;

        /** The sample source (required); its channel count must equal {@link #channels(int)}. */
        public Context source(SampleSource source) {
            this.source = source;
            return this;
        }

        /** Configured channel count (required); a source with another count is refused. */
        public Context channels(int channels) {
            this.channels = channels;
            return this;
        }

        /** Decoder outputs per frame (default 2: velocity x, y). */
        public Context outputCount(int outputCount) {
            this.outputCount = outputCount;
            return this;
        }

        /** Bin width in µs (default 20 000); must hold a whole number of source samples. */
        public Context binWidthUs(long binWidthUs) {
            this.binWidthUs = binWidthUs;
            return this;
        }

        /** Ring slots, a power of two (default 1024). */
        public Context ringSize(int ringSize) {
            this.ringSize = ringSize;
            return this;
        }

        /** Per-frame deadline from ingest to emit, µs (default 5 000). */
        public Context deadlineUs(long deadlineUs) {
            this.deadlineUs = deadlineUs;
            return this;
        }

        /** Thread layout (default {@link Topology#FUSED}). */
        public Context topology(Topology topology) {
            this.topology = topology;
            return this;
        }

        /** Idle strategy of the thread that runs ingest (default {@code backoff}); see {@link IdleStrategies}. */
        public Context hotIdle(String hotIdle) {
            this.hotIdle = hotIdle;
            return this;
        }

        /**
         * {@code SCHED_FIFO} priority of the critical-path threads (ingest, features, decode, emit; not the observers),
         * 1..{@value Realtime#MAX_PRIORITY}; 0 (the default): the normal scheduler. Only with idle strategies that
         * sleep ({@code backoff}, {@code park}) on those threads: a real-time thread that spins or yields would keep
         * its core from every normal thread. When the kernel refuses it, {@link #start()} closes the pipeline and
         * throws a {@link ConfigException} with the kernel's reason.
         */
        public Context realtimePriority(int realtimePriority) {
            this.realtimePriority = realtimePriority;
            return this;
        }

        /** Idle strategy of every other thread (default {@code park}). */
        public Context idle(String idle) {
            this.idle = idle;
            return this;
        }

        /** How long {@link Pipeline#close()} waits for in-flight frames, ms (default 5 000). */
        public Context drainTimeoutMs(long drainTimeoutMs) {
            this.drainTimeoutMs = drainTimeoutMs;
            return this;
        }

        /** Time source for stamps and deadlines (default {@link SystemNanoClock#INSTANCE}). */
        public Context clock(NanoClock clock) {
            this.clock = clock;
            return this;
        }

        /** The decoder to start with; null starts with none (safe output: zero) until one is installed. */
        public Context decoder(Decoder decoder) {
            this.decoder = decoder;
            return this;
        }

        /** Adds a sink the emit stage calls for every frame, in the order added. */
        public Context sink(OutputSink sink) {
            sinks.add(sink);
            return this;
        }

        /** Adds an observer that sees every frame after emit, off the critical path (journal, recorders). */
        public Context observer(String name, FrameHandler handler) {
            if (observers.containsKey(name) || name.equals(TRACK_INGEST_TO_EMIT)) {
                throw new IllegalArgumentException("observer name '" + name + "' is taken");
            }
            for (Stage s : Stage.ALL) {
                if (s.key().equals(name)) {
                    throw new IllegalArgumentException("observer name '" + name + "' is a stage name");
                }
            }
            observers.put(name, handler);
            return this;
        }

        /** Receives errors from stages, sinks and observers (default: one line on stderr). */
        public Context errorHandler(ErrorHandler errorHandler) {
            this.errorHandler = errorHandler;
            return this;
        }

        /**
         * Where the pipeline counts (default: counters of its own in this process's heap), e.g. counters registered in
         * a counters file that another process reads. The pipeline sets them to 0 when it is built.
         */
        public Context counters(PipelineCounters counters) {
            this.counters = counters;
            return this;
        }

        /** Processor count for the busy-spin budget (default: this machine's). */
        public Context availableProcessors(int availableProcessors) {
            this.availableProcessors = availableProcessors;
            return this;
        }

        /**
         * The broadband front end of the features stage (null, the default: features are the samples summed over
         * the bin). Its channels, sample rate and samples per bin are set from this context by {@link #conclude()}.
         */
        public Context frontEnd(FrontEnd.Context frontEnd) {
            this.frontEnd = frontEnd;
            return this;
        }

        /** Decoder inputs per frame, derived by {@link #conclude()}: channels, or the front end's features. */
        public int featureCount() {
            return featureCount;
        }

        /** Samples per frame, derived by {@link #conclude()}. */
        public int samplesPerFrame() {
            return samplesPerFrame;
        }

        public long binWidthUs() {
            return binWidthUs;
        }

        public int channels() {
            return channels;
        }

        public long deadlineUs() {
            return deadlineUs;
        }

        public Topology topology() {
            return topology;
        }

        public SampleSource source() {
            return source;
        }

        /** Validates every value and derives the rest; runs once. */
        public Context conclude() {
            if (concluded) {
                return this;
            }
            Check.present("source", source, "a sample source");
            Check.range("channels", channels, 1, 65_536);
            if (source.channels() != channels) {
                throw new ConfigException("channels", "source '" + source.name() + "' delivers "
                        + source.channels() + " channels but " + channels + " are configured; refusing to start");
            }
            Check.range("outputCount", outputCount, 1, 1_024);
            Check.range("binWidthUs", binWidthUs, 100, 10_000_000);
            double rate = source.nominalRateHz();
            if (!(rate > 0) || Double.isInfinite(rate)) {
                throw new ConfigException("source", "source '" + source.name() + "' has nominal rate " + rate
                        + " Hz; binning needs a positive regular rate");
            }
            double samples = binWidthUs * rate / 1e6;
            samplesPerFrame = (int) Math.round(samples);
            if (samplesPerFrame < 1 || Math.abs(samples - samplesPerFrame) > 1e-6) {
                throw new ConfigException("binWidthUs", String.valueOf(binWidthUs),
                        "a width holding a whole number (>= 1) of samples at " + rate + " Hz");
            }
            featureCount = channels;
            if (frontEnd != null) {
                frontEnd.channels(channels).sampleRateHz(rate).samplesPerBin(samplesPerFrame).conclude();
                featureCount = frontEnd.featureCount();
            }
            Check.range("ringSize", ringSize, 2, 1 << 20);
            if (Integer.bitCount(ringSize) != 1) {
                throw new ConfigException("ringSize", String.valueOf(ringSize), "a power of two in [2, 1048576]");
            }
            Check.range("deadlineUs", deadlineUs, 1, 60_000_000);
            Check.range("drainTimeoutMs", drainTimeoutMs, 0, 600_000);
            Check.present("topology", topology, "one of " + Topology.keys());
            Check.oneOf("hotIdle", hotIdle, IdleStrategies.NAMES);
            Check.oneOf("idle", idle, IdleStrategies.NAMES);
            int spinning = spinningThreads();
            int budget = Math.max(1, availableProcessors - 1);
            if (spinning > budget) {
                throw new ConfigException("idle", "topology '" + topology.key() + "' with hotIdle '" + hotIdle
                        + "' and idle '" + idle + "' would busy-spin " + spinning + " threads on "
                        + availableProcessors + " processors; at most " + budget + " allowed");
            }
            Check.range("realtimePriority", realtimePriority, 0, Realtime.MAX_PRIORITY);
            if (realtimePriority > 0) {
                String spinner = IdleStrategies.spins(hotIdle) || "yield".equals(hotIdle) ? hotIdle
                        : topology == Topology.PER_STAGE && (IdleStrategies.spins(idle) || "yield".equals(idle)) ? idle
                        : null;
                if (spinner != null) {
                    throw new ConfigException("realtimePriority", "a real-time priority with idle strategy '"
                            + spinner + "' on a critical thread would keep a core from every other thread; use "
                            + "'backoff' or 'park'");
                }
            }
            Check.present("clock", clock, "a clock");
            Check.present("errorHandler", errorHandler, "an error handler");
            if (decoder != null && (decoder.inputCount() != featureCount || decoder.outputCount() != outputCount)) {
                throw new ConfigException("decoder", "decoder '" + decoder.name() + "' maps " + decoder.inputCount()
                        + " inputs to " + decoder.outputCount() + " outputs; expected " + featureCount + " to "
                        + outputCount);
            }
            concluded = true;
            return this;
        }

        private int spinningThreads() {
            boolean hot = IdleStrategies.spins(hotIdle);
            boolean other = IdleStrategies.spins(idle);
            int monitor = observers.isEmpty() ? 0 : 1;
            switch (topology) {
                case SINGLE:
                    return hot ? 1 : 0;
                case FUSED:
                    return (hot ? 1 : 0) + (other ? monitor : 0);
                default:
                    return (hot ? 1 : 0) + (other ? Stage.COUNT - 1 + monitor : 0);
            }
        }
    }
}
