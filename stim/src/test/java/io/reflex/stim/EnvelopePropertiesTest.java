package io.reflex.stim;

import static io.reflex.stim.TestClocks.clockAt;
import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.NanoClock;

/**
 * Acceptance: over more than 1,000,000 generated commands, in single commands and in command sequences driven
 * through the whole controller, nothing outside the envelope is ever emitted (judged by the independent
 * {@link EnvelopeOracle}), nothing decided on input older than the controller's bound is emitted (even when the
 * thread stalls between the journal record and the send), every emitted command has a journal record written
 * before it, and so does every stop-all frame.
 */
class EnvelopePropertiesTest {
    private static final SafetyEnvelope.Context CONFIG = TestEnvelopes.standard();
    private static final SafetyEnvelope SHARED = TestEnvelopes.standard().conclude();
    private static long commandsTotal;
    private static long sequenceCommands;
    private static long emittedTotal;
    private static long staleAtSendTotal;
    private static final long[] REJECTED = new long[StimVerdict.COUNT];

    /**
     * Single commands from jqwik's own generators, checked on a fresh envelope: the envelope and the oracle agree
     * exactly on every stateless verdict, so an accept by the envelope is an accept by the definitions.
     */
    @Property(tries = 100_000)
    void singleCommandVerdictsAgreeWithTheOracle(@ForAll("commands") StimCommand c) {
        SafetyEnvelope env = SHARED;
        env.clearHistory();
        EnvelopeOracle oracle = new EnvelopeOracle(env);
        int verdict = env.check(c, c.triggerTimeNs());
        int truth = oracle.judge(c);
        commandsTotal++;
        assertThat(verdict).as("envelope vs oracle for %s", c).isEqualTo(truth);
    }

    @Provide
    Arbitrary<StimCommand> commands() {
        Arbitrary<int[]> channels = Arbitraries.integers().between(-2, 17).array(int[].class).ofMinSize(0)
                .ofMaxSize(6);
        Arbitrary<Integer> amp = Arbitraries.oneOf(Arbitraries.integers().between(-5, 120_000),
                Arbitraries.of(0, 1, 79_999, 80_000, 80_001, 99_999, 100_000, 100_001, Integer.MAX_VALUE));
        Arbitrary<Integer> width = Arbitraries.oneOf(Arbitraries.integers().between(-5, 450_000),
                Arbitraries.of(0, 1, 125_000, 157_179, 157_180, 200_000, 200_001, 399_999, 400_000, 400_001));
        Arbitrary<Integer> gap = Arbitraries.oneOf(Arbitraries.integers().between(-2, 120_000),
                Arbitraries.of(0, 100_000, 100_001));
        Arbitrary<Integer> pulses = Arbitraries.oneOf(Arbitraries.integers().between(-1, 60), Arbitraries.of(1, 50,
                51));
        Arbitrary<Long> freq = Arbitraries.oneOf(Arbitraries.longs().between(-1, 400_000),
                Arbitraries.of(0L, 1L, 200_000L, 200_001L, 300_000L, 300_001L, 98_000L, 100_000L));
        Arbitrary<Integer> polarity = Arbitraries.integers().between(-1, 2);
        Arbitrary<Integer> skew = Arbitraries.integers().between(-3, 3);
        return Combinators.combine(channels, amp, width, gap, pulses, freq, polarity, skew)
                .as((ch, a, w, g, p, f, pol, d) -> {
                    StimCommand c = new StimCommand();
                    for (int x : ch) {
                        c.addChannel(x);
                    }
                    int w2 = w == Integer.MAX_VALUE ? w : w + d * (d * d); // small imbalances, up to 27 ns
                    return c.polarity(pol).phase1AmplitudeNa(a).phase1WidthNs(w).phase2AmplitudeNa(a)
                            .phase2WidthNs(w2).interphaseGapNs(g).pulseCount(p).frequencyMilliHz(f)
                            .triggerTimeNs(5_000_000_000L);
                });
    }

