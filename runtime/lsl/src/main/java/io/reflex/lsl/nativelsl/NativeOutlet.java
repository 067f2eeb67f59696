package io.reflex.lsl.nativelsl;

import com.sun.jna.Pointer;
import io.reflex.lsl.StreamInfo;
import io.reflex.lsl.StreamOutlet;

/**
 * A liblsl outlet behind {@link StreamOutlet}; every push is flushed at once (pushthrough). A push that liblsl
 * answers with an error code throws {@link NativeLslException}.
 */
final class NativeOutlet implements StreamOutlet {
    private final NativeLsl backend;
    private final LslLibrary lib;
    private Pointer handle;
    private final StreamInfo info;
    private final int channels;

    NativeOutlet(NativeLsl backend, Pointer handle) {
        this.backend = backend;
        this.lib = backend.lib();
        this.handle = handle;
        Pointer i = lib.lsl_get_info(handle);
        if (i == null) {
            throw backend.failure(LslLibrary.INTERNAL_ERROR, "lsl_get_info of a new outlet");
        }
        try {
            this.info = backend.describe(i);
        } finally {
            lib.lsl_destroy_streaminfo(i);
        }
        this.channels = info.channelCount();
    }

    private void pushed(int code) {
        if (code < 0) {
            throw backend.failure(code, "push to '" + info.name() + "'");
        }
    }

    @Override
    public StreamInfo info() {
        return info;
    }

    private Pointer h() {
        if (handle == null) {
            throw new IllegalStateException("outlet closed");
        }
        return handle;
    }

    /**
     * The handle, once {@code length} values are known to hold {@code samples} samples: liblsl reads
     * channels x samples values whatever the array holds, so a short array would be read past its end in native
     * memory (garbage sent, or a crash of the JVM).
     */
    private Pointer forValues(int length, int samples) {
        if (samples < 0 || length < (long) samples * channels) {
            throw new IllegalArgumentException("need " + (long) samples * channels + " values for " + samples
                    + " sample(s) of " + channels + " channels, got " + length);
        }
        return h();
    }

    /** As {@link #forValues}, and one timestamp per sample. */
    private Pointer forValues(int length, int samples, double[] timestamps) {
        if (timestamps.length < samples) {
            throw new IllegalArgumentException("need " + samples + " timestamps, got " + timestamps.length);
        }
        return forValues(length, samples);
    }

    @Override
    public void pushSample(float[] values, double timestamp) {
        pushed(lib.lsl_push_sample_ftp(forValues(values.length, 1), values, timestamp, 1));
    }

    @Override
    public void pushSample(double[] values, double timestamp) {
        pushed(lib.lsl_push_sample_dtp(forValues(values.length, 1), values, timestamp, 1));
    }

    @Override
    public void pushSample(int[] values, double timestamp) {
        pushed(lib.lsl_push_sample_itp(forValues(values.length, 1), values, timestamp, 1));
    }

    @Override
    public void pushSample(short[] values, double timestamp) {
        pushed(lib.lsl_push_sample_stp(forValues(values.length, 1), values, timestamp, 1));
    }

    @Override
    public void pushSample(byte[] values, double timestamp) {
        pushed(lib.lsl_push_sample_ctp(forValues(values.length, 1), values, timestamp, 1));
    }

    @Override
    public void pushSample(long[] values, double timestamp) {
        pushed(lib.lsl_push_sample_ltp(forValues(values.length, 1), values, timestamp, 1));
    }

    @Override
    public void pushSample(String[] values, double timestamp) {
        Pointer outlet = forValues(values.length, 1);
        String[] strings = values;
        for (int i = 0; i < channels; i++) {
            if (values[i] == null) {
                // liblsl would take a null as a C string and crash the JVM; send "" as the Java outlet does.
                if (strings == values) {
                    strings = values.clone();
                }
                strings[i] = "";
            }
        }
        pushed(lib.lsl_push_sample_strtp(outlet, strings, timestamp, 1));
    }

    @Override
    public void pushChunk(float[] data, int samples, double timestamp) {
        pushed(lib.lsl_push_chunk_ftp(forValues(data.length, samples), data, (long) samples * channels, timestamp, 1));
    }

    @Override
    public void pushChunk(double[] data, int samples, double timestamp) {
        pushed(lib.lsl_push_chunk_dtp(forValues(data.length, samples), data, (long) samples * channels, timestamp, 1));
    }

    @Override
    public void pushChunk(float[] data, int samples, double[] timestamps) {
        pushed(lib.lsl_push_chunk_ftnp(forValues(data.length, samples, timestamps), data, (long) samples * channels, timestamps, 1));
    }

    @Override
    public void pushChunk(double[] data, int samples, double[] timestamps) {
        pushed(lib.lsl_push_chunk_dtnp(forValues(data.length, samples, timestamps), data, (long) samples * channels, timestamps, 1));
    }

    @Override
    public void pushChunk(short[] data, int samples, double[] timestamps) {
        pushed(lib.lsl_push_chunk_stnp(forValues(data.length, samples, timestamps), data, (long) samples * channels, timestamps, 1));
    }

    @Override
    public boolean haveConsumers() {
        return lib.lsl_have_consumers(h()) != 0;
    }

    @Override
    public boolean waitForConsumers(double timeoutS) {
        return lib.lsl_wait_for_consumers(h(), timeoutS) != 0;
    }

    @Override
    public void close() {
        if (handle != null) {
            lib.lsl_destroy_outlet(handle);
            handle = null;
        }
    }
}
