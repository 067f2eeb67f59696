package io.reflex.lsl.nativelsl;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import io.reflex.lsl.InletOptions;
import io.reflex.lsl.LslBackend;
import io.reflex.lsl.LslConfig;
import io.reflex.lsl.StreamInfo;
import io.reflex.lsl.StreamInlet;
import io.reflex.lsl.StreamOutlet;
import io.reflex.lsl.XmlElement;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The liblsl backend: the same {@link StreamOutlet}/{@link StreamInlet} interfaces over liblsl's C API through JNA.
 *
 * <p>The library is loaded once with {@code Native.load} of {@code -Dreflex.lsl.library} (a file path or a name;
 * default {@code lsl}, searched on {@code jna.library.path} and the system paths) and probed with
 * {@code lsl_library_version}; when that fails, {@link #unavailableReason()} says why and nothing crashes. The
 * configuration is handed to liblsl with {@code lsl_set_config_content} before first use, so the loopback mode
 * holds for liblsl too (liblsl still binds its data sockets on all interfaces: docs/lsl-wire.md A0).
 *
 * <p>Stream infos handed to liblsl are liblsl's own: outlets are described with {@code lsl_create_streaminfo},
 * and inlets are created from the handle the resolver returned, kept here by uid (a stream resolved elsewhere, e.g.
 * by the Java backend, is re-resolved by its uid). Reflex's own XML is never turned into a liblsl stream info: its
 * address fields are not liblsl's, and liblsl would connect to a placeholder address (issue #13). Every handle and
 * error code liblsl returns is checked before anything else is done with it ({@link NativeLslException}).
 */
public final class NativeLsl implements LslBackend {
    /** How long {@link #createInlet} waits when it has to re-resolve a stream by uid. */
    static final double RERESOLVE_TIMEOUT_S = 2.0;
    /** Streams one resolve can return; resolved handles kept (oldest destroyed first). */
    static final int MAX_RESOLVED = 1024;
    /**
     * One liblsl time-probe round with its default tuning (TimeProbeMaxRTT 0.128 s + 8 x TimeProbeInterval
     * 0.064 s, which Reflex does not hand to liblsl): a shorter TimeUpdateInterval restarts every round before it
     * is aggregated, and {@code lsl_time_correction} then always times out (seen with liblsl 1.17.7).
     */
    static final double LIBLSL_PROBE_ROUND_S = 0.128 + 8 * 0.064;
    private static final Pattern UID = Pattern.compile("[A-Za-z0-9-]{1,64}");

    private static final Object LOAD_LOCK = new Object();
    private static LslLibrary loaded;
    private static String loadFailure;
    private static boolean attempted;
    /** The configuration text each library was given (liblsl reads it once per process). */
    private static final Map<LslLibrary, String> CONFIGURED = new IdentityHashMap<>();

    private final LslLibrary lib;
    /** Resolver handles by uid, owned by this backend; guarded by {@code this}. */
    private final LinkedHashMap<String, Pointer> resolvedByUid = new LinkedHashMap<>();

    /** Loads liblsl once; null on success, else the loader's reason. */
    public static String unavailableReason() {
        synchronized (LOAD_LOCK) {
            if (!attempted) {
                attempted = true;
                String name = System.getProperty("reflex.lsl.library", "lsl");
                try {
                    LslLibrary l = Native.load(name, LslLibrary.class);
                    int version = l.lsl_library_version();
                    if (version < 100 || version > 10_000) {
                        loadFailure = "'" + name + "' answered lsl_library_version = " + version
                                + "; not a liblsl";
                    } else {
                        loaded = l;
                    }
                } catch (Throwable t) {
                    loadFailure = "'" + name + "' (jna.library.path=" + System.getProperty("jna.library.path", "")
                            + "): " + t.getClass().getSimpleName() + ": " + firstLines(t.getMessage());
                }
            }
            return loaded == null ? (loadFailure == null ? "not loaded" : loadFailure) : null;
        }
    }

    /** The loader's message without JNA's class-path listing: its first two lines, at most 300 characters. */
    static String firstLines(String message) {
        if (message == null) {
            return "";
        }
        String[] lines = message.strip().split("\\R", 3);
        String s = lines.length > 1 ? lines[0] + " " + lines[1] : lines[0];
        return s.length() <= 300 ? s : s.substring(0, 300) + "...";
    }

    /** The loaded library (throws if unavailable). */
    static LslLibrary loadedLibrary() {
        String why = unavailableReason();
        if (why != null) {
            throw new IllegalStateException("liblsl unavailable: " + why);
        }
        return loaded;
    }

    /** The backend on the installed liblsl (throws if it cannot be loaded). */
    public NativeLsl(LslConfig config) {
        this(loadedLibrary(), config);
    }

    /** The backend on {@code lib}: the installed liblsl, or a stub in tests. */
    NativeLsl(LslLibrary lib, LslConfig config) {
        this.lib = lib;
        config.conclude();
        if (!(config.timeUpdateIntervalS() > LIBLSL_PROBE_ROUND_S)) {
            throw new IllegalArgumentException("tuning.TimeUpdateInterval = " + config.timeUpdateIntervalS()
                    + " s is too short for liblsl: it must exceed one time-probe round (" + LIBLSL_PROBE_ROUND_S
                    + " s) or liblsl's time correction never completes; use the default 2.0 s");
        }
        String text = config.toCfgText();
        synchronized (LOAD_LOCK) {
            String before = CONFIGURED.get(lib);
            if (before == null) {
                try {
                    lib.lsl_set_config_content(text);
                } catch (UnsatisfiedLinkError e) {
                    throw new IllegalStateException("liblsl " + lib.lsl_library_version() + " lacks"
                            + " lsl_set_config_content (needs 1.16 or newer) so the network mode cannot be set", e);
                }
                CONFIGURED.put(lib, text);
            } else if (!before.equals(text)) {
                throw new IllegalStateException("liblsl is already configured differently in this process");
            }
        }
    }

    /** liblsl's version, e.g. 117. */
    public int libraryVersion() {
        return lib.lsl_library_version();
    }

    @Override
    public String name() {
        return "native";
    }

    @Override
    public double localClock() {
        return lib.lsl_local_clock();
    }

    @Override
    public StreamOutlet createOutlet(StreamInfo info) {
        Pointer h = lib.lsl_create_streaminfo(info.name(), info.type(), info.channelCount(), info.nominalSrate(),
                info.channelFormat().cCode(), info.sourceId());
        if (h == null) {
            throw failure(LslLibrary.ARGUMENT_ERROR, "lsl_create_streaminfo for '" + info.name() + "'");
        }
        try {
            Pointer desc = lib.lsl_get_desc(h);
            if (desc == null) {
                throw failure(LslLibrary.INTERNAL_ERROR, "lsl_get_desc for '" + info.name() + "'");
            }
            copyDesc(info.desc(), desc);
            Pointer outlet = lib.lsl_create_outlet(h, 0, 360);
            if (outlet == null) {
                throw failure(LslLibrary.INTERNAL_ERROR, "lsl_create_outlet for '" + info.name() + "'");
            }
            try {
                return new NativeOutlet(this, outlet);
            } catch (RuntimeException e) {
                lib.lsl_destroy_outlet(outlet);
                throw e;
            }
        } finally {
            lib.lsl_destroy_streaminfo(h);
        }
    }

    /**
     * Resolves with liblsl's resolver: {@code lsl_resolve_all} for an empty predicate (liblsl refuses an empty
     * XPath), else {@code lsl_resolve_bypred}. An invalid predicate throws (it is not "no streams").
     */
    @Override
    public List<StreamInfo> resolve(String predicate, int minimum, double timeoutS) {
        Pointer[] buf = new Pointer[MAX_RESOLVED];
        boolean all = predicate == null || predicate.isBlank();
        int n = all ? lib.lsl_resolve_all(buf, buf.length, timeoutS)
                : lib.lsl_resolve_bypred(buf, buf.length, predicate, minimum, timeoutS);
        if (n < 0) {
            destroyAll(buf, 0);
            throw failure(n, all ? "lsl_resolve_all" : "lsl_resolve_bypred of \"" + predicate + "\"");
        }
        int count = Math.min(n, buf.length);
        List<StreamInfo> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Pointer p = buf[i];
            buf[i] = null;
            if (p == null) {
                continue;
            }
            StreamInfo s;
            try {
                s = describe(p);
            } catch (RuntimeException e) {
                lib.lsl_destroy_streaminfo(p);
                destroyAll(buf, i + 1);
                throw e;
            }
            out.add(s);
            keep(s.uid(), p);
        }
        destroyAll(buf, count);
        return out;
    }

    @Override
    public StreamInlet createInlet(StreamInfo info, InletOptions options) {
        options.conclude();
        String uid = info.uid();
        if (!UID.matcher(uid).matches()) {
            throw new IllegalArgumentException("stream '" + info.name() + "' has no valid uid ('" + uid + "'): the"
                    + " native backend opens inlets on streams a resolve returned");
        }
        boolean held;
        synchronized (this) {
            held = resolvedByUid.containsKey(uid);
        }
        if (!held) {
            resolve("uid='" + uid + "'", 1, RERESOLVE_TIMEOUT_S);
        }
        int maxBuflen = options.mode() == InletOptions.Mode.LATEST ? 1 : 360;
        Pointer inlet;
        synchronized (this) {
            Pointer h = resolvedByUid.get(uid);
            if (h == null) {
                throw new NativeLslException(LslLibrary.TIMEOUT_ERROR, "stream '" + info.name() + "' (uid " + uid
                        + ") did not answer liblsl's resolver within " + RERESOLVE_TIMEOUT_S + " s");
            }
            inlet = lib.lsl_create_inlet(h, maxBuflen, 0, options.recover() ? 1 : 0);
        }
        if (inlet == null) {
            throw failure(LslLibrary.INTERNAL_ERROR, "lsl_create_inlet for '" + info.name() + "'");
        }
        try {
            if (options.postprocessClockSync()) {
                int code = lib.lsl_set_postprocessing(inlet, LslLibrary.PROC_CLOCKSYNC);
                if (code < 0) {
                    throw failure(code, "lsl_set_postprocessing for '" + info.name() + "'");
                }
            }
            return new NativeInlet(this, inlet, info);
        } catch (RuntimeException e) {
            lib.lsl_destroy_inlet(inlet);
            throw e;
        }
    }

    /** Resolver handles held for later inlets (for tests and reports). */
    synchronized int heldStreamInfos() {
        return resolvedByUid.size();
    }

    private synchronized void keep(String uid, Pointer p) {
        if (!UID.matcher(uid).matches()) {
            lib.lsl_destroy_streaminfo(p);
            return;
        }
        Pointer before = resolvedByUid.remove(uid);
        if (before != null) {
            lib.lsl_destroy_streaminfo(before);
        }
        resolvedByUid.put(uid, p);
        Iterator<Map.Entry<String, Pointer>> it = resolvedByUid.entrySet().iterator();
        while (resolvedByUid.size() > MAX_RESOLVED && it.hasNext()) {
            lib.lsl_destroy_streaminfo(it.next().getValue());
            it.remove();
        }
    }

    private void destroyAll(Pointer[] buf, int from) {
        for (int i = from; i < buf.length; i++) {
            if (buf[i] != null) {
                lib.lsl_destroy_streaminfo(buf[i]);
                buf[i] = null;
            }
        }
    }

    private void copyDesc(XmlElement from, Pointer to) {
        for (XmlElement c : from.children()) {
            Pointer child = c.children().isEmpty() && c.value() != null
                    ? lib.lsl_append_child_value(to, c.name(), c.value())
                    : lib.lsl_append_child(to, c.name());
            if (child == null) {
                throw failure(LslLibrary.ARGUMENT_ERROR, "lsl_append_child of <" + c.name() + ">");
            }
            if (!(c.children().isEmpty() && c.value() != null)) {
                copyDesc(c, child);
            }
        }
    }

    /** Reads a liblsl stream info (not NULL; checked by the caller or here) into a {@link StreamInfo}. */
    StreamInfo describe(Pointer info) {
        if (info == null) {
            throw failure(LslLibrary.INTERNAL_ERROR, "a NULL stream info from liblsl");
        }
        Pointer xml = lib.lsl_get_xml(info);
        if (xml == null) {
            throw failure(LslLibrary.INTERNAL_ERROR, "lsl_get_xml");
        }
        try {
            return StreamInfo.parse(xml.getString(0, StandardCharsets.UTF_8.name()));
        } finally {
            lib.lsl_destroy_string(xml);
        }
    }

    LslLibrary lib() {
        return lib;
    }

    /** An exception for a failed call, with liblsl's own message when it has one. */
    NativeLslException failure(int code, String what) {
        String detail = lastError();
        return new NativeLslException(code, what + " failed: " + NativeLslException.codeName(code)
                + (detail.isEmpty() ? "" : " (" + detail + ")"));
    }

    /** Throws for an error code a call left in {@code ec}, timeouts included. */
    void check(IntByReference ec, String what) {
        int code = ec.getValue();
        if (code != 0) {
            throw failure(code, what);
        }
    }

    private String lastError() {
        try {
            String s = lib.lsl_last_error();
            return s == null ? "" : s.strip();
        } catch (UnsatisfiedLinkError e) {
            return "";
        }
    }
}
