package io.reflex.runtime.lsl.nativelsl;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import io.reflex.runtime.lsl.InletOptions;
import io.reflex.runtime.lsl.StreamInfo;
import io.reflex.runtime.lsl.StreamInlet;
import java.nio.charset.StandardCharsets;

/**
 * A liblsl inlet behind {@link StreamInlet}. Latest mode is liblsl's one-sample buffer
 * ({@code max_buflen} = 1); skipped samples are not counted by liblsl, so {@link #droppedSamples()} is 0 here.
 */
final class NativeInlet implements StreamInlet {
    private final LslLibrary lib = NativeLsl.lib();
    private final IntByReference ec = new IntByReference();
    private Pointer handle;
    private final StreamInfo info;
    private final int channels;
    private boolean lost;

    NativeInlet(Pointer handle, StreamInfo info, InletOptions options) {
        this.handle = handle;
        this.info = info;
        this.channels = info.channelCount();
    }

    private Pointer h() {
        if (handle == null) {
            throw new IllegalStateException("inlet closed");
        }
        return handle;
    }

    /**
     * The handle, once {@code length} is known to hold a sample: liblsl writes channel-count values whatever the
     * array holds, so a short one would be overrun in native memory (heap corruption, a crash of the JVM).
     */
    private Pointer into(int length) {
        if (length < channels) {
            throw new IllegalArgumentException("destination holds " + length + " values; the stream has "
                    + channels + " channels");
        }
        return h();
    }

    /** Samples a chunk pull may write: what the caller asked for, bounded by both destination arrays. */
    private int chunkSamples(int length, double[] timestamps, int maxSamples) {
        return Math.max(0, Math.min(Math.min(maxSamples, timestamps.length), length / channels));
    }

    private double result(double ts) {
        int code = ec.getValue();
        if (code == LslLibrary.LOST_ERROR) {
            lost = true;
            return 0.0;
        }
        NativeLsl.check(ec, "pull");
        return ts;
    }

    @Override
    public StreamInfo info() {
        return info;
    }

    @Override
    public StreamInfo fullInfo(double timeoutS) {
        Pointer p = lib.lsl_get_fullinfo(h(), timeoutS, ec);
        NativeLsl.check(ec, "lsl_get_fullinfo");
        try {
            return NativeLsl.fromNative(p);
        } finally {
            lib.lsl_destroy_streaminfo(p);
        }
    }

    @Override
    public void open(double timeoutS) {
        lib.lsl_open_stream(h(), timeoutS, ec);
        if (ec.getValue() != 0) {
            throw new IllegalStateException("lsl_open_stream failed with liblsl error " + ec.getValue());
        }
    }

    @Override
    public double pullSample(float[] dst, double timeoutS) {
        return result(lib.lsl_pull_sample_f(into(dst.length), dst, channels, timeoutS, ec));
    }

    @Override
    public double pullSample(double[] dst, double timeoutS) {
        return result(lib.lsl_pull_sample_d(into(dst.length), dst, channels, timeoutS, ec));
    }

    @Override
    public double pullSample(int[] dst, double timeoutS) {
        return result(lib.lsl_pull_sample_i(into(dst.length), dst, channels, timeoutS, ec));
    }

    @Override
    public double pullSample(short[] dst, double timeoutS) {
        return result(lib.lsl_pull_sample_s(into(dst.length), dst, channels, timeoutS, ec));
    }

    @Override
    public double pullSample(byte[] dst, double timeoutS) {
        return result(lib.lsl_pull_sample_c(into(dst.length), dst, channels, timeoutS, ec));
    }

    @Override
    public double pullSample(long[] dst, double timeoutS) {
        return result(lib.lsl_pull_sample_l(into(dst.length), dst, channels, timeoutS, ec));
    }

    @Override
    public double pullSample(String[] dst, double timeoutS) {
        Pointer inlet = into(dst.length);
        Pointer[] raw = new Pointer[channels];
        double ts = result(lib.lsl_pull_sample_str(inlet, raw, channels, timeoutS, ec));
        for (int i = 0; i < channels; i++) {
            if (raw[i] != null) {
                dst[i] = raw[i].getString(0, StandardCharsets.UTF_8.name());
                lib.lsl_destroy_string(raw[i]);
            }
        }
        return ts;
    }

    @Override
    public int pullChunk(float[] dst, double[] timestamps, int maxSamples, double timeoutS) {
        int max = chunkSamples(dst.length, timestamps, maxSamples);
        if (max == 0) {
            return 0;
        }
        long n = lib.lsl_pull_chunk_f(h(), dst, timestamps, (long) max * channels, max, timeoutS, ec);
        result(0);
        return (int) (n / channels);
    }

    @Override
    public int pullChunk(double[] dst, double[] timestamps, int maxSamples, double timeoutS) {
        int max = chunkSamples(dst.length, timestamps, maxSamples);
        if (max == 0) {
            return 0;
        }
        long n = lib.lsl_pull_chunk_d(h(), dst, timestamps, (long) max * channels, max, timeoutS, ec);
        result(0);
        return (int) (n / channels);
    }

    @Override
    public double timeCorrection(double timeoutS) {
        double v = lib.lsl_time_correction(h(), timeoutS, ec);
        return ec.getValue() == 0 ? v : Double.NaN;
    }

    @Override
    public int samplesAvailable() {
        return lib.lsl_samples_available(h());
    }

    @Override
    public long droppedSamples() {
        return 0;
    }

    @Override
    public boolean lost() {
        return lost;
    }

    @Override
    public void close() {
        if (handle != null) {
            lib.lsl_destroy_inlet(handle);
            handle = null;
        }
    }
}
