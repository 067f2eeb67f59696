package io.reflex.tools;

import io.reflex.lsl.LslBackend;
import io.reflex.lsl.LslConfig;
import io.reflex.lsl.StreamInfo;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code reflex streams}: the LSL streams visible from here. */
@Command(name = "streams", mixinStandardHelpOptions = true,
        header = "List the LSL streams visible from here (use --loopback on shared machines).",
        description = {"List the LSL streams that answer discovery within --timeout seconds (a table, or one JSON"
                + " object with --json)."})
final class StreamsCommand implements Callable<Integer> {

    @Option(names = "--timeout", paramLabel = "S", defaultValue = "1.0",
            description = "How long to listen for answers (default: ${DEFAULT-VALUE}).")
    double timeoutS;

    @Option(names = "--query", paramLabel = "XPATH", defaultValue = "",
            description = "Only streams matching this XPath 1.0 predicate, e.g. \"type='EEG'\".")
    String query;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Mixin
    LslOptions lsl = new LslOptions();

    @Override
    public Integer call() {
        if (!(timeoutS > 0 && timeoutS <= 600)) {
            System.err.println("reflex streams: --timeout must be in (0, 600] s, got " + timeoutS);
            return 2;
        }
        List<StreamInfo> found;
        LslBackend backend;
        try {
            LslConfig cfg = lsl.config();
            backend = lsl.backend(cfg);
            found = new ArrayList<>(backend.resolve(query, 0, timeoutS));
        } catch (RuntimeException e) {
            System.err.println("reflex streams: " + e.getMessage());
            return 2;
        }
        found.sort(Comparator.comparing(StreamInfo::name).thenComparing(StreamInfo::uid));
        if (json) {
            List<Object> rows = new ArrayList<>();
            for (StreamInfo i : found) {
                rows.add(Json.object().put("name", i.name()).put("type", i.type())
                        .put("channel_count", i.channelCount()).put("channel_format", i.channelFormat().wireName())
                        .put("nominal_srate", i.nominalSrate()).put("source_id", i.sourceId()).put("uid", i.uid())
                        .put("session_id", i.sessionId()).put("hostname", i.hostname()).put("address", i.v4address())
                        .put("data_port", i.v4dataPort()).put("service_port", i.v4servicePort())
                        .put("created_at", i.createdAt()).put("version", i.version()).node());
            }
            System.out.println(Json.object().put("count", found.size()).put("backend", backend.name())
                    .put("network", lsl.mode()).putPojo("streams", rows).toJson());
            return 0;
        }
        if (found.isEmpty()) {
            System.out.println("no LSL streams answered within " + timeoutS + " s (" + lsl.mode() + ")");
            return 0;
        }
        System.out.printf("%-24s %-10s %8s %-9s %10s %-22s %s%n", "NAME", "TYPE", "CHANNELS", "FORMAT", "RATE_HZ",
                "SOURCE_ID", "HOST:PORT");
        for (StreamInfo i : found) {
            System.out.printf("%-24s %-10s %8d %-9s %10.3f %-22s %s:%d%n", i.name(), i.type(), i.channelCount(),
                    i.channelFormat().wireName(), i.nominalSrate(), i.sourceId(), i.hostname(), i.v4dataPort());
        }
        return 0;
    }
}
