package io.reflex.tools;

import io.reflex.lsl.LslError;
import io.reflex.runtime.check.ConfigException;
import io.reflex.runtime.config.LabStreamsConfig;
import io.reflex.runtime.config.ReflexConfig;
import io.reflex.lsl.LslBackend;
import io.reflex.lsl.LslConfig;
import io.reflex.runtime.xdf.XdfFormat.ChannelFormat;
import io.reflex.runtime.xdf.XdfPlayback;
import io.reflex.runtime.xdf.XdfReader;
import io.reflex.runtime.xdf.XdfStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code demo --xdf FILE}: plays an XDF recording on loopback LSL ({@link XdfPlayback}, in this process) and points
 * the session's LSL source at its neural stream, with a stream holding {@code vx, vy} as the kinematics stream, so a
 * recorded session is calibrated and decoded as if live.
 */
final class XdfDemo implements AutoCloseable {
    /** Seconds between opening the outlets and the recording's first sample. */
    static final double LEAD_S = 2.0;

    final Path file;
    final XdfStream input;
    final XdfStream kinematics;
    /** Seconds the input stream spans. */
    final double spanS;
    private final AtomicBoolean stop = new AtomicBoolean();
    private CompletableFuture<XdfPlayback.Result> playback;

    private XdfDemo(Path file, XdfStream input, XdfStream kinematics, double spanS) {
        this.file = file;
        this.input = input;
        this.kinematics = kinematics;
        this.spanS = spanS;
    }

    /**
     * Picks the streams of {@code file}: {@code name} or else the numeric stream with the most values per second as
     * the input, and a numeric stream labelling channels {@code vx} and {@code vy} as the kinematics (type
     * {@code Targets} first; never a {@code Decoded} stream; none: the input must carry them).
     */
    static XdfDemo open(Path file, String name) {
        if (!Files.isRegularFile(file)) {
            throw new ConfigException("--xdf", file.toString(), "an XDF file (no such file)");
        }
        XdfReader.Index index;
        try {
            index = XdfReader.index(file);
        } catch (IOException e) {
            throw new ConfigException("--xdf", file.toString(), "a readable XDF file: " + e.getMessage());
        }
        if (index.result.error != null) {
            throw new ConfigException("--xdf", file.toString(), "an undamaged XDF file: " + index.result.error);
        }
        XdfStream input = null;
        XdfReader.StreamStats inputStats = null;
        for (XdfReader.StreamStats s : index.result.streams.values()) {
            XdfStream x = s.stream;
            boolean numeric = x.format != ChannelFormat.STRING && x.nominalSrateHz > 0;
            if (name != null) {
                if (x.name.equals(name)) {
                    input = x;
                    inputStats = s;
                }
            } else if (numeric && !(x.labels.contains("vx") && x.labels.contains("vy")) && s.samples > 0
                    && (input == null || x.nominalSrateHz * x.channelCount > input.nominalSrateHz
                    * input.channelCount)) {
                input = x;
                inputStats = s;
            }
        }
        if (input == null) {
            throw new ConfigException("--xdf", file.toString(), name != null ? "a file with a stream named '" + name
                    + "'" : "a file with a regularly sampled numeric stream to decode");
        }
        XdfStream kin = null;
        for (Map.Entry<Integer, XdfReader.StreamStats> e : index.result.streams.entrySet()) {
            XdfStream x = e.getValue().stream;
            // the task's kinematics, not a decoder's output of the same names
            if (x != input && x.format != ChannelFormat.STRING && x.labels.contains("vx") && x.labels.contains("vy")
                    && e.getValue().samples > 0 && !x.type.equalsIgnoreCase("Decoded")
                    && (kin == null || x.type.equalsIgnoreCase("Targets"))) {
                kin = x;
            }
        }
        double span = inputStats.lastTimestampS - inputStats.firstTimestampS;
        return new XdfDemo(file, input, kin, span);
    }

    /** Points {@code c}'s source at the played input stream (and kinematics stream) on loopback LSL. */
    void configure(ReflexConfig c, String backend) {
        c.source.type = "lsl";
        c.source.channels = input.channelCount;
        c.source.sampleRateHz = input.nominalSrateHz;
        c.source.lsl.name = input.name;
        c.source.lsl.sourceId = input.sourceId;
        c.source.lsl.type = "";
        c.source.lsl.network = "loopback";
        c.source.lsl.backend = backend;
        c.source.lsl.resolveTimeoutS = 10 + LEAD_S;
        if (kinematics != null) {
            LabStreamsConfig.Kinematics k = new LabStreamsConfig.Kinematics();
            k.name = kinematics.name;
            k.sourceId = kinematics.sourceId;
            c.source.lsl.kinematics = k;
        }
    }

    /** Starts playing the file on loopback LSL. */
    void start(String backend) {
        LslBackend lsl = LslBackend.select(backend, LslConfig.loopback().conclude(), LslError.logging());
        playback = CompletableFuture.supplyAsync(() -> {
            try {
                return XdfPlayback.play(file, lsl, List.of(), 1.0, LEAD_S, stop::get);
            } catch (IOException e) {
                throw new IllegalStateException(file + " cannot be played: " + e.getMessage(), e);
            }
        });
    }

    /** The playback's figures for the report (stops it first if it is still playing). */
    Json.Obj report() {
        Json.Obj o = Json.object().put("file", file.toAbsolutePath().toString()).put("input_stream", input.name)
                .put("kinematics_stream", kinematics == null ? null : kinematics.name).put("span_s", spanS);
        XdfPlayback.Result r = finish();
        if (r != null) {
            Json.Arr arr = Json.array();
            for (XdfPlayback.Played p : r.streams) {
                arr.add(Json.object().put("name", p.stream.name).put("samples", p.samples));
            }
            o.put("played", arr).put("max_late_ms", r.maxLateS * 1e3);
        }
        return o;
    }

    private XdfPlayback.Result finish() {
        if (playback == null) {
            return null;
        }
        stop.set(true);
        try {
            return playback.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            return null;
        }
    }

    @Override
    public void close() {
        finish();
    }
}
