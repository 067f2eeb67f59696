package io.reflex.hdl.sim;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Collects cycle figures per kernel and mode into target/cycles.json (one object per kernel and mode:
 * configuration, cycles, clock-relative time at the 300 MHz target).
 */
public final class CycleReport {
    private static final Path FILE = Builds.HDL.resolve("target/cycles.json");
    private static final double CLOCK_MHZ = 300.0;

    private CycleReport() {
    }

    /** Records (replacing) one entry and rewrites the file. */
    public static synchronized void record(String kernel, String mode, String config, long cycles)
            throws IOException {
        Map<String, String> entries = new TreeMap<>();
        if (Files.exists(FILE)) {
            for (String line : Files.readAllLines(FILE, StandardCharsets.UTF_8)) {
                String t = line.trim();
                if (t.startsWith("{\"kernel\"")) {
                    String e = t.endsWith(",") ? t.substring(0, t.length() - 1) : t;
                    entries.put(keyOf(e), e);
                }
            }
        }
        String e = String.format(java.util.Locale.ROOT,
                "{\"kernel\":\"%s\",\"mode\":\"%s\",\"config\":\"%s\",\"cycles\":%d,\"us_at_300mhz\":%.3f}",
                kernel, mode, config, cycles, cycles / CLOCK_MHZ);
        entries.put(kernel + "/" + mode, e);
        StringBuilder sb = new StringBuilder("{\"clock_mhz\":300,\"entries\":[\n");
        int k = 0;
        for (String v : entries.values()) {
            sb.append("  ").append(v).append(++k < entries.size() ? ",\n" : "\n");
        }
        sb.append("]}\n");
        Files.createDirectories(FILE.getParent());
        Files.writeString(FILE, sb.toString(), StandardCharsets.UTF_8);
    }

    private static String keyOf(String e) {
        String k = field(e, "kernel");
        return k + "/" + field(e, "mode");
    }

    private static String field(String e, String name) {
        int i = e.indexOf("\"" + name + "\":\"") + name.length() + 4;
        return e.substring(i, e.indexOf('"', i));
    }
}
