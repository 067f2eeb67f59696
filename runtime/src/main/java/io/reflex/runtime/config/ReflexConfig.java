package io.reflex.runtime.config;

import io.reflex.runtime.check.MemoryFootprint;
import io.reflex.runtime.check.ConfigException;
import io.reflex.runtime.check.Check;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.reflex.runtime.agent.IdleStrategies;
import io.reflex.runtime.agent.Realtime;
import io.reflex.runtime.frontend.FrontEnd;
import io.reflex.runtime.journal.ChronicleSettings;
import io.reflex.runtime.journal.Journal;
import io.reflex.runtime.pipeline.Topology;
import io.reflex.runtime.config.DecoderCatalog;
import io.reflex.runtime.stim.StimConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The runtime's configuration: what {@code reflex daemon --config FILE} reads and what {@code reflex demo} builds
 * from its options. Every field has a default, so {@code {}} is a valid config; {@link #validate()} refuses a bad
 * value naming its dotted path, the value and what is allowed. The README documents each field.
 */
public final class ReflexConfig {
    /** Source types this build knows. */
    public static final Set<String> SOURCE_TYPES = Set.of("synthetic", "lorenz", "lsl", "broadband");

    private static final ObjectMapper MAPPER = com.fasterxml.jackson.databind.json.JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            // "channels": "96" or "enabled": "yes" is a mistake worth naming, not something to coerce.
            .disable(com.fasterxml.jackson.databind.MapperFeature.ALLOW_COERCION_OF_SCALARS)
            // An extra '}' would otherwise end the config early and silently drop every later key.
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            // A key given twice: a reviewer reads the first, Jackson would keep the last.
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            // "channels": 96.7 is a mistake, not 96.
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .build();

    public SourceConfig source = new SourceConfig();
    public PipelineConfig pipeline = new PipelineConfig();
    public DecoderConfig decoder = new DecoderConfig();
    public CalibrationConfig calibration = new CalibrationConfig();
    public RunConfig run = new RunConfig();
    public JournalConfig journal = new JournalConfig();
    /**
     * Closed-loop stimulation ({@link StimConfig}); null (the default, or {@code "stim": null}) runs without it.
     * stim/README.md documents every key.
     */
    public StimConfig stim;
    /** The LSL outlet of the decoded output (docs/lab-setup.md); on by default when {@code source.type} is lsl. */
    public LabStreamsConfig.DecodedOutlet decodedOutlet = new LabStreamsConfig.DecodedOutlet();
    /** The daemon's HTTP control API (off by default). */
    public ControlConfig control = new ControlConfig();
    /**
     * The broadband front end of the features stage (docs/frontend.md); null (the default) takes the source's
     * samples as spike counts and sums them per bin.
     */
    public FrontEndConfig frontend;

    /**
     * Broadband voltage (µV) to features: common average reference, Butterworth filter, threshold crossings at
     * {@code -k × RMS} (RMS on the first {@code rmsSeconds} of the run) and/or spike-band power, with dead channels
     * (non-finite, flat, clipped) detected and excluded. Defaults as in {@link FrontEnd.Context}.
     */
    public static final class FrontEndConfig {
        /** {@code none}, {@code all} or {@code groups} (contiguous groups of {@link #carGroupSize}). */
        public String car = "all";
        /** Channels per CAR group with {@code car = groups}. */
        public int carGroupSize = 32;
        public FilterConfig filter = new FilterConfig();
        public ThresholdConfig threshold = new ThresholdConfig();
        /** Seconds of filtered signal the RMS is estimated on, at the start of the calibration block. */
        public double rmsSeconds = 2;
        /** {@code crossings} and/or {@code power}: the features handed to the decoder, per channel. */
        public List<String> outputs = new ArrayList<>(List.of("crossings"));
        public HealthConfig health = new HealthConfig();
        /** µV per input unit: 1 for a µV (float32) stream, the resolution for int16 counts (e.g. 0.25). */
        public double inputScaleUv = 1.0;

        /** The Butterworth band-pass (or high-pass / low-pass with the other corner 0). */
        public static final class FilterConfig {
            /** Order of each side, 1..16; 0 disables the filter. */
            public int order = 2;
            public double highPassHz = 250;
            public double lowPassHz = 5_000;
        }

        /** Threshold crossings. */
        public static final class ThresholdConfig {
            /** The threshold is {@code -k × RMS}. */
            public double k = 4.5;
            /** No crossing counts for this long after one, ms. */
            public double refractoryMs = 1.0;
        }

        /** Dead-channel detection. */
        public static final class HealthConfig {
            /** Peak-to-peak over a bin at most this is flat, µV. */
            public double flatUv = 0.5;
            /** The amplifier's rail, µV. */
            public double clipUv = 8_000;
            /** Fraction of a bin's samples at the rail that makes a channel clipped. */
            public double clippedFraction = 0.01;
        }

        /** The front end's context for this section (channels, rate and bin are set by the pipeline). */
        public FrontEnd.Context toContext() {
            Check.present("frontend.filter", filter, "an object");
            Check.present("frontend.threshold", threshold, "an object");
            Check.present("frontend.health", health, "an object");
            return new FrontEnd.Context().car(car).carGroupSize(carGroupSize).filterOrder(filter.order)
                    .highPassHz(filter.highPassHz).lowPassHz(filter.lowPassHz).thresholdK(threshold.k)
                    .refractoryMs(threshold.refractoryMs).rmsSeconds(rmsSeconds).outputs(outputs)
                    .flatUv(health.flatUv).clipUv(health.clipUv).clippedFraction(health.clippedFraction)
                    .inputScaleUv(inputScaleUv);
        }
    }

    /** Decoder inputs per bin: the channels, or with a front end channels × its outputs. */
    public int featureCount() {
        return frontend == null || frontend.outputs == null ? source.channels
                : source.channels * Math.max(1, frontend.outputs.size());
    }

    /** Where samples come from. */
    public static final class SourceConfig {
        /**
         * {@code synthetic}: the center-out generator paced in real time; {@code lorenz}: Lorenz-driven Poisson
         * spikes in trials (the data the LFADS demo models were trained on); {@code lsl}: an LSL stream;
         * {@code broadband}: synthetic 30 kHz voltage of the center-out units (needs a {@code frontend} section).
         */
        public String type = "synthetic";
        /** Channels the pipeline expects; a source delivering another count is refused at start. */
        public int channels = 96;
        /** Synthetic source sample rate, Hz. */
        public double sampleRateHz = 1000;
        /** Synthetic source seed. */
        public long seed = 1;
        /** Bins per trial of the {@code lorenz} source. */
        public int trialBins = 73;
        /** The stream to ingest when {@code type} is {@code lsl}. */
        public LslSourceConfig lsl = new LslSourceConfig();
        /** The synthetic units when {@code type} is {@code broadband} (and of {@code demo --broadband}). */
        public BroadbandSourceConfig broadband = new BroadbandSourceConfig();
    }

    /**
     * The synthetic broadband source's signal: white noise and the units' spike trough amplitudes, drawn per channel
     * uniformly from [spikeMinUv, spikeMaxUv]. The defaults make detection easy (troughs 7 to 12 times the noise);
     * smaller spikes make it as hard as a real array's weaker units.
     */
    public static final class BroadbandSourceConfig {
        /** White noise RMS, µV. */
        public double noiseUv = 10;
        /** Smallest trough amplitude, µV. */
        public double spikeMinUv = 70;
        /** Largest trough amplitude, µV. */
        public double spikeMaxUv = 120;
    }

    /** An LSL stream as the pipeline's source (chosen by name, type and/or source_id). */
    public static final class LslSourceConfig {
        /** Stream name ("" = any). */
        public String name = "";
        /** Stream type ("" = any). */
        public String type = "";
        /** Stream source_id ("" = any); set it so that a restarted outlet is followed. */
        public String sourceId = "";
        /** {@code java}, {@code native} (liblsl) or {@code auto}. */
        public String backend = "java";
        /** {@code loopback}, {@code default} (liblsl's lsl_api.cfg search path, else site multicast) or a file. */
        public String network = "default";
        /** How long to look for the stream at start, s. */
        public double resolveTimeoutS = 10;
        /** Silence of the stream longer than this is reported and counted as an outage, ms. */
        public double outageMs = 1000;
        /**
         * Most memory each inlet's receive buffer may take, MiB (Java backend): the buffer holds the samples that
         * arrived and were not pulled yet, and drops the oldest (counted) when full; at 1,024 int16 channels and
         * 30 kHz, 64 MiB is about half a second.
         */
        public int bufferMiB = 64;
        /**
         * The task's kinematics as a separate LSL stream (docs/lab-setup.md); null (the default): the neural
         * stream carries them in channels labelled vx, vy.
         */
        public LabStreamsConfig.Kinematics kinematics;
        /** The task's marker stream, counted off the critical path (docs/lab-setup.md); null (the default): none. */
        public LabStreamsConfig.Markers markers;
    }

    /** The Disruptor pipeline. */
    public static final class PipelineConfig {
        /** Spike-count bin width, µs; must hold a whole number of samples. */
        public long binWidthUs = 20_000;
        /** Ring slots (power of two). */
        public int ringSize = 1024;
        /** Per-frame deadline from ingest to emit, µs. */
        public long deadlineUs = 5_000;
        /** {@code fused}, {@code per-stage} or {@code single}. */
        public String topology = Topology.FUSED.key();
        /** Idle strategy of the ingest thread. */
        public String hotIdle = "backoff";
        /** Idle strategy of every other thread. */
        public String idle = "park";
        /**
         * {@code SCHED_FIFO} priority (1-98) of the critical-path threads, 0 (the default): the normal scheduler. Needs
         * root or CAP_SYS_NICE; the run refuses to start when the kernel refuses it.
         */
        public int realtimePriority;
    }

    /** The decoder that runs live, and those scored beside it. */
    public static final class DecoderConfig {
        /** Decoder run live. */
        public String name = "kalman";
        /** Options passed to the decoder factory (all strings). */
        public Map<String, String> options = new LinkedHashMap<>();
        /** Decoders fitted on the same calibration block and scored on the same live frames, off the critical path. */
        public List<String> compare = new ArrayList<>();
        /**
         * The engine chain of a model decoder ({@code lfads}, {@code snn}), in order of preference: the first healthy
         * engine decodes; on a fault the next one takes the same bin over from the same state. Engines that cannot
         * run here (no card, no library) are left out with their reason.
         */
        public List<String> engines = new ArrayList<>(DEFAULT_ENGINES);
        /** Options per engine, e.g. {@code {"xrt": {"xclbin": "/opt/reflex/reflex.xclbin"}}}. */
        public Map<String, Map<String, String>> engineOptions = new LinkedHashMap<>();
        /**
         * A failover drill: {@code "ENGINE@STEP"} makes that engine of the chain fault at its STEP-th bin (1-based),
         * so that the next engine takes over; null (the default) for none.
         */
        public String injectFault;
        /**
         * A saved Kalman or Wiener decoder (decoders/DECODER_FILE.md) to decode with instead of calibrating; null (the
         * default) calibrates. Checked against the source and pipeline by {@link #validate()}.
         */
        public String file;
    }

    /**
     * The default engine chain: the bit-exact Java model, which runs on every machine. A card is opted into by naming
     * it, e.g. {@code decoder.engines = ["xrt", "cpu-fixed"]} with {@code decoder.engineOptions.xrt.xclbin}: an
     * {@code xrt} engine in the default chain could run on no machine without that option, and would only add a row
     * "no xclbin configured" to every report.
     */
    public static final List<String> DEFAULT_ENGINES = List.of("cpu-fixed");

    /** The calibration block recorded before live decoding. */
    public static final class CalibrationConfig {
        /** Seconds of calibration frames recorded before the fit. */
        public double seconds = 10;
        /**
         * Seconds calibration may take before the run fails (the source delivers no usable bins: all NaN/Inf, or
         * none at all); 0 picks {@link #effectiveTimeoutS()}.
         */
        public double timeoutS = 0;

        /** The timeout in force: {@link #timeoutS}, or when 0, three times {@link #seconds} and at least 30 s. */
        public double effectiveTimeoutS() {
            return timeoutS > 0 ? timeoutS : Math.max(30, 3 * seconds);
        }
    }

    /** How long the live phase lasts. */
    public static final class RunConfig {
        /** Seconds of live decoding; 0 runs until stopped (SIGTERM). */
        public double seconds = 0;
    }

    /** The Chronicle Queue journal. */
    public static final class JournalConfig {
        /** Record every frame. */
        public boolean enabled = true;
        /** Parent directory; each run writes into a new sub-directory. */
        public String dir = "reflex-journal";
        /**
         * Free space, MiB, that must stay on the file system of each journal (the data journal and the stimulation
         * journal): a run refuses to start with less than this plus one journal block usable, and the journal faults
         * (the run fails, stimulation stops) when the usable space falls below it. At least one journal block.
         */
        public long reserveMiB = DEFAULT_RESERVE_MIB;
    }

    /** The daemon's HTTP control API: status, Prometheus metrics, and token-guarded stop / e-stop. */
    public static final class ControlConfig {
        /** Serve the control API while the daemon runs. */
        public boolean enabled = false;
        /** Numeric IP address to listen on; loopback unless {@link #allowNonLoopback}. */
        public String bind = "127.0.0.1";
        /** TCP port; 0 takes a free one (the bound URL is printed on stderr). */
        public int port = 0;
        /** Where the token is written (owner-only); null: {@code control.token} in {@code journal.dir}. */
        public String tokenFile;
        /** Where control actions are appended; null: {@code control.log} in {@code journal.dir}. */
        public String logFile;
        /** The explicit opt-in that a non-loopback {@link #bind} address needs. */
        public boolean allowNonLoopback = false;
        /** Messages per second on each {@code /api/telemetry} WebSocket. */
        public int telemetryHz = 10;
        /** Telemetry WebSocket clients served at once; more are refused (503). */
        public int telemetryMaxClients = 2_000;
        /** Smallest and largest {@link #telemetryHz}. */
        public static final int MIN_TELEMETRY_HZ = 1;
        public static final int MAX_TELEMETRY_HZ = 60;
        /** Largest {@link #telemetryMaxClients}. */
        public static final int MAX_TELEMETRY_CLIENTS = 10_000;
        /** Input channels whose features (the bin's spike counts) the status and telemetry carry; at most 64. */
        public java.util.List<Integer> telemetryChannels = new java.util.ArrayList<>();
        /** Most {@link #telemetryChannels}. */
        public static final int MAX_TELEMETRY_CHANNELS = 1024;

        /** The token file to write. */
        public Path tokenPath(ReflexConfig c) {
            return tokenFile != null ? Path.of(tokenFile) : Path.of(c.journal.dir).resolve("control.token");
        }

        /** The control log to append to. */
        public Path logPath(ReflexConfig c) {
            return logFile != null ? Path.of(logFile) : Path.of(c.journal.dir).resolve("control.log");
        }

        void validate() {
            Check.present("control.bind", bind, "a numeric IP address");
            Check.range("control.port", port, 0, 65_535);
            Check.range("control.telemetryHz", telemetryHz, MIN_TELEMETRY_HZ, MAX_TELEMETRY_HZ);
            Check.range("control.telemetryMaxClients", telemetryMaxClients, 1, MAX_TELEMETRY_CLIENTS);
            Check.present("control.telemetryChannels", telemetryChannels, "a list of channel indices");
            if (telemetryChannels.size() > MAX_TELEMETRY_CHANNELS) {
                throw new ConfigException("control.telemetryChannels", telemetryChannels.size() + " channels",
                        "at most " + MAX_TELEMETRY_CHANNELS);
            }
            if (!bind.matches("[0-9A-Fa-f:.]+")) {
                throw new ConfigException("control.bind", "\"" + bind + "\"", "a numeric IP address such as 127.0.0.1"
                        + " or ::1 (a host name is not looked up)");
            }
            java.net.InetAddress a;
            try {
                a = java.net.InetAddress.getByName(bind);
            } catch (java.net.UnknownHostException e) {
                throw new ConfigException("control.bind", "\"" + bind + "\"", "a numeric IP address");
            }
            if (a.isAnyLocalAddress()) {
                throw new ConfigException("control.bind", "\"" + bind + "\"", "one specific address (a wildcard"
                        + " address would accept any Host header)");
            }
            if (!a.isLoopbackAddress() && !allowNonLoopback) {
                throw new ConfigException("control.bind", "\"" + bind + "\"", "a loopback address (127.0.0.1, ::1);"
                        + " another address needs \"control.allowNonLoopback\": true");
            }
        }
    }

    /** Default of {@code journal.reserveMiB}. */
    public static final long DEFAULT_RESERVE_MIB = 256;
    /** Largest {@code journal.reserveMiB}: 1 TiB. */
    public static final long MAX_RESERVE_MIB = 1L << 20;

    /** Reads and validates a config file. */
    public static ReflexConfig load(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException("config", "file " + file.toAbsolutePath() + " does not exist");
        } catch (IOException e) {
            throw new ConfigException("config", "cannot read " + file.toAbsolutePath() + ": " + e.getMessage());
        }
        return parse(text);
    }

    /** Parses and validates config JSON. */
    public static ReflexConfig parse(String json) {
        com.fasterxml.jackson.databind.JsonNode tree;
        try {
            tree = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw notValidJson(e);
        }
        if (tree == null || !tree.isObject()) {
            throw new ConfigException("config", tree == null ? "nothing" : tree.toString(), "a JSON object");
        }
        ReflexConfig c;
        try {
            c = MAPPER.treeToValue(tree, ReflexConfig.class);
        } catch (UnrecognizedPropertyException e) {
            List<String> known = new ArrayList<>();
            for (Object o : e.getKnownPropertyIds()) {
                known.add(String.valueOf(o));
            }
            known.sort(null);
            throw new ConfigException(path(e, e.getPropertyName()), "unknown field; allowed fields here: " + known);
        } catch (MismatchedInputException e) {
            throw new ConfigException(path(e, null), valueAt(tree, e), expected(e.getTargetType()));
        } catch (JsonMappingException e) {
            throw new ConfigException(path(e, null), "cannot be read: " + e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            throw new ConfigException("config", "cannot be read: " + e.getOriginalMessage());
        }
        if (c == null) {
            throw new ConfigException("config", "null", "a JSON object");
        }
        return c.validate();
    }

    /** Names the position of a syntax error, and the key path of a duplicate key. */
    private static ConfigException notValidJson(JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
        String original = e.getOriginalMessage();
        JsonStreamContext ctx = e instanceof StreamReadException && ((StreamReadException) e).getProcessor() != null
                ? ((StreamReadException) e).getProcessor().getParsingContext() : null;
        if (ctx != null && original != null && original.startsWith("Duplicate field '")) {
            String key = original.substring("Duplicate field '".length(), original.lastIndexOf('\''));
            String parent = keyPath(ctx);
            return new ConfigException(parent.isEmpty() ? key : parent + "." + key, "given twice (second"
                    + where + "); each key may appear once in an object");
        }
        boolean afterRoot = (original != null && original.startsWith("Trailing token"))
                || (ctx != null && ctx.inRoot() && ctx.getEntryCount() >= 1);
        if (afterRoot) {
            return new ConfigException("config", "not valid JSON" + where + ": content after the config object"
                    + " (the file must hold exactly one object; an extra '}' would end it early)");
        }
        return new ConfigException("config", "not valid JSON" + where + ": " + original);
    }

    /**
     * The dotted key path of the value a parser context reads, e.g. {@code stim.electrodeLimits[0]}; "" for the
     * top-level object. (Nesting is bounded by Jackson's read constraints, so the recursion is too.)
     */
    private static String keyPath(JsonStreamContext ctx) {
        JsonStreamContext up = ctx == null ? null : ctx.getParent();
        if (up == null || up.inRoot()) {
            return "";
        }
        String parent = keyPath(up);
        if (up.inArray()) {
            return parent + "[" + up.getCurrentIndex() + "]";
        }
        return parent.isEmpty() ? up.getCurrentName() : parent + "." + up.getCurrentName();
    }

    private static String path(JsonMappingException e, String leaf) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                if (sb.length() > 0) {
                    sb.append('.');
                }
                sb.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        if (leaf != null && !sb.toString().endsWith(leaf)) {
            sb.append(sb.length() > 0 ? "." : "").append(leaf);
        }
        return sb.length() == 0 ? "config" : sb.toString();
    }

    /** The offending JSON value, as written in the file. */
    private static String valueAt(com.fasterxml.jackson.databind.JsonNode tree, JsonMappingException e) {
        com.fasterxml.jackson.databind.JsonNode n = tree;
        for (JsonMappingException.Reference r : e.getPath()) {
            if (n == null) {
                break;
            }
            n = r.getFieldName() != null ? n.get(r.getFieldName()) : n.get(r.getIndex());
        }
        return n == null ? "this value" : n.toString();
    }

    private static String expected(Class<?> type) {
        if (type == null) {
            return "a value of another type";
        }
        if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
            return "an integer";
        }
        if (type == double.class || type == Double.class) {
            return "a number";
        }
        if (type == boolean.class || type == Boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "a string";
        }
        if (List.class.isAssignableFrom(type)) {
            return "an array";
        }
        if (Map.class.isAssignableFrom(type)) {
            return "an object of strings";
        }
        return "an object";
    }

    /**
     * Checks every value; returns this. Ranges here are the config's; the pipeline and decoders check their own
     * again at start.
     */
    public ReflexConfig validate() {
        Check.present("source", source, "an object");
        Check.present("pipeline", pipeline, "an object");
        Check.present("decoder", decoder, "an object");
        Check.present("calibration", calibration, "an object");
        Check.present("run", run, "an object");
        Check.present("journal", journal, "an object");
        Check.oneOf("source.type", source.type, new java.util.TreeSet<>(SOURCE_TYPES));
        Check.range("source.channels", source.channels, 1, 65_536);
        Check.range("source.trialBins", source.trialBins, 1, 100_000);
        if ("lsl".equals(source.type)) {
            Check.present("source.lsl", source.lsl, "an object");
            Check.present("source.lsl.name", source.lsl.name, "a string");
            Check.present("source.lsl.type", source.lsl.type, "a string");
            Check.present("source.lsl.sourceId", source.lsl.sourceId, "a string");
            if (source.lsl.name.isEmpty() && source.lsl.type.isEmpty() && source.lsl.sourceId.isEmpty()) {
                throw new ConfigException("source.lsl", "choose the stream by name, type or sourceId");
            }
            Check.oneOf("source.lsl.backend", source.lsl.backend, new java.util.TreeSet<>(Set.of("java", "native",
                    "auto")));
            Check.present("source.lsl.network", source.lsl.network, "loopback, default or an lsl_api.cfg path");
            Check.range("source.lsl.resolveTimeoutS", source.lsl.resolveTimeoutS, 0.1, 3_600);
            Check.range("source.lsl.bufferMiB", source.lsl.bufferMiB, 1, 4_096);
        }
        LabStreamsConfig.validate(this);
        Check.present("source.broadband", source.broadband, "an object");
        Check.range("source.broadband.noiseUv", source.broadband.noiseUv, 0, 10_000);
        Check.range("source.broadband.spikeMinUv", source.broadband.spikeMinUv, 0, 100_000);
        Check.range("source.broadband.spikeMaxUv", source.broadband.spikeMaxUv, source.broadband.spikeMinUv, 100_000);
        Check.range("source.sampleRateHz", source.sampleRateHz, 1, 1_000_000);
        Check.range("pipeline.binWidthUs", pipeline.binWidthUs, 100, 10_000_000);
        double samples = pipeline.binWidthUs * source.sampleRateHz / 1e6;
        if (samples < 1 || Math.abs(samples - Math.rint(samples)) > 1e-6) {
            throw new ConfigException("pipeline.binWidthUs", String.valueOf(pipeline.binWidthUs),
                    "a width holding a whole number (>= 1) of samples at source.sampleRateHz = "
                            + source.sampleRateHz + " Hz");
        }
        if ("broadband".equals(source.type) && frontend == null) {
            throw new ConfigException("frontend", "null", "a frontend section: source.type broadband delivers voltage"
                    + " (µV), which the features stage cannot sum as spike counts");
        }
        if (frontend != null) {
            frontend.toContext().channels(source.channels).sampleRateHz(source.sampleRateHz)
                    .samplesPerBin((int) Math.rint(samples)).conclude();
        }
        Check.range("pipeline.ringSize", pipeline.ringSize, 2, 1 << 20);
        if (Integer.bitCount(pipeline.ringSize) != 1) {
            throw new ConfigException("pipeline.ringSize", String.valueOf(pipeline.ringSize),
                    "a power of two in [2, 1048576]");
        }
        Check.range("pipeline.deadlineUs", pipeline.deadlineUs, 1, 60_000_000);
        Check.oneOf("pipeline.topology", pipeline.topology, Topology.keys());
        Check.oneOf("pipeline.hotIdle", pipeline.hotIdle, IdleStrategies.NAMES);
        Check.oneOf("pipeline.idle", pipeline.idle, IdleStrategies.NAMES);
        Check.range("pipeline.realtimePriority", pipeline.realtimePriority, 0, Realtime.MAX_PRIORITY);
        Check.present("decoder.name", decoder.name, "a decoder name");
        Check.present("decoder.options", decoder.options, "an object of strings");
        DecoderCatalog.check("decoder.name", decoder.name, source.channels, decoder.options, source.type);
        Check.present("decoder.engines", decoder.engines, "an array of engine names");
        if (decoder.engines.isEmpty()) {
            throw new ConfigException("decoder.engines", "[]", "at least one engine name");
        }
        java.util.Set<String> knownEngines = new java.util.TreeSet<>(
                io.reflex.decoders.engine.EngineChain.availableEngineNames());
        for (int i = 0; i < decoder.engines.size(); i++) {
            String e = decoder.engines.get(i);
            Check.present("decoder.engines[" + i + "]", e, "an engine name");
            Check.oneOf("decoder.engines[" + i + "]", e, knownEngines);
        }
        Check.present("decoder.engineOptions", decoder.engineOptions, "an object of engine names to option objects");
        for (Map.Entry<String, Map<String, String>> e : decoder.engineOptions.entrySet()) {
            Check.oneOf("decoder.engineOptions", e.getKey(), knownEngines);
            Check.present("decoder.engineOptions." + e.getKey(), e.getValue(), "an object of strings");
        }
        if (decoder.injectFault != null) {
            String f = decoder.injectFault;
            int at = f.indexOf('@');
            long step = -1;
            try {
                step = at > 0 ? Long.parseLong(f.substring(at + 1)) : -1;
            } catch (NumberFormatException e) {
                step = -1;
            }
            if (at <= 0 || step < 1 || !decoder.engines.contains(f.substring(0, at))) {
                throw new ConfigException("decoder.injectFault", "\"" + f + "\"", "ENGINE@STEP with ENGINE one of"
                        + " decoder.engines " + decoder.engines + " and STEP >= 1");
            }
        }
        Check.present("decoder.compare", decoder.compare, "an array of decoder names");
        for (int i = 0; i < decoder.compare.size(); i++) {
            String n = decoder.compare.get(i);
            Check.present("decoder.compare[" + i + "]", n, "a decoder name");
            Check.oneOf("decoder.compare[" + i + "]", n, DecoderCatalog.names());
            if (n.equals(decoder.name)) {
                throw new ConfigException("decoder.compare[" + i + "]", "\"" + n + "\"",
                        "a decoder other than decoder.name");
            }
        }
        if (decoder.file != null) {
            io.reflex.runtime.config.SavedDecoder.load(this);
        }
        Check.range("calibration.seconds", calibration.seconds, 0, 3_600);
        if (calibration.timeoutS != 0) {
            // shorter than the block itself, calibration could never succeed
            Check.range("calibration.timeoutS", calibration.timeoutS, Math.max(0.001, calibration.seconds), 86_400);
        }
        Check.range("run.seconds", run.seconds, 0, 30 * 24 * 3_600.0);
        if (journal.enabled) {
            Check.present("journal.dir", journal.dir, "a directory path");
            if (journal.dir.isBlank()) {
                throw new ConfigException("journal.dir", "\"\"", "a directory path");
            }
        }
        footprint().check(Runtime.getRuntime().maxMemory());
        // The stimulation journal keeps the same reserve, so it is checked with the data journal off too.
        Check.range("journal.reserveMiB", journal.reserveMiB, 1, MAX_RESERVE_MIB);
        long blockMiB = journalBlockBytes() >> 20;
        if (journal.reserveMiB < blockMiB) {
            throw new ConfigException("journal.reserveMiB", String.valueOf(journal.reserveMiB), "at least one journal"
                    + " block, " + blockMiB + " MiB for this config (a block is 4 MiB or 4 x the largest frame record,"
                    + " " + journalFrameBytes() + " bytes, whichever is more), at most " + MAX_RESERVE_MIB);
        }
        Check.present("control", control, "an object");
        control.validate();
        for (int i = 0; i < control.telemetryChannels.size(); i++) {
            Integer ch = control.telemetryChannels.get(i);
            Check.present("control.telemetryChannels[" + i + "]", ch, "a channel index");
            Check.range("control.telemetryChannels[" + i + "]", ch, 0, source.channels - 1);
        }
        if (stim != null) {
            stim.validate();
            int outputs = "state-train".equals(stim.policy) ? stim.variable + stim.stateCount : stim.variable + 1;
            int produced = "lorenz".equals(source.type) ? 3 : 2;
            if (outputs > produced) {
                throw new ConfigException("stim.variable", String.valueOf(stim.variable), "a decoded output index"
                        + " the pipeline produces: the decoders emit " + produced + " outputs ("
                        + (produced == 3 ? "lx, ly, lz" : "vx, vy") + "), and the " + stim.policy
                        + " policy reads outputs [" + stim.variable + ", " + outputs + ")");
            }
        }
        return this;
    }

    /**
     * What this config will make the runtime allocate (ring, ingest block, calibration block, linear decoder
     * matrices), computed from the values alone; {@link #validate()} refuses a config beyond
     * {@link MemoryFootprint#check(long) the bound}. Call after the ranges are checked.
     */
    public MemoryFootprint footprint() {
        long samplesPerBin = Math.round(pipeline.binWidthUs * source.sampleRateHz / 1e6);
        long ch = source.channels;
        // Inputs carry up to three reference values (true kinematics or latents) per sample; outputs as many.
        long refs = 3;
        long binS = Math.max(1, pipeline.binWidthUs);
        long calibrationBins = Math.max(10, Math.round(calibration.seconds * 1e6 / binS));
        MemoryFootprint f = new MemoryFootprint()
                .add("pipeline ring", pipeline.ringSize + " slots x (" + ch + " channels x " + samplesPerBin
                        + " samples x 4 B + " + samplesPerBin + " x (8 B time + " + refs + " x 4 B reference))",
                        pipeline.ringSize, samplesPerBin * (ch * 4 + 8 + refs * 4) + ch * 4 + 64)
                .add("ingest block", ch + " channels x " + samplesPerBin + " samples x 4 B",
                        ch, samplesPerBin, 4)
                .add("calibration block", calibrationBins + " bins x (" + ch + " channels + " + refs
                        + " targets) x 8 B", calibrationBins, ch + refs, 8);
        if ("kalman".equals(decoder.name) || decoder.compare.contains("kalman")) {
            // The observation covariance, its fit-time estimate and its update.
            f.add("kalman matrices", "3 x " + ch + " x " + ch + " channels x 8 B", 3, ch, ch, 8);
        }
        if ("wiener".equals(decoder.name) || decoder.compare.contains("wiener")) {
            long lags = io.reflex.decoders.catalog.Decoders.DEFAULT_WIENER_LAGS;
            String opt = "wiener".equals(decoder.name) && decoder.options != null ? decoder.options.get("lags") : null;
            if (opt != null) {
                try {
                    lags = Math.max(1, Long.parseLong(opt.strip()));
                } catch (NumberFormatException e) {
                    lags = 1; // refused with its own message by the decoder catalogue
                }
            }
            f.add("wiener gram matrix", "(" + ch + " channels x " + lags + " lags)^2 x 8 B", ch * lags, ch * lags, 8);
        }
        return f;
    }

    /**
     * The largest frame record the data journal will write for this config, bytes (up to four reference values per
     * sample, three targets and the trial-start marker, and three outputs). Call after the ranges are checked.
     */
    public long journalFrameBytes() {
        long samplesPerBin = Math.round(pipeline.binWidthUs * source.sampleRateHz / 1e6);
        return Journal.frameBytes(source.channels, samplesPerBin, 4, 3, featureCount());
    }

    /** The data journal's Chronicle block size for this config, bytes ({@link ChronicleSettings#blockBytes}). */
    public long journalBlockBytes() {
        return ChronicleSettings.blockBytes(journalFrameBytes());
    }

    /** {@code journal.reserveMiB} in bytes. */
    public long journalReserveBytes() {
        return journal.reserveMiB << 20;
    }

    /** This config as pretty JSON (for journals and {@code --print-config}). */
    public String toJson() {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
