package io.reflex.tools;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.runtime.journal.JournalFormat;
import io.reflex.runtime.journal.JournalReader;
import io.reflex.runtime.journal.JournalRecord;
import io.reflex.runtime.pipeline.Frame;
import io.reflex.runtime.session.DecodeTargets;
import io.reflex.runtime.stim.ChronicleStimJournal;
import io.reflex.runtime.xdf.XdfFormat.ChannelFormat;
import io.reflex.runtime.xdf.XdfStream;
import io.reflex.runtime.xdf.XdfWriter;
import io.reflex.stim.StimCommand;
import io.reflex.stim.StimEvent;
import io.reflex.stim.StimVerdict;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.LongConsumer;

/**
 * Exports one journal run (and the stimulation journal of the same process) to an XDF file: the input samples, the
 * per-bin features, the decoded output, the bin targets, the markers (task markers and control actions) and the
 * stimulation commands with their verdicts, each as an XDF stream with its header, a clock offset and a footer.
 * Reads and writes as a stream; the file appears under its name only when it is complete.
 */
final class JournalExport {
    /** The streams an export can hold, by their {@code --streams} names. */
    enum Kind {
        INPUT("input"), FEATURES("features"), OUTPUT("output"), TARGETS("targets"), MARKERS("markers"),
        STIM("stim");

        final String key;

        Kind(String key) {
            this.key = key;
        }

        static Set<Kind> parse(String list) {
            Set<Kind> out = EnumSet.noneOf(Kind.class);
            for (String part : list.split(",")) {
                String p = part.trim().toLowerCase(Locale.ROOT);
                Kind k = null;
                for (Kind c : values()) {
                    if (c.key.equals(p)) {
                        k = c;
                    }
                }
                if (k == null) {
                    throw new IllegalArgumentException("--streams: unknown stream '" + part.trim() + "' (input,"
                            + " features, output, targets, markers, stim)");
                }
                out.add(k);
            }
            return out;
        }
    }

    /** What one exported stream holds. */
    static final class Written {
        String kind;
        int id;
        String name;
        int channels;
        String format;
        double nominalSrateHz;
        long samples;
        double firstTimestampS = Double.NaN;
        double lastTimestampS = Double.NaN;
    }

    /** The export's outcome. */
    static final class Result {
        Path journal;
        Path stimJournal;
        Path file;
        long bytes;
        long frames;
        final Map<Kind, Written> streams = new LinkedHashMap<>();
        /** Set when the journal was damaged: the export holds every record before the damage. */
        String journalDamage;
        String stimDamage;
    }

    /** Markers before the first frame are held until the streams are declared; more than this is refused. */
    static final int MAX_EARLY_MARKERS = 100_000;

    private JournalExport() {
    }

