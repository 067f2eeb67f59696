package io.reflex.lsl.nativelsl;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * liblsl as a Java stub: answers with the NULL handles and error codes a test sets, and records every handle
 * passed in. A NULL or unknown handle reaching it ({@link #badHandles}) is what would have killed the JVM inside
 * the real liblsl; a handle destroyed twice or never ({@link #doubleFrees}, {@link #liveInfos}) would corrupt its
 * heap or leak.
 */
final class StubLsl implements LslLibrary {
    // what the stub answers with (set by tests)
    final List<String> streams = new ArrayList<>();
    int resolveCode;
    boolean nullEntryInResolve;
    boolean xmlNull;
    boolean createStreaminfoNull;
    boolean descNull;
    boolean createOutletNull;
    boolean getInfoNull;
    boolean createInletNull;
    int postprocessingCode;
    int pushCode;
    int fullinfoCode;
    boolean fullinfoNull;
    int openCode;
    int pullCode;
    int timeCorrectionCode;
    String lastError = "stub says no";

    // what the stub saw
    final List<String> calls = new ArrayList<>();
    final List<String> predicates = new ArrayList<>();
    final List<Pointer> inletsCreatedFrom = new ArrayList<>();
    int badHandles;
    int doubleFrees;
    private long nextPeer = 0x10000;
    final Map<Long, String> liveInfos = new HashMap<>();
    final Set<Long> liveOutlets = new HashSet<>();
    final Set<Long> liveInlets = new HashSet<>();
    final Set<Long> liveStrings = new HashSet<>();
    private final Map<Long, Memory> strings = new HashMap<>();

    private Pointer handle() {
        return new Pointer(nextPeer++);
    }

    private Pointer newInfo(String xml) {
        Pointer p = handle();
        liveInfos.put(Pointer.nativeValue(p), xml);
        return p;
    }

    private void use(Pointer p, Set<Long> live) {
        if (p == null || !live.contains(Pointer.nativeValue(p))) {
            badHandles++;
        }
    }

    private void useInfo(Pointer p) {
        use(p, liveInfos.keySet());
    }

    private Pointer string(String s) {
        Memory m = new Memory(s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 1L);
        m.setString(0, s, "UTF-8");
        strings.put(Pointer.nativeValue(m), m);
        liveStrings.add(Pointer.nativeValue(m));
        return m;
    }

    @Override
    public int lsl_protocol_version() {
        return 110;
    }

    @Override
    public int lsl_library_version() {
        return 117;
    }

    @Override
    public double lsl_local_clock() {
        return 1.0;
    }

    @Override
    public void lsl_set_config_content(String content) {
        calls.add("lsl_set_config_content");
    }

    @Override
    public String lsl_last_error() {
        return lastError;
    }

    @Override
    public Pointer lsl_create_streaminfo(String name, String type, int channelCount, double nominalSrate,
                                         int channelFormat, String sourceId) {
        calls.add("lsl_create_streaminfo");
        if (createStreaminfoNull) {
            return null;
        }
        return newInfo(io.reflex.lsl.StreamInfo.builder(name, type, channelCount, nominalSrate,
                io.reflex.lsl.ChannelFormat.FLOAT32, sourceId).uid("outlet-uid").build().toFullXml());
    }

    @Override
    public void lsl_destroy_streaminfo(Pointer info) {
        if (info == null) {
            badHandles++;
        } else if (liveInfos.remove(Pointer.nativeValue(info)) == null) {
            doubleFrees++;
        }
    }

    @Override
    public Pointer lsl_get_xml(Pointer info) {
        useInfo(info);
        calls.add("lsl_get_xml");
        if (xmlNull || info == null) {
            return null;
        }
        String xml = liveInfos.get(Pointer.nativeValue(info));
        return string(xml == null ? "" : xml);
    }

    @Override
    public void lsl_destroy_string(Pointer s) {
        if (s == null) {
            badHandles++;
        } else if (!liveStrings.remove(Pointer.nativeValue(s))) {
            doubleFrees++;
        }
    }

    @Override
    public Pointer lsl_get_desc(Pointer info) {
        useInfo(info);
        return descNull ? null : handle();
    }

    @Override
    public Pointer lsl_append_child(Pointer element, String name) {
        return element == null ? null : handle();
    }

    @Override
    public Pointer lsl_append_child_value(Pointer element, String name, String value) {
        return element == null ? null : handle();
    }

    @Override
    public Pointer lsl_create_outlet(Pointer info, int chunkSize, int maxBuffered) {
        useInfo(info);
        calls.add("lsl_create_outlet");
        if (createOutletNull) {
            return null;
        }
        Pointer p = handle();
        liveOutlets.add(Pointer.nativeValue(p));
        return p;
    }

    @Override
    public void lsl_destroy_outlet(Pointer outlet) {
        if (outlet == null) {
            badHandles++;
        } else if (!liveOutlets.remove(Pointer.nativeValue(outlet))) {
            doubleFrees++;
        }
    }

    @Override
    public Pointer lsl_get_info(Pointer outlet) {
        use(outlet, liveOutlets);
        if (getInfoNull) {
            return null;
        }
        return newInfo(io.reflex.lsl.StreamInfo.builder("out", "T", 2, 100,
                io.reflex.lsl.ChannelFormat.FLOAT32, "out").uid("outlet-uid").build().toFullXml());
    }

    @Override
    public int lsl_have_consumers(Pointer outlet) {
        use(outlet, liveOutlets);
        return 0;
    }

    @Override
    public int lsl_wait_for_consumers(Pointer outlet, double timeout) {
        use(outlet, liveOutlets);
        return 0;
    }

    private int push(Pointer outlet) {
        use(outlet, liveOutlets);
        calls.add("push");
        return pushCode;
    }

    @Override
    public int lsl_push_sample_ftp(Pointer outlet, float[] data, double timestamp, int pushthrough) {
        return push(outlet);
    }

    @Override
    public int lsl_push_sample_dtp(Pointer outlet, double[] data, double timestamp, int pushthrough) {
        return push(outlet);
    }

    @Override
    public int lsl_push_sample_itp(Pointer outlet, int[] data, double timestamp, int pushthrough) {
        return push(outlet);
    }

    @Override
    public int lsl_push_sample_stp(Pointer outlet, short[] data, double timestamp, int pushthrough) {
        return push(outlet);
    }

    @Override
    public int lsl_push_sample_ctp(Pointer outlet, byte[] data, double timestamp, int pushthrough) {
        return push(outlet);
    }

    @Override
    public int lsl_push_sample_ltp(Pointer outlet, long[] data, double timestamp, int pushthrough) {
        return push(outlet);
    }

    @Override
    public int lsl_push_sample_strtp(Pointer outlet, String[] data, double timestamp, int pushthrough) {
        return push(outlet);
    }

    @Override
    public int lsl_push_chunk_ftp(Pointer outlet, float[] data, long dataElements, double timestamp,
                                  int pushthrough) {
        return push(outlet);
    }

    @Override
    public int lsl_push_chunk_dtp(Pointer outlet, double[] data, long dataElements, double timestamp,
                                  int pushthrough) {
        return push(outlet);
    }

    @Override
    public int lsl_push_chunk_ftnp(Pointer outlet, float[] data, long dataElements, double[] timestamps,
                                   int pushthrough) {
        return push(outlet);
    }

    @Override
    public int lsl_push_chunk_dtnp(Pointer outlet, double[] data, long dataElements, double[] timestamps,
                                   int pushthrough) {
        return push(outlet);
    }

    @Override
    public int lsl_push_chunk_stnp(Pointer outlet, short[] data, long dataElements, double[] timestamps,
                                   int pushthrough) {
        return push(outlet);
    }

    private int fill(Pointer[] buffer, int bufferElements) {
        if (resolveCode < 0) {
            return resolveCode;
        }
        int n = 0;
        if (nullEntryInResolve) {
            buffer[n++] = null;
        }
        for (String xml : streams) {
            if (n < bufferElements) {
                buffer[n++] = newInfo(xml);
            }
        }
        return n;
    }

    @Override
    public int lsl_resolve_all(Pointer[] buffer, int bufferElements, double waitTime) {
        calls.add("lsl_resolve_all");
        return fill(buffer, bufferElements);
    }

    @Override
    public int lsl_resolve_bypred(Pointer[] buffer, int bufferElements, String predicate, int minimum,
                                  double timeout) {
        calls.add("lsl_resolve_bypred");
        predicates.add(predicate);
        if (predicate == null || predicate.isEmpty()) {
            return ARGUMENT_ERROR; // liblsl refuses an empty XPath
        }
        return fill(buffer, bufferElements);
    }

    @Override
    public Pointer lsl_create_inlet(Pointer info, int maxBuflen, int maxChunklen, int recover) {
        useInfo(info);
        calls.add("lsl_create_inlet");
        inletsCreatedFrom.add(info);
        if (createInletNull) {
            return null;
        }
        Pointer p = handle();
        liveInlets.add(Pointer.nativeValue(p));
        return p;
    }

    @Override
    public void lsl_destroy_inlet(Pointer inlet) {
        if (inlet == null) {
            badHandles++;
        } else if (!liveInlets.remove(Pointer.nativeValue(inlet))) {
            doubleFrees++;
        }
    }

    @Override
    public Pointer lsl_get_fullinfo(Pointer inlet, double timeout, IntByReference ec) {
        use(inlet, liveInlets);
        ec.setValue(fullinfoCode);
        if (fullinfoNull || fullinfoCode != 0) {
            return null;
        }
        return newInfo(streams.isEmpty() ? "" : streams.get(0));
    }

    @Override
    public void lsl_open_stream(Pointer inlet, double timeout, IntByReference ec) {
        use(inlet, liveInlets);
        ec.setValue(openCode);
    }

    @Override
    public double lsl_time_correction(Pointer inlet, double timeout, IntByReference ec) {
        use(inlet, liveInlets);
        ec.setValue(timeCorrectionCode);
        return timeCorrectionCode == 0 ? 0.25 : 0.0;
    }

    @Override
    public int lsl_set_postprocessing(Pointer inlet, int flags) {
        use(inlet, liveInlets);
        return postprocessingCode;
    }

    private double pull(Pointer inlet, IntByReference ec) {
        use(inlet, liveInlets);
        ec.setValue(pullCode);
        return pullCode == 0 ? 42.0 : 0.0;
    }

    @Override
    public double lsl_pull_sample_f(Pointer inlet, float[] buffer, int bufferElements, double timeout,
                                    IntByReference ec) {
        // values 10, 11, ...; on an error, debris (nothing promises what liblsl leaves in the buffer then)
        for (int i = 0; i < Math.min(bufferElements, buffer.length); i++) {
            buffer[i] = pullCode == 0 ? 10 + i : -99f;
        }
        return pull(inlet, ec);
    }

    @Override
    public double lsl_pull_sample_d(Pointer inlet, double[] buffer, int bufferElements, double timeout,
                                    IntByReference ec) {
        return pull(inlet, ec);
    }

    @Override
    public double lsl_pull_sample_i(Pointer inlet, int[] buffer, int bufferElements, double timeout,
                                    IntByReference ec) {
        return pull(inlet, ec);
    }

    @Override
    public double lsl_pull_sample_s(Pointer inlet, short[] buffer, int bufferElements, double timeout,
                                    IntByReference ec) {
        return pull(inlet, ec);
    }

    @Override
    public double lsl_pull_sample_c(Pointer inlet, byte[] buffer, int bufferElements, double timeout,
                                    IntByReference ec) {
        return pull(inlet, ec);
    }

    @Override
    public double lsl_pull_sample_l(Pointer inlet, long[] buffer, int bufferElements, double timeout,
                                    IntByReference ec) {
        return pull(inlet, ec);
    }

    @Override
    public double lsl_pull_sample_str(Pointer inlet, Pointer[] buffer, int bufferElements, double timeout,
                                      IntByReference ec) {
        double ts = pull(inlet, ec);
        for (int i = 0; i < bufferElements; i++) {
            buffer[i] = string("s" + i);
        }
        return ts;
    }

    @Override
    public long lsl_pull_chunk_f(Pointer inlet, float[] data, double[] timestamps, long dataElements,
                                 long timestampElements, double timeout, IntByReference ec) {
        pull(inlet, ec);
        return pullCode == 0 ? dataElements : 0;
    }

    @Override
    public long lsl_pull_chunk_d(Pointer inlet, double[] data, double[] timestamps, long dataElements,
                                 long timestampElements, double timeout, IntByReference ec) {
        pull(inlet, ec);
        return pullCode == 0 ? dataElements : 0;
    }

    @Override
    public int lsl_samples_available(Pointer inlet) {
        use(inlet, liveInlets);
        return 0;
    }
}
