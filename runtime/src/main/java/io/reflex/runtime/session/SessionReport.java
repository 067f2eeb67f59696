package io.reflex.runtime.session;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/** What a {@link ClosedLoopSession} measured. Counts are for the live phase unless named otherwise. */
public final class SessionReport {
    /** Decoder run live first (after swaps, {@link #decoderFinal} names the one live at the end). */
    public String decoder;
    /**
     * Engine that ran the decoder live at the end: {@code cpu} for the plain-Java decoders (Kalman, Wiener); for a
     * decoder on an engine chain (LFADS, SNN), the engine that decoded the most of its live frames.
     */
    public String engine = "cpu";
    /** For a decoder on an engine chain live at the end: its model type ({@code lfads}, {@code snn}) and model name. */
    public String modelType;
    public String model;
    /**
     * The engine chain of the decoder live at the end, in order of preference (empty for the plain-Java decoders);
     * the figures count that decoder's frames only.
     */
    public final List<EngineFigures> engines = new ArrayList<>();
    /** Failovers of the decoder live at the end, and how many of them could not continue from the failed engine's state. */
    public long failovers;
    public long coldTakeovers;
    /**
     * The golden-model check: the reference engine ({@code cpu-fixed} or {@code cpu}), live frames compared with it
     * and how many differed in any bit, summed over every decoder generation on an engine chain (each against its own
     * twin; {@link #engineGenerations} has them one by one); −1 when there was no engine chain.
     */
    public String goldenEngine;
    public long goldenCompared = -1;
    public long goldenMismatches = -1;
    public int channels;
    public long binWidthUs;
    public long deadlineUs;
    public String topology;
    /**
     * Why the run ended: {@code completed}, {@code stopped}, {@code source-ended}, or {@code failed} (then
     * {@link #failure} says why; a journal fault always fails the run, see {@link #journalFault}).
     */
    public String ending;
    /** Why the run failed (e.g. calibration timed out, naming its cause); null unless {@link #ending} is failed. */
    public String failure;
    public int calibrationFrames;
    public double calibrationSeconds;
    public double fitMs;
    /** The decoder file the calibrated decoder was saved to (journal directory), or null. */
    public String decoderSaved;
    /** Live decoder swaps done ({@code ClosedLoopSession.swapDecoder}). */
    public int decoderSwaps;
    /** Control actions written to the data journal (marker records, {@code Journal.CONTROL_PREFIX}). */
    public long controlActionsJournaled;
    /** Control actions that could not be journaled (no journal, queue full, journal faulted or closed). */
    public long controlActionsNotJournaled;
    /** The decoder live at the end (the first, or the last swapped in); null when the run never went live. */
    public String decoderFinal;
    /** The decoder generation live at the end (1: the first; 0 when the run never went live). */
    public int decoderFinalGeneration;
    /** The {@code decoder.file} the live decoder was loaded from (no calibration), or null. */
    public String decoderLoaded;
    public double liveSeconds;
    public long frames;
    public long dropped;
    /** Complete bins the source had due that were never taken in (ingest held up), counted at the stop. */
    public long notTakenIn;
    public long deadlineMisses;
    public long invalidInput;
    public long safeOutputs;
    public long decodeFaults;
    /** Exceptions caught in stages and sinks, for the whole run. */
    public long stageErrors;
    /** Exceptions thrown by the source while polled (e.g. an unusable stream), for the whole run. */
    public long sourceErrors;
    /** Exceptions caught in observers, for the whole run. */
    public long observerErrors;

    /** Every exception caught in the pipeline during the run: stages, sinks, the source and observers. */
    public long errors() {
        return stageErrors + sourceErrors + observerErrors;
    }
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
    /**
     * Each decoder generation of the run that ran on an engine chain (LFADS, SNN), in generation order: the first
     * live decoder and every model decoder swapped in; empty when none did.
     */
    public final java.util.List<EngineGeneration> engineGenerations = new java.util.ArrayList<>();

    /** One engine-chain decoder generation: what it was, where it ran, and its own golden-model check. */
    public static final class EngineGeneration {
        public int generation;
        public String decoder;
        public String model;
        /** The engine that served most of its frames. */
        public String engine;
        public long failovers;
        public String goldenEngine;
        public long goldenCompared;
        public long goldenMismatches;
        /** Sequence of its first frame that differed from its twin, or -1. */
        public long firstMismatchSequence = -1;
    }

    /** Ticks (1 ms) the decoder live at the end runs per bin when it is a spiking decoder (SNN); 0 otherwise. */
    public int ticksPerBin;
    /** Reservoir size of the SNN decoder live at the end; 0 otherwise. */
    public int snnNeurons;
    /** The broadband front end's figures (config {@code frontend}); null when the run had none. */
    public FrontEndFigures frontEnd;

    /** What the broadband front end did over the whole run (calibration and live). */
    public static final class FrontEndFigures {
        /** The features per channel, in order ({@code crossings}, {@code power}). */
        public List<String> outputs = new ArrayList<>();
        /** Decoder inputs per bin (channels × outputs). */
        public int features;
        public String car;
        /** The filter, e.g. {@code "band-pass 250-5000 Hz, order 2"}, or {@code "none"}. */
        public String filter;
        public double thresholdK;
        /** Thresholds were set (the RMS block was complete). */
        public boolean calibrated;
        /** Median over live channels of the calibration RMS of the filtered signal, µV; NaN before calibration. */
        public double medianRmsUv = Double.NaN;
        /** Dead channels (non-finite, flat, clipped), ascending. */
        public int[] deadChannels = new int[0];
        /** The dead channels with their reasons, e.g. {@code "6 (non-finite), 7 (flat)"}; "" when none. */
        public String deadDescription = "";
        /** Threshold crossings counted after calibration, all channels. */
        public long crossings;
        /** Non-finite values met on channels not yet excluded (replaced by 0). */
        public long nonFiniteValues;
    }

    /** One engine of the live decoder's chain. */
    public static final class EngineFigures {
        public String name;
        public String device;
        public String arithmetic;
        /** Loaded and not failed at the end of the run. */
        public boolean usable;
        /** The engine calls went to at the end of the run. */
        public boolean active;
        /** {@code ready}, or why the engine could not be used or failed. */
        public String reason;
        public long faults;
        /** Live frames it decoded. */
        public long frames;
        /** Decode stage wall time of those frames (features stamp to decode stamp), ns. */
        public Histogram decodeNs;
        /** Device cycles of those calls (empty when the engine does not count cycles). */
        public Histogram cycles;
    }

    /** Journal directory, or null when journaling was off. */
    public Path journal;
    public long journalFrames;
    /** Frames the data journal was offered after it faulted, and so did not write. */
    public long journalFramesNotWritten;
    /** Why the data journal faulted (e.g. the disk is full), or null. A journal fault fails the run. */
    public String journalFault;
    /** Why the stimulation journal faulted, or null. */
    public String stimJournalFault;

    /** An LSL source's outages and reconnects ({@code source} in reports); null for other sources. */
    public LabStreams.SourceFigures lslSource;
    /** The pairing with a separate kinematics stream ({@code kinematics}); null without one. */
    public LabStreams.KinematicsFigures kinematics;
    /** The decoded-output LSL outlet ({@code decoded_outlet}); null when it is off. */
    public LabStreams.DecodedOutletFigures decodedOutlet;
    /** The task's marker stream ({@code markers}); null without {@code source.lsl.markers}. */
    public LabStreams.MarkerFigures markers;
}
