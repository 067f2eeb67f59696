package io.reflex.runtime.lsl.nativelsl;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import io.reflex.runtime.lsl.InletOptions;
import io.reflex.runtime.lsl.LslBackend;
import io.reflex.runtime.lsl.LslConfig;
import io.reflex.runtime.lsl.StreamInfo;
import io.reflex.runtime.lsl.StreamInlet;
import io.reflex.runtime.lsl.StreamOutlet;
import io.reflex.runtime.lsl.XmlElement;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The liblsl backend: the same {@link StreamOutlet}/{@link StreamInlet} interfaces over liblsl's C API through JNA.
 * The library is loaded with {@code Native.load("lsl")} (searching {@code jna.library.path}); when it is missing,
 * {@link #unavailableReason()} says why and nothing crashes. The configuration is handed to liblsl with
 * {@code lsl_set_config_content} before first use, so the loopback mode holds for liblsl too (liblsl still binds
 * its data sockets on all interfaces: docs/lsl-wire.md A0).
 */
public final class NativeLsl implements LslBackend {
    private static final Object LOAD_LOCK = new Object();
    private static LslLibrary lib;
    private static String loadFailure;
    private static boolean attempted;
    private static String configured;

    /** Loads liblsl once; null on success, else the loader's reason. */
    public static String unavailableReason() {
        synchronized (LOAD_LOCK) {
            if (!attempted) {
                attempted = true;
                try {
                    lib = Native.load("lsl", LslLibrary.class);
                    lib.lsl_protocol_version();
                } catch (Throwable t) {
                    lib = null;
                    loadFailure = t.getClass().getSimpleName() + ": " + t.getMessage();
                }
            }
            return lib == null ? (loadFailure == null ? "not loaded" : loadFailure) : null;
        }
    }

    /** The loaded library (throws if unavailable). */
    static LslLibrary lib() {
        String why = unavailableReason();
        if (why != null) {
            throw new IllegalStateException("liblsl unavailable: " + why);
        }
        return lib;
    }

    public NativeLsl(LslConfig config) {
        LslLibrary l = lib();
        String text = config.conclude().toCfgText();
        synchronized (LOAD_LOCK) {
            if (configured == null) {
                try {
                    l.lsl_set_config_content(text);
                } catch (UnsatisfiedLinkError e) {
                    throw new IllegalStateException("liblsl " + l.lsl_library_version() + " lacks"
                            + " lsl_set_config_content (needs 1.16 or newer) so the network mode cannot be set", e);
                }
                configured = text;
            } else if (!configured.equals(text)) {
                throw new IllegalStateException("liblsl is already configured differently in this process");
            }
        }
    }

    /** liblsl's version, e.g. 117. */
    public int libraryVersion() {
        return lib().lsl_library_version();
    }

    @Override
    public String name() {
        return "native";
    }

    @Override
    public double localClock() {
        return lib().lsl_local_clock();
    }

    @Override
    public StreamOutlet createOutlet(StreamInfo info) {
        Pointer h = toNative(info);
        try {
            Pointer outlet = lib().lsl_create_outlet(h, 0, 360);
            if (outlet == null) {
                throw new IllegalStateException("lsl_create_outlet failed for '" + info.name() + "'");
            }
            return new NativeOutlet(outlet);
        } finally {
            lib().lsl_destroy_streaminfo(h);
        }
    }

    @Override
    public List<StreamInfo> resolve(String predicate, int minimum, double timeoutS) {
        Pointer[] buf = new Pointer[1024];
        int n = lib().lsl_resolve_bypred(buf, buf.length, predicate == null ? "" : predicate, minimum, timeoutS);
        List<StreamInfo> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(fromNative(buf[i]));
            lib().lsl_destroy_streaminfo(buf[i]);
        }
        return out;
    }

    @Override
    public StreamInlet createInlet(StreamInfo info, InletOptions options) {
        options.conclude();
        Pointer h = toNative(info);
        try {
            int maxBuflen = options.mode() == InletOptions.Mode.LATEST ? 1 : 360;
            Pointer inlet = lib().lsl_create_inlet(h, maxBuflen, 0, options.recover() ? 1 : 0);
            if (inlet == null) {
                throw new IllegalStateException("lsl_create_inlet failed for '" + info.name() + "'");
            }
            if (options.postprocessClockSync()) {
                lib().lsl_set_postprocessing(inlet, LslLibrary.PROC_CLOCKSYNC);
            }
            return new NativeInlet(inlet, info, options);
        } finally {
            lib().lsl_destroy_streaminfo(h);
        }
    }

    static Pointer toNative(StreamInfo info) {
        if (!info.uid().isEmpty() && info.v4dataPort() != 0) {
            Pointer p = lib().lsl_streaminfo_from_xml(info.toFullXml());
            if (p != null) {
                return p;
            }
        }
        Pointer h = lib().lsl_create_streaminfo(info.name(), info.type(), info.channelCount(), info.nominalSrate(),
                info.channelFormat().cCode(), info.sourceId());
        copyDesc(info.desc(), lib().lsl_get_desc(h));
        return h;
    }

    private static void copyDesc(XmlElement from, Pointer to) {
        for (XmlElement c : from.children()) {
            if (c.children().isEmpty() && c.value() != null) {
                lib().lsl_append_child_value(to, c.name(), c.value());
            } else {
                copyDesc(c, lib().lsl_append_child(to, c.name()));
            }
        }
    }

    static StreamInfo fromNative(Pointer info) {
        Pointer xml = lib().lsl_get_xml(info);
        try {
            return StreamInfo.parse(xml.getString(0, StandardCharsets.UTF_8.name()));
        } finally {
            lib().lsl_destroy_string(xml);
        }
    }

    static void check(IntByReference ec, String what) {
        int code = ec.getValue();
        if (code != 0 && code != LslLibrary.TIMEOUT_ERROR) {
            throw new IllegalStateException(what + " failed with liblsl error " + code);
        }
    }
}
