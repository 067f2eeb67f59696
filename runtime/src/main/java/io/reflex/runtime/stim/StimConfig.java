package io.reflex.runtime.stim;

import io.reflex.runtime.check.Addresses;
import io.reflex.runtime.check.Check;
import io.reflex.runtime.check.ConfigException;
import io.reflex.stim.ElectrodeLimits;
import io.reflex.stim.SafetyEnvelope;
import io.reflex.stim.StimCommand;
import io.reflex.stim.StimVerdict;
import io.reflex.stim.policy.StateTrainPolicy;
import io.reflex.stim.policy.StimPolicy;
import io.reflex.stim.policy.ThresholdPolicy;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code stim} section of a configuration (the daemon's {@code ReflexConfig.stim}, and what {@code reflex demo
 * --stim} builds): envelope, policy, pulse template, outputs, stimulator link, watchdog and arming. Every field has
 * a default (the demo's), so an empty section is valid; {@link #validate()} refuses bad values naming the key
 * ({@code stim.<field>}), the value and the allowed range, and refuses unsafe envelopes and pulse trains the
 * envelope would never accept. Units are in the names. The defaults describe a 16-electrode microelectrode array
 * (2000 um^2 sites) driven from the decoder's x velocity. stim/README.md documents every key.
 */
public final class StimConfig {
    /** Outputs: {@code simulated} (an in-process simulated stimulator on loopback) or {@code tcp:HOST:PORT}. */
    public String stimulator = "simulated";
    /** Also mirror accepted commands as UDP frames to {@code HOST:PORT} (unicast only); null for none. */
    public String udp;
    /** Also write accepted commands as protocol frames to this file (created or truncated); null for none. */
    public String file;
    /** Also publish accepted commands on an LSL outlet (stream type {@code StimCommands}). */
    public boolean lsl;
    /** LSL stream name of the outlet. */
    public String lslName = "ReflexStim";
    /** LSL network of the outlet: {@code loopback}, {@code default} (lsl_api.cfg search path) or a config file. */
    public String lslNetwork = "loopback";
    /** Write-ahead journal directory; null: {@code <journal.dir>/stim-<time>-<pid>}. */
    public String journalDir;
    /**
     * Arm at the first fresh decoder output, journaling this text as the operator's reason (who, why); null (the
     * default) leaves stimulation disarmed. A fault latched during the run stays latched until the process ends;
     * a restart with this set is the operator's explicit reset and re-arm.
     */
    public String armOnStart;

    // Envelope: every electrode alike, then per-electrode overrides
    public int electrodes = 16;
    public long areaUm2 = 2000;
    public int maxAmplitudeNa = 100_000;
    public long maxChargePerPhasePc = 20_000;
    public double shannonK = 1.5;
    public long chargeBalanceTolerancePc = 100;
    public long maxFrequencyMilliHz = 300_000;
    public long maxChargePerSecondPc = 60_000;
    /** Limits of single electrodes that differ from the section-wide ones above. */
    public List<ElectrodeConfig> electrodeLimits = new ArrayList<>();
    public int maxChannelsPerCommand = 4;
    public int maxSimultaneousChannels = 4;
    public long globalCurrentCapNa = 400_000;
    public int maxPulsesPerCommand = 100;
    public long maxTrainDurationMs = 2_000;
    public int maxPhaseWidthNs = 1_000_000;
    public int maxInterphaseGapNs = 1_000_000;
    /** Latest trigger time accepted, after the decision, ms. */
    public long maxScheduleAheadMs = 1_000;
    /** Trains the envelope remembers for its time-dependent limits. */
    public int historyCapacity = 1024;

    // Policy
    /** {@code threshold} or {@code state-train}. */
    public String policy = "threshold";
    /** Decoded output index the threshold applies to (threshold), or the first state output (state-train). */
    public int variable = 0;
    public double threshold = 0.1;
    public double hysteresis = 0.03;
    /** Number of state outputs (state-train). */
    public int stateCount = 2;
    /** State that triggers a train (state-train). */
    public int targetState = 1;
    public int dwellBins = 2;
    public long refractoryMs = 200;
    public int maxTriggersPerSecond = 3;
    public long leadUs = 10_000;

    // Pulse template
    public List<Integer> channels = new ArrayList<>(List.of(0, 1));
    public int amplitudeNa = 50_000;
    public int phaseWidthNs = 200_000;
    public int interphaseGapNs = 50_000;
    public int pulses = 5;
    public long frequencyMilliHz = 100_000;
    /** {@code cathodic-first} or {@code anodic-first}. */
    public String polarity = "cathodic-first";

    // Stimulator link (host side; the stimulator stops everything when the host is silent this long)
    public long linkHeartbeatIntervalMs = 100;
    public long linkHeartbeatTimeoutMs = 300;
    public long ackTimeoutMs = 100;
    public int connectTimeoutMs = 2_000;

    /**
     * Oldest input a command may be decided on, ms: a command whose bin was acquired longer ago than this (judged
     * when decided and again right before it is written to the stimulator) is refused and latches a
     * {@code stale_input} fault.
     */
    public long maxInputAgeMs = 100;

    // Watchdog (0: derived from the bin width, 3 bins)
    public long heartbeatTimeoutUs;
    public long decoderTimeoutUs;
    public long watchdogPollUs = 1_000;

    /** One electrode's limits; a field left out (null) takes the section-wide value. */
    public static final class ElectrodeConfig {
        /** Electrode index, in [0, electrodes). */
        public int electrode = -1;
        public Long areaUm2;
        public Integer maxAmplitudeNa;
        public Long maxChargePerPhasePc;
        public Double shannonK;
        public Long chargeBalanceTolerancePc;
        public Long maxFrequencyMilliHz;
        public Long maxChargePerSecondPc;
    }

    /**
     * Checks every value (outputs, link, watchdog, template shape), builds the envelope (unsafe limits refused) and
     * the policy, and refuses a pulse train that the envelope would reject on its own; returns this.
     */
    public StimConfig validate() {
        Check.range("stim.electrodes", electrodes, 1, SafetyEnvelope.MAX_ELECTRODES);
        if (stimulator == null || !(stimulator.equals("simulated") || stimulator.startsWith("tcp:"))) {
            throw new ConfigException("stim.stimulator", quoted(stimulator), "simulated or tcp:HOST:PORT");
        }
        if (stimulator.startsWith("tcp:")) {
            Addresses.unicast("stim.stimulator", stimulator, 4, "tcp:HOST:PORT");
        }
        if (udp != null) {
            Addresses.unicast("stim.udp", udp, 0, "HOST:PORT");
        }
        if (file != null && file.isBlank()) {
            throw new ConfigException("stim.file", "\"\"", "a file path or null");
        }
        if (journalDir != null && journalDir.isBlank()) {
            throw new ConfigException("stim.journalDir", "\"\"", "a directory path or null");
        }
        if (lsl) {
            Check.present("stim.lslName", lslName, "a stream name");
            Check.present("stim.lslNetwork", lslNetwork, "loopback, default or an lsl_api.cfg path");
        }
        if (armOnStart != null && armOnStart.isBlank()) {
            throw new ConfigException("stim.armOnStart", quoted(armOnStart),
                    "the operator's reason for arming (who, why) or null to stay disarmed");
        }
        Check.present("stim.channels", channels, "1 to 64 electrode indices");
        if (channels.isEmpty() || channels.size() > StimCommand.MAX_CHANNELS) {
            throw new ConfigException("stim.channels", String.valueOf(channels), "1 to 64 electrode indices");
        }
        for (int i = 0; i < channels.size(); i++) {
            Check.present("stim.channels[" + i + "]", channels.get(i), "an electrode index");
            Check.range("stim.channels[" + i + "]", channels.get(i), 0, electrodes - 1L);
        }
        Check.oneOf("stim.polarity", polarity, List.of("cathodic-first", "anodic-first"));
        Check.oneOf("stim.policy", policy, List.of("threshold", "state-train"));
        Check.range("stim.linkHeartbeatIntervalMs", linkHeartbeatIntervalMs, 1, 1_000);
        Check.range("stim.linkHeartbeatTimeoutMs", linkHeartbeatTimeoutMs, 2 * linkHeartbeatIntervalMs + 1, 10_000);
        Check.range("stim.ackTimeoutMs", ackTimeoutMs, 1, 10_000);
        Check.range("stim.connectTimeoutMs", connectTimeoutMs, 1, 60_000);
        Check.range("stim.maxInputAgeMs", maxInputAgeMs, 1, 10_000);
        Check.range("stim.watchdogPollUs", watchdogPollUs, 10, 1_000_000);
        if (heartbeatTimeoutUs != 0) {
            Check.range("stim.heartbeatTimeoutUs", heartbeatTimeoutUs, 100, 10_000_000);
        }
        if (decoderTimeoutUs != 0) {
            Check.range("stim.decoderTimeoutUs", decoderTimeoutUs, 100, 10_000_000);
        }
        Check.range("stim.maxTrainDurationMs", maxTrainDurationMs, 1, 10_000);
        Check.range("stim.maxScheduleAheadMs", maxScheduleAheadMs, 0, 10_000);
        Check.range("stim.refractoryMs", refractoryMs, 0, 3_600_000);
        Check.range("stim.leadUs", leadUs, 0, maxScheduleAheadMs * 1_000);
        SafetyEnvelope env = envelope();
        policy();
        // A template the envelope refuses on its own would make every trigger a rejected command.
        StimCommand t = template();
        t.triggerTimeNs(leadUs * 1_000);
        int verdict = env.check(t, 0);
        if (verdict != StimVerdict.ACCEPTED) {
            throw new ConfigException("stim", "the configured pulse train (channels " + channels + ", amplitudeNa "
                    + amplitudeNa + ", phaseWidthNs " + phaseWidthNs + ", interphaseGapNs " + interphaseGapNs
                    + ", pulses " + pulses + ", frequencyMilliHz " + frequencyMilliHz + ", leadUs " + leadUs
                    + ") lies outside the envelope (" + StimVerdict.name(verdict) + "); every trigger would be"
                    + " refused");
        }
        return this;
    }

    private static String quoted(String s) {
        return s == null ? "null" : "\"" + s + "\"";
    }

    /** Port of a validated {@code HOST:PORT}. */
    static int port(String hostPort) {
        return Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
    }

    /** Builds and validates the envelope; unsafe limits are refused with the key named. */
    public SafetyEnvelope envelope() {
        Check.range("stim.electrodes", electrodes, 1, SafetyEnvelope.MAX_ELECTRODES);
        Check.present("stim.electrodeLimits", electrodeLimits, "an array of per-electrode limits");
        ElectrodeLimits[] limits = new ElectrodeLimits[electrodes];
        ElectrodeLimits common = new ElectrodeLimits().areaUm2(areaUm2).maxAmplitudeNa(maxAmplitudeNa)
                .maxChargePerPhasePc(maxChargePerPhasePc).chargeBalanceTolerancePc(chargeBalanceTolerancePc)
                .maxFrequencyMilliHz(maxFrequencyMilliHz).maxChargePerSecondPc(maxChargePerSecondPc);
        try {
            common.shannonK(shannonK);
        } catch (IllegalArgumentException ex) {
            throw new ConfigException("stim.shannonK", ex.getMessage());
        }
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < electrodeLimits.size(); i++) {
            String p = "stim.electrodeLimits[" + i + "]";
            ElectrodeConfig o = Check.present(p, electrodeLimits.get(i), "an object");
            Check.range(p + ".electrode", o.electrode, 0, electrodes - 1L);
            if (!seen.add(o.electrode)) {
                throw new ConfigException(p + ".electrode", String.valueOf(o.electrode),
                        "an electrode not listed before in stim.electrodeLimits");
            }
            ElectrodeLimits l = common.copy();
            if (o.areaUm2 != null) {
                l.areaUm2(o.areaUm2);
            }
            if (o.maxAmplitudeNa != null) {
                l.maxAmplitudeNa(o.maxAmplitudeNa);
            }
            if (o.maxChargePerPhasePc != null) {
                l.maxChargePerPhasePc(o.maxChargePerPhasePc);
            }
            if (o.chargeBalanceTolerancePc != null) {
                l.chargeBalanceTolerancePc(o.chargeBalanceTolerancePc);
            }
            if (o.maxFrequencyMilliHz != null) {
                l.maxFrequencyMilliHz(o.maxFrequencyMilliHz);
            }
            if (o.maxChargePerSecondPc != null) {
                l.maxChargePerSecondPc(o.maxChargePerSecondPc);
            }
            if (o.shannonK != null) {
                try {
                    l.shannonK(o.shannonK);
                } catch (IllegalArgumentException ex) {
                    throw new ConfigException(p + ".shannonK", ex.getMessage());
                }
            }
            limits[o.electrode] = l;
        }
        SafetyEnvelope.Context ctx = new SafetyEnvelope.Context();
        for (ElectrodeLimits l : limits) {
            ctx.electrode(l != null ? l : common);
        }
        try {
            return ctx.maxChannelsPerCommand(maxChannelsPerCommand).maxSimultaneousChannels(maxSimultaneousChannels)
                    .globalCurrentCapNa(globalCurrentCapNa).maxPulsesPerCommand(maxPulsesPerCommand)
                    .maxTrainDurationNs(maxTrainDurationMs * 1_000_000L).maxPhaseWidthNs(maxPhaseWidthNs)
                    .maxInterphaseGapNs(maxInterphaseGapNs).maxScheduleAheadNs(maxScheduleAheadMs * 1_000_000L)
                    .historyCapacity(historyCapacity).conclude();
        } catch (IllegalArgumentException ex) {
            throw new ConfigException("stim", ex.getMessage().replace("stim envelope: ", "stim envelope: stim.")
                    .replace("stim.electrode[", "electrode["));
        }
    }

    /** The pulse train every trigger issues (trigger time filled in by the policy). */
    public StimCommand template() {
        StimCommand c = new StimCommand();
        for (int ch : channels) {
            c.addChannel(ch);
        }
        return c.symmetric(amplitudeNa, phaseWidthNs, interphaseGapNs).pulseCount(pulses)
                .frequencyMilliHz(frequencyMilliHz)
                .polarity(polarity.equals("anodic-first") ? StimCommand.ANODIC_FIRST : StimCommand.CATHODIC_FIRST);
    }

    /** Builds the closed-loop policy. */
    public StimPolicy policy() {
        try {
            switch (policy) {
                case "threshold":
                    return new ThresholdPolicy.Context().variableIndex(variable).threshold((float) threshold)
                            .hysteresis((float) hysteresis).refractoryNs(refractoryMs * 1_000_000L)
                            .maxTriggersPerWindow(maxTriggersPerSecond).rateWindowNs(1_000_000_000L)
                            .leadNs(leadUs * 1_000L).template(template()).conclude();
                case "state-train":
                    return new StateTrainPolicy.Context().firstStateIndex(variable).stateCount(stateCount)
                            .targetState(targetState).dwellBins(dwellBins).refractoryNs(refractoryMs * 1_000_000L)
                            .maxTrainsPerWindow(maxTriggersPerSecond).rateWindowNs(1_000_000_000L)
                            .leadNs(leadUs * 1_000L).template(template()).conclude();
                default:
                    throw new ConfigException("stim.policy", quoted(policy), "one of [threshold, state-train]");
            }
        } catch (ConfigException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new ConfigException("stim", e.getMessage());
        }
    }
}
