package io.reflex.runtime.xdf;

import io.reflex.runtime.xdf.XdfFormat.ChannelFormat;
import java.util.ArrayList;
import java.util.List;

/**
 * What an XDF stream header says: name, type, channel count and format, nominal rate, source id, and per channel a
 * label, unit and type. Written as the header's XML by {@link XdfWriter}; parsed back from it by {@link XdfReader}.
 */
public final class XdfStream {
    public String name = "";
    public String type = "";
    public int channelCount;
    /** Samples per second as declared; 0 for an irregular stream. */
    public double nominalSrateHz;
    public ChannelFormat format = ChannelFormat.FLOAT32;
    public String sourceId = "";
    public String hostname = "";
    /** Seconds on the recording clock when the stream was created (0: unknown). */
    public double createdAt;
    public final List<String> labels = new ArrayList<>();
    public final List<String> units = new ArrayList<>();
    public final List<String> channelTypes = new ArrayList<>();
    /** Free text placed under {@code desc/reflex} in the header ("" for none). */
    public String note = "";

    public XdfStream name(String v) {
        name = v;
        return this;
    }

    public XdfStream type(String v) {
        type = v;
        return this;
    }

    public XdfStream channels(int count, ChannelFormat f) {
        channelCount = count;
        format = f;
        return this;
    }

    public XdfStream nominalSrateHz(double v) {
        nominalSrateHz = v;
        return this;
    }

    public XdfStream sourceId(String v) {
        sourceId = v;
        return this;
    }

    public XdfStream note(String v) {
        note = v;
        return this;
    }

    /** Adds one channel's label, unit and type (any may be ""). */
    public XdfStream channel(String label, String unit, String channelType) {
        labels.add(label);
        units.add(unit);
        channelTypes.add(channelType);
        return this;
    }

    /** The header XML of this stream. */
    String toXml() {
        StringBuilder b = new StringBuilder(256 + 96 * labels.size());
        b.append("<?xml version=\"1.0\"?><info>");
        el(b, "name", name);
        el(b, "type", type);
        el(b, "channel_count", Integer.toString(channelCount));
        el(b, "nominal_srate", Double.toString(nominalSrateHz));
        el(b, "channel_format", format.xml());
        el(b, "source_id", sourceId);
        el(b, "version", "1.1");
        el(b, "created_at", Double.toString(createdAt));
        el(b, "hostname", hostname);
        b.append("<desc>");
        if (!labels.isEmpty()) {
            b.append("<channels>");
            for (int i = 0; i < labels.size(); i++) {
                b.append("<channel>");
                el(b, "label", labels.get(i));
                if (!units.get(i).isEmpty()) {
                    el(b, "unit", units.get(i));
                }
                if (!channelTypes.get(i).isEmpty()) {
                    el(b, "type", channelTypes.get(i));
                }
                b.append("</channel>");
            }
            b.append("</channels>");
        }
        b.append("<acquisition><manufacturer>Reflex</manufacturer></acquisition>");
        if (!note.isEmpty()) {
            el(b, "reflex", note);
        }
        b.append("</desc></info>");
        return b.toString();
    }

    static void el(StringBuilder b, String tag, String text) {
        b.append('<').append(tag).append('>');
        escape(b, text);
        b.append("</").append(tag).append('>');
    }

    static void escape(StringBuilder b, String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&apos;");
                default -> {
                    // characters XML 1.0 cannot carry at all are replaced, never written raw
                    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0xFFFE || c == 0xFFFF) {
                        b.append('\uFFFD');
                    } else {
                        b.append(c);
                    }
                }
            }
        }
    }
}
