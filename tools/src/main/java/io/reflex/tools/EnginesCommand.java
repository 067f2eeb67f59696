package io.reflex.tools;

import io.reflex.decoders.catalog.Decoders;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.engine.EngineChain;
import io.reflex.decoders.engine.EngineException;
import io.reflex.decoders.engine.EngineSpec;
import io.reflex.decoders.engine.EngineStatus;
import io.reflex.decoders.snn.SnnDecoder;
import io.reflex.runtime.config.ReflexConfig;
import io.reflex.runtime.config.DecoderCatalog;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code reflex engines}: what every engine on this machine can do with a model, as a chain would find it: each engine
 * is created with its options (from {@code --config}) and loaded with the model; the report gives its health and,
 * when it cannot run, the reason (no card, no library, a kernel built for other dimensions, ...).
 */
@Command(name = "engines", mixinStandardHelpOptions = true,
        header = "List the engines, their health and why an engine cannot run here.",
        description = {"Creates every engine (or those of --engine) with the options of --config, loads the model on"
                + " each as an engine chain would, and prints one line per engine: usable or not, the reason,"
                + " arithmetic and device. The first usable engine is the one a chain in this order would decode on."})
final class EnginesCommand implements Callable<Integer> {

    @Option(names = "--decoder", paramLabel = "NAME", defaultValue = "lfads",
            description = "Model to load: lfads or snn (default: ${DEFAULT-VALUE}).")
    String decoder;

    @Option(names = "--model", paramLabel = "BUNDLE",
            description = "With --decoder lfads: a bundle file or shipped model (default: lfads-lorenz-causal).")
    String model;

    @Option(names = "--engine", paramLabel = "NAME[,NAME...]", split = ",",
            description = "Engines to try, in chain order (default: every engine on the class path).")
    List<String> engines;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Take the engine options (decoder.engineOptions) and, without --engine, the chain"
                    + " (decoder.engines) from this config.")
    Path config;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Override
    public Integer call() {
        ReflexConfig cfg;
        ModelBundle bundle;
        try {
            cfg = config != null ? ReflexConfig.load(config) : new ReflexConfig();
            bundle = bundle();
        } catch (IllegalArgumentException e) {
            // ConfigException included: a bad config or model is refused input
            System.err.println("reflex engines: " + e.getMessage());
            return 2;
        }
        List<String> names = engines != null ? engines
                : config != null ? cfg.decoder.engines : EngineChain.availableEngineNames();
        List<EngineSpec> specs = new ArrayList<>();
        for (String n : names) {
            specs.add(EngineSpec.of(n, cfg.decoder.engineOptions.getOrDefault(n, Map.of())));
        }
        EngineChain chain;
        try {
            chain = EngineChain.create(specs);
        } catch (EngineException e) {
            System.err.println("reflex engines: " + e.getMessage());
            return 1;
        }
        try (chain) {
            String loadError = null;
            try {
                chain.load(bundle);
            } catch (RuntimeException e) {
                loadError = e.getMessage();
            }
            List<EngineStatus> statuses = chain.statuses();
            if (json) {
                Json.Arr arr = Json.array();
                for (EngineStatus s : statuses) {
                    arr.add(Json.object().put("name", s.name()).put("usable", s.usable())
                            .put("healthy", s.healthy()).put("first_usable", s.active()).put("reason", s.reason())
                            .put("arithmetic", s.arithmetic()).put("device", s.device()));
                }
                System.out.println(Json.object().put("model", bundle.name()).put("model_type", bundle.modelType())
                        .put("engines", arr).toJson());
            } else {
                System.out.printf(Locale.ROOT, "Engines for %s model %s (* = where a chain in this order decodes)%n",
                        bundle.modelType(), bundle.name());
                for (EngineStatus s : statuses) {
                    System.out.printf(Locale.ROOT, "%s %-10s %-8s %-9s %s%n      device: %s%n", s.active() ? "*" : " ",
                            s.name(), s.arithmetic(), s.usable() ? "usable" : "unusable", s.reason(), s.device());
                }
                if (loadError != null) {
                    System.out.println("no engine can run the model here");
                }
            }
            return 0;
        }
    }

    private ModelBundle bundle() {
        switch (decoder) {
            case "lfads":
                return Decoders.lfadsModel(model != null ? model : DecoderCatalog.LORENZ_LFADS_MODEL);
            case "snn":
                if (model != null) {
                    throw new IllegalArgumentException("--model is for --decoder lfads");
                }
                return SnnDecoder.reservoirBundle(new SnnDecoder.Context().inputCount(96), "snn-reservoir",
                        "reflex engines").toBundle();
            default:
                throw new IllegalArgumentException("--decoder must be lfads or snn, was " + decoder);
        }
    }
}
