package io.reflex.lsl;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * LSL configuration (the Context of every LSL component): the keys of liblsl's {@code lsl_api.cfg} that matter
 * here, plus Reflex's own tuning. Fluent setters, defaults in one place, {@link #conclude()} validates.
 *
 * <p>Two presets:
 * <ul>
 *   <li>{@link #labDefault()}: liblsl's defaults, discovery by <b>site-scope multicast</b> (and IPv4 broadcast /
 *   link-local multicast groups for the link scope). This is what a lab network expects; it sends
 *   multicast datagrams, so it is never used on build machines.</li>
 *   <li>{@link #loopback()}: machine scope, known peer 127.0.0.1, every socket bound to 127.0.0.1, IPv6 off. Only
 *   loopback traffic; the mode of every test and of {@code ./reflex demo --lsl}.</li>
 * </ul>
 * {@link #load(Path)} reads an {@code lsl_api.cfg} over the lab default ({@code [ports]}, {@code [multicast]},
 * {@code [lab]}, {@code [tuning]}; keys are case-sensitive as in liblsl). Unlike liblsl, an empty value is an
 * error naming the key instead of silently reverting to defaults.
 */
public final class LslConfig {
    /** liblsl's default discovery port. */
    public static final int DEFAULT_MULTICAST_PORT = 16571;
    /** liblsl's default first data/service port. */
    public static final int DEFAULT_BASE_PORT = 16572;
    /** liblsl's default number of ports scanned from the base port. */
    public static final int DEFAULT_PORT_RANGE = 32;

    /** The IPv4 multicast range, for routing it to lo inside a private network namespace (tests, rigs). */
    public static final String IPV4_MULTICAST_RANGE = "224.0.0.0/4";

    /** Discovery scopes, widening; each includes the addresses of the narrower ones. */
    public enum ResolveScope { MACHINE, LINK, SITE, ORGANIZATION, GLOBAL }

    // [ports]
    private int multicastPort = DEFAULT_MULTICAST_PORT;
    private int basePort = DEFAULT_BASE_PORT;
    private int portRange = DEFAULT_PORT_RANGE;
    private boolean allowRandomPorts = true;
    private String ipv6 = "disable";
    // [multicast]
    private ResolveScope resolveScope = ResolveScope.SITE;
    private String listenAddress = "";
    private List<String> machineAddresses = List.of("127.0.0.1");
    private List<String> linkAddresses = List.of("255.255.255.255", "224.0.0.1", "224.0.0.183");
    private List<String> siteAddresses = List.of("239.255.172.215");
    private List<String> organizationAddresses = List.of();
    private List<String> globalAddresses = List.of();
    private int ttlOverride = -1;
    // [lab]
    private List<String> knownPeers = List.of();
    private String sessionId = "default";
    // [tuning]
    private double watchdogCheckIntervalS = 15.0;
    private double watchdogTimeThresholdS = 15.0;
    private double continuousResolveIntervalS = 1.0;
    private double oneshotResolveIntervalS = 0.5;
    private double resolveWaveListenS = 3.0;
    private double timeUpdateIntervalS = 2.0;
    private int timeUpdateMinProbes = 6;
    private int timeProbeCount = 8;
    private double timeProbeIntervalS = 0.064;
    private double timeProbeMaxRttS = 0.128;
    // Reflex's own
    private String bindAddress = "0.0.0.0";
    private double reconnectDelayS = 0.5;
    private double handshakeTimeoutS = 5.0;
    private double inletBufferS = 360.0;
    private int outletMaxQueueSamples = 1 << 16;
    private long outletConsumerMaxBytes = 8L << 20;
    private int outletMaxConsumers = 32;
    private int outletMaxPendingConnections = 64;
    private long inletMaxBufferBytes = 64L << 20;
    private int maxStringBytes = 16 << 20;
    private int sendBufferBytes = 1 << 16;
    private int receiveBufferBytes = 1 << 16;
    private boolean concluded;

    /** liblsl's defaults: site-scope multicast discovery, sockets on all interfaces. */
    public static LslConfig labDefault() {
        return new LslConfig();
    }

    /** Loopback only: machine scope, known peer 127.0.0.1, sockets bound to 127.0.0.1, IPv6 off. */
    public static LslConfig loopback() {
        return new LslConfig().resolveScope(ResolveScope.MACHINE).listenAddress("127.0.0.1")
                .bindAddress("127.0.0.1").knownPeers(List.of("127.0.0.1")).ipv6("disable");
    }

    /**
     * The configuration liblsl would use: the file named by {@code LSLAPICFG}, else {@code lsl_api.cfg} in the
     * working directory, {@code ~/lsl_api/lsl_api.cfg}, {@code /etc/lsl_api/lsl_api.cfg}; else the lab default.
     */
    public static LslConfig fromEnvironment() {
        List<Path> candidates = new ArrayList<>();
        String env = System.getenv("LSLAPICFG");
        if (env != null && !env.isEmpty()) {
            candidates.add(Path.of(env));
        }
        candidates.add(Path.of("lsl_api.cfg"));
        candidates.add(Path.of(System.getProperty("user.home"), "lsl_api", "lsl_api.cfg"));
        candidates.add(Path.of("/etc/lsl_api/lsl_api.cfg"));
        for (Path p : candidates) {
            if (Files.isRegularFile(p)) {
                return load(p);
            }
        }
        return labDefault();
    }

    /** Reads an {@code lsl_api.cfg} file over the lab default. */
    public static LslConfig load(Path file) {
        try {
            return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read LSL config " + file + ": " + e.getMessage(), e);
        }
    }

    /** Parses {@code lsl_api.cfg} text over the lab default; {@code origin} names the source in errors. */
    public static LslConfig parse(String text, String origin) {
        LslConfig c = labDefault();
        String section = "";
        int lineNo = 0;
        for (String raw : text.split("\r?\n", -1)) {
            lineNo++;
            String line = stripComment(raw).trim();
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("[") && line.endsWith("]")) {
                section = line.substring(1, line.length() - 1).trim();
                continue;
            }
            int eq = line.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException(origin + ":" + lineNo + ": expected 'key = value', got '" + raw + "'");
            }
            String key = line.substring(0, eq).trim();
            String value = line.substring(eq + 1).trim();
            String where = origin + ":" + lineNo + ": [" + section + "] " + key;
            if (value.isEmpty()) {
                throw new IllegalArgumentException(where + " has an empty value (liblsl would silently revert"
                        + " every setting to its default)");
            }
            c.apply(section, key, value, where);
        }
        return c;
    }

    private static String stripComment(String s) {
        int i = s.indexOf(';');
        int j = s.indexOf('#');
        int cut = i < 0 ? j : (j < 0 ? i : Math.min(i, j));
        return cut < 0 ? s : s.substring(0, cut);
    }

    private void apply(String section, String key, String value, String where) {
        switch (section + "." + key) {
            case "ports.MulticastPort" -> multicastPort = intValue(value, where);
            case "ports.BasePort" -> basePort = intValue(value, where);
            case "ports.PortRange" -> portRange = intValue(value, where);
            case "ports.AllowRandomPorts" -> allowRandomPorts = boolValue(value, where);
            case "ports.IPv6" -> ipv6 = value.toLowerCase(Locale.ROOT);
            case "multicast.ResolveScope" -> resolveScope = scopeValue(value, where);
            case "multicast.ListenAddress" -> listenAddress = value;
            case "multicast.MachineAddresses" -> machineAddresses = listValue(value);
            case "multicast.LinkAddresses" -> linkAddresses = listValue(value);
            case "multicast.SiteAddresses" -> siteAddresses = listValue(value);
            case "multicast.OrganizationAddresses" -> organizationAddresses = listValue(value);
            case "multicast.GlobalAddresses" -> globalAddresses = listValue(value);
            case "multicast.TTLOverride" -> ttlOverride = intValue(value, where);
            case "lab.KnownPeers" -> knownPeers = listValue(value);
            case "lab.SessionID" -> sessionId = value;
            case "tuning.WatchdogCheckInterval" -> watchdogCheckIntervalS = doubleValue(value, where);
            case "tuning.WatchdogTimeThreshold" -> watchdogTimeThresholdS = doubleValue(value, where);
            case "tuning.ContinuousResolveInterval" -> continuousResolveIntervalS = doubleValue(value, where);
            case "tuning.TimeUpdateInterval" -> timeUpdateIntervalS = doubleValue(value, where);
            case "tuning.TimeUpdateMinProbes" -> timeUpdateMinProbes = intValue(value, where);
            case "tuning.TimeProbeCount" -> timeProbeCount = intValue(value, where);
            case "tuning.TimeProbeInterval" -> timeProbeIntervalS = doubleValue(value, where);
            case "tuning.TimeProbeMaxRTT" -> timeProbeMaxRttS = doubleValue(value, where);
            default -> {
                // liblsl has more keys (socket buffer sizes, smoothing, ...); they do not change the wire
                // protocol, so they are accepted and ignored rather than rejected.
            }
        }
    }

    private static int intValue(String v, String where) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(where + " must be an integer, got '" + v + "'");
        }
    }

    private static double doubleValue(String v, String where) {
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(where + " must be a number, got '" + v + "'");
        }
    }

    private static boolean boolValue(String v, String where) {
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "1", "true", "yes", "on" -> true;
            case "0", "false", "no", "off" -> false;
            default -> throw new IllegalArgumentException(where + " must be 0 or 1, got '" + v + "'");
        };
    }

    private static ResolveScope scopeValue(String v, String where) {
        try {
            return ResolveScope.valueOf(v.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + " must be machine, link, site, organization or global, got '"
                    + v + "'");
        }
    }

    /** Parses {@code {a, b, c}} (braces optional). */
    static List<String> listValue(String v) {
        String s = v.trim();
        if (s.startsWith("{")) {
            s = s.substring(1);
        }
        if (s.endsWith("}")) {
            s = s.substring(0, s.length() - 1);
        }
        List<String> out = new ArrayList<>();
        for (String part : s.split(",")) {
            String t = part.trim();
            if (!t.isEmpty()) {
                out.add(t);
            }
        }
        return List.copyOf(out);
    }

    /** Validates every value (naming the field and its allowed range); runs once, later calls are no-ops. */
    public LslConfig conclude() {
        if (concluded) {
            return this;
        }
        checkPort("multicastPort", multicastPort);
        checkPort("basePort", basePort);
        if (portRange < 1 || basePort + portRange - 1 > 65535) {
            throw new IllegalArgumentException("portRange must be in [1, " + (65536 - basePort) + "], got " + portRange);
        }
        if (!Set.of("disable", "allow", "force").contains(ipv6)) {
            throw new IllegalArgumentException("ipv6 must be disable, allow or force, got '" + ipv6 + "'");
        }
        if ("force".equals(ipv6)) {
            throw new IllegalArgumentException("ipv6 = force is not supported by the Java backend (IPv4 only)");
        }
        checkAddress("bindAddress", bindAddress);
        if (!listenAddress.isEmpty()) {
            checkAddress("listenAddress", listenAddress);
        }
        for (String p : knownPeers) {
            checkAddress("knownPeers", p);
        }
        checkRange("watchdogCheckIntervalS", watchdogCheckIntervalS, 0.01, 3600);
        checkRange("watchdogTimeThresholdS", watchdogTimeThresholdS, 0.01, 3600);
        checkRange("continuousResolveIntervalS", continuousResolveIntervalS, 0.01, 3600);
        checkRange("oneshotResolveIntervalS", oneshotResolveIntervalS, 0.01, 3600);
        checkRange("resolveWaveListenS", resolveWaveListenS, 0.01, 3600);
        checkRange("timeUpdateIntervalS", timeUpdateIntervalS, 0.01, 3600);
        checkRange("timeProbeIntervalS", timeProbeIntervalS, 0.0001, 10);
        checkRange("timeProbeMaxRttS", timeProbeMaxRttS, 0.0001, 10);
        if (timeProbeCount < 1 || timeProbeCount > 1000) {
            throw new IllegalArgumentException("timeProbeCount must be in [1, 1000], got " + timeProbeCount);
        }
        if (timeUpdateMinProbes < 1 || timeUpdateMinProbes > timeProbeCount) {
            throw new IllegalArgumentException("timeUpdateMinProbes must be in [1, timeProbeCount=" + timeProbeCount
                    + "], got " + timeUpdateMinProbes);
        }
        checkRange("reconnectDelayS", reconnectDelayS, 0, 60);
        checkRange("handshakeTimeoutS", handshakeTimeoutS, 0.01, 600);
        checkRange("inletBufferS", inletBufferS, 0.001, 3600);
        if (outletMaxQueueSamples < 1 || outletMaxQueueSamples > 1 << 24) {
            throw new IllegalArgumentException("outletMaxQueueSamples must be in [1, 16777216], got "
                    + outletMaxQueueSamples);
        }
        checkBytes("outletConsumerMaxBytes", outletConsumerMaxBytes);
        checkBytes("inletMaxBufferBytes", inletMaxBufferBytes);
        if (outletMaxConsumers < 1 || outletMaxConsumers > 4096) {
            throw new IllegalArgumentException("outletMaxConsumers must be in [1, 4096], got " + outletMaxConsumers);
        }
        if (outletMaxPendingConnections < 1 || outletMaxPendingConnections > 4096) {
            throw new IllegalArgumentException("outletMaxPendingConnections must be in [1, 4096], got "
                    + outletMaxPendingConnections);
        }
        if (maxStringBytes < 0 || maxStringBytes > 1 << 30) {
            throw new IllegalArgumentException("maxStringBytes must be in [0, 1073741824], got " + maxStringBytes);
        }
        if (sendBufferBytes < 1024 || sendBufferBytes > 1 << 26) {
            throw new IllegalArgumentException("sendBufferBytes must be in [1024, 67108864], got " + sendBufferBytes);
        }
        if (receiveBufferBytes < 1024 || receiveBufferBytes > 1 << 26) {
            throw new IllegalArgumentException("receiveBufferBytes must be in [1024, 67108864], got "
                    + receiveBufferBytes);
        }
        concluded = true;
        return this;
    }

    private static void checkPort(String field, int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(field + " must be in [1, 65535], got " + port);
        }
    }

    private static void checkBytes(String field, long v) {
        if (v < 1024 || v > 1L << 34) {
            throw new IllegalArgumentException(field + " must be in [1024, 17179869184], got " + v);
        }
    }

    private static void checkRange(String field, double v, double lo, double hi) {
        if (!(v >= lo && v <= hi)) {
            throw new IllegalArgumentException(field + " must be in [" + lo + ", " + hi + "], got " + v);
        }
    }

    private static void checkAddress(String field, String addr) {
        if (!isLiteral(addr)) {
            throw new IllegalArgumentException(field + " must be a numeric IP address, got '" + addr + "'");
        }
    }

    private static boolean isLiteral(String addr) {
        return addr.matches("[0-9.]+") || addr.matches("[0-9a-fA-F:]+");
    }

    /**
     * Where resolvers send queries: the scope's addresses (IPv4 only, IPv6 being off) plus nothing else; the
     * known peers are queried separately on the port range.
     */
    public List<String> discoveryAddresses() {
        Set<String> out = new LinkedHashSet<>();
        List<List<String>> lists = List.of(machineAddresses, linkAddresses, siteAddresses, organizationAddresses,
                globalAddresses);
        for (int s = 0; s <= resolveScope.ordinal(); s++) {
            for (String a : lists.get(s)) {
                if (!a.contains(":") || !"disable".equals(ipv6)) {
                    out.add(a);
                }
            }
        }
        return List.copyOf(out);
    }

    /** True when some discovery address is multicast or broadcast (the lab default; never the loopback mode). */
    public boolean sendsMulticastOrBroadcast() {
        for (String a : discoveryAddresses()) {
            try {
                InetAddress ia = InetAddress.getByName(a);
                if (ia.isMulticastAddress() || "255.255.255.255".equals(a)) {
                    return true;
                }
            } catch (UnknownHostException e) {
                return true;
            }
        }
        return false;
    }

    /**
     * This configuration as {@code lsl_api.cfg} text (for liblsl through {@code lsl_set_config_content}); the
     * Java-only settings (bind address, buffer caps) have no liblsl key and are left out.
     */
    public String toCfgText() {
        StringBuilder sb = new StringBuilder();
        sb.append("[ports]\n");
        sb.append("MulticastPort = ").append(multicastPort).append('\n');
        sb.append("BasePort = ").append(basePort).append('\n');
        sb.append("PortRange = ").append(portRange).append('\n');
        sb.append("AllowRandomPorts = ").append(allowRandomPorts ? 1 : 0).append('\n');
        sb.append("IPv6 = ").append(ipv6).append('\n');
        sb.append("[multicast]\n");
        sb.append("ResolveScope = ").append(resolveScope.name().toLowerCase(Locale.ROOT)).append('\n');
        if (!listenAddress.isEmpty()) {
            sb.append("ListenAddress = ").append(listenAddress).append('\n');
        }
        appendList(sb, "MachineAddresses", machineAddresses);
        appendList(sb, "LinkAddresses", linkAddresses);
        appendList(sb, "SiteAddresses", siteAddresses);
        appendList(sb, "OrganizationAddresses", organizationAddresses);
        appendList(sb, "GlobalAddresses", globalAddresses);
        sb.append("[lab]\n");
        appendList(sb, "KnownPeers", knownPeers);
        sb.append("SessionID = ").append(sessionId).append('\n');
        sb.append("[tuning]\n");
        sb.append("WatchdogCheckInterval = ").append(watchdogCheckIntervalS).append('\n');
        sb.append("WatchdogTimeThreshold = ").append(watchdogTimeThresholdS).append('\n');
        sb.append("TimeUpdateInterval = ").append(timeUpdateIntervalS).append('\n');
        return sb.toString();
    }

    private static void appendList(StringBuilder sb, String key, List<String> values) {
        if (!values.isEmpty()) {
            sb.append(key).append(" = {").append(String.join(", ", values)).append("}\n");
        }
    }

    /** Multicast hop limit for the scope (liblsl: machine 0, link 1, site 24, organization 32, global 255). */
    public int multicastTtl() {
        if (ttlOverride >= 0) {
            return ttlOverride;
        }
        return switch (resolveScope) {
            case MACHINE -> 0;
            case LINK -> 1;
            case SITE -> 24;
            case ORGANIZATION -> 32;
            case GLOBAL -> 255;
        };
    }

    public int multicastPort() { return multicastPort; }
    public LslConfig multicastPort(int v) { multicastPort = v; concluded = false; return this; }
    public int basePort() { return basePort; }
    public LslConfig basePort(int v) { basePort = v; concluded = false; return this; }
    public int portRange() { return portRange; }
    public LslConfig portRange(int v) { portRange = v; concluded = false; return this; }
    public boolean allowRandomPorts() { return allowRandomPorts; }
    public LslConfig allowRandomPorts(boolean v) { allowRandomPorts = v; concluded = false; return this; }
    public String ipv6() { return ipv6; }
    public LslConfig ipv6(String v) { ipv6 = v; concluded = false; return this; }
    public ResolveScope resolveScope() { return resolveScope; }
    public LslConfig resolveScope(ResolveScope v) { resolveScope = v; concluded = false; return this; }
    /** Address of the discovery responder on the multicast port ("" = any). */
    public String listenAddress() { return listenAddress; }
    public LslConfig listenAddress(String v) { listenAddress = v == null ? "" : v; concluded = false; return this; }
    public List<String> knownPeers() { return knownPeers; }
    public LslConfig knownPeers(List<String> v) { knownPeers = List.copyOf(v); concluded = false; return this; }
    public String sessionId() { return sessionId; }
    public LslConfig sessionId(String v) { sessionId = v; concluded = false; return this; }
    /** Address the data and service sockets bind (liblsl always uses 0.0.0.0; loopback mode 127.0.0.1). */
    public String bindAddress() { return bindAddress; }
    public LslConfig bindAddress(String v) { bindAddress = v; concluded = false; return this; }
    public double watchdogCheckIntervalS() { return watchdogCheckIntervalS; }
    public LslConfig watchdogCheckIntervalS(double v) { watchdogCheckIntervalS = v; concluded = false; return this; }
    public double watchdogTimeThresholdS() { return watchdogTimeThresholdS; }
    public LslConfig watchdogTimeThresholdS(double v) { watchdogTimeThresholdS = v; concluded = false; return this; }
    public double continuousResolveIntervalS() { return continuousResolveIntervalS; }
    public LslConfig continuousResolveIntervalS(double v) { continuousResolveIntervalS = v; concluded = false; return this; }
    public double oneshotResolveIntervalS() { return oneshotResolveIntervalS; }
    public LslConfig oneshotResolveIntervalS(double v) { oneshotResolveIntervalS = v; concluded = false; return this; }
    /** How long each resolve wave's answers count as current (liblsl: 3 s). */
    public double resolveWaveListenS() { return resolveWaveListenS; }
    public LslConfig resolveWaveListenS(double v) { resolveWaveListenS = v; concluded = false; return this; }
    public double timeUpdateIntervalS() { return timeUpdateIntervalS; }
    public LslConfig timeUpdateIntervalS(double v) { timeUpdateIntervalS = v; concluded = false; return this; }
    public int timeUpdateMinProbes() { return timeUpdateMinProbes; }
    public LslConfig timeUpdateMinProbes(int v) { timeUpdateMinProbes = v; concluded = false; return this; }
    public int timeProbeCount() { return timeProbeCount; }
    public LslConfig timeProbeCount(int v) { timeProbeCount = v; concluded = false; return this; }
    public double timeProbeIntervalS() { return timeProbeIntervalS; }
    public LslConfig timeProbeIntervalS(double v) { timeProbeIntervalS = v; concluded = false; return this; }
    public double timeProbeMaxRttS() { return timeProbeMaxRttS; }
    public LslConfig timeProbeMaxRttS(double v) { timeProbeMaxRttS = v; concluded = false; return this; }
    /** Pause before an inlet reconnects after an error (liblsl: 0.5 s). */
    public double reconnectDelayS() { return reconnectDelayS; }
    public LslConfig reconnectDelayS(double v) { reconnectDelayS = v; concluded = false; return this; }
    /** How long a TCP peer may take to send its request (outlet) or its response headers (inlet). */
    public double handshakeTimeoutS() { return handshakeTimeoutS; }
    public LslConfig handshakeTimeoutS(double v) { handshakeTimeoutS = v; concluded = false; return this; }
    /** Seconds of data an inlet asks the outlet to buffer (Max-Buffer-Length = this × srate). */
    public double inletBufferS() { return inletBufferS; }
    public LslConfig inletBufferS(double v) { inletBufferS = v; concluded = false; return this; }
    /** Cap on an outlet's per-connection queue whatever Max-Buffer-Length asks for (memory bound). */
    public int outletMaxQueueSamples() { return outletMaxQueueSamples; }
    public LslConfig outletMaxQueueSamples(int v) { outletMaxQueueSamples = v; concluded = false; return this; }
    /** Heap bytes one consumer's queue of an outlet may take (its capacity is cut to fit; default 8 MiB). */
    public long outletConsumerMaxBytes() { return outletConsumerMaxBytes; }
    public LslConfig outletConsumerMaxBytes(long v) { outletConsumerMaxBytes = v; concluded = false; return this; }
    /** Consumers an outlet serves at once; more are refused with a 503 (default 32). */
    public int outletMaxConsumers() { return outletMaxConsumers; }
    public LslConfig outletMaxConsumers(int v) { outletMaxConsumers = v; concluded = false; return this; }
    /** Connections an outlet lets handshake at once; more are closed on accept (default 64). */
    public int outletMaxPendingConnections() { return outletMaxPendingConnections; }
    public LslConfig outletMaxPendingConnections(int v) {
        outletMaxPendingConnections = v;
        concluded = false;
        return this;
    }
    /**
     * Bytes an inlet's queue may take: direct memory for a numeric stream's receive ring, heap for a string stream's
     * slots (its capacity is cut to fit; default 64 MiB).
     */
    public long inletMaxBufferBytes() { return inletMaxBufferBytes; }
    public LslConfig inletMaxBufferBytes(long v) { inletMaxBufferBytes = v; concluded = false; return this; }
    /** Longest string value an inlet accepts; longer ones are a protocol error (hostile or broken peer). */
    public int maxStringBytes() { return maxStringBytes; }
    public LslConfig maxStringBytes(int v) { maxStringBytes = v; concluded = false; return this; }
    public int sendBufferBytes() { return sendBufferBytes; }
    public LslConfig sendBufferBytes(int v) { sendBufferBytes = v; concluded = false; return this; }
    /**
     * What one socket read may bring into an inlet's receive buffer: for a numeric stream the room kept beyond the
     * samples its queue holds (which stay in that buffer until pulled), for a string stream the whole buffer.
     */
    public int receiveBufferBytes() { return receiveBufferBytes; }
    public LslConfig receiveBufferBytes(int v) { receiveBufferBytes = v; concluded = false; return this; }
}
