package io.reflex.tools;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.reflex.runtime.config.ConfigException;
import io.reflex.runtime.config.ReflexConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Set;
import java.util.function.Consumer;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The daemon's HTTP control API ({@code control} config section). Read-only: {@code GET /api/status} (JSON) and
 * {@code GET /metrics} (Prometheus). State-changing: {@code POST /api/stop} and, with a {@code stim} section,
 * {@code POST /api/stim/estop}; each needs {@code Authorization: Bearer <token>}.
 *
 * <p>Every request is refused (403) when its {@code Host} is not the bound {@code address:port} or
 * {@code localhost:port} (DNS rebinding) or when it carries an {@code Origin} other than the server's own (a web page
 * in the operator's browser). The token is random, made at start, written owner-only to the token file and printed
 * once. Every state-changing request, refused or not, and every refused request is appended to the control log with
 * when, who (remote address, token outcome) and what.
 */
final class ControlServer implements AutoCloseable {
    /** Largest request body accepted, bytes. */
    static final int MAX_BODY_BYTES = 4_096;
    /** Longest {@code reason} accepted, characters. */
    static final int MAX_REASON_CHARS = 200;
    private static final int TOKEN_BYTES = 32;

    private final ControlState state;
    private final Consumer<String> stop;
    private final Consumer<String> estop;
    private final Path tokenFile;
    private final Path logFile;
    private final String bind;
    private final int requestedPort;
    private final byte[] token;
    private final ExpositionFormats formats = ExpositionFormats.init();
    private Set<String> hosts;
    private Set<String> origins;
    private Javalin app;
    private Writer log;

    /**
     * @param stop  asks the run to stop cleanly (as SIGTERM does), with the journaled reason
     * @param estop asks stimulation to stop at once, or null without stimulation
     */
    ControlServer(ReflexConfig cfg, ControlState state, Consumer<String> stop, Consumer<String> estop) {
        this.state = state;
        this.stop = stop;
        this.estop = estop;
        this.tokenFile = cfg.control.tokenPath(cfg).toAbsolutePath();
        this.logFile = cfg.control.logPath(cfg).toAbsolutePath();
        this.bind = cfg.control.bind;
        this.requestedPort = cfg.control.port;
        this.token = new byte[TOKEN_BYTES];
        new SecureRandom().nextBytes(token);
    }