    /**
     * Sequences of 1000 steps through controller, envelope, journal and driver, with random time steps, arming,
     * disarming, e-stops, resets, journal failures, link losses, stale inputs and stalls inside the journal
     * write. The driver judges every command it receives with the oracle, checks its input's age on the clock at
     * the moment of the send, and checks that the journal already holds the same command, accepted, with the same
     * sequence number (and every stop-all, with its sequence number).
     */
    @Property(tries = 1_000)
    void sequencesNeverEmitOutsideTheEnvelopeAndAlwaysJournalFirst(@ForAll long seed) {
        Harness h = new Harness(seed);
        h.run(1_000);
        commandsTotal += h.submitted;
        sequenceCommands += h.submitted;
        for (int v = 1; v < StimVerdict.COUNT; v++) {
            REJECTED[v] += h.controller.rejected(v);
        }
        emittedTotal += h.driver.sent;
        staleAtSendTotal += h.controller.staleAtSend();
        assertThat(h.driver.unjournaled).as("commands sent without a journal record first").isZero();
        assertThat(h.driver.staleSent).as("commands sent on input older than the bound").isZero();
        assertThat(h.driver.unjournaledStopAlls).as("stop-alls sent without a journal record first").isZero();
        assertThat(h.driver.stopAlls).isEqualTo(h.controller.stopAllSent());
        assertThat(h.driver.sentWhileNotArmed).as("commands sent while not armed").isZero();
        assertThat(h.oracle.violations()).as("commands outside the envelope emitted").isZero();
        assertThat(h.driver.sent).isEqualTo(h.controller.issued());
    }

    @AfterContainer
    static void report() {
        // Makes the acceptance count visible in the surefire output; the assertion guards it.
        System.out.println("EnvelopePropertiesTest: commands generated=" + commandsTotal + " (in sequences "
                + sequenceCommands + "), emitted=" + emittedTotal);
        StringBuilder sb = new StringBuilder("EnvelopePropertiesTest: rejected in sequences:");
        for (int v = 1; v < StimVerdict.COUNT; v++) {
            sb.append(' ').append(StimVerdict.name(v)).append('=').append(REJECTED[v]);
        }
        System.out.println(sb);
        if (sequenceCommands > 0) {
            // the Shannon and time-dependent limits must actually be exercised
            assertThat(REJECTED[StimVerdict.CHARGE_RATE_OVER_LIMIT]).isPositive();
            assertThat(REJECTED[StimVerdict.SHANNON_K_OVER_LIMIT]).isPositive();
            assertThat(REJECTED[StimVerdict.TOO_MANY_SIMULTANEOUS_CHANNELS]).isPositive();
            assertThat(REJECTED[StimVerdict.GLOBAL_CURRENT_OVER_CAP]).isPositive();
            assertThat(REJECTED[StimVerdict.STALE_INPUT]).isPositive();
            assertThat(staleAtSendTotal).as("refused by the send-time check after a stalled journal write")
                    .isPositive();
            assertThat(sequenceCommands).isGreaterThanOrEqualTo(1_000_000L);
            assertThat(emittedTotal).isGreaterThan(10_000L);
        }
    }

    /** Controller + envelope + checking journal + checking driver on a manual clock. */
    static final class Harness {
        final CachedNanoClock clock = clockAt(10_000_000_000L);
        final CheckingJournal journal = new CheckingJournal();
        final EnvelopeOracle oracle;
        final CheckingDriver driver;
        final StimController controller;
        final CommandGen gen;
        final StimCommand cmd = new StimCommand();
        long submitted;

        Harness(long seed) {
            SafetyEnvelope env = TestEnvelopes.standard().conclude();
            oracle = new EnvelopeOracle(env);
            journal.clock = clock;
            driver = new CheckingDriver(journal, oracle, clock, StimController.Context.DEFAULT_MAX_INPUT_AGE_NS);
            controller = new StimController.Context().envelope(env).journal(journal).driver(driver).clock(clock)
                    .errorHandler(e -> { }).conclude();
            driver.controller = controller;
            gen = new CommandGen(seed);
        }

