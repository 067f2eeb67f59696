package io.reflex.tools;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * The daemon's structured log ({@code --log-format json}): one JSON object a line on stderr, each with {@code ts}
 * (ISO-8601 UTC) and {@code event}. {@link #install} also replaces {@code System.err} with a stream that wraps every
 * other line written to it (a library's warning, a stack trace) as {@code {"event": "stderr", "msg": ...}}, so that
 * nothing on stderr breaks a line-by-line JSON reader. A line longer than {@link #MAX_LINE_CHARS} is cut there (the
 * object says {@code "cut": true}).
 */
final class JsonLines {
    /** The longest message kept in one object. */
    static final int MAX_LINE_CHARS = 16_384;

    private final PrintStream out;

    JsonLines(PrintStream out) {
        this.out = out;
    }

    /**
     * Routes everything else written to {@code System.err} through a line-wrapping stream; returns the log, which
     * writes to the original stderr.
     */
    static JsonLines install() {
        PrintStream raw = System.err;
        JsonLines log = new JsonLines(raw);
        System.setErr(new PrintStream(log.wrapping("stderr"), true, StandardCharsets.UTF_8));
        return log;
    }

    /** A new object with {@code ts} and {@code event}. */
    ObjectNode event(String event) {
        ObjectNode o = Json.mapper().createObjectNode();
        o.put("ts", Instant.now().toString());
        o.put("event", event);
        return o;
    }

    /** Writes {@code o} as one line. */
    synchronized void write(ObjectNode o) {
        out.println(o.toString());
        out.flush();
    }

    /** An object of {@code event} with {@code msg}. */
    void message(String event, String msg) {
        ObjectNode o = event(event);
        put(o, msg);
        write(o);
    }

    private static void put(ObjectNode o, String msg) {
        if (msg.length() > MAX_LINE_CHARS) {
            o.put("msg", msg.substring(0, MAX_LINE_CHARS));
            o.put("cut", true);
        } else {
            o.put("msg", msg);
        }
    }

    /** An output stream that writes each line it is given as an object of {@code event}. */
    OutputStream wrapping(String event) {
        return new OutputStream() {
            private final ByteArrayOutputStream line = new ByteArrayOutputStream();
            private boolean cut;

            @Override
            public synchronized void write(int b) {
                if (b == '\n') {
                    emit();
                } else if (line.size() < MAX_LINE_CHARS * 4) {
                    line.write(b);
                } else {
                    cut = true;
                }
            }

            @Override
            public synchronized void write(byte[] b, int off, int len) {
                for (int i = off; i < off + len; i++) {
                    write(b[i]);
                }
            }

            @Override
            public synchronized void flush() {
                // a partial line waits for its end: an object is a whole line
            }

            @Override
            public synchronized void close() {
                if (line.size() > 0) {
                    emit();
                }
            }

            private void emit() {
                String s = line.toString(StandardCharsets.UTF_8);
                if (s.endsWith("\r")) {
                    s = s.substring(0, s.length() - 1);
                }
                line.reset();
                ObjectNode o = event(event);
                put(o, s);
                if (cut) {
                    o.put("cut", true);
                    cut = false;
                }
                JsonLines.this.write(o);
            }
        };
    }
}