    /**
     * Writes the token file, opens the control log, binds and prints the URL and the token on {@code err}.
     *
     * @throws ConfigException naming {@code control.*} when the token file, the log or the port cannot be had
     */
    ControlServer start(PrintStream err) {
        String hex = HexFormat.of().formatHex(token);
        writeToken(hex);
        try {
            Files.createDirectories(logFile.getParent());
            log = Files.newBufferedWriter(logFile, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new ConfigException("control.logFile", "cannot append to " + logFile + ": " + e);
        }
        QueuedThreadPool pool = new QueuedThreadPool(8, 2);
        pool.setName("reflex-control");
        pool.setDaemon(true);
        app = Javalin.create(c -> {
            c.startup.showJavalinBanner = false;
            c.startup.showOldJavalinVersionWarning = false;
            c.jetty.threadPool = pool;
            // Bodies are a short reason at most: a larger one is refused (413) before it is read.
            c.http.maxRequestSize = MAX_BODY_BYTES;
            c.http.prefer405over404 = true;
            c.routes.before(this::guard);
            c.routes.get("/api/status", ctx -> ctx.contentType("application/json").result(state.status().toJson()));
            c.routes.get("/metrics", this::metrics);
            c.routes.post("/api/stop", ctx -> action(ctx, "stop", stop));
            c.routes.post("/api/stim/estop", ctx -> action(ctx, "stim-estop", estop));
        });
        try {
            app.start(bind, requestedPort);
        } catch (RuntimeException e) {
            throw new ConfigException("control.port", "cannot listen on " + bind + ":" + requestedPort + ": " + e);
        }
        int port = app.port();
        String host = bind.contains(":") ? "[" + literal(bind) + "]" : bind;
        hosts = Set.of(host + ":" + port, "localhost:" + port);
        origins = Set.of("http://" + host + ":" + port, "http://localhost:" + port);
        err.println("reflex daemon: control API on http://" + host + ":" + port + "/ (token written to " + tokenFile
                + ", control log " + logFile + ")");
        err.println("reflex daemon: control token: " + hex);
        err.flush();
        journal("-", "server", "started on " + host + ":" + port);
        return this;
    }

    /** The bound port (after {@link #start}). */
    int port() {
        return app.port();
    }

    /** Host and Origin checks for every request; POSTs also need the token. */
    private void guard(Context ctx) {
        String h = ctx.header("Host");
        if (h == null || !hosts.contains(h.toLowerCase(java.util.Locale.ROOT))) {
            refuse(ctx, 403, "Host header " + quote(h) + " is not one of " + hosts + " (DNS rebinding guard)");
            return;
        }
        String origin = ctx.header("Origin");
        if (origin != null && !origins.contains(origin.toLowerCase(java.util.Locale.ROOT))) {
            refuse(ctx, 403, "cross-origin request from " + quote(origin) + " refused; allowed origins " + origins);
            return;
        }
        if (ctx.method() == HandlerType.POST) {
            String auth = ctx.header("Authorization");
            if (auth == null) {
                ctx.header("WWW-Authenticate", "Bearer");
                refuse(ctx, 401, "Authorization: Bearer <token> required (the token is in " + tokenFile + ")");
                return;
            }
            if (!"ok".equals(tokenOutcome(ctx))) {
                refuse(ctx, 403, "wrong token");
            }
        }
    }

    private void refuse(Context ctx, int status, String reason) {
        journal(who(ctx, tokenOutcome(ctx)),
                ctx.method() + " " + ctx.path(), "refused " + status + ": " + reason);
        ctx.status(status).contentType("application/json").result(Json.object().put("error", reason).toJson());
        ctx.skipRemainingHandlers();
    }

    private void metrics(Context ctx) throws IOException {
        ExpositionFormatWriter w = formats.findWriter(ctx.header("Accept"));
        ByteArrayOutputStream out = new ByteArrayOutputStream(16_384);
        w.write(out, state.registry().scrape());
        ctx.contentType(w.getContentType()).result(out.toByteArray());
    }

    private void action(Context ctx, String what, Consumer<String> act) {
        String who = who(ctx, "ok");
        if (act == null) {
            journal(who, what, "refused 404: no stim section");
            ctx.status(404).contentType("application/json").result(Json.object()
                    .put("error", "this daemon runs without a stim section").toJson());
            return;
        }
        long length = ctx.req().getContentLengthLong();
        if (length > MAX_BODY_BYTES) {
            String why = "body of " + length + " bytes; at most " + MAX_BODY_BYTES;
            journal(who, what, "refused 413: " + why);
            ctx.status(413).contentType("application/json").result(Json.object().put("error", why).toJson());
            return;
        }
        String reason;
        try {
            reason = reason(ctx.bodyAsBytes());
        } catch (IllegalArgumentException e) {
            journal(who, what, "refused 400: " + e.getMessage());
            ctx.status(400).contentType("application/json").result(Json.object().put("error", e.getMessage())
                    .toJson());
            return;
        }
        String full = "control API " + what + " by " + ctx.ip() + (reason.isEmpty() ? "" : ": " + reason);
        journal(who, what, "accepted" + (reason.isEmpty() ? "" : "; reason " + quote(reason)));
        act.accept(full);
        ctx.status(202).contentType("application/json").result(Json.object().put("accepted", what).toJson());
    }

    /** The optional body {@code {"reason": "..."}}; empty is allowed. */
    static String reason(byte[] body) {
        if (body.length > MAX_BODY_BYTES) {
            throw new IllegalArgumentException("body of " + body.length + " bytes; at most " + MAX_BODY_BYTES);
        }
        String text = new String(body, StandardCharsets.UTF_8).strip();
        if (text.isEmpty()) {
            return "";
        }
        JsonNode n;
        try {
            // Content after the object is refused, as in config files.
            n = Json.mapper().reader().with(com.fasterxml.jackson.databind.DeserializationFeature
                    .FAIL_ON_TRAILING_TOKENS).readTree(text);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("body is not JSON: " + e.getOriginalMessage());
        }
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException("body must be a JSON object such as {\"reason\": \"...\"}");
        }
        java.util.Iterator<String> names = n.fieldNames();
        while (names.hasNext()) {
            String f = names.next();
            if (!f.equals("reason")) {
                throw new IllegalArgumentException("unknown field " + quote(f) + "; allowed: reason");
            }
        }
        JsonNode r = n.get("reason");
        if (r == null) {
            return "";
        }
        if (!r.isTextual()) {
            throw new IllegalArgumentException("reason must be a string");
        }
        if (r.asText().length() > MAX_REASON_CHARS) {
            throw new IllegalArgumentException("reason longer than " + MAX_REASON_CHARS + " characters");
        }
        return r.asText();
    }

