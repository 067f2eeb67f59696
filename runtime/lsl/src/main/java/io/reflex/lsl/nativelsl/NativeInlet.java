package io.reflex.lsl.nativelsl;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import io.reflex.lsl.StreamInfo;
import io.reflex.lsl.StreamInlet;
import java.nio.charset.StandardCharsets;

/**
 * A liblsl inlet behind {@link StreamInlet}. Latest mode is liblsl's one-sample buffer
 * ({@code max_buflen} = 1); skipped samples are not counted by liblsl, so {@link #droppedSamples()} is 0 here.
 *
 * <p>Every call's error code is read: a timeout on a pull is "no sample" (0.0), a lost stream sets {@link #lost()},
 * and anything else throws {@link NativeLslException}; a NULL info from liblsl is never passed on.
 */
final class NativeInlet implements StreamInlet {
    private final NativeLsl backend;
    private final LslLibrary lib;
    /** The pull thread's error code (pulls are made by one thread at a time). */
    private final IntByReference ec = new IntByReference();
    private Pointer handle;
    private final StreamInfo info;
    private final int channels;
    /** The pull thread's sample for {@link #pullSample(float[], int, double)}, made at its first call. */
    private float[] scratch;
    private volatile boolean lost;

    NativeInlet(NativeLsl backend, Pointer handle, StreamInfo info) {
        this.backend = backend;
        this.lib = backend.lib();
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

    /** The handle for a pull, with the pull thread's error code cleared (liblsl clears it too). */
    private Pointer forPull() {
        Pointer p = h();
        ec.setValue(0);
        return p;
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
        return forPull();
    }

    /** Samples a chunk pull may write: what the caller asked for, bounded by both destination arrays. */
    private int chunkSamples(int length, double[] timestamps, int maxSamples) {
        return Math.max(0, Math.min(Math.min(maxSamples, timestamps.length), length / channels));
    }

    /** The pull's result: the timestamp, or 0.0 on a timeout or a lost stream; other errors throw. */
    private double result(double ts) {
        int code = ec.getValue();
        if (code == 0) {
            return ts;
        }
        if (code == LslLibrary.TIMEOUT_ERROR) {
            return 0.0;
        }
        if (code == LslLibrary.LOST_ERROR) {
            lost = true;
            return 0.0;
        }
        throw backend.failure(code, "pull from '" + info.name() + "'");
    }

    private int chunkResult(long values, int max) {
        if (result(1.0) == 0.0) {
            return 0;
        }
        return (int) Math.max(0, Math.min(values / channels, max));
    }

    @Override
    public StreamInfo info() {
        return info;
    }

    @Override
    public StreamInfo fullInfo(double timeoutS) {
        IntByReference ec = new IntByReference(); // off the pull path: callable while another thread pulls
        Pointer p = lib.lsl_get_fullinfo(h(), timeoutS, ec);
        int code = ec.getValue();
        if (code != 0 || p == null) {
            if (p != null) {
                lib.lsl_destroy_streaminfo(p);
            }
            if (code == LslLibrary.LOST_ERROR) {
                lost = true;
            }
            throw backend.failure(code == 0 ? LslLibrary.INTERNAL_ERROR : code,
                    "lsl_get_fullinfo of '" + info.name() + "' within " + timeoutS + " s");
        }
        try {
            return backend.describe(p);
        } finally {
            lib.lsl_destroy_streaminfo(p);
        }
    }

    @Override
    public void open(double timeoutS) {
        IntByReference ec = new IntByReference();
        lib.lsl_open_stream(h(), timeoutS, ec);
        int code = ec.getValue();
        if (code == LslLibrary.LOST_ERROR) {
            lost = true;
        }
        backend.check(ec, "lsl_open_stream of '" + info.name() + "' within " + timeoutS + " s");
    }

    @Override
    public double pullSample(float[] dst, double timeoutS) {
        return result(lib.lsl_pull_sample_f(into(dst.length), dst, channels, timeoutS, ec));
    }

    /**
     * liblsl writes from the start of the array JNA hands it, so the sample goes through a scratch array and is
     * copied to {@code offset} only when one arrived (nothing else in {@code dst} is touched).
     */
    @Override
    public double pullSample(float[] dst, int offset, double timeoutS) {
        if (offset < 0 || offset > dst.length - channels) {
            throw new IllegalArgumentException("destination holds " + dst.length + " values; the stream's "
                    + channels + " channels do not fit from offset " + offset);
        }
        float[] s = scratch;
        if (s == null) {
            s = new float[channels];
            scratch = s;
        }
        double ts = lib.lsl_pull_sample_f(forPull(), s, channels, timeoutS, ec);
        if (ec.getValue() == 0) {
            System.arraycopy(s, 0, dst, offset, channels);
        }
        return result(ts);
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
        double ts = lib.lsl_pull_sample_str(inlet, raw, channels, timeoutS, ec);
        boolean got = ec.getValue() == 0;
        for (int i = 0; i < channels; i++) {
            if (raw[i] != null) {
                if (got) {
                    dst[i] = raw[i].getString(0, StandardCharsets.UTF_8.name());
                }
                lib.lsl_destroy_string(raw[i]);
            }
        }
        return result(ts);
    }

    @Override
    public int pullChunk(float[] dst, double[] timestamps, int maxSamples, double timeoutS) {
        int max = chunkSamples(dst.length, timestamps, maxSamples);
        if (max == 0) {
            return 0;
        }
        return chunkResult(lib.lsl_pull_chunk_f(forPull(), dst, timestamps, (long) max * channels, max, timeoutS, ec), max);
    }

    @Override
    public int pullChunk(double[] dst, double[] timestamps, int maxSamples, double timeoutS) {
        int max = chunkSamples(dst.length, timestamps, maxSamples);
        if (max == 0) {
            return 0;
        }
        return chunkResult(lib.lsl_pull_chunk_d(forPull(), dst, timestamps, (long) max * channels, max, timeoutS, ec), max);
    }

    @Override
    public double timeCorrection(double timeoutS) {
        IntByReference ec = new IntByReference(); // off the pull path: callable while another thread pulls
        double v = lib.lsl_time_correction(h(), timeoutS, ec);
        int code = ec.getValue();
        if (code == LslLibrary.LOST_ERROR) {
            lost = true;
        }
        return code == 0 ? v : Double.NaN;
    }

    @Override
    public int samplesAvailable() {
        return Math.max(0, lib.lsl_samples_available(h()));
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
