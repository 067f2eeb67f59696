package io.reflex.runtime.stim;

import io.reflex.lsl.ChannelFormat;
import io.reflex.lsl.LslBackend;
import io.reflex.lsl.StreamInfo;
import io.reflex.lsl.StreamOutlet;
import io.reflex.stim.StimCommand;
import io.reflex.stim.StimulatorDriver;
import java.util.Arrays;

/**
 * Publishes accepted stimulation commands on an LSL outlet so that any stimulator bridge or recorder can subscribe.
 * A monitor output (see {@link io.reflex.stim.driver.TeeDriver}): it sees only commands that passed the envelope and
 * the journal, and its failures never stop stimulation.
 *
 * <p>Stream: type {@value #STREAM_TYPE}, irregular rate, {@code int64} channels, one sample per command, timestamp =
 * the trigger time in LSL seconds (the monotonic clock). Columns: 0 kind (1 command, 2 stop-all), 1 sequence,
 * 2 triggerTimeNs, 3 phase1AmplitudeNa, 4 phase1WidthNs, 5 interphaseGapNs, 6 phase2AmplitudeNa, 7 phase2WidthNs,
 * 8 frequencyMilliHz, 9 pulseCount, 10 polarity (0 cathodic-first, 1 anodic-first), 11 channelCount, then
 * {@code maxChannels} electrode indices (-1 past channelCount). Allocation-free per command.
 */
public final class LslStimOutlet implements StimulatorDriver {
    /** LSL stream type. */
    public static final String STREAM_TYPE = "StimCommands";
    /** Columns before the electrode list. */
    public static final int FIXED_COLUMNS = 12;

    private final StreamOutlet outlet;
    private final long[] sample;
    private final int maxChannels;
    private volatile boolean open = true;
    private volatile String alarm;
    private long samples;

    /** Wraps an outlet created for {@link #streamInfo}. */
    public LslStimOutlet(StreamOutlet outlet, int maxChannels) {
        if (outlet.info().channelCount() != FIXED_COLUMNS + maxChannels
                || outlet.info().channelFormat() != ChannelFormat.INT64) {
            throw new IllegalArgumentException("stim lsl outlet: the stream must be int64 with "
                    + (FIXED_COLUMNS + maxChannels) + " channels, is " + outlet.info().channelFormat() + " with "
                    + outlet.info().channelCount());
        }
        this.outlet = outlet;
        this.maxChannels = maxChannels;
        this.sample = new long[FIXED_COLUMNS + maxChannels];
    }

    /** Opens an outlet named {@code name} on {@code backend} for commands of up to {@code maxChannels} channels. */
    public static LslStimOutlet open(LslBackend backend, String name, int maxChannels) {
        return new LslStimOutlet(backend.createOutlet(streamInfo(name, maxChannels)), maxChannels);
    }

    /** The stream description of a stimulation outlet. */
    public static StreamInfo streamInfo(String name, int maxChannels) {
        if (maxChannels < 1 || maxChannels > StimCommand.MAX_CHANNELS) {
            throw new IllegalArgumentException("stim lsl outlet: maxChannels must be in [1, " + StimCommand.MAX_CHANNELS
                    + "], was " + maxChannels);
        }
        return StreamInfo.builder(name, STREAM_TYPE, FIXED_COLUMNS + maxChannels, 0.0, ChannelFormat.INT64,
                "reflex-stim-" + name).build();
    }

    public StreamOutlet outlet() {
        return outlet;
    }

    @Override
    public String name() {
        return "lsl:" + outlet.info().name();
    }

    @Override
    public int send(long sequence, StimCommand c) {
        if (!open) {
            return DISCONNECTED;
        }
        if (c.channelCount() > maxChannels) {
            alarm = "command " + sequence + " has more channels than the LSL stream carries";
            return IO_ERROR;
        }
        sample[0] = 1;
        sample[1] = sequence;
        sample[2] = c.triggerTimeNs();
        sample[3] = c.phase1AmplitudeNa();
        sample[4] = c.phase1WidthNs();
        sample[5] = c.interphaseGapNs();
        sample[6] = c.phase2AmplitudeNa();
        sample[7] = c.phase2WidthNs();
        sample[8] = c.frequencyMilliHz();
        sample[9] = c.pulseCount();
        sample[10] = c.polarity();
        int n = c.channelCount();
        sample[11] = n;
        for (int i = 0; i < maxChannels; i++) {
            sample[FIXED_COLUMNS + i] = i < n ? c.channel(i) : -1;
        }
        return push(c.triggerTimeNs() * 1e-9);
    }

    @Override
    public int stopAll(long sequence) {
        if (!open) {
            return DISCONNECTED;
        }
        Arrays.fill(sample, 0);
        Arrays.fill(sample, FIXED_COLUMNS, sample.length, -1);
        sample[0] = 2;
        sample[1] = sequence;
        return push(0.0);
    }

    private int push(double timestampS) {
        try {
            outlet.pushSample(sample, timestampS);
            samples++;
            return OK;
        } catch (RuntimeException e) {
            alarm = "lsl push failed: " + e;
            return IO_ERROR;
        }
    }

    /** Samples pushed. */
    public long samples() {
        return samples;
    }

    @Override
    public int doWork(long nowNs) {
        return 0;
    }

    @Override
    public boolean isConnected() {
        return open;
    }

    @Override
    public void abort() {
        open = false;
    }

    @Override
    public String alarm() {
        return alarm;
    }

    @Override
    public void close() {
        open = false;
        outlet.close();
    }
}
