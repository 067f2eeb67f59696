package io.reflex.tools;

import io.reflex.lsl.LslBackend;
import io.reflex.lsl.LslConfig;
import io.reflex.lsl.StreamInfo;
import io.reflex.runtime.xdf.XdfRecorder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code reflex record --xdf FILE}: records LSL streams to XDF ({@link XdfRecorder}), like LabRecorder. */
@Command(name = "record", mixinStandardHelpOptions = true,
        header = "Record LSL streams to an XDF file, like LabRecorder.",
        description = {"Resolves the streams --streams matches (an LSL query; default: every stream found), records"
                + " each with its full header and the timestamps its outlet gave, and every 5 s a clock offset per"
                + " stream (this machine's LSL clock minus the stream's), until --seconds pass or SIGTERM. A live"
                + " line on stderr shows what is recorded. The file is written as FILE.part and renamed to FILE"
                + " when the recording ends.",
            "Exit: 0 recorded; 1 a stream's inlet failed during the recording (its samples until then and every other"
                + " stream are in the file); 2 an option is wrong, no stream matched, or the file cannot be written."})
final class RecordCommand implements Callable<Integer> {
    @Option(names = "--xdf", required = true, paramLabel = "FILE", description = "The XDF file to write.")
    Path xdf;

    @Option(names = "--streams", paramLabel = "QUERY", defaultValue = "",
            description = "LSL query of the streams to record, e.g. \"name='Reflex input' or type='Markers'\""
                    + " (default: all found).")
    String query;

    @Option(names = "--min-streams", defaultValue = "1", paramLabel = "N",
            description = "Wait until at least N streams match (default: ${DEFAULT-VALUE}).")
    int minStreams;

    @Option(names = "--resolve-timeout-s", defaultValue = "5", paramLabel = "S",
            description = "How long to look for the streams (default: ${DEFAULT-VALUE}).")
    double resolveTimeoutS;

    @Option(names = "--seconds", defaultValue = "0", description = "Recording time; 0 records until stopped"
            + " (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--json", description = "Print one JSON object on stdout at the end.")
    boolean json;

    @Option(names = {"-q", "--quiet"}, description = "No live line.")
    boolean quiet;

    @Mixin
    LslOptions lsl = new LslOptions();

    @Override
    public Integer call() {
        if (!(seconds >= 0) || !(resolveTimeoutS > 0 && resolveTimeoutS <= 600) || minStreams < 1
                || minStreams > 1000) {
            System.err.println("reflex record: --seconds must be >= 0, --resolve-timeout-s in (0, 600],"
                    + " --min-streams in [1, 1000]");
            return 2;
        }
        if (Files.isDirectory(xdf)) {
            System.err.println("reflex record: " + xdf + " is a directory, not an XDF file name");
            return 2;
        }
        LslBackend backend;
        List<StreamInfo> found;
        try {
            LslConfig cfg = lsl.config();
            backend = lsl.backend(cfg);
            found = backend.resolve(query, minStreams, resolveTimeoutS);
        } catch (RuntimeException e) {
            System.err.println("reflex record: " + e.getMessage());
            return 2;
        }
        // one entry per stream (a stream answers once per address family)
        Map<String, StreamInfo> unique = new LinkedHashMap<>();
        for (StreamInfo s : found) {
            unique.putIfAbsent(s.uid(), s);
        }
        List<StreamInfo> streams = new ArrayList<>(unique.values());
        if (streams.size() < minStreams) {
            System.err.println("reflex record: " + streams.size() + " stream(s) matched '" + query + "' within "
                    + resolveTimeoutS + " s (" + lsl.mode() + "); --min-streams is " + minStreams);
            return 2;
        }
        CountDownLatch done = new CountDownLatch(1);
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stopped.countDown();
            try {
                done.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "reflex-record-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        long endNs = seconds > 0 ? System.nanoTime() + (long) (seconds * 1e9) : Long.MAX_VALUE;
        XdfRecorder.Result r;
        try {
            for (StreamInfo s : streams) {
                System.err.println("reflex record: recording '" + s.name() + "' (" + s.type() + ", "
                        + s.channelCount() + " channels " + s.channelFormat() + ", source_id " + s.sourceId() + ")");
            }
            r = XdfRecorder.record(xdf, backend, streams,
                    x -> stopped.getCount() == 0 || System.nanoTime() >= endNs, p -> {
                        if (quiet) {
                            return;
                        }
                        StringBuilder b = new StringBuilder(String.format("  %6.1f s  %,d bytes", p.durationS,
                                p.bytes));
                        for (XdfRecorder.Recorded s : p.streams) {
                            b.append("  ").append(s.info.name()).append(": ").append(s.samples);
                        }
                        System.err.println(b);
                    });
        } catch (IOException | RuntimeException e) {
            System.err.println("reflex record: " + xdf + ": recording failed, no file written: " + e.getMessage());
            return 2;
        } finally {
            done.countDown();
        }
        if (json) {
            Json.Arr arr = Json.array();
            for (XdfRecorder.Recorded s : r.streams) {
                arr.add(Json.object().put("id", s.id).put("name", s.info.name()).put("type", s.info.type())
                        .put("channels", s.info.channelCount()).put("source_id", s.info.sourceId())
                        .put("samples", s.samples).put("clock_offsets", s.clockOffsets)
                        .put("last_offset_s", s.lastOffsetS).put("dropped", s.dropped).put("failure", s.failure));
            }
            System.out.println(Json.object().put("file", xdf.toAbsolutePath().toString()).put("bytes", r.bytes)
                    .put("duration_s", r.durationS).put("streams", arr).toJson());
        } else {
            System.out.printf("recorded %d stream(s) to %s in %.1f s (%,d bytes)%n", r.streams.size(), xdf,
                    r.durationS, r.bytes);
        }
        int failed = 0;
        for (XdfRecorder.Recorded s : r.streams) {
            if (s.failure != null) {
                failed++;
                System.err.println("reflex record: stream '" + s.info.name() + "' stopped after " + s.samples
                        + " samples: " + s.failure);
            }
        }
        return failed == 0 ? 0 : 1;
    }
}
