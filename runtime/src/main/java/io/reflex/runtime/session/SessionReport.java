package io.reflex.runtime.session;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.HdrHistogram.Histogram;

/** What a {@link ClosedLoopSession} measured. Counts are for the live phase unless named otherwise. */
public final class SessionReport {
    /** Decoder run live. */
    public String decoder;
    /** Engine that ran it. */
    public String engine = "cpu";
    public int channels;
    public long binWidthUs;
    public long deadlineUs;
    public String topology;
    /** Why the live phase ended: {@code completed}, {@code stopped} or {@code source-ended}. */
    public String ending;
    public int calibrationFrames;
    public double calibrationSeconds;
    public double fitMs;
    public double liveSeconds;
    public long frames;
    public long dropped;
    public long deadlineMisses;
    public long invalidInput;
    public long safeOutputs;
    public long decodeFaults;
    public long stageErrors;
    public long observerErrors;
    /** What the decoders were fitted to and scored against: {@code velocity} (vx, vy) or {@code latent} (lx, ly, lz). */
    public String targetKind = "velocity";
    /** Mean R² over the targets of each decoder on the live frames; the live decoder first. */
    public final Map<String, Double> r2 = new LinkedHashMap<>();
    /** Live-phase latency per track (stages, ingest_to_emit, observers), nanoseconds. */
    public final Map<String, Histogram> latencyNs = new LinkedHashMap<>();
    /** Garbage collections (all collectors) during the live phase. */
    public long gcCount;
    public long gcTimeMs;
    /** Bytes allocated by the pipeline's threads during the live phase; -1 if the JVM cannot tell. */
    public long pipelineAllocatedBytes = -1;
    /** Ticks (1 ms) the live decoder runs per bin when it is a spiking decoder (SNN); 0 otherwise. */
    public int ticksPerBin;
    /** Reservoir size of a live SNN decoder; 0 otherwise. */
    public int snnNeurons;
    /** Journal directory, or null when journaling was off. */
    public Path journal;
    public long journalFrames;
}
