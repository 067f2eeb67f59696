package io.reflex.tools;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The one place that turns report objects into JSON, so every {@code --json} command prints alike. */
public final class Json {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(SerializationFeature.FAIL_ON_EMPTY_BEANS, false);

    private Json() {
    }

    /** A new empty JSON object to fill with {@code put}. */
    public static Obj object() {
        return new Obj(MAPPER.createObjectNode());
    }

    /** A new empty JSON array to fill with {@code add}. */
    public static Arr array() {
        return new Arr(MAPPER.createArrayNode());
    }

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** Serialises any Jackson-compatible value on one line. */
    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise report: " + e.getMessage(), e);
        }
    }

    /** A thin fluent wrapper over an {@link ObjectNode}. */
    public static final class Obj {
        private final ObjectNode node;

        Obj(ObjectNode node) {
            this.node = node;
        }

        public Obj put(String key, String value) {
            node.put(key, value);
            return this;
        }

        public Obj put(String key, long value) {
            node.put(key, value);
            return this;
        }

        public Obj put(String key, double value) {
            if (Double.isFinite(value)) {
                node.put(key, value);
            } else {
                node.putNull(key);
            }
            return this;
        }

        public Obj put(String key, boolean value) {
            node.put(key, value);
            return this;
        }

        /** A nested object, or JSON null for a null one. */
        public Obj put(String key, Obj value) {
            if (value == null) {
                node.putNull(key);
            } else {
                node.set(key, value.node);
            }
            return this;
        }

        public Obj put(String key, Arr value) {
            node.set(key, value.node);
            return this;
        }

        public Obj putPojo(String key, Object value) {
            node.set(key, MAPPER.valueToTree(value));
            return this;
        }

        public ObjectNode node() {
            return node;
        }

        public String toJson() {
            return write(node);
        }
    }

    /** A thin fluent wrapper over an {@link ArrayNode}. */
    public static final class Arr {
        private final ArrayNode node;

        Arr(ArrayNode node) {
            this.node = node;
        }

        public ArrayNode node() {
            return node;
        }

        public Arr add(Obj value) {
            node.add(value.node());
            return this;
        }

        public Arr add(String value) {
            node.add(value);
            return this;
        }
    }
}
