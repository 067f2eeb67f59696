package io.reflex.lsl;

import java.util.LinkedHashMap;
import java.util.Map;
import javax.xml.xpath.XPath;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathExpressionException;
import javax.xml.xpath.XPathFactory;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

/**
 * Evaluates discovery predicates (XPath 1.0, with {@code <info>} as the context node) against one stream's info,
 * the way liblsl does: {@code /info[<predicate>]} must select a node. Results are cached per query string; an
 * invalid predicate matches nothing and is counted. Not thread-safe: one owner thread per instance.
 */
public final class QueryMatcher {
    private static final int MAX_CACHED = 100;

    private final Document document;
    private final XPath xpath = XPathFactory.newInstance().newXPath();
    private final Map<String, Boolean> cache = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > MAX_CACHED;
        }
    };
    private long invalidQueries;

    /** A matcher over the full info (desc included) of one stream. */
    public QueryMatcher(StreamInfo info) {
        this.document = StreamInfo.parseDocument(info.toFullXml());
    }

    /** True if the (trimmed) predicate selects this stream; the empty predicate matches every stream. */
    public boolean matches(String predicate) {
        String q = predicate == null ? "" : predicate.trim();
        if (q.isEmpty()) {
            return true;
        }
        Boolean cached = cache.get(q);
        if (cached != null) {
            return cached;
        }
        boolean result;
        try {
            NodeList nodes = (NodeList) xpath.evaluate("/info[" + q + "]", document, XPathConstants.NODESET);
            result = nodes.getLength() > 0;
        } catch (XPathExpressionException | RuntimeException e) {
            invalidQueries++;
            result = false;
        }
        cache.put(q, result);
        return result;
    }

    /** Predicates that failed to compile or evaluate. */
    public long invalidQueries() {
        return invalidQueries;
    }

    /** True if the predicate compiles as XPath 1.0 (for validating user input at the edge). */
    public static boolean isValid(String predicate) {
        if (predicate == null || predicate.isBlank()) {
            return true;
        }
        try {
            XPathFactory.newInstance().newXPath().compile("/info[" + predicate.trim() + "]");
            return true;
        } catch (XPathExpressionException e) {
            return false;
        }
    }
}
