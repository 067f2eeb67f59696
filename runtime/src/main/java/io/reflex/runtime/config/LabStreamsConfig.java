package io.reflex.runtime.config;

import io.reflex.runtime.check.ConfigException;
import io.reflex.runtime.check.Check;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The parts of the config that wire Reflex into a lab's LSL setup (docs/lab-setup.md): the task software's
 * kinematics stream ({@code source.lsl.kinematics}), the amplifier outage threshold ({@code source.lsl.outageMs})
 * and the decoded-output outlet ({@code decodedOutlet}). Kept apart from {@link ReflexConfig} so that each part
 * validates itself in one place.
 */
public final class LabStreamsConfig {
    /** Most channel labels {@code decodedOutlet.labels} may give (a decoder has a handful of outputs). */
    public static final int MAX_DECODED_LABELS = 64;

    private LabStreamsConfig() {
    }

    /**
     * A separate LSL stream carrying the task's kinematics (the cursor or hand velocity, or its position), paired
     * with the neural bins by LSL timestamp for calibration and scoring. Chosen by name, type and/or source_id.
     */
    public static final class Kinematics {
        /** Stream name ("" = any). */
        public String name = "";
        /** Stream type ("" = any). */
        public String type = "";
        /** Stream source_id ("" = any); set it so that a restarted task program is followed. */
        public String sourceId = "";
        /** Label of the channel holding the x velocity (used unless {@link #x} and {@link #y} are set). */
        public String vx = "vx";
        /** Label of the channel holding the y velocity. */
        public String vy = "vy";
        /** Label of the channel holding the x position; with {@link #y}, velocity is derived from position. */
        public String x = "";
        /** Label of the channel holding the y position. */
        public String y = "";
        /** A longer gap between two kinematics samples is not interpolated across: the bins in it count as missing. */
        public double maxGapMs = 250;
        /**
         * How long (on the neural stream's clock) a bin waits for the kinematics sample after it before it counts
         * as late and is left out of calibration and scoring.
         */
        public double maxWaitMs = 1000;

        /** True when velocity is derived from the {@code x}, {@code y} position channels. */
        public boolean positionMode() {
            return x != null && !x.isEmpty() && y != null && !y.isEmpty();
        }
    }

    /**
     * The task software's marker stream (trial start, target, block; strings), chosen by name, type and/or
     * source_id. Resolved and read on a thread of its own, so it neither delays the start nor touches the critical
     * path; its markers are time-corrected and counted.
     */
    public static final class Markers {
        /** Stream name ("" = any). */
        public String name = "";
        /** Stream type ("" = any). */
        public String type = "";
        /** Stream source_id ("" = any). */
        public String sourceId = "";
    }

    /** The LSL outlet on which the daemon publishes its decoded output, one sample per bin. */
    public static final class DecodedOutlet {
        /** {@code true}, {@code false}, or null: on exactly when {@code source.type} is {@code lsl}. */
        public Boolean enabled;
        /** Stream name. */
        public String name = "reflex-decoded";
        /** Stream type. */
        public String type = "Control";
        /** Stream source_id ("" = the name); a display that resolves by it follows a restarted daemon. */
        public String sourceId = "";
        /**
         * Channel labels, one per decoder output in the decoder's order; null: the decoder's target names
         * ({@code vx}, {@code vy} for velocity).
         */
        public List<String> labels;
        /**
         * How long the daemon waits, before its pipeline starts, for a display to connect to the outlet, s (0: does
         * not wait). With a wait the display receives every sample of the run, calibration included; when none
         * connects in time the run starts anyway.
         */
        public double waitForConsumerS = 0;

        /** Whether the outlet is published for a source of type {@code sourceType}. */
        public boolean enabledFor(String sourceType) {
            return enabled != null ? enabled : "lsl".equals(sourceType);
        }
    }

