package io.reflex.runtime.source;

import io.reflex.decoders.synth.CenterOutSource;
import io.reflex.runtime.config.Check;
import io.reflex.runtime.config.ReflexConfig;
import io.reflex.runtime.time.NanoClock;
import java.util.List;
import java.util.TreeSet;

/** Creates the source a config names. A new source type adds one case here and one name to the config's list. */
public final class Sources {
    /** Reference names of the synthetic center-out source. */
    public static final List<String> KINEMATICS = List.of("px", "py", "vx", "vy");

    private Sources() {
    }

    /** A started-on-first-poll source for {@code config}, on {@code clock}. */
    public static SampleSource create(ReflexConfig.SourceConfig config, NanoClock clock) {
        Check.oneOf("source.type", config.type, new TreeSet<>(ReflexConfig.SOURCE_TYPES));
        switch (config.type) {
            case "synthetic": {
                CenterOutSource gen = new CenterOutSource(new CenterOutSource.Context()
                        .channels(config.channels).sampleRateHz(config.sampleRateHz).seed(config.seed));
                return new PacedSource("synthetic center-out (seed " + config.seed + ")", config.channels,
                        config.sampleRateHz, KINEMATICS, gen::nextSample, clock, Long.MAX_VALUE);
            }
            default:
                throw new IllegalStateException("source type " + config.type);
        }
    }
}
