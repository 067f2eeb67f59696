package io.reflex.tools.rig;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.decoders.Decoder;
import io.reflex.runtime.stim.ChronicleStimJournal;
import io.reflex.runtime.stim.StimConfig;
import io.reflex.stim.StimCommand;
import io.reflex.stim.policy.StimPolicy;
import io.reflex.stim.StimVerdict;
import io.reflex.stim.driver.SimulatedStimulator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * The stimulation path of the LSL rig ({@code --path stim}): the daemon decodes as on the LSL path and, through its
 * threshold policy, safety envelope and write-ahead journal, sends stimulation commands over the TCP stimulator
 * protocol to a simulated stimulator in this process, which stamps each command's arrival.
 *
 * <p><b>Which bin caused a command.</b> The wire carries no input time, so the rig joins two records after the run:
 * the daemon's stimulation journal, which holds every accepted command with the acquisition time of the bin it was
 * decided on and its trigger time, and the arrivals here, which carry the same trigger time (unique per command). A
 * command is thus charged from the schedule's send of its own bin even when the daemon was late deciding it (no
 * coordinated omission). <b>Which bins should have caused one</b> is worked out independently: the daemon's policy
 * (the same class, the same settings) is replayed over the decoded values the rig received on the decoded outlet,
 * each bin judged at its scheduled time; a bin the replay fires on that brought no command is a drop, and a command
 * from a bin it does not fire on is unmatched. The refractory period is 5.5 bins, so the replay's decisions do not
 * depend on the few milliseconds by which the daemon's decision times differ from the schedule; the replay starts
 * out of step with the daemon (the frame that arms proposes nothing) and falls into step at their first common
 * trigger, which is why this path needs a lead-in.
 */
final class StimRig implements AutoCloseable {
    /** How far ahead of its decision a command is scheduled, µs (the daemon's default). */
    static final long LEAD_US = 10_000;
    /** The smallest bin width this path takes, µs: the refractory period must sit well between two bin counts. */
    static final long MIN_BIN_US = 4_000;

    private final StimConfig config;
    private final SimulatedStimulator stimulator;
    private final long[] arrivalNs;
    private final long[] triggerNs;
    private volatile int arrivals;
    private volatile long overflow;

    /**
     * Starts the simulated stimulator (loopback, a free port) for a run of at most {@code bins} bins.
     *
     * @param threshold  the policy's threshold on the first decoded output
     * @param hysteresis how far below the threshold the output must fall before it can trigger again
     */
    StimRig(RigRun.Options o, long bins, float threshold, float hysteresis, Path journalDir) {
        if (o.binWidthUs < MIN_BIN_US) {
            throw new IllegalArgumentException("--path stim needs --bin-us ≥ " + MIN_BIN_US + " (the policy's"
                    + " refractory period is 5.5 bins in whole milliseconds), was " + o.binWidthUs);
        }
        StimConfig c = new StimConfig();
        c.stimulator = "tcp:127.0.0.1:1";
        c.journalDir = journalDir.toString();
        c.armOnStart = "reflex rig --path stim: latency measurement against a simulated stimulator";
        c.policy = "threshold";
        c.variable = 0;
        c.threshold = threshold;
        c.hysteresis = hysteresis;
        c.refractoryMs = Math.round(5.5 * o.binWidthUs / 1000.0);
        // never the binding limit: the refractory period allows fewer triggers than this
        c.maxTriggersPerSecond = (int) Math.ceil(1000.0 / c.refractoryMs) + 1;
        c.leadUs = LEAD_US;
        // one small biphasic pulse on one electrode: far inside the envelope at the highest trigger rate
        c.channels = new ArrayList<>(List.of(0));
        c.amplitudeNa = 10_000;
        c.phaseWidthNs = 100_000;
        c.interphaseGapNs = 50_000;
        c.pulses = 1;
        c.heartbeatTimeoutUs = o.stimWatchdogUs;
        c.decoderTimeoutUs = o.stimWatchdogUs;
        c.validate();
        this.config = c;
        int cap = (int) Math.min(10_000_000, bins / 5 + 16);
        this.arrivalNs = new long[cap];
        this.triggerNs = new long[cap];
        try {
            this.stimulator = new SimulatedStimulator(c.envelope(), 0, this::onCommand);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the simulated stimulator on loopback: " + e.getMessage(), e);
        }
        c.stimulator = "tcp:127.0.0.1:" + stimulator.port();
        c.validate();
    }

    /** On the stimulator's thread, as each command is read off the connection. */
    private void onCommand(StimCommand c) {
        arrived(c, System.nanoTime());
    }

    /** Command {@code c} arrived at {@code now} (the stimulator's thread; tests). */
    void arrived(StimCommand c, long now) {
        int i = arrivals;
        if (i < arrivalNs.length) {
            arrivalNs[i] = now;
            triggerNs[i] = c.triggerTimeNs();
            arrivals = i + 1;
        } else {
            overflow++;
        }
    }

    /** The daemon config's {@code stim} section. */
    ObjectNode configJson(ObjectMapper m) {
        return m.valueToTree(config);
    }

    StimConfig config() {
        return config;
    }

