package io.reflex.tools;

import io.reflex.lsl.LslBackend;
import io.reflex.lsl.LslConfig;
import io.reflex.lsl.LslError;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * LSL network options shared by {@code source}, {@code streams} and {@code demo --lsl}.
 *
 * <p>Without options the configuration is liblsl's: {@code $LSLAPICFG}, {@code ./lsl_api.cfg},
 * {@code ~/lsl_api/lsl_api.cfg}, {@code /etc/lsl_api/lsl_api.cfg}, else the lab default (site-scope multicast
 * discovery). {@code --loopback} keeps every packet on 127.0.0.1.
 */
final class LslOptions {
    @Option(names = "--loopback", description = "Loopback only: machine scope, known peer 127.0.0.1, sockets bound"
            + " to 127.0.0.1; no multicast or broadcast is sent.")
    boolean loopback;

    @Option(names = "--lsl-config", paramLabel = "FILE", description = "An lsl_api.cfg to use instead of the"
            + " search path.")
    Path lslConfig;

    @Option(names = "--backend", paramLabel = "NAME", defaultValue = "java",
            description = "LSL implementation: java, native (liblsl through JNA) or auto (default: ${DEFAULT-VALUE}).")
    String backend;

    /** The configuration these options select. */
    LslConfig config() {
        if (loopback && lslConfig != null) {
            throw new IllegalArgumentException("--loopback and --lsl-config exclude each other");
        }
        if (loopback) {
            return LslConfig.loopback().conclude();
        }
        if (lslConfig != null) {
            return LslConfig.load(lslConfig).conclude();
        }
        return LslConfig.fromEnvironment().conclude();
    }

    /** The backend these options select. */
    LslBackend backend(LslConfig cfg) {
        return LslBackend.select(backend, cfg, LslError.logging());
    }

    /** A short description of the network mode for reports. */
    String mode() {
        return loopback ? "loopback" : (lslConfig != null ? lslConfig.toString() : "lsl_api.cfg search path / lab default");
    }
}
