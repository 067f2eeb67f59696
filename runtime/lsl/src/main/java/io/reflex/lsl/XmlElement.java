package io.reflex.lsl;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One element of the stream-info {@code <desc>} tree: either a leaf with a text value or a container of child
 * elements, as liblsl's {@code lsl_append_child} / {@code lsl_append_child_value} build them.
 */
public final class XmlElement {
    private final String name;
    private String value;
    private final List<XmlElement> children = new ArrayList<>();

    /** A new element; {@code value} is null for a container. */
    public XmlElement(String name, String value) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("XML element name must be non-empty");
        }
        this.name = name;
        this.value = value;
    }

    public String name() {
        return name;
    }

    /** The text value, or null if this element is a container (or empty). */
    public String value() {
        return value;
    }

    public void value(String newValue) {
        this.value = newValue;
    }

    public List<XmlElement> children() {
        return Collections.unmodifiableList(children);
    }

    /** Appends an empty child element and returns it. */
    public XmlElement appendChild(String childName) {
        XmlElement child = new XmlElement(childName, null);
        children.add(child);
        return child;
    }

    /** Appends a child element holding {@code childValue} and returns this element (for chaining). */
    public XmlElement appendChildValue(String childName, String childValue) {
        children.add(new XmlElement(childName, childValue == null ? "" : childValue));
        return this;
    }

    /** The first child with this name, or null. */
    public XmlElement child(String childName) {
        for (XmlElement c : children) {
            if (c.name.equals(childName)) {
                return c;
            }
        }
        return null;
    }

    /** The value of the first child with this name, or "" when there is none. */
    public String childValue(String childName) {
        XmlElement c = child(childName);
        return c == null || c.value == null ? "" : c.value;
    }

    /** Renders this element the way pugixml indents it (tabs, LF line ends). */
    void render(StringBuilder out, int depth) {
        out.append("\t".repeat(depth)).append('<').append(name);
        if (!children.isEmpty()) {
            out.append(">\n");
            for (XmlElement c : children) {
                c.render(out, depth + 1);
            }
            out.append("\t".repeat(depth)).append("</").append(name).append(">\n");
        } else if (value != null) {
            out.append('>');
            escape(value, out);
            out.append("</").append(name).append(">\n");
        } else {
            out.append(" />\n");
        }
    }

    static void escape(String s, StringBuilder out) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                default -> out.append(c);
            }
        }
    }

    XmlElement deepCopy() {
        XmlElement copy = new XmlElement(name, value);
        for (XmlElement c : children) {
            copy.children.add(c.deepCopy());
        }
        return copy;
    }
}
