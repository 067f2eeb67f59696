package io.reflex.runtime.lsl.nativelsl;

import com.sun.jna.Pointer;
import io.reflex.runtime.lsl.StreamInfo;
import io.reflex.runtime.lsl.StreamOutlet;

/** A liblsl outlet behind {@link StreamOutlet}; every push is flushed at once (pushthrough). */
final class NativeOutlet implements StreamOutlet {
    private final LslLibrary lib = NativeLsl.lib();
    private Pointer handle;
    private final StreamInfo info;
    private final int channels;

    NativeOutlet(Pointer handle) {
        this.handle = handle;
        Pointer i = lib.lsl_get_info(handle);
        try {
            this.info = NativeLsl.fromNative(i);
        } finally {
            lib.lsl_destroy_streaminfo(i);
        }
        this.channels = info.channelCount();
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

    @Override
    public void pushSample(float[] values, double timestamp) {
        lib.lsl_push_sample_ftp(h(), values, timestamp, 1);
    }

    @Override
    public void pushSample(double[] values, double timestamp) {
        lib.lsl_push_sample_dtp(h(), values, timestamp, 1);
    }

    @Override
    public void pushSample(int[] values, double timestamp) {
        lib.lsl_push_sample_itp(h(), values, timestamp, 1);
    }

    @Override
    public void pushSample(short[] values, double timestamp) {
        lib.lsl_push_sample_stp(h(), values, timestamp, 1);
    }

    @Override
    public void pushSample(byte[] values, double timestamp) {
        lib.lsl_push_sample_ctp(h(), values, timestamp, 1);
    }

    @Override
    public void pushSample(long[] values, double timestamp) {
        lib.lsl_push_sample_ltp(h(), values, timestamp, 1);
    }

    @Override
    public void pushSample(String[] values, double timestamp) {
        lib.lsl_push_sample_strtp(h(), values, timestamp, 1);
    }

    @Override
    public void pushChunk(float[] data, int samples, double timestamp) {
        lib.lsl_push_chunk_ftp(h(), data, (long) samples * channels, timestamp, 1);
    }

    @Override
    public void pushChunk(double[] data, int samples, double timestamp) {
        lib.lsl_push_chunk_dtp(h(), data, (long) samples * channels, timestamp, 1);
    }

    @Override
    public void pushChunk(float[] data, int samples, double[] timestamps) {
        lib.lsl_push_chunk_ftnp(h(), data, (long) samples * channels, timestamps, 1);
    }

    @Override
    public void pushChunk(double[] data, int samples, double[] timestamps) {
        lib.lsl_push_chunk_dtnp(h(), data, (long) samples * channels, timestamps, 1);
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
