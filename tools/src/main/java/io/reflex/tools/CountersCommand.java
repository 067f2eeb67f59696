package io.reflex.tools;

import io.reflex.runtime.agent.CountersFile;
import io.reflex.runtime.session.SessionCounters;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code reflex counters FILE}: the counters a running daemon or demo keeps in its counters file
 * ({@code --counters FILE}), read from outside that process, also while its control API is off or it is stalled.
 */
@Command(name = "counters", mixinStandardHelpOptions = true,
        description = "Read the counters a running daemon or demo keeps in its --counters file: run, phase, heartbeat "
                + "age and the pipeline's counters of the run in progress, from outside that process.")
final class CountersCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "FILE", description = "The counters file the daemon or demo was given.")
    Path file;

    @Option(names = "--json", description = "Print one JSON object (keys in the README, \"reflex counters\").")
    boolean json;

    @Override
    public Integer call() {
        CountersFile.Snapshot s;
        try {
            s = CountersFile.read(file);
        } catch (IllegalArgumentException | IllegalStateException e) {
            System.err.println("reflex counters: " + e.getMessage());
            return 2;
        }
        Map<String, Long> c = s.counters();
        Long beat = c.get(SessionCounters.HEARTBEAT);
        long age = beat == null ? -1 : Math.max(0, System.currentTimeMillis() - beat);
        Long phase = c.get(SessionCounters.PHASE);
        String phaseName = phase == null ? null : SessionCounters.phaseName(phase);
        boolean alive = s.writerAlive();
        if (json) {
            Json.Obj counters = Json.object();
            c.forEach((k, v) -> counters.put(k, v.longValue()));
            System.out.println(Json.object().put("file", file.toString()).put("pid", s.pid())
                    .put("writer_alive", alive).put("started_epoch_ms", s.startEpochMs())
                    .put("heartbeat_age_ms", age).put("phase", phaseName).put("counters", counters).toJson());
        } else {
            System.out.println(file + ": pid " + s.pid() + (alive ? "" : " (not running)")
                    + (phaseName == null ? "" : ", phase " + phaseName)
                    + (age < 0 ? "" : ", heartbeat " + age + " ms ago"));
            c.forEach((k, v) -> System.out.println("  " + k + " " + v));
        }
        return 0;
    }
}
