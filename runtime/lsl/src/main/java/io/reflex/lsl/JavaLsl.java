package io.reflex.lsl;

import java.util.List;
import org.agrona.ErrorHandler;

/** The pure-Java backend: {@link JavaOutlet}, {@link JavaInlet}, {@link Resolver}. */
public final class JavaLsl implements LslBackend {
    private final LslConfig config;
    private final ErrorHandler errors;

    /** The network and buffer settings this backend was made with. */
    public LslConfig config() {
        return config;
    }

    public JavaLsl(LslConfig config, ErrorHandler errors) {
        this.config = config.conclude();
        this.errors = errors;
    }

    @Override
    public String name() {
        return "java";
    }

    @Override
    public StreamOutlet createOutlet(StreamInfo info) {
        return new JavaOutlet(info, config, errors);
    }

    @Override
    public List<StreamInfo> resolve(String predicate, int minimum, double timeoutS) {
        return new Resolver(config).resolve(predicate, minimum, timeoutS);
    }

    @Override
    public StreamInlet createInlet(StreamInfo info, InletOptions options) {
        return new JavaInlet(info, config, options, errors);
    }

    @Override
    public double localClock() {
        return LslClock.now();
    }
}
