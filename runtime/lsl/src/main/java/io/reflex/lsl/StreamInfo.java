package io.reflex.lsl;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * The description of one LSL stream, rendered to and parsed from the XML that liblsl exchanges
 * (see docs/lsl-wire.md A2): the short form answers discovery queries, the full form carries the {@code desc} tree.
 *
 * <p>Instances describing a local outlet are created with {@link #builder}; the outlet fills in uid, ports,
 * creation time and hostname. Instances parsed from the network are read-only snapshots.
 */
public final class StreamInfo {
    /** The protocol version this implementation speaks: 1.10. */
    public static final int PROTOCOL_VERSION = 110;
    /**
     * Most channels a stream may declare (parsed or built). Far above any recording system (a Neuropixels 2.0
     * probe has 5,120 sites); a peer claiming more is refused before anything is sized by its count.
     */
    public static final int MAX_CHANNELS = 65_536;
    /** Longest stream-info XML read from a peer (the full info with its desc tree). */
    public static final int MAX_XML_BYTES = 16 << 20;
    /**
     * Deepest element nesting accepted in a stream-info XML ({@code <info>} is level 1, {@code <desc>} level 2).
     * The XML parser enforces it, so a 200,000-deep desc is refused with a message instead of overflowing the stack
     * of the recursive desc copy and rendering.
     */
    public static final int MAX_XML_DEPTH = 256;

    private final String name;
    private final String type;
    private final int channelCount;
    private final ChannelFormat channelFormat;
    private final String sourceId;
    private final double nominalSrate;
    private final int version;
    private final double createdAt;
    private final String uid;
    private final String sessionId;
    private final String hostname;
    private final String v4address;
    private final int v4dataPort;
    private final int v4servicePort;
    private final String v6address;
    private final int v6dataPort;
    private final int v6servicePort;
    private final XmlElement desc;

    private StreamInfo(Builder b) {
        this.name = b.name;
        this.type = b.type;
        this.channelCount = b.channelCount;
        this.channelFormat = b.channelFormat;
        this.sourceId = b.sourceId;
        this.nominalSrate = b.nominalSrate;
        this.version = b.version;
        this.createdAt = b.createdAt;
        this.uid = b.uid;
        this.sessionId = b.sessionId;
        this.hostname = b.hostname;
        this.v4address = b.v4address;
        this.v4dataPort = b.v4dataPort;
        this.v4servicePort = b.v4servicePort;
        this.v6address = b.v6address;
        this.v6dataPort = b.v6dataPort;
        this.v6servicePort = b.v6servicePort;
        this.desc = b.desc;
    }

    /** Starts a description of a new stream; name, channel count and format are required. */
    public static Builder builder(String name, String type, int channelCount, double nominalSrateHz,
                                  ChannelFormat format, String sourceId) {
        return new Builder().name(name).type(type).channelCount(channelCount).nominalSrate(nominalSrateHz)
                .channelFormat(format).sourceId(sourceId);
    }

    public String name() { return name; }
    public String type() { return type; }
    public int channelCount() { return channelCount; }
    public ChannelFormat channelFormat() { return channelFormat; }
    public String sourceId() { return sourceId; }
    /** Samples per second; 0 means irregular. */
    public double nominalSrate() { return nominalSrate; }
    /** Protocol version × 100 (110 for 1.10). */
    public int version() { return version; }
    /** LSL clock seconds at which the outlet was created. */
    public double createdAt() { return createdAt; }
    public String uid() { return uid; }
    public String sessionId() { return sessionId; }
    public String hostname() { return hostname; }
    /** The address the info came from (filled by the resolver; empty on the wire). */
    public String v4address() { return v4address; }
    public int v4dataPort() { return v4dataPort; }
    public int v4servicePort() { return v4servicePort; }
    public String v6address() { return v6address; }
    public int v6dataPort() { return v6dataPort; }
    public int v6servicePort() { return v6servicePort; }
    /** The root of the metadata tree (mutable only on infos that belong to a local outlet being built). */
    public XmlElement desc() { return desc; }

    /** Bytes per sample on the wire excluding the tag and timestamp; -1 for strings (variable). */
    public int sampleValueBytes() {
        return channelFormat.isNumeric() ? channelFormat.valueBytes() * channelCount : -1;
    }

    /** A copy with some fields replaced. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.name = name;
        b.type = type;
        b.channelCount = channelCount;
        b.channelFormat = channelFormat;
        b.sourceId = sourceId;
        b.nominalSrate = nominalSrate;
        b.version = version;
        b.createdAt = createdAt;
        b.uid = uid;
        b.sessionId = sessionId;
        b.hostname = hostname;
        b.v4address = v4address;
        b.v4dataPort = v4dataPort;
        b.v4servicePort = v4servicePort;
        b.v6address = v6address;
        b.v6dataPort = v6dataPort;
        b.v6servicePort = v6servicePort;
        b.desc = desc.deepCopy();
        return b;
    }

    /** The short XML sent in answer to discovery queries: every field, an empty {@code <desc />}. */
    public String toShortXml() {
        return render(false);
    }

    /** The full XML sent for {@code LSL:fullinfo}: every field and the desc tree. */
    public String toFullXml() {
        return render(true);
    }

    private String render(boolean full) {
        StringBuilder sb = new StringBuilder(512);
        sb.append("<?xml version=\"1.0\"?>\n<info>\n");
        leaf(sb, "name", name);
        leaf(sb, "type", type);
        leaf(sb, "channel_count", Integer.toString(channelCount));
        leaf(sb, "channel_format", channelFormat.wireName());
        leaf(sb, "source_id", sourceId);
        leaf(sb, "nominal_srate", LslNumbers.showpoint16(nominalSrate));
        leaf(sb, "version", LslNumbers.showpoint16(version / 100.0));
        leaf(sb, "created_at", LslNumbers.showpoint16(createdAt));
        leaf(sb, "uid", uid);
        leaf(sb, "session_id", sessionId);
        leaf(sb, "hostname", hostname);
        leaf(sb, "v4address", "");
        leaf(sb, "v4data_port", Integer.toString(v4dataPort));
        leaf(sb, "v4service_port", Integer.toString(v4servicePort));
        leaf(sb, "v6address", "");
        leaf(sb, "v6data_port", Integer.toString(v6dataPort));
        leaf(sb, "v6service_port", Integer.toString(v6servicePort));
        if (full) {
            desc.render(sb, 1);
        } else {
            sb.append("\t<desc />\n");
        }
        sb.append("</info>\n");
        return sb.toString();
    }

    private static void leaf(StringBuilder sb, String tag, String value) {
        sb.append('\t').append('<').append(tag).append('>');
        XmlElement.escape(value, sb);
        sb.append("</").append(tag).append(">\n");
    }

    /** Parses short or full stream-info XML; throws {@link IllegalArgumentException} on malformed input. */
    public static StreamInfo parse(String xml) {
        Document doc = parseDocument(xml);
        return fromDocument(doc);
    }

    static Document parseDocument(String xml) {
        try {
            DocumentBuilder db = newDocumentBuilder();
            return db.parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new IllegalArgumentException("malformed stream-info XML: " + e.getMessage(), e);
        }
    }

    static DocumentBuilder newDocumentBuilder() throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        f.setExpandEntityReferences(false);
        f.setNamespaceAware(false);
        f.setAttribute("jdk.xml.maxElementDepth", MAX_XML_DEPTH);
        DocumentBuilder db = f.newDocumentBuilder();
        db.setErrorHandler(null);
        return db;
    }

    static StreamInfo fromDocument(Document doc) {
        Element root = doc.getDocumentElement();
        if (root == null || !"info".equals(root.getTagName())) {
            throw new IllegalArgumentException("stream-info XML has no <info> root");
        }
        Builder b = new Builder();
        b.name = text(root, "name");
        b.type = text(root, "type");
        b.channelCount = parseInt(root, "channel_count");
        b.channelFormat = ChannelFormat.fromWireName(text(root, "channel_format"));
        b.sourceId = text(root, "source_id");
        b.nominalSrate = parseDouble(root, "nominal_srate");
        b.version = (int) (parseDouble(root, "version") * 100 + 1e-9);
        b.createdAt = parseDouble(root, "created_at");
        b.uid = text(root, "uid");
        b.sessionId = text(root, "session_id");
        b.hostname = text(root, "hostname");
        b.v4address = text(root, "v4address");
        b.v4dataPort = parseInt(root, "v4data_port");
        b.v4servicePort = parseInt(root, "v4service_port");
        b.v6address = text(root, "v6address");
        b.v6dataPort = parseInt(root, "v6data_port");
        b.v6servicePort = parseInt(root, "v6service_port");
        Element descEl = firstChild(root, "desc");
        b.desc = new XmlElement("desc", null);
        if (descEl != null) {
            copyChildren(descEl, b.desc);
        }
        if (b.name.isEmpty() || b.uid.isEmpty()) {
            throw new IllegalArgumentException("stream-info XML lacks a name or uid");
        }
        if (b.channelCount > MAX_CHANNELS) {
            throw new IllegalArgumentException("stream-info XML has channel_count " + b.channelCount + ", above the "
                    + MAX_CHANNELS + " channels Reflex accepts");
        }
        if (b.channelCount < 1 || b.channelFormat == ChannelFormat.UNDEFINED) {
            throw new IllegalArgumentException("stream-info XML has channel_count " + b.channelCount
                    + " and channel_format '" + text(root, "channel_format") + "'");
        }
        return b.buildParsed();
    }

    private static void copyChildren(Element from, XmlElement to) {
        NodeList nl = from.getChildNodes();
        for (int i = 0; i < nl.getLength(); i++) {
            Node n = nl.item(i);
            if (n instanceof Element e) {
                if (hasElementChildren(e)) {
                    copyChildren(e, to.appendChild(e.getTagName()));
                } else if (e.getFirstChild() != null) {
                    to.appendChildValue(e.getTagName(), e.getTextContent());
                } else {
                    to.appendChild(e.getTagName());
                }
            }
        }
    }

    private static boolean hasElementChildren(Element e) {
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element) {
                return true;
            }
        }
        return false;
    }

    private static Element firstChild(Element parent, String tag) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(tag)) {
                return e;
            }
        }
        return null;
    }

    private static String text(Element root, String tag) {
        Element e = firstChild(root, tag);
        return e == null ? "" : e.getTextContent().trim();
    }

    private static int parseInt(Element root, String tag) {
        String s = text(root, tag);
        if (s.isEmpty()) {
            return 0;
        }
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException ex) {
            throw new IllegalArgumentException("stream-info field <" + tag + "> is not an integer: '" + s + "'");
        }
    }

    private static double parseDouble(Element root, String tag) {
        String s = text(root, tag);
        if (s.isEmpty()) {
            return 0;
        }
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException ex) {
            throw new IllegalArgumentException("stream-info field <" + tag + "> is not a number: '" + s + "'");
        }
    }

    @Override
    public String toString() {
        return "StreamInfo{name='" + name + "', type='" + type + "', channels=" + channelCount + ", format="
                + channelFormat.wireName() + ", srate=" + nominalSrate + ", source_id='" + sourceId + "', uid="
                + uid + ", host=" + hostname + ", address=" + v4address + ":" + v4dataPort + "}";
    }

    /** Fluent builder; {@link #build()} validates every field. */
    public static final class Builder {
        private String name = "";
        private String type = "";
        private int channelCount = 1;
        private ChannelFormat channelFormat = ChannelFormat.FLOAT32;
        private String sourceId = "";
        private double nominalSrate = 0;
        private int version = PROTOCOL_VERSION;
        private double createdAt = 0;
        private String uid = "";
        private String sessionId = "default";
        private String hostname = "";
        private String v4address = "";
        private int v4dataPort = 0;
        private int v4servicePort = 0;
        private String v6address = "";
        private int v6dataPort = 0;
        private int v6servicePort = 0;
        private XmlElement desc = new XmlElement("desc", null);

        public Builder name(String v) { this.name = v == null ? "" : v; return this; }
        public Builder type(String v) { this.type = v == null ? "" : v; return this; }
        public Builder channelCount(int v) { this.channelCount = v; return this; }
        public Builder channelFormat(ChannelFormat v) { this.channelFormat = v; return this; }
        public Builder sourceId(String v) { this.sourceId = v == null ? "" : v; return this; }
        public Builder nominalSrate(double v) { this.nominalSrate = v; return this; }
        public Builder createdAt(double v) { this.createdAt = v; return this; }
        public Builder uid(String v) { this.uid = v == null ? "" : v; return this; }
        public Builder sessionId(String v) { this.sessionId = v == null ? "" : v; return this; }
        public Builder hostname(String v) { this.hostname = v == null ? "" : v; return this; }
        public Builder v4address(String v) { this.v4address = v == null ? "" : v; return this; }
        public Builder v4dataPort(int v) { this.v4dataPort = v; return this; }
        public Builder v4servicePort(int v) { this.v4servicePort = v; return this; }
        public Builder v6dataPort(int v) { this.v6dataPort = v; return this; }
        public Builder v6servicePort(int v) { this.v6servicePort = v; return this; }
        /** The metadata tree to carry; the builder keeps this instance. */
        public Builder desc(XmlElement v) {
            if (v == null || !"desc".equals(v.name())) {
                throw new IllegalArgumentException("desc must be an element named 'desc'");
            }
            this.desc = v;
            return this;
        }
        /** The metadata tree being built, to append children to. */
        public XmlElement desc() { return desc; }

        /** Validates and builds; a missing uid is replaced by a fresh random UUID. */
        public StreamInfo build() {
            if (name.isEmpty()) {
                throw new IllegalArgumentException("name must be non-empty");
            }
            if (channelCount < 1 || channelCount > MAX_CHANNELS) {
                throw new IllegalArgumentException("channelCount must be in [1, " + MAX_CHANNELS + "], got "
                        + channelCount);
            }
            if (channelFormat == null || channelFormat == ChannelFormat.UNDEFINED) {
                throw new IllegalArgumentException("channelFormat must be one of float32, double64, string, "
                        + "int32, int16, int8, int64");
            }
            if (!(nominalSrate >= 0) || Double.isInfinite(nominalSrate)) {
                throw new IllegalArgumentException("nominalSrate must be >= 0 (0 = irregular), got " + nominalSrate);
            }
            if (uid.isEmpty()) {
                uid = UUID.randomUUID().toString();
            }
            return new StreamInfo(this);
        }

        private StreamInfo buildParsed() {
            return new StreamInfo(this);
        }
    }
}
