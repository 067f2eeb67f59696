package io.reflex.runtime.stim;

import io.reflex.runtime.config.ConfigException;
import io.reflex.stim.ElectrodeLimits;
import io.reflex.stim.SafetyEnvelope;
import io.reflex.stim.StimCommand;
import io.reflex.stim.policy.StateTrainPolicy;
import io.reflex.stim.policy.StimPolicy;
import io.reflex.stim.policy.ThresholdPolicy;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code stim} section of a configuration: envelope, policy, pulse template, outputs and watchdog. Every field
 * has a default (the demo's), so an empty section is valid; {@link #envelope()}, {@link #policy()} and
 * {@link #validate()} refuse bad values naming the key ({@code stim.<field>}). Units are in the names. The defaults
 * describe a 16-electrode microelectrode array (2000 um^2 sites) driven from the decoder's x velocity.
 */
public final class StimConfig {
    /** Outputs: {@code simulated} (an in-process simulated stimulator on loopback) or {@code tcp:HOST:PORT}. */
    public String stimulator = "simulated";
    /** Also mirror accepted commands as UDP frames to {@code HOST:PORT} (unicast only); null for none. */
    public String udp;
    /** Also publish accepted commands on an LSL outlet (stream type {@code StimCommands}). */
    public boolean lsl;
    /** LSL stream name of the outlet. */
    public String lslName = "ReflexStim";
    /** Write-ahead journal directory; null: {@code <journal.dir>/stim-<run>}. */
    public String journalDir;
    /** Arm automatically when the first fresh decoder output arrives (demo); otherwise arm through the API. */
    public boolean autoArm = true;

    // Envelope (every electrode alike)
    public int electrodes = 16;
    public long areaUm2 = 2000;
    public int maxAmplitudeNa = 100_000;
    public long maxChargePerPhasePc = 20_000;
    public double shannonK = 1.5;
    public long chargeBalanceTolerancePc = 100;
    public long maxFrequencyMilliHz = 300_000;
    public long maxChargePerSecondPc = 60_000;
    public int maxChannelsPerCommand = 4;
    public int maxSimultaneousChannels = 4;
    public long globalCurrentCapNa = 400_000;
    public int maxPulsesPerCommand = 100;
    public long maxTrainDurationMs = 2_000;

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

    // Watchdog (0: derived from the bin width, 3 bins)
    public long heartbeatTimeoutUs;
    public long decoderTimeoutUs;
    public long watchdogPollUs = 1_000;

    /** Validates what the other builders do not (outputs, template shape). */
    public StimConfig validate() {
        if (stimulator == null || !(stimulator.equals("simulated") || stimulator.startsWith("tcp:"))) {
            throw new ConfigException("stim.stimulator", String.valueOf(stimulator), "simulated or tcp:HOST:PORT");
        }
        if (channels == null || channels.isEmpty() || channels.size() > StimCommand.MAX_CHANNELS) {
            throw new ConfigException("stim.channels", String.valueOf(channels), "1 to 64 electrode indices");
        }
        if (!polarity.equals("cathodic-first") && !polarity.equals("anodic-first")) {
            throw new ConfigException("stim.polarity", polarity, "cathodic-first or anodic-first");
        }
        if (linkHeartbeatIntervalMs < 1 || linkHeartbeatIntervalMs > 1_000) {
            throw new ConfigException("stim.linkHeartbeatIntervalMs", String.valueOf(linkHeartbeatIntervalMs),
                    "[1, 1000]");
        }
        if (linkHeartbeatTimeoutMs <= 2 * linkHeartbeatIntervalMs || linkHeartbeatTimeoutMs > 10_000) {
            throw new ConfigException("stim.linkHeartbeatTimeoutMs", String.valueOf(linkHeartbeatTimeoutMs),
                    "(2 x linkHeartbeatIntervalMs, 10000]");
        }
        if (watchdogPollUs < 10 || watchdogPollUs > 1_000_000) {
            throw new ConfigException("stim.watchdogPollUs", String.valueOf(watchdogPollUs), "[10, 1000000]");
        }
        return this;
    }

    /** Builds and validates the envelope; unsafe limits are refused with the key named. */
    public SafetyEnvelope envelope() {
        ElectrodeLimits e = new ElectrodeLimits().areaUm2(areaUm2).maxAmplitudeNa(maxAmplitudeNa)
                .maxChargePerPhasePc(maxChargePerPhasePc).chargeBalanceTolerancePc(chargeBalanceTolerancePc)
                .maxFrequencyMilliHz(maxFrequencyMilliHz).maxChargePerSecondPc(maxChargePerSecondPc);
        try {
            e.shannonK(shannonK);
            return new SafetyEnvelope.Context().electrodes(Math.max(0, Math.min(electrodes,
                            SafetyEnvelope.MAX_ELECTRODES + 1)), e)
                    .maxChannelsPerCommand(maxChannelsPerCommand).maxSimultaneousChannels(maxSimultaneousChannels)
                    .globalCurrentCapNa(globalCurrentCapNa).maxPulsesPerCommand(maxPulsesPerCommand)
                    .maxTrainDurationNs(maxTrainDurationMs * 1_000_000L).conclude();
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
                    throw new ConfigException("stim.policy", policy, "threshold or state-train");
            }
        } catch (ConfigException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new ConfigException("stim", e.getMessage());
        }
    }
}