    /** {@code none}, {@code ok} or {@code wrong}: the request's bearer token against ours (constant time). */
    private String tokenOutcome(Context ctx) {
        String auth = ctx.header("Authorization");
        if (auth == null) {
            return "none";
        }
        boolean ok = auth.startsWith("Bearer ") && MessageDigest.isEqual(
                auth.substring("Bearer ".length()).strip().getBytes(StandardCharsets.UTF_8),
                HexFormat.of().formatHex(token).getBytes(StandardCharsets.UTF_8));
        return ok ? "ok" : "wrong";
    }

    private static String literal(String address) {
        try {
            return InetAddress.getByName(address).getHostAddress();
        } catch (java.net.UnknownHostException e) {
            throw new ConfigException("control.bind", "\"" + address + "\"", "a numeric IP address");
        }
    }

    private static String who(Context ctx, String tokenOutcome) {
        return ctx.ip() + " token=" + tokenOutcome;
    }

    /** One line per action: ISO time, who, what, outcome; flushed at once (append-only). */
    private synchronized void journal(String who, String what, String outcome) {
        if (log == null) {
            return;
        }
        try {
            log.write(Instant.now() + "\t" + who + "\t" + what + "\t" + outcome.replace('\n', ' ').replace('\t', ' ')
                    + "\n");
            log.flush();
        } catch (IOException e) {
            System.err.println("reflex daemon: control log " + logFile + " not written: " + e);
        }
    }

    private void writeToken(String hex) {
        try {
            Path parent = tokenFile.getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.deleteIfExists(tokenFile);
            try {
                // Created with owner-only permissions from the start: the token is never readable by others.
                Files.createFile(tokenFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                        "rw-------")));
            } catch (FileAlreadyExistsException e) {
                throw new ConfigException("control.tokenFile", tokenFile + " appeared while it was being replaced");
            }
            Files.writeString(tokenFile, hex + "\n", StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (UnsupportedOperationException | IOException e) {
            throw new ConfigException("control.tokenFile", "cannot write " + tokenFile + " owner-only: " + e);
        }
    }

    private static String quote(String s) {
        return s == null ? "(none)" : "\"" + s + "\"";
    }

    /** Stops serving; the token file is removed (the token dies with the run). */
    @Override
    public void close() {
        if (app != null) {
            app.stop();
            app = null;
        }
        journal("-", "server", "stopped");
        try {
            Files.deleteIfExists(tokenFile);
        } catch (IOException e) {
            System.err.println("reflex daemon: control token file " + tokenFile + " not removed: " + e);
        }
        synchronized (this) {
            if (log != null) {
                try {
                    log.close();
                } catch (IOException ignored) {
                    // Every line was flushed when written.
                }
                log = null;
            }
        }
    }
}