        void run(int steps) {
            var rnd = gen.random();
            controller.arm("property test");
            for (int i = 0; i < steps; i++) {
                int action = rnd.nextInt(1000);
                if (action < 3) {
                    controller.disarm("random disarm");
                } else if (action < 5) {
                    controller.estop("random e-stop");
                } else if (action < 7) {
                    journal.failNext = true;
                } else if (action < 9) {
                    driver.connected = false;
                } else if (action < 12) {
                    // the thread stops inside the next journal write (SIGSTOP, a page fault, a descheduled VM)
                    journal.stallNextNs = rnd.nextLong(300_000_000L);
                } else if (action < 40) {
                    driver.connected = true;
                    controller.reset("operator reset");
                    controller.arm("operator re-arm");
                } else if (action < 120) {
                    controller.doWork();
                }
                clock.advance(rnd.nextInt(4) == 0 ? rnd.nextLong(200_000_000L) : rnd.nextLong(3_000_000L));
                gen.fill(cmd, clock.nanoTime());
                controller.submit(cmd);
                submitted++;
            }
        }
    }

    /** Journal that remembers the last records by sequence, and can be told to fail. */
    static final class CheckingJournal implements StimJournal {
        static final int RING = 1024;
        final long[] seq = new long[RING];
        final int[] verdict = new int[RING];
        final StimCommand[] commands = new StimCommand[RING];
        final long[] stopSeq = new long[RING];
        boolean failNext;
        long stallNextNs;
        CachedNanoClock clock;

        CheckingJournal() {
            for (int i = 0; i < RING; i++) {
                commands[i] = new StimCommand();
                seq[i] = -1;
                stopSeq[i] = -1;
            }
        }

        @Override
        public int recordCommand(long sequence, long timeNs, StimCommand command, int v) {
            if (failNext) {
                failNext = false;
                return FAILED;
            }
            int i = (int) (sequence & (RING - 1));
            seq[i] = sequence;
            verdict[i] = v;
            commands[i].copyFrom(command);
            if (stallNextNs > 0) {
                clock.advance(stallNextNs);
                stallNextNs = 0;
            }
            return OK;
        }

        @Override
        public int recordStopAll(long sequence, long timeNs) {
            stopSeq[(int) (sequence & (RING - 1))] = sequence;
            return OK;
        }

        @Override
        public int recordEvent(long timeNs, int event, int code, String reason) {
            return OK;
        }
    }

    /** Driver that judges what it receives and checks the write-ahead rule. */
    static final class CheckingDriver implements StimulatorDriver {
        final CheckingJournal journal;
        final EnvelopeOracle oracle;
        final NanoClock clock;
        final long maxInputAgeNs;
        StimController controller;
        boolean connected = true;
        long sent;
        long unjournaled;
        long sentWhileNotArmed;
        long staleSent;
        long stopAlls;
        long unjournaledStopAlls;

        CheckingDriver(CheckingJournal journal, EnvelopeOracle oracle, NanoClock clock, long maxInputAgeNs) {
            this.journal = journal;
            this.oracle = oracle;
            this.clock = clock;
            this.maxInputAgeNs = maxInputAgeNs;
        }

        @Override
        public String name() {
            return "checking";
        }

        @Override
        public int send(long sequence, StimCommand command) {
            int i = (int) (sequence & (CheckingJournal.RING - 1));
            if (journal.seq[i] != sequence || journal.verdict[i] != StimVerdict.ACCEPTED
                    || !journal.commands[i].sameAs(command)) {
                unjournaled++;
            }
            if (!controller.isArmed() || controller.faultCode() != StimFault.NONE) {
                sentWhileNotArmed++;
            }
            long age = clock.nanoTime() - command.inputTimeNs();
            if (command.inputTimeNs() == StimCommand.NO_INPUT_TIME || age > maxInputAgeNs || age < -maxInputAgeNs) {
                staleSent++;
            }
            oracle.judge(command);
            sent++;
            return connected ? OK : DISCONNECTED;
        }

        @Override
        public int stopAll(long sequence) {
            stopAlls++;
            if (journal.stopSeq[(int) (sequence & (CheckingJournal.RING - 1))] != sequence) {
                unjournaledStopAlls++;
            }
            return OK;
        }

        @Override
        public int doWork(long nowNs) {
            return 0;
        }

        @Override
        public boolean isConnected() {
            return connected;
        }

        @Override
        public void abort() {
            connected = false;
        }

        @Override
        public String alarm() {
            return connected ? null : "test link down";
        }

        @Override
        public void close() {
        }
    }
}
