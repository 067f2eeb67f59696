package io.reflex.tools;

import io.reflex.lsl.LslBackend;
import io.reflex.lsl.LslConfig;
import io.reflex.runtime.xdf.XdfPlayback;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code reflex import FILE.xdf}: plays an XDF recording back as LSL outlets ({@link XdfPlayback}). */
@Command(name = "import", mixinStandardHelpOptions = true,
        header = "Play an XDF recording back as LSL outlets, paced by its timestamps.",
        description = {"Opens one LSL outlet per stream of FILE (name, type, channels, rate, format, source_id and"
                + " channel labels as recorded) and pushes every sample in timestamp order when its time comes,"
                + " stamped with its recorded timestamp moved onto this machine's LSL clock (so the recorded"
                + " intervals are kept). A recorded session from any LSL setup can then drive Reflex as if live."
                + " Streams are read one chunk at a time: any length plays in bounded memory. Runs until the"
                + " recording ends or SIGTERM.",
            "Exit: 0 played whole; 2 the file or an option cannot be used, or the file is damaged (every valid"
                + " chunk before the damage is played first)."})
final class ImportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE.xdf", description = "The XDF recording.")
    Path file;

    @Option(names = "--streams", paramLabel = "NAMES", split = ",",
            description = "Stream names to play (default: all).")
    List<String> streams = new ArrayList<>();

    @Option(names = "--speed", defaultValue = "1", description = "Playback speed (default: ${DEFAULT-VALUE}).")
    double speed;

    @Option(names = "--lead-s", defaultValue = "1", paramLabel = "S",
            description = "Seconds between opening the outlets and the first sample, for inlets to connect"
                    + " (default: ${DEFAULT-VALUE}).")
    double leadS;

    @Option(names = "--json", description = "Print one JSON object on stdout at the end.")
    boolean json;

    @Mixin
    LslOptions lsl = new LslOptions();

    @Override
    public Integer call() {
        if (!Files.isRegularFile(file)) {
            System.err.println("reflex import: " + file + ": no such file");
            return 2;
        }
        if (!(leadS >= 0 && leadS <= 60)) {
            System.err.println("reflex import: --lead-s must be in [0, 60], got " + leadS);
            return 2;
        }
        LslBackend backend;
        try {
            LslConfig cfg = lsl.config();
            backend = lsl.backend(cfg);
        } catch (RuntimeException e) {
            System.err.println("reflex import: " + e.getMessage());
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
        }, "reflex-import-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        XdfPlayback.Result r;
        try {
            System.err.println("reflex import: playing " + file + " (" + lsl.mode() + ", backend " + backend.name()
                    + ", speed " + speed + ")");
            r = XdfPlayback.play(file, backend, streams, speed, leadS, () -> stopped.getCount() == 0);
        } catch (IllegalArgumentException e) {
            System.err.println("reflex import: " + e.getMessage());
            return 2;
        } catch (IOException e) {
            System.err.println("reflex import: " + file + " cannot be read: " + e.getMessage());
            return 2;
        } finally {
            done.countDown();
        }
        if (json) {
            Json.Arr arr = Json.array();
            for (XdfPlayback.Played p : r.streams) {
                arr.add(Json.object().put("id", p.id).put("name", p.stream.name).put("type", p.stream.type)
                        .put("channels", p.stream.channelCount).put("format", p.stream.format.xml())
                        .put("nominal_srate", p.stream.nominalSrateHz).put("source_id", p.stream.sourceId)
                        .put("samples", p.samples).put("first_timestamp", p.firstTimestampS)
                        .put("last_timestamp", p.lastTimestampS));
            }
            System.out.println(Json.object().put("file", file.toAbsolutePath().toString()).put("streams", arr)
                    .put("speed", r.speed).put("shift_s", r.shiftS).put("duration_s", r.durationS)
                    .put("max_late_ms", r.maxLateS * 1e3).put("stopped", r.stopped).put("error", r.error).toJson());
        } else {
            for (XdfPlayback.Played p : r.streams) {
                System.out.printf("  stream %d '%s' (%s): %d samples%n", p.id, p.stream.name, p.stream.type,
                        p.samples);
            }
            System.out.printf("played %s in %.3f s (latest push %.3f ms after its time)%s%n", file, r.durationS,
                    r.maxLateS * 1e3, r.stopped ? ", stopped early" : "");
        }
        if (r.error != null) {
            System.err.println("reflex import: " + r.error + " (played what came before)");
            return 2;
        }
        return 0;
    }
}