    /** Checks the lab-stream keys of {@code c} (called by {@link ReflexConfig#validate()}). */
    static void validate(ReflexConfig c) {
        Check.present("decodedOutlet", c.decodedOutlet, "an object");
        ReflexConfig.LslSourceConfig lsl = c.source.lsl;
        boolean isLsl = "lsl".equals(c.source.type);
        if (isLsl) {
            Check.range("source.lsl.outageMs", lsl.outageMs, 10, 3_600_000);
            Kinematics k = lsl.kinematics;
            if (k != null) {
                String at = "source.lsl.kinematics";
                Check.present(at + ".name", k.name, "a string");
                Check.present(at + ".type", k.type, "a string");
                Check.present(at + ".sourceId", k.sourceId, "a string");
                if (k.name.isEmpty() && k.type.isEmpty() && k.sourceId.isEmpty()) {
                    throw new ConfigException(at, "choose the kinematics stream by name, type or sourceId");
                }
                boolean hasX = k.x != null && !k.x.isEmpty();
                boolean hasY = k.y != null && !k.y.isEmpty();
                if (hasX != hasY) {
                    throw new ConfigException(at + (hasX ? ".y" : ".x"), "\"\"", "a channel label: x and y"
                            + " (position) are given together");
                }
                if (!hasX) {
                    label(at + ".vx", k.vx);
                    label(at + ".vy", k.vy);
                    if (k.vx.equals(k.vy)) {
                        throw new ConfigException(at + ".vy", "\"" + k.vy + "\"", "a label other than vx's");
                    }
                } else {
                    label(at + ".x", k.x);
                    label(at + ".y", k.y);
                    if (k.x.equals(k.y)) {
                        throw new ConfigException(at + ".y", "\"" + k.y + "\"", "a label other than x's");
                    }
                }
                Check.range(at + ".maxGapMs", k.maxGapMs, 1, 60_000);
                Check.range(at + ".maxWaitMs", k.maxWaitMs, 1, 60_000);
            }
            Markers m = lsl.markers;
            if (m != null) {
                String at = "source.lsl.markers";
                Check.present(at + ".name", m.name, "a string");
                Check.present(at + ".type", m.type, "a string");
                Check.present(at + ".sourceId", m.sourceId, "a string");
                if (m.name.isEmpty() && m.type.isEmpty() && m.sourceId.isEmpty()) {
                    throw new ConfigException(at, "choose the marker stream by name, type or sourceId");
                }
            }
        } else if (lsl != null && lsl.markers != null) {
            throw new ConfigException("source.lsl.markers", "the marker stream is read with an LSL neural stream:"
                    + " set source.type to lsl, or remove source.lsl.markers");
        } else if (lsl != null && lsl.kinematics != null) {
            throw new ConfigException("source.lsl.kinematics", "a kinematics stream pairs with an LSL neural stream:"
                    + " set source.type to lsl, or remove source.lsl.kinematics");
        }
        DecodedOutlet o = c.decodedOutlet;
        if (o.enabledFor(c.source.type)) {
            label("decodedOutlet.name", o.name);
            label("decodedOutlet.type", o.type);
            Check.present("decodedOutlet.sourceId", o.sourceId, "a string");
            if (o.labels != null) {
                if (o.labels.isEmpty() || o.labels.size() > MAX_DECODED_LABELS) {
                    throw new ConfigException("decodedOutlet.labels", o.labels.size() + " labels",
                            "1 to " + MAX_DECODED_LABELS + " labels, one per decoder output, or null for the decoder's"
                            + " target names");
                }
                Set<String> seen = new HashSet<>();
                for (int i = 0; i < o.labels.size(); i++) {
                    label("decodedOutlet.labels[" + i + "]", o.labels.get(i));
                    if (!seen.add(o.labels.get(i))) {
                        throw new ConfigException("decodedOutlet.labels[" + i + "]", "\"" + o.labels.get(i) + "\"",
                                "a label not already used in decodedOutlet.labels");
                    }
                }
            }
            Check.range("decodedOutlet.waitForConsumerS", o.waitForConsumerS, 0, 600);
            // published on the network of source.lsl (also for a synthetic source)
            Check.present("source.lsl", lsl, "an object");
            Check.present("source.lsl.network", lsl.network, "loopback, default or an lsl_api.cfg path");
            Check.oneOf("source.lsl.backend", lsl.backend, new TreeSet<>(Set.of("java", "native", "auto")));
        }
    }

    private static void label(String field, String value) {
        Check.present(field, value, "a non-empty string");
        if (value.isBlank() || value.length() > 256) {
            throw new ConfigException(field, "\"" + value + "\"", "a non-empty string of at most 256 characters");
        }
    }
}
