package io.reflex.lsl.nativelsl;

import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;

/**
 * Raw JNA binding of liblsl's C API (lsl_c.h, liblsl 1.16/1.17), names kept exactly. Only the functions the
 * facade uses are declared. Handles are opaque pointers; strings returned by {@code lsl_get_xml} must be freed
 * with {@code lsl_destroy_string}. Any function returning a handle may return NULL (liblsl caught an exception;
 * {@code lsl_last_error} says which) and every {@code ec} / int32 result may be one of the negative error codes of
 * lsl/common.h: the facade ({@link NativeLsl}) checks each one before a handle goes back to liblsl. Tests replace
 * this interface with a Java stub that returns those NULLs and codes.
 */
public interface LslLibrary extends Library {
    int lsl_protocol_version();

    int lsl_library_version();

    double lsl_local_clock();

    /** Returns void in liblsl (a failure is logged by liblsl, not reported). */
    void lsl_set_config_content(String content);

    /** The message of the last error caught in this thread (a static buffer; never freed). */
    String lsl_last_error();

    Pointer lsl_create_streaminfo(String name, String type, int channelCount, double nominalSrate,
                                  int channelFormat, String sourceId);

    void lsl_destroy_streaminfo(Pointer info);

    Pointer lsl_get_xml(Pointer info);

    void lsl_destroy_string(Pointer s);

    Pointer lsl_get_desc(Pointer info);

    Pointer lsl_append_child(Pointer element, String name);

    Pointer lsl_append_child_value(Pointer element, String name, String value);

    Pointer lsl_create_outlet(Pointer info, int chunkSize, int maxBuffered);

    void lsl_destroy_outlet(Pointer outlet);

    Pointer lsl_get_info(Pointer outlet);

    int lsl_have_consumers(Pointer outlet);

    int lsl_wait_for_consumers(Pointer outlet, double timeout);

    int lsl_push_sample_ftp(Pointer outlet, float[] data, double timestamp, int pushthrough);

    int lsl_push_sample_dtp(Pointer outlet, double[] data, double timestamp, int pushthrough);

    int lsl_push_sample_itp(Pointer outlet, int[] data, double timestamp, int pushthrough);

    int lsl_push_sample_stp(Pointer outlet, short[] data, double timestamp, int pushthrough);

    int lsl_push_sample_ctp(Pointer outlet, byte[] data, double timestamp, int pushthrough);

    int lsl_push_sample_ltp(Pointer outlet, long[] data, double timestamp, int pushthrough);

    int lsl_push_sample_strtp(Pointer outlet, String[] data, double timestamp, int pushthrough);

    int lsl_push_chunk_ftp(Pointer outlet, float[] data, long dataElements, double timestamp, int pushthrough);

    int lsl_push_chunk_dtp(Pointer outlet, double[] data, long dataElements, double timestamp, int pushthrough);

    int lsl_push_chunk_ftnp(Pointer outlet, float[] data, long dataElements, double[] timestamps, int pushthrough);

    int lsl_push_chunk_dtnp(Pointer outlet, double[] data, long dataElements, double[] timestamps,
                            int pushthrough);

    int lsl_push_chunk_stnp(Pointer outlet, short[] data, long dataElements, double[] timestamps, int pushthrough);

    int lsl_resolve_all(Pointer[] buffer, int bufferElements, double waitTime);

    int lsl_resolve_bypred(Pointer[] buffer, int bufferElements, String predicate, int minimum, double timeout);

    Pointer lsl_create_inlet(Pointer info, int maxBuflen, int maxChunklen, int recover);

    void lsl_destroy_inlet(Pointer inlet);

    Pointer lsl_get_fullinfo(Pointer inlet, double timeout, IntByReference ec);

    void lsl_open_stream(Pointer inlet, double timeout, IntByReference ec);

    double lsl_time_correction(Pointer inlet, double timeout, IntByReference ec);

    int lsl_set_postprocessing(Pointer inlet, int flags);

    double lsl_pull_sample_f(Pointer inlet, float[] buffer, int bufferElements, double timeout, IntByReference ec);

    double lsl_pull_sample_d(Pointer inlet, double[] buffer, int bufferElements, double timeout, IntByReference ec);

    double lsl_pull_sample_i(Pointer inlet, int[] buffer, int bufferElements, double timeout, IntByReference ec);

    double lsl_pull_sample_s(Pointer inlet, short[] buffer, int bufferElements, double timeout, IntByReference ec);

    double lsl_pull_sample_c(Pointer inlet, byte[] buffer, int bufferElements, double timeout, IntByReference ec);

    double lsl_pull_sample_l(Pointer inlet, long[] buffer, int bufferElements, double timeout, IntByReference ec);

    double lsl_pull_sample_str(Pointer inlet, Pointer[] buffer, int bufferElements, double timeout,
                               IntByReference ec);

    long lsl_pull_chunk_f(Pointer inlet, float[] data, double[] timestamps, long dataElements,
                          long timestampElements, double timeout, IntByReference ec);

    long lsl_pull_chunk_d(Pointer inlet, double[] data, double[] timestamps, long dataElements,
                          long timestampElements, double timeout, IntByReference ec);

    int lsl_samples_available(Pointer inlet);

    /** {@code proc_clocksync}: add the time correction to returned timestamps. */
    int PROC_CLOCKSYNC = 1;
    /** {@code lsl_timeout_error}. */
    int TIMEOUT_ERROR = -1;
    /** {@code lsl_lost_error}. */
    int LOST_ERROR = -2;
    /** {@code lsl_argument_error}: an argument was invalid (a bad predicate, a negative count). */
    int ARGUMENT_ERROR = -3;
    /** {@code lsl_internal_error}: liblsl caught an unexpected exception. */
    int INTERNAL_ERROR = -4;
}