    /**
     * Exports {@code run} to {@code out}. Damage in the journal after its first frame ends the export early: the file
     * holds what came before and {@link Result#journalDamage} says why. A journal that cannot be used at all is an
     * {@link IllegalArgumentException}; an I/O failure leaves no file at {@code out}.
     */
    static Result export(Path run, Path stimDir, Path out, Set<Kind> kinds, LongConsumer progress)
            throws IOException {
        Path dir = run.toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + ": no such journal run directory");
        }
        if (!JournalInfo.hasQueueFiles(dir)) {
            throw new IllegalArgumentException(dir + " is not a Reflex journal: it holds no Chronicle queue file"
                    + " (*.cq4)");
        }
        if (Files.isDirectory(out)) {
            throw new IllegalArgumentException(out + " is a directory, not an XDF file name");
        }
        Result r = new Result();
        r.journal = dir;
        r.file = out.toAbsolutePath().normalize();
        Path stim = null;
        if (kinds.contains(Kind.STIM)) {
            stim = stimDir != null ? stimDir.toAbsolutePath().normalize() : JournalInfo.stimJournalOf(dir);
            if (stimDir != null && !Files.isDirectory(stim)) {
                throw new IllegalArgumentException(stim + ": no such stimulation journal directory");
            }
            if (stimDir != null && !JournalInfo.hasQueueFiles(stim)) {
                throw new IllegalArgumentException(stim + " is not a stimulation journal: it holds no Chronicle queue"
                        + " file (*.cq4)");
            }
        }
        r.stimJournal = stim;
        try (JournalReader reader = new JournalReader(dir); XdfWriter w = XdfWriter.create(r.file)) {
            JournalRecord rec = new JournalRecord();
            List<JournalRecord> early = new ArrayList<>(); // markers before the first frame
            byte type;
            while ((type = reader.nextRecord(rec)) != 0 && type != JournalFormat.TYPE_FRAME) {
                if (type == JournalFormat.TYPE_MARKER) {
                    JournalRecord m = new JournalRecord();
                    m.markerTimeS = rec.markerTimeS;
                    m.markerText = rec.markerText;
                    if (early.size() == MAX_EARLY_MARKERS) {
                        throw new IllegalArgumentException("journal " + dir + " holds more than " + MAX_EARLY_MARKERS
                                + " markers before its first frame");
                    }
                    early.add(m);
                }
            }
            String meta = reader.metadataJson();
            if (meta == null) {
                throw new IllegalArgumentException(dir + " is not a Reflex journal: it holds no run metadata record");
            }
            JsonNode m = Json.mapper().readTree(meta);
            JsonNode cfg = m.path("config");
            long binUs = cfg.path("pipeline").path("binWidthUs").asLong(0);
            if (type == 0) {
                String why = reader.tailFault() != null ? ": " + reader.tailFault() : "";
                throw new IllegalArgumentException("journal " + dir + " holds no frame to export" + why);
            }
            if (binUs <= 0) {
                throw new IllegalArgumentException("journal " + dir + ": its config names no pipeline.binWidthUs");
            }
            Streams s = new Streams(w, kinds, r, cfg, m, rec, binUs, stim != null);
            for (JournalRecord e : early) {
                s.marker(e);
            }
            double offsetAtS = rec.acquisitionTimeS;
            for (int id : s.ids()) {
                w.clockOffset(id, offsetAtS, 0.0);
            }
            long frames = 0;
            double lastS = offsetAtS;
            do {
                if (type == JournalFormat.TYPE_FRAME) {
                    s.frame(rec, frames);
                    frames++;
                    lastS = rec.acquisitionTimeS;
                    if ((frames & 1023) == 0 && progress != null) {
                        progress.accept(frames);
                    }
                } else if (type == JournalFormat.TYPE_MARKER) {
                    s.marker(rec);
                }
            } while ((type = reader.nextRecord(rec)) != 0);
            r.frames = frames;
            r.journalDamage = reader.tailFault();
            if (stim != null) {
                r.stimDamage = s.stim(stim);
            }
            for (int id : s.ids()) {
                w.clockOffset(id, lastS, 0.0);
            }
            for (Written x : r.streams.values()) {
                x.samples = w.sampleCount(x.id);
            }
            w.finish();
            r.bytes = Files.size(r.file);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return r;
    }

    /** The open streams of one export. */
    private static final class Streams {
        private final XdfWriter w;
        private final Result r;
        private final int channels;
        private final int featureCount;
        private final int outputs;
        private final int references;
        private final int input;
        private final int features;
        private final int output;
        private final int targets;
        private final int markers;
        private final int stim;
        private final List<Integer> ids = new ArrayList<>();

        Streams(XdfWriter w, Set<Kind> kinds, Result r, JsonNode cfg, JsonNode meta, JournalRecord first,
                long binUs, boolean withStim) throws IOException {
            this.w = w;
            this.r = r;
            channels = first.channels;
            featureCount = first.featureCount;
            outputs = first.outputCount;
            references = first.referenceCount;
            String source = cfg.path("source").path("type").asText("");
            boolean spikes = source.equals("synthetic") || source.equals("lorenz");
            String id = "reflex:" + r.journal.getFileName();
            String note = "exported by reflex export from " + r.journal.getFileName() + " (source " + source
                    + ", decoder " + cfg.path("decoder").path("name").asText("") + ", bin " + binUs + " us)";
            double binHz = 1e6 / binUs;
            List<String> refNames = new ArrayList<>();
            meta.path("references").forEach(n -> refNames.add(n.asText()));
            List<String> outNames = new ArrayList<>();
            cfg.path("decodedOutlet").path("labels").forEach(n -> outNames.add(n.asText()));
            if (outNames.size() != outputs) {
                // as the session names its outlet's channels: the decode targets its source's references offer
                outNames.clear();
                DecodeTargets dt = DecodeTargets.of(refNames);
                if (dt != null && dt.count() == outputs) {
                    outNames.addAll(dt.names());
                } else {
                    for (int i = 0; i < outputs; i++) {
                        outNames.add("out" + i);
                    }
                }
            }
            if (kinds.contains(Kind.INPUT) && first.sampleCount > 0) {
                XdfStream x = new XdfStream().name("Reflex input").type(spikes ? "Spikes" : "Input")
                        .channels(channels, ChannelFormat.FLOAT32)
                        .nominalSrateHz(first.sampleCount * binHz).sourceId(id + ":input").note(note);
                for (int i = 0; i < channels; i++) {
                    x.channel(spikes ? "n" + i : "ch" + i, spikes ? "spikes" : "", spikes ? "Spikes" : "");
                }
                input = add(Kind.INPUT, x);
            } else {
                input = 0;
            }
            if (kinds.contains(Kind.FEATURES)) {
                XdfStream x = new XdfStream().name("Reflex features").type("Features")
                        .channels(featureCount, ChannelFormat.FLOAT32).nominalSrateHz(binHz).sourceId(id + ":features")
                        .note(note + "; one sample per bin at the bin's acquisition time");
                if (featureCount == channels) {
                    for (int i = 0; i < channels; i++) {
                        x.channel((spikes ? "n" : "ch") + i, spikes ? "spikes/bin" : "", "Feature");
                    }
                } else {
                    // a broadband front end with several outputs: channels × outputs, one block of channels per
                    // output in the order of frontend.outputs (threshold crossings, then spike-band power)
                    List<String> kinds2 = new ArrayList<>();
                    cfg.path("frontend").path("outputs").forEach(n -> kinds2.add(n.asText()));
                    for (int i = 0; i < featureCount; i++) {
                        int block = channels == 0 ? 0 : i / channels;
                        String kind = block < kinds2.size() ? kinds2.get(block) : "f" + block;
                        x.channel("ch" + (channels == 0 ? i : i % channels) + ":" + kind,
                                kind.equals("crossings") ? "crossings/bin" : kind.equals("power") ? "uV^2" : "",
                                "Feature");
                    }
                }
                features = add(Kind.FEATURES, x);
            } else {
                features = 0;
            }
            if (kinds.contains(Kind.OUTPUT) && outputs > 0) {
                XdfStream x = new XdfStream().name("Reflex decoded").type("Decoded")
                        .channels(outputs, ChannelFormat.FLOAT32).nominalSrateHz(binHz).sourceId(id + ":output")
                        .note(note + "; the bins a decoder decoded, at the bin's acquisition time as the decoded"
                                + " outlet stamps them");
                for (String n : outNames) {
                    x.channel(n, "", "Decoded");
                }
                output = add(Kind.OUTPUT, x);
            } else {
                output = 0;
            }
            if (kinds.contains(Kind.TARGETS) && references > 0) {
                XdfStream x = new XdfStream().name("Reflex targets").type("Targets")
                        .channels(references, ChannelFormat.FLOAT32).nominalSrateHz(binHz)
                        .sourceId(id + ":targets").note(note + "; the bin's mean reference values");
                for (int i = 0; i < references; i++) {
                    x.channel(i < refNames.size() ? refNames.get(i) : "ref" + i, "", "Target");
                }
                targets = add(Kind.TARGETS, x);
            } else {
                targets = 0;
            }
            if (kinds.contains(Kind.MARKERS)) {
                markers = add(Kind.MARKERS, new XdfStream().name("Reflex markers").type("Markers")
                        .channels(1, ChannelFormat.STRING).sourceId(id + ":markers")
                        .note(note + "; task markers and control actions (reflex-control lines)")
                        .channel("marker", "", "Marker"));
            } else {
                markers = 0;
            }
            if (withStim) {
                stim = add(Kind.STIM, new XdfStream().name("Reflex stimulation").type("Markers")
                        .channels(1, ChannelFormat.STRING).sourceId(id + ":stim")
                        .note(note + "; every command with its envelope verdict, stop-alls and stimulation events,"
                                + " at the time they were journaled")
                        .channel("stim", "", "Marker"));
            } else {
                stim = 0;
            }
        }

        private int add(Kind k, XdfStream x) throws IOException {
            int id = w.addStream(x);
            Written s = new Written();
            s.kind = k.key;
            s.id = id;
            s.name = x.name;
            s.channels = x.channelCount;
            s.format = x.format.xml();
            s.nominalSrateHz = x.nominalSrateHz;
            r.streams.put(k, s);
            ids.add(id);
            return id;
        }

        List<Integer> ids() {
            return ids;
        }

        void frame(JournalRecord rec, long index) throws IOException {
            if (rec.channels != channels || rec.featureCount != featureCount || rec.outputCount != outputs
                    || rec.referenceCount != references) {
                throw new IllegalArgumentException("journal " + r.journal + ": frame " + rec.sequence + " has "
                        + rec.channels + " channels, " + rec.featureCount + " features, " + rec.outputCount
                        + " outputs and " + rec.referenceCount + " references; the first had " + channels + ", "
                        + featureCount + ", " + outputs + " and " + references);
            }
            if (input != 0) {
                for (int i = 0; i < rec.sampleCount; i++) {
                    w.sample(input, rec.sampleTimestampsS[i], rec.samples, i * channels);
                }
            }
            double t = rec.acquisitionTimeS;
            if (features != 0) {
                w.sample(features, t, rec.features, 0);
            }
            boolean decoded = rec.decoderGeneration > 0 && rec.decodeStatus != Frame.DECODE_SKIPPED
                    && (rec.flags & Frame.FLAG_INVALID_INPUT) == 0;
            if (output != 0 && decoded) {
                w.sample(output, t, rec.output, 0);
            }
            if (targets != 0) {
                w.sample(targets, t, rec.targets, 0);
            }
        }

        void marker(JournalRecord rec) throws IOException {
            if (markers != 0) {
                w.marker(markers, rec.markerTimeS, rec.markerText);
            }
        }

        /** Writes the stimulation journal's records; returns its damage, or null. */
        String stim(Path dir) {
            String[] damage = new String[1];
            ChronicleStimJournal.read(dir, new ChronicleStimJournal.Visitor() {
                @Override
                public void command(long sequence, long timeNs, int verdict, StimCommand c) {
                    StringBuilder ch = new StringBuilder();
                    for (int i = 0; i < c.channelCount(); i++) {
                        ch.append(i == 0 ? "" : ",").append(c.channel(i));
                    }
                    put(timeNs, String.format(Locale.ROOT, "command seq=%d verdict=%s channels=%s"
                                    + " phase1_na=%d phase1_width_ns=%d gap_ns=%d phase2_na=%d phase2_width_ns=%d"
                                    + " frequency_mhz=%d pulses=%d trigger_s=%.9f input_s=%.9f",
                            sequence, StimVerdict.name(verdict), ch, c.phase1AmplitudeNa(), c.phase1WidthNs(),
                            c.interphaseGapNs(), c.phase2AmplitudeNa(), c.phase2WidthNs(), c.frequencyMilliHz(),
                            c.pulseCount(), c.triggerTimeNs() * 1e-9, c.inputTimeNs() * 1e-9));
                }

                @Override
                public void event(long timeNs, int event, int code, String reason) {
                    put(timeNs, "event " + StimEvent.name(event) + " code=" + code + " " + reason);
                }

                @Override
                public void stopAll(long sequence, long timeNs) {
                    put(timeNs, "stop-all seq=" + sequence);
                }

                @Override
                public void damaged(String reason) {
                    damage[0] = reason;
                }

                private void put(long timeNs, String text) {
                    try {
                        w.marker(stim, timeNs * 1e-9, text);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            });
            return damage[0];
        }
    }
}
