package io.reflex.runtime.session;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.reflex.decoders.DecodeStatus;
import io.reflex.runtime.journal.JournalFormat;
import io.reflex.runtime.journal.JournalReader;
import io.reflex.runtime.journal.JournalRecord;
import io.reflex.runtime.pipeline.Frame;
import io.reflex.runtime.pipeline.Stage;
import io.reflex.runtime.stim.ChronicleStimJournal;
import io.reflex.runtime.stim.StimConfig;
import io.reflex.stim.SafetyEnvelope;
import io.reflex.stim.StimCommand;
import io.reflex.stim.StimEvent;
import io.reflex.stim.StimVerdict;
import io.reflex.stim.policy.RateLimiter;
import io.reflex.stim.policy.StateTrainPolicy;
import io.reflex.stim.policy.StimPolicy;
import io.reflex.stim.policy.ThresholdPolicy;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Recomputes a recorded run's stimulation decisions without sending anything ({@code reflex replay} with a
 * stimulation journal): the policy the run's {@code config.stim} built, evaluated on every frame the live
 * {@code StimStage} evaluated it on, and a fresh {@link SafetyEnvelope} judging each proposal, compared with the
 * commands and verdicts of the run's stimulation journal.
 *
 * <p><b>Which frames.</b> As {@code StimStage.emit}: a fresh decode (decode OK, not the safe output, decoder
 * generation &gt; 0) of a frame that did not miss its deadline, except the frame that armed (or tried to): the frame
 * during whose emit stage (between its recorded decode and emit stamps) the journal recorded an {@code armed} or
 * {@code arm-refused} event.
 *
 * <p><b>The policy's clock.</b> The live policy read the clock once per frame, somewhere between the frame's decode
 * and emit stamps, and its decisions (the rate limiter's refractory period and window, the trigger time) depend on
 * that reading. Where it proposed, the reading is recorded exactly: the command's trigger time minus the lead. So on a
 * frame with a recorded command the policy runs on that reading (bounded by the stamps; a reading outside them is a
 * disagreement, {@link Result#clockOutsideStamps}), and the limiter's history is the live one; on any other frame it
 * runs on the decode stamp, the earliest reading. A limiter refusal there that a reading up to the emit stamp would
 * have allowed agrees with the record (no command) and is counted ({@link Result#limiterTimingTolerated}); a policy
 * that proposes on the decode stamp would have proposed on any later reading (the limiter never refuses a later
 * reading where it allowed an earlier one), so a missing record there is a real difference. A recorded command the
 * policy does not propose on its own recorded reading is never tolerated.
 *
 * <p><b>Verdicts.</b> Each proposal (its input time the bin's acquisition time, as the stage sets it) is judged in the
 * controller's order: a latched fault ({@code fault_latched}) or a disarmed controller ({@code not_armed}) as the
 * stimulation journal's events before the matching recorded command say (arming, disarming, faults and resets are
 * operator actions and watchdog trips, not recomputable from the frames); then the deadline and the input's age; then
 * the envelope, whose history only accepted commands enter, as in the controller. A recorded command is judged at its
 * recorded time (the controller's clock reading when it judged it, bounded by the policy's reading and the emit
 * stamp), a proposal with no record at the policy's reading. No verdict is tolerated.
 *
 * <p><b>Matching.</b> A proposal and a recorded command match when their input times are equal (one bin, one input
 * time). A command refused at the send check after being journaled as accepted is recorded twice under one sequence:
 * its first (judged) verdict is compared, and the envelope took it in, as live.
 */
public final class StimReplay {
    /** Most recorded commands read (about 46 hours of one command per 20 ms bin); more is refused. */
    public static final int MAX_COMMANDS = 1 << 23;

    private StimReplay() {
    }

    /** What the stimulation replay found. */
    public static final class Result {
        public Path stimJournal;
        public String policy;
        /** The threshold replayed (the recorded one unless overridden), NaN for other policies. */
        public double threshold = Double.NaN;
        public boolean thresholdOverridden;
        /** Distinct recorded commands (by controller sequence). */
        public long recordedCommands;
        /** Frames the policy was evaluated on. */
        public long evaluatedFrames;
        /** Fresh frames skipped because they armed (or tried to). */
        public long armingFrames;
        public long proposals;
        public long matched;
        /** Proposals with no recorded command, after the last disarm (the stage stops evaluating at shutdown). */
        public long proposalsAfterStop;
        /** Proposals with no recorded command before the last disarm: the live policy did not propose them. */
        public long proposalsNotRecorded;
        public long recordedNotRecomputed;
        public long verdictMismatches;
        /** Recorded commands journaled accepted, then refused at the send-time age check. */
        public long refusedAtSend;
        /** Recomputed verdicts by name. */
        public Map<String, Long> verdicts = new java.util.TreeMap<>();
        /** The first disagreement, in words, or null. */
        public String firstMismatch;
        /**
         * Largest |recomputed - recorded| trigger time over matched commands, ns: 0 unless a live clock reading lay
         * outside the frame's stamps (the policy runs on the recorded reading).
         */
        public long maxTriggerOffsetNs;
        /** Over matched commands: the most the live policy's clock read after the frame's decode stamp, ns. */
        public long maxAfterDecodeNs = -1;
        /** Over matched commands: the most the live policy's clock read before the frame's emit stamp, ns. */
        public long maxBeforeEmitNs = -1;
        /**
         * Frames with no recorded command on which the rate limiter (refractory period, triggers per window) refused
         * at the decode stamp but would have allowed at the emit stamp: the live clock reading lay in between, and
         * the record (no command) says the live limiter refused. Not a disagreement: the policy's state after such a
         * refusal does not depend on the reading. A recorded command is never counted here.
         */
        public long limiterTimingTolerated;
        /**
         * Recorded commands whose live policy clock (trigger time - lead) or judged time lay outside the frame's
         * [decode stamp, emit stamp]: the replay bounds it by the stamps; any makes {@link #agrees()} false.
         */
        public long clockOutsideStamps;
        /** Why the stimulation journal's reading stopped early, or null. */
        public String tailFault;

        /**
         * True when every recorded command was recomputed, from a live clock reading the frame's stamps allow, with
         * its recorded verdict.
         */
        public boolean agrees() {
            return recordedNotRecomputed == 0 && verdictMismatches == 0 && clockOutsideStamps == 0
                    && tailFault == null;
        }
    }

    /** The run's stimulation config from its run metadata, or null when it ran without stimulation. */
    public static StimConfig config(JsonNode meta) {
        JsonNode stim = meta.path("config").path("stim");
        if (!stim.isObject()) {
            return null;
        }
        try {
            // Not validate(): that resolves the stimulator's and monitors' addresses, which a replay never uses and
            // which may not resolve where the journal is replayed; the envelope and the policy check their values.
            StimConfig c = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .treeToValue(stim, StimConfig.class);
            c.envelope();
            c.policy();
            return c;
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("the run's config.stim cannot be read: " + e.getMessage());
        }
    }

    private static final class Recorded {
        final long sequence;
        final long timeNs;
        final int verdict;
        final long inputTimeNs;
        final long triggerTimeNs;
        /** Controller state before the record, from the journal's events. */
        final boolean armed;
        final boolean faulted;
        int finalVerdict;
        boolean matched;

        Recorded(long sequence, long timeNs, int verdict, StimCommand c, boolean armed, boolean faulted) {
            this.sequence = sequence;
            this.timeNs = timeNs;
            this.verdict = verdict;
            this.finalVerdict = verdict;
            this.inputTimeNs = c.inputTimeNs();
            this.triggerTimeNs = c.triggerTimeNs();
            this.armed = armed;
            this.faulted = faulted;
        }
    }

    /** One event that changes the controller's state, in journal order. */
    private record Event(long timeNs, int event) {
    }

    /**
     * Replays the stimulation decisions of the run journaled in {@code runDir} against the stimulation journal in
     * {@code stimDir}, with the run's {@code cfg}; {@code threshold}, when not null, replaces the threshold policy's.
     *
     * @throws IllegalArgumentException when the stimulation journal cannot be read or holds too much
     */
    public static Result replay(Path runDir, Path stimDir, StimConfig cfg, Double threshold) {
        Result r = new Result();
        r.stimJournal = stimDir;
        r.policy = cfg.policy;
        if (threshold != null) {
            if (!cfg.policy.equals("threshold")) {
                throw new IllegalArgumentException("--stim-threshold applies to the threshold policy; the run's"
                        + " policy is " + cfg.policy);
            }
            cfg.threshold = threshold;
            r.thresholdOverridden = true;
        }
        if (cfg.policy.equals("threshold")) {
            r.threshold = cfg.threshold;
        }
        StimPolicy policy = cfg.policy();
        SafetyEnvelope envelope = cfg.envelope();
        long maxInputAgeNs = cfg.maxInputAgeMs * 1_000_000L;

        List<Recorded> recorded = new ArrayList<>();
        Map<Long, Recorded> bySequence = new HashMap<>();
        List<Event> events = new ArrayList<>();
        boolean[] state = {false, false}; // armed, faulted
        ChronicleStimJournal.read(stimDir, new ChronicleStimJournal.Visitor() {
            @Override
            public void command(long sequence, long timeNs, int verdict, StimCommand command) {
                Recorded prev = bySequence.get(sequence);
                if (prev != null) {
                    prev.finalVerdict = verdict;
                    if (prev.verdict == StimVerdict.ACCEPTED && verdict == StimVerdict.STALE_INPUT) {
                        r.refusedAtSend++;
                    }
                    return;
                }
                if (recorded.size() >= MAX_COMMANDS) {
                    throw new IllegalArgumentException("stimulation journal " + stimDir + " holds more than "
                            + MAX_COMMANDS + " commands");
                }
                Recorded rec = new Recorded(sequence, timeNs, verdict, command, state[0], state[1]);
                recorded.add(rec);
                bySequence.put(sequence, rec);
            }

            @Override
            public void event(long timeNs, int event, int code, String reason) {
                switch (event) {
                    case StimEvent.ARMED -> state[0] = true;
                    case StimEvent.DISARMED -> state[0] = false;
                    case StimEvent.FAULT -> {
                        state[0] = false;
                        state[1] = true;
                    }
                    case StimEvent.RESET -> state[1] = false;
                    default -> {
                        // active, idle, journal opened, arm refused: no change of armed or latched
                    }
                }
                if (events.size() < MAX_COMMANDS) {
                    events.add(new Event(timeNs, event));
                }
            }

            @Override
            public void damaged(String reason) {
                r.tailFault = reason;
            }
        });
        r.recordedCommands = recorded.size();
        // the time after which a stopping stage evaluates nothing more: the last disarm with no arming after it (a
        // stage with a fault latched still evaluates, and the controller journals its proposals as fault_latched)
        long stoppedAtNs = Long.MAX_VALUE;
        for (Event e : events) {
            if (e.event == StimEvent.ARMED) {
                stoppedAtNs = Long.MAX_VALUE;
            } else if (e.event == StimEvent.DISARMED && stoppedAtNs == Long.MAX_VALUE) {
                stoppedAtNs = e.timeNs;
            }
        }
        Map<Long, ArrayDeque<Recorded>> byInput = new HashMap<>();
        for (Recorded rec : recorded) {
            byInput.computeIfAbsent(rec.inputTimeNs, k -> new ArrayDeque<>()).add(rec);
        }
        long[] armTimes = events.stream().filter(e -> e.event == StimEvent.ARMED || e.event == StimEvent.ARM_REFUSED)
                .mapToLong(Event::timeNs).sorted().toArray();

        RateLimiter limiter = policy instanceof ThresholdPolicy t ? t.limiter()
                : policy instanceof StateTrainPolicy st ? st.limiter() : null;
        long leadNs = cfg.leadUs * 1_000L;
        StimCommand cmd = new StimCommand();
        int decode = Stage.DECODE.ordinal();
        int emit = Stage.EMIT.ordinal();
        int eventIdx = 0;
        boolean armed = false;
        boolean faulted = false;
        try (JournalReader reader = new JournalReader(runDir)) {
            JournalRecord rec = new JournalRecord();
            for (byte type = reader.nextRecord(rec); type != 0; type = reader.nextRecord(rec)) {
                if (type != JournalFormat.TYPE_FRAME || (rec.flags & Frame.FLAG_DEADLINE_MISS) != 0) {
                    continue;
                }
                boolean fresh = rec.decodeStatus == DecodeStatus.OK && (rec.flags & Frame.FLAG_SAFE_OUTPUT) == 0
                        && rec.decoderGeneration > 0;
                if (!fresh || rec.stampNs.length <= emit) {
                    continue;
                }
                long fromNs = rec.stampNs[decode];
                long nowNs = rec.stampNs[emit];
                if (within(armTimes, fromNs, nowNs)) {
                    r.armingFrames++;
                    continue;
                }
                r.evaluatedFrames++;
                double acq = rec.acquisitionTimeS;
                long inputNs = Double.isFinite(acq) && acq > 0 ? Math.round(acq * 1e9) : StimCommand.NO_INPUT_TIME;
                ArrayDeque<Recorded> q = byInput.get(inputNs);
                Recorded match = q == null ? null : q.peek();
                // The live policy read the clock once, between the decode and emit stamps. Where it proposed, the
                // recorded trigger time minus the lead is that reading, exactly: the policy runs on it, so its
                // limiter's history is the live one (bounded by the stamps: a reading outside them is not believed).
                // Elsewhere the earliest reading, the decode stamp.
                long policyNs = fromNs;
                if (match != null) {
                    long liveNs = match.triggerTimeNs - leadNs;
                    policyNs = Math.min(Math.max(liveNs, fromNs), nowNs);
                    if (liveNs != policyNs) {
                        r.clockOutsideStamps++;
                        mismatch(r, "frame " + rec.sequence + ", command " + match.sequence + ": the live policy's"
                                + " clock (trigger time - lead) lies outside the frame's decode and emit stamps");
                    }
                }
                long refractoryBefore = limiter == null ? 0 : limiter.refusedRefractory();
                long rateBefore = limiter == null ? 0 : limiter.refusedRate();
                if (!policy.evaluate(policyNs, rec.output, rec.outputCount, cmd)) {
                    // No record and refused by the limiter at the decode stamp, allowed at the emit stamp: the live
                    // reading lay in between and the record says it was refused (the policy's state is the same
                    // either way). A recorded command the policy did not propose is never tolerated.
                    if (match == null && limiter != null && (limiter.refusedRefractory() != refractoryBefore
                            || limiter.refusedRate() != rateBefore) && limiter.allows(nowNs)) {
                        r.limiterTimingTolerated++;
                    }
                    continue;
                }
                r.proposals++;
                if (match != null) {
                    q.poll();
                }
                cmd.inputTimeNs(inputNs);
                while (eventIdx < events.size() && events.get(eventIdx).timeNs <= policyNs) {
                    int e = events.get(eventIdx++).event;
                    armed = e == StimEvent.ARMED || (armed && e != StimEvent.DISARMED && e != StimEvent.FAULT);
                    faulted = e == StimEvent.FAULT || (faulted && e != StimEvent.RESET);
                }
                boolean isArmed = match != null ? match.armed : armed;
                boolean isFaulted = match != null ? match.faulted : faulted;
                // The controller judged a recorded command at its recorded time (bounded by the policy's reading
                // and the emit stamp); a proposal with no record at the policy's reading.
                long judgedNs = policyNs;
                if (match != null) {
                    judgedNs = Math.min(Math.max(match.timeNs, policyNs), nowNs);
                    if (judgedNs != match.timeNs) {
                        r.clockOutsideStamps++;
                        mismatch(r, "frame " + rec.sequence + ", command " + match.sequence + ": judged at "
                                + match.timeNs + " ns, outside the policy's reading and the frame's emit stamp");
                    }
                }
                int verdict;
                if (isFaulted) {
                    verdict = StimVerdict.FAULT_LATCHED;
                } else if (!isArmed) {
                    verdict = StimVerdict.NOT_ARMED;
                } else {
                    verdict = timing(rec.deadlineNs, inputNs, maxInputAgeNs, judgedNs);
                    if (verdict == StimVerdict.ACCEPTED) {
                        verdict = envelope.check(cmd, judgedNs);
                        if (verdict == StimVerdict.ACCEPTED) {
                            envelope.commit(cmd);
                        }
                    }
                }
                r.verdicts.merge(StimVerdict.name(verdict), 1L, Long::sum);
                if (match == null) {
                    if (policyNs >= stoppedAtNs) {
                        r.proposalsAfterStop++;
                    } else {
                        r.proposalsNotRecorded++;
                        mismatch(r, "frame " + rec.sequence + ": proposal (input time " + inputNs
                                + " ns) has no recorded command");
                    }
                    continue;
                }
                match.matched = true;
                r.matched++;
                r.maxTriggerOffsetNs = Math.max(r.maxTriggerOffsetNs,
                        Math.abs(cmd.triggerTimeNs() - match.triggerTimeNs));
                long livePolicyNs = match.triggerTimeNs - leadNs;
                r.maxAfterDecodeNs = Math.max(r.maxAfterDecodeNs, livePolicyNs - fromNs);
                r.maxBeforeEmitNs = Math.max(r.maxBeforeEmitNs, nowNs - livePolicyNs);
                if (verdict != match.verdict) {
                    r.verdictMismatches++;
                    mismatch(r, "frame " + rec.sequence + ", command " + match.sequence + ": recorded "
                            + StimVerdict.name(match.verdict) + ", recomputed " + StimVerdict.name(verdict));
                }
            }
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException("journal " + runDir + " cannot be read: " + e.getMessage());
        }
        for (Recorded rec : recorded) {
            if (!rec.matched) {
                r.recordedNotRecomputed++;
                mismatch(r, "command " + rec.sequence + " (input time " + rec.inputTimeNs + " ns, "
                        + StimVerdict.name(rec.verdict) + ") was not recomputed");
            }
        }
        return r;
    }

    private static void mismatch(Result r, String what) {
        if (r.firstMismatch == null) {
            r.firstMismatch = what;
        }
    }

    /** The controller's deadline and input-age checks at {@code nowNs}. */
    private static int timing(long deadlineNs, long inputNs, long maxInputAgeNs, long nowNs) {
        if (nowNs > deadlineNs) {
            return StimVerdict.DEADLINE_MISSED;
        }
        long age = nowNs - inputNs;
        if (inputNs == StimCommand.NO_INPUT_TIME || age > maxInputAgeNs || age < -maxInputAgeNs) {
            return StimVerdict.STALE_INPUT;
        }
        return StimVerdict.ACCEPTED;
    }

    /** Whether a sorted array holds a value in [from, to]. */
    private static boolean within(long[] sorted, long from, long to) {
        int i = java.util.Arrays.binarySearch(sorted, from);
        if (i < 0) {
            i = -i - 1;
        }
        return i < sorted.length && sorted[i] <= to;
    }
}
