package io.reflex.runtime.session;

import io.reflex.decoders.lfads.LorenzStream;
import io.reflex.decoders.synth.CenterOutSource;
import io.reflex.lsl.LslBackend;
import io.reflex.lsl.LslConfig;
import io.reflex.lsl.LslError;
import io.reflex.runtime.check.Check;
import io.reflex.runtime.check.ConfigException;
import io.reflex.runtime.config.ReflexConfig;
import io.reflex.runtime.lsl.LslSampleSource;
import io.reflex.runtime.pipeline.SampleSource;
import io.reflex.runtime.source.BroadbandGenerator;
import io.reflex.runtime.source.PacedSource;
import java.util.List;
import java.util.TreeSet;
import org.agrona.concurrent.NanoClock;

/** Creates the source a config names. A new source type adds one case here and one name to the config's list. */
public final class Sources {
    /** Reference names of the synthetic center-out source. */
    public static final List<String> KINEMATICS = List.of("px", "py", "vx", "vy");
    /** Reference names of the Lorenz source: the normalised Lorenz state and the trial-start marker. */
    public static final List<String> LORENZ = LorenzStream.REFERENCES;

    private Sources() {
    }

    /** The LSL backend of {@code source.lsl} (its {@code backend} on its {@code network}). */
    public static LslBackend lslBackend(ReflexConfig.LslSourceConfig c) {
        LslConfig net;
        try {
            net = switch (c.network) {
                case "loopback" -> LslConfig.loopback();
                case "default" -> LslConfig.fromEnvironment();
                default -> LslConfig.load(java.nio.file.Path.of(c.network));
            };
            net = net.inletMaxBufferBytes((long) c.bufferMiB << 20).conclude();
        } catch (IllegalArgumentException e) {
            throw new ConfigException("source.lsl.network", e.getMessage());
        }
        try {
            return LslBackend.select(c.backend, net, LslError.logging());
        } catch (IllegalStateException e) {
            throw new ConfigException("source.lsl.backend", e.getMessage());
        }
    }

    /**
     * Resolves and opens the configured LSL stream, watching it for outages ({@code source.lsl.outageMs}); refuses a
     * stream whose rate differs from the config's.
     */
    private static SampleSource openLsl(ReflexConfig.SourceConfig config, NanoClock clock) {
        ReflexConfig.LslSourceConfig c = config.lsl;
        LslBackend backend = lslBackend(c);
        LslSampleSource source;
        try {
            source = LslSampleSource.open(backend, new LslSampleSource.Selector().name(c.name).type(c.type)
                    .sourceId(c.sourceId), c.resolveTimeoutS);
        } catch (IllegalStateException | IllegalArgumentException e) {
            // not found, not numeric, not answering; or an inlet its buffer cannot be made for (a stream wider
            // than source.lsl.bufferMiB, or direct memory the JVM refuses)
            throw new ConfigException("source.lsl", e.getMessage());
        }
        if (Math.abs(source.nominalRateHz() - config.sampleRateHz) > 1e-9) {
            source.close();
            throw new ConfigException("source.sampleRateHz", String.valueOf(config.sampleRateHz),
                    "the stream's nominal rate " + source.nominalRateHz() + " Hz (" + source.name() + ")");
        }
        return source.watchOutages(c.outageMs, clock);
    }

    /** A started-on-first-poll source for the config's {@code source} section (and its bin width), on {@code clock}. */
    public static SampleSource create(ReflexConfig config, NanoClock clock) {
        if ("lorenz".equals(config.source.type)) {
            ReflexConfig.SourceConfig c = config.source;
            int samplesPerBin = (int) Math.round(config.pipeline.binWidthUs * c.sampleRateHz / 1e6);
            LorenzStream gen = new LorenzStream(c.channels, c.trialBins, samplesPerBin,
                    LorenzStream.DEMO_SEED_OFFSET + c.seed);
            return new PacedSource("synthetic Lorenz (seed " + c.seed + ", " + c.trialBins + "-bin trials)",
                    c.channels, c.sampleRateHz, LORENZ, gen::nextSample, clock, Long.MAX_VALUE);
        }
        return create(config.source, clock);
    }

    /**
     * The broadband generator paced in real time on {@code clock} (started on the first poll), carrying the true
     * kinematics px, py, vx, vy; {@code maxSamples} ends it ({@code Long.MAX_VALUE}: never).
     */
    public static SampleSource broadband(BroadbandGenerator gen, NanoClock clock, long maxSamples) {
        BroadbandGenerator.Context c = gen.context();
        return new PacedSource("synthetic broadband center-out (" + c.sampleRateHz() + " Hz, seed " + c.seed() + ")",
                c.channels(), c.sampleRateHz(), KINEMATICS, gen, clock, maxSamples);
    }

    /** A started-on-first-poll source for {@code config}, on {@code clock} (any type but {@code lorenz}). */
    public static SampleSource create(ReflexConfig.SourceConfig config, NanoClock clock) {
        Check.oneOf("source.type", config.type, new TreeSet<>(ReflexConfig.SOURCE_TYPES));
        switch (config.type) {
            case "synthetic": {
                CenterOutSource gen = new CenterOutSource(new CenterOutSource.Context()
                        .channels(config.channels).sampleRateHz(config.sampleRateHz).seed(config.seed));
                return new PacedSource("synthetic center-out (seed " + config.seed + ")", config.channels,
                        config.sampleRateHz, KINEMATICS, gen::nextSample, clock, Long.MAX_VALUE);
            }
            case "broadband":
                return broadband(new BroadbandGenerator(broadbandContext(config)), clock, Long.MAX_VALUE);
            case "lsl":
                return openLsl(config, clock);
            case "lorenz":
                throw new IllegalArgumentException("the lorenz source needs the pipeline's bin width: call "
                        + "create(ReflexConfig, NanoClock)");
            default:
                throw new IllegalStateException("source type " + config.type);
        }
    }

    /** The broadband generator's settings from {@code source} ({@code channels}, rate, seed, {@code broadband}). */
    public static BroadbandGenerator.Context broadbandContext(ReflexConfig.SourceConfig config) {
        return new BroadbandGenerator.Context().channels(config.channels).sampleRateHz(config.sampleRateHz)
                .seed(config.seed).noiseUv(config.broadband.noiseUv)
                .spikeUv(config.broadband.spikeMinUv, config.broadband.spikeMaxUv);
    }
}
