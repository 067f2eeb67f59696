package io.reflex.lsl;

import java.util.List;
import java.util.Locale;
import org.agrona.ErrorHandler;

/**
 * One implementation of LSL: the pure-Java one ({@link JavaLsl}, always available) or the liblsl binding
 * ({@code nativelsl.NativeLsl}, found as a {@link NativeBackend} service, when {@code liblsl.so} can be loaded).
 * Chosen by {@code lsl.backend = java | native | auto}
 * ({@link #select}); {@code auto} takes liblsl when present and Java otherwise.
 */
public interface LslBackend {

    /** {@code java} or {@code native}. */
    String name();

    /** A new outlet serving at once. */
    StreamOutlet createOutlet(StreamInfo info);

    /** One-shot resolve (see {@link Resolver#resolve}). */
    List<StreamInfo> resolve(String predicate, int minimum, double timeoutS);

    /** An inlet for a resolved stream. */
    StreamInlet createInlet(StreamInfo info, InletOptions options);

    /** The LSL clock of this backend, seconds. */
    double localClock();

    /**
     * Picks a backend.
     *
     * @param which {@code java}, {@code native} (fails with the loader's reason if liblsl is missing) or
     *              {@code auto}
     */
    static LslBackend select(String which, LslConfig config, ErrorHandler errors) {
        String w = which == null ? "auto" : which.trim().toLowerCase(Locale.ROOT);
        switch (w) {
            case "java":
                return new JavaLsl(config, errors);
            case "native": {
                NativeBackend provider = NativeBackend.find();
                String why = NativeBackend.unavailableReason(provider);
                if (why != null) {
                    throw new IllegalStateException("lsl.backend=native but liblsl cannot be loaded: " + why);
                }
                return provider.open(config);
            }
            case "auto": {
                NativeBackend provider = NativeBackend.find();
                return NativeBackend.unavailableReason(provider) == null ? provider.open(config)
                        : new JavaLsl(config, errors);
            }
            default:
                throw new IllegalArgumentException("lsl.backend must be java, native or auto, got '" + which + "'");
        }
    }
}