    /**
     * A threshold the decoder's first output crosses often: its median over the first bins of the signal decoded
     * here with the same decoder, with a hysteresis of 2 % of the interquartile range. Returns {threshold,
     * hysteresis}.
     */
    static float[] chooseThreshold(Decoder decoder, RigSignal signal, int samplesPerBin, int bins) {
        int ch = signal.channels();
        float[] features = new float[ch];
        float[] out = new float[decoder.outputCount()];
        float[] first = new float[bins];
        float[] s = signal.samples();
        decoder.reset();
        int n = 0;
        for (int b = 0; b < bins; b++) {
            Arrays.fill(features, 0f);
            for (int k = 0; k < samplesPerBin; k++) {
                int off = signal.offset((long) b * samplesPerBin + k);
                for (int c = 0; c < ch; c++) {
                    features[c] += s[off + c];
                }
            }
            decoder.decode(features, out);
            if (Float.isFinite(out[0])) {
                first[n++] = out[0];
            }
        }
        decoder.reset();
        if (n < 4) {
            throw new IllegalStateException("the decoder gave fewer than 4 finite outputs on the rig's signal;"
                    + " no threshold can be chosen");
        }
        float[] v = Arrays.copyOf(first, n);
        Arrays.sort(v);
        float median = v[n / 2];
        float iqr = v[(3 * n) / 4] - v[n / 4];
        return new float[] {median, Math.max(1e-6f, 0.02f * iqr)};
    }

    /**
     * The bins on which the daemon's policy fires when it sees {@code firstOutput} (NaN: no output received for the
     * bin, not judged), each judged at its scheduled send.
     */
    BitSet expectedFirings(float[] firstOutput, RigSchedule schedule, long bins) {
        StimPolicy policy = config.policy();
        StimCommand scratch = new StimCommand();
        float[] one = new float[1];
        BitSet fired = new BitSet();
        for (int b = 0; b < bins; b++) {
            if (Float.isNaN(firstOutput[b])) {
                continue;
            }
            one[0] = firstOutput[b];
            if (policy.evaluate(schedule.binSendNs(b), one, 1, scratch)) {
                fired.set(b);
            }
        }
        return fired;
    }

    /** What the join of the journal and the arrivals found. */
    record Joined(long accepted, long refused, Map<String, Long> refusedBy, long acceptedNotReceived,
                  long receivedNotJournaled, long outsideSchedule, long tail, Histogram decideNs, Histogram sendNs,
                  long commandsReceived) {
    }

    /**
     * Reads the daemon's stimulation journal (the daemon has exited), joins it with the arrivals by trigger time,
     * and records every command of a bin before {@code bins} in {@code rec} (its segment begun with the expected
     * firings); commands decided on the tail the source sends after those bins are counted apart.
     */
    Joined join(Path journalDir, RigSchedule schedule, long bins, LatencyRecorder rec) {
        int n = arrivals;
        Map<Long, Integer> byTrigger = new HashMap<>(n * 2);
        for (int i = 0; i < n; i++) {
            byTrigger.put(triggerNs[i], i);
        }
        long[] counts = new long[5]; // accepted, refused, accepted not received, outside schedule, tail
        Map<String, Long> refusedBy = new TreeMap<>();
        Histogram decide = new Histogram(1, LatencyRecorder.HIGHEST_NS, 3);
        Histogram send = new Histogram(1, LatencyRecorder.HIGHEST_NS, 3);
        boolean[] joined = new boolean[n];
        ChronicleStimJournal.read(journalDir, new ChronicleStimJournal.Visitor() {
            @Override
            public void command(long sequence, long timeNs, int verdict, StimCommand c) {
                if (verdict != StimVerdict.ACCEPTED) {
                    counts[1]++;
                    refusedBy.merge(StimVerdict.name(verdict), 1L, Long::sum);
                    return;
                }
                counts[0]++;
                Integer i = byTrigger.get(c.triggerTimeNs());
                if (i == null) {
                    counts[2]++;
                    return;
                }
                joined[i] = true;
                long bin = c.inputTimeNs() == StimCommand.NO_INPUT_TIME ? -1 : schedule.binNear(c.inputTimeNs() * 1e-9);
                if (bin < 0) {
                    counts[3]++;
                } else if (bin >= bins) {
                    counts[4]++;
                    return;
                }
                if (rec.arrive(bin, arrivalNs[i], Long.MIN_VALUE) && bin >= 0) {
                    long decidedNs = c.triggerTimeNs() - LEAD_US * 1_000;
                    decide.recordValue(Math.max(1, Math.min(LatencyRecorder.HIGHEST_NS,
                            decidedNs - schedule.binSendNs(bin))));
                    send.recordValue(Math.max(1, Math.min(LatencyRecorder.HIGHEST_NS, arrivalNs[i] - timeNs)));
                }
            }

            @Override
            public void event(long timeNs, int event, int code, String reason) {
            }
        });
        long notJournaled = 0;
        for (boolean j : joined) {
            if (!j) {
                notJournaled++;
            }
        }
        return new Joined(counts[0], counts[1], refusedBy, counts[2], notJournaled + overflow, counts[3], counts[4],
                decide, send, stimulator.commandsReceived());
    }

    /** Commands the stimulator judged outside its own copy of the envelope (must stay 0). */
    long violations() {
        return stimulator.violations();
    }

    /** Stop-all frames the stimulator received (the daemon disarming at its end, at least). */
    long stopAllReceived() {
        return stimulator.stopAllReceived();
    }

    /** Times the stimulator stopped because the host's connection ended or fell silent. */
    long linkLossStops() {
        return stimulator.linkLossStops();
    }

    @Override
    public void close() {
        stimulator.close();
    }
}
