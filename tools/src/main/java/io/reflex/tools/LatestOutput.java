package io.reflex.tools;

import io.reflex.runtime.pipeline.Frame;
import io.reflex.runtime.pipeline.FrameHandler;
import java.lang.invoke.VarHandle;

/**
 * The last emitted output and the features of a few selected input channels, for the control API: a pipeline observer (off the critical path, on the observers'
 * thread, which owns the writes) copies each frame's output into preallocated arrays under a sequence lock; readers
 * on other threads take a consistent copy without locks and without ever holding up the writer.
 */
final class LatestOutput implements FrameHandler {
    /** Output values kept per frame; a wider output is cut to its first this many. */
    static final int MAX_VALUES = 64;
    /** Input channels whose features can be kept ({@code control.telemetryChannels}). */
    static final int MAX_CHANNELS = 1024;
    /** Target values kept per frame (the reference the decoder is scored against, when the source has one). */
    static final int MAX_TARGETS = 8;
    /** Reader attempts before it gives up on a snapshot that keeps changing under it. */
    private static final int READ_ATTEMPTS = 16;

    private final float[] values = new float[MAX_VALUES];
    private final float[] targets = new float[MAX_TARGETS];
    private int targetCount;
    /** The selected input channels, and their features in the last frame (NaN for a channel the frame lacks). */
    private final int[] channels;
    private final float[] features;
    private int count;
    private long frame = -1;
    private boolean safe;
    /** Odd while the observer writes; even and unchanged across a read means the copy is consistent. */
    private volatile long version;

    /** @param channels input channels whose features are kept too (at most {@link #MAX_CHANNELS}) */
    LatestOutput(int[] channels) {
        if (channels.length > MAX_CHANNELS) {
            throw new IllegalArgumentException("at most " + MAX_CHANNELS + " channels, not " + channels.length);
        }
        this.channels = channels.clone();
        this.features = new float[channels.length];
    }

    /** The selected input channels. */
    int[] channels() {
        return channels.clone();
    }

    /** A reader's copy. */
    static final class Snapshot {
        final float[] values = new float[MAX_VALUES];
        final float[] features = new float[MAX_CHANNELS];
        final float[] targets = new float[MAX_TARGETS];
        int count;
        int targetCount;
        long frame = -1;
        boolean safe;
    }

    @Override
    public void onFrame(Frame f) {
        final long v = version;
        version = v + 1;
        VarHandle.storeStoreFence();
        final int n = Math.min(f.output.length, MAX_VALUES);
        System.arraycopy(f.output, 0, values, 0, n);
        count = n;
        final int t = Math.min(f.targets.length, MAX_TARGETS);
        System.arraycopy(f.targets, 0, targets, 0, t);
        targetCount = t;
        for (int i = 0; i < channels.length; i++) {
            final int ch = channels[i];
            features[i] = ch < f.features.length ? f.features[ch] : Float.NaN;
        }
        frame = f.sequence;
        safe = f.hasFlag(Frame.FLAG_SAFE_OUTPUT);
        version = v + 2;
    }

    /**
     * Copies the last output into {@code into}.
     *
     * @return false when there is none yet, or when it kept changing during {@value #READ_ATTEMPTS} attempts
     */
    boolean read(Snapshot into) {
        for (int attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
            final long v1 = version;
            if ((v1 & 1) != 0) {
                Thread.onSpinWait();
                continue;
            }
            final int n = count;
            System.arraycopy(values, 0, into.values, 0, n);
            System.arraycopy(features, 0, into.features, 0, features.length);
            into.count = n;
            final int t = targetCount;
            System.arraycopy(targets, 0, into.targets, 0, t);
            into.targetCount = t;
            into.frame = frame;
            into.safe = safe;
            VarHandle.loadLoadFence();
            if (version == v1) {
                return into.frame >= 0;
            }
        }
        return false;
    }
}
