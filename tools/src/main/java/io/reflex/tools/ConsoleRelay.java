package io.reflex.tools;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;

/**
 * {@code reflex console}'s server: the console's files on its own port, and the console's API calls and telemetry
 * WebSocket relayed to a running daemon's control API. The browser talks to this server only, with this server's own
 * token; the relay adds the daemon's token (read from the daemon's owner-only token file at each use, so a restarted
 * daemon's new token is picked up) to what needs one.
 *
 * <p>The same guards as the daemon's: every request is refused (403) when its {@code Host} is not the bound
 * {@code address:port} or {@code localhost:port}, or when it carries an {@code Origin} other than this server's own;
 * every POST needs {@code Authorization: Bearer <console token>} (none 401, wrong 403), and the telemetry upgrade the
 * same token as a header or {@code ?token=}. Relayed: {@code GET} and {@code POST} of {@code /api/...} and
 * {@code GET /metrics}; the daemon's answer (status, content type, body) is passed back, except that a daemon that
 * cannot be reached is 502 and one that refuses the relay's own token or Host is 502 with the daemon's reason (the
 * browser's token was right).
 */
final class ConsoleRelay implements AutoCloseable {
    /** Largest relayed answer, bytes; a larger one is 502. */
    static final int MAX_RESPONSE_BYTES = 16 << 20;
    /** Largest telemetry message relayed, characters; a larger one ends the client's connection. */
    static final int MAX_MESSAGE_CHARS = 4 << 20;
    /** Telemetry clients served at once; more are refused (503). Each holds one WebSocket to the daemon. */
    static final int MAX_TELEMETRY_CLIENTS = 64;
    /** Messages relayed to a browser and not yet written to its socket before it is cut off (as the daemon does). */
    static final int MAX_PENDING_MESSAGES = 32;
    /** Longest wait for a relayed answer, s (an arm confirmation waits for the stimulator link and a frame). */
    static final int REQUEST_TIMEOUT_S = 60;
    /** Longest wait for a connection to the daemon, s. */
    static final int CONNECT_TIMEOUT_S = 5;
    /** Largest token file read, bytes. */
    private static final int MAX_TOKEN_FILE_BYTES = 1_024;
    private static final int TOKEN_BYTES = 32;

    /** Start-up refused: the daemon's address, its token file, or the port; exit 2 with this message. */
    static final class StartException extends Exception {
        StartException(String message) {
            super(message);
        }
    }

    /** One browser's telemetry: its session here and its WebSocket to the daemon. */
    private final class Relayed implements WebSocket.Listener {
        final Session browser;
        final AtomicInteger pending = new AtomicInteger();
        final Callback written;
        volatile WebSocket daemonSide;
        private final StringBuilder partial = new StringBuilder();

        Relayed(Session browser) {
            this.browser = browser;
            this.written = Callback.from(pending::decrementAndGet, x -> pending.decrementAndGet());
        }

        @Override
        public void onOpen(WebSocket w) {
            w.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
            if (partial.length() + data.length() > MAX_MESSAGE_CHARS) {
                end(1009, "a telemetry message over " + MAX_MESSAGE_CHARS + " characters");
                return null;
            }
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                if (pending.get() >= MAX_PENDING_MESSAGES) {
                    // Too slow: cut off without a close handshake, as the daemon does its own clients.
                    dropped.incrementAndGet();
                    forget(browser);
                    browser.disconnect();
                    w.abort();
                    return null;
                }
                pending.incrementAndGet();
                browser.sendText(text, written);
                relayedMessages.incrementAndGet();
            }
            w.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket w, int status, String reason) {
            end(status == 1000 || status == 1001 || status == 1013 ? status : 1011, "the daemon closed the"
                    + " telemetry (" + status + (reason == null || reason.isEmpty() ? "" : ": " + reason) + ")");
            return null;
        }

        @Override
        public void onError(WebSocket w, Throwable e) {
            end(1011, "the daemon's telemetry failed: " + e);
        }

        /** Closes the browser's side with {@code status} and the reason, and forgets this client. */
        void end(int status, String reason) {
            forget(browser);
            WebSocket d = daemonSide;
            if (d != null) {
                d.abort();
            }
            if (browser.isOpen()) {
                // a close reason is at most 123 bytes
                String r = reason.length() > 120 ? reason.substring(0, 120) : reason;
                browser.close(status, r, Callback.NOOP);
            }
        }
    }

    private final URI daemon;
    private final Path tokenFile;
    private final String bind;
    private final int requestedPort;
    private final byte[] token = new byte[TOKEN_BYTES];
    private final ConsoleFiles consoleFiles = ConsoleFiles.load();
    private final HttpClient http;
    private final ConcurrentHashMap<Session, Relayed> clients = new ConcurrentHashMap<>();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong relayedMessages = new AtomicLong();
    private Set<String> hosts;
    private Set<String> origins;
    private Javalin app;

    /**
     * @param daemon    the daemon's control API, {@code http://address:port}
     * @param tokenFile the daemon's {@code control.tokenFile}
     * @param bind      the numeric address to listen on
     * @param port      the port to listen on; 0 takes a free one
     */
    ConsoleRelay(URI daemon, Path tokenFile, String bind, int port) {
        this.daemon = daemon;
        this.tokenFile = tokenFile.toAbsolutePath();
        this.bind = bind;
        this.requestedPort = port;
        new SecureRandom().nextBytes(token);
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).proxy(HttpClient.Builder.NO_PROXY)
                .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(CONNECT_TIMEOUT_S))
                .build();
    }

    /**
     * The daemon's address as given to {@code --daemon}: {@code http://host:port}, nothing after the port but an
     * optional {@code /}.
     *
     * @throws StartException naming what is wrong
     */
    static URI daemonUri(String given) throws StartException {
        URI u;
        try {
            u = new URI(given.strip());
        } catch (java.net.URISyntaxException e) {
            throw new StartException("--daemon " + quote(given) + " must be http://ADDRESS:PORT (" + e.getMessage()
                    + ")");
        }
        if (!"http".equalsIgnoreCase(u.getScheme()) || u.getHost() == null || u.getPort() < 1
                || u.getUserInfo() != null || u.getQuery() != null || u.getFragment() != null
                || !(u.getRawPath() == null || u.getRawPath().isEmpty() || u.getRawPath().equals("/"))) {
            throw new StartException("--daemon " + quote(given) + " must be http://ADDRESS:PORT, the address the"
                    + " daemon printed (\"control API on http://127.0.0.1:PORT/\")");
        }
        return URI.create("http://" + u.getRawAuthority());
    }

    /**
     * The daemon's token from its token file: a regular file, owner-only ({@code rw-------}, as the daemon creates
     * it), holding 64 hex digits.
     *
     * @throws StartException naming the file and what is wrong
     */
    static String readToken(Path file) throws StartException {
        String where = "the daemon's token file " + file;
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new StartException(where + " does not exist: the daemon writes it at start and deletes it at exit"
                    + " (control.tokenFile, default <journal.dir>/control.token); is the daemon running?");
        }
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new StartException(where + " is not a regular file");
        }
        Set<PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
        } catch (UnsupportedOperationException | IOException e) {
            throw new StartException("cannot read the permissions of " + where + ": " + e);
        }
        for (PosixFilePermission p : perms) {
            if (p != PosixFilePermission.OWNER_READ && p != PosixFilePermission.OWNER_WRITE) {
                throw new StartException(where + " has permissions " + PosixFilePermissions.toString(perms)
                        + "; the daemon creates it rw------- (owner only), and a token others may have read is"
                        + " refused");
            }
        }
        byte[] b;
        try (InputStream in = Files.newInputStream(file)) {
            b = in.readNBytes(MAX_TOKEN_FILE_BYTES + 1);
        } catch (AccessDeniedException e) {
            throw new StartException(where + " cannot be read: permission denied (it is owner-only: run reflex"
                    + " console as the daemon's user)");
        } catch (NoSuchFileException e) {
            throw new StartException(where + " disappeared: did the daemon just exit?");
        } catch (IOException e) {
            throw new StartException(where + " cannot be read: " + e);
        }
        String t = new String(b, StandardCharsets.UTF_8).strip();
        if (b.length > MAX_TOKEN_FILE_BYTES || !t.matches("[0-9a-f]{" + 2 * TOKEN_BYTES + "}")) {
            throw new StartException(where + " does not hold a control token (" + 2 * TOKEN_BYTES
                    + " hex digits)");
        }
        return t;
    }

    /**
     * Checks that the daemon answers and takes its token, then binds and prints this server's address and token
     * (once) on {@code err}.
     *
     * @throws StartException the daemon cannot be reached or refuses the token, or the port cannot be had
     */
    ConsoleRelay start(PrintStream err) throws StartException, InterruptedException {
        String daemonToken = readToken(tokenFile);
        checkDaemon(daemonToken);
        QueuedThreadPool pool = new QueuedThreadPool(8, 2);
        pool.setName("reflex-console");
        pool.setDaemon(true);
        app = Javalin.create(c -> {
            c.startup.showJavalinBanner = false;
            c.startup.showOldJavalinVersionWarning = false;
            c.jetty.threadPool = pool;
            c.http.maxRequestSize = ControlServer.MAX_BODY_BYTES;
            c.http.prefer405over404 = true;
            c.routes.before(this::guard);
            c.routes.get("/console", ctx -> consoleFiles.serve(ctx, "index.html"));
            c.routes.get("/console/{file}", ctx -> consoleFiles.serve(ctx, ctx.pathParam("file")));
            c.routes.get("/metrics", this::relay);
            c.routes.get("/api/<path>", this::relay);
            c.routes.post("/api/<path>", this::relay);
            c.routes.wsBeforeUpgrade("/api/telemetry", this::telemetryGuard);
            c.routes.ws("/api/telemetry", ws -> {
                ws.onConnect(ctx -> openTelemetry(ctx.session));
                ws.onClose(ctx -> closeTelemetry(ctx.session));
                ws.onError(ctx -> closeTelemetry(ctx.session));
            });
        });
        try {
            app.start(bind, requestedPort);
        } catch (RuntimeException e) {
            app = null;
            throw new StartException("cannot listen on " + bind + ":" + requestedPort + ": " + e);
        }
        int port = app.port();
        String host = bind.contains(":") ? "[" + literal(bind) + "]" : bind;
        hosts = Set.of(host + ":" + port, "localhost:" + port);
        origins = Set.of("http://" + host + ":" + port, "http://localhost:" + port);
        String hex = HexFormat.of().formatHex(token);
        err.println("reflex console: serving on http://" + host + ":" + port + "/ for the daemon at " + daemon
                + "/ (its token read from " + tokenFile + " at each use)");
        err.println("reflex console: console token: " + hex + "; console: http://" + host + ":" + port
                + "/console/#token=" + hex);
        err.flush();
        return this;
    }

    /** The bound port (after {@link #start}). */
    int port() {
        return app.port();
    }

    /** Telemetry clients relayed now. */
    int telemetryClients() {
        return clients.size();
    }

    /** The daemon answers its status, and its telemetry upgrade takes the token. */
    private void checkDaemon(String daemonToken) throws StartException, InterruptedException {
        HttpResponse<String> r;
        try {
            r = http.send(HttpRequest.newBuilder(daemon.resolve("/api/status")).timeout(Duration.ofSeconds(
                    CONNECT_TIMEOUT_S)).GET().build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new StartException(unreachable(e) + " (is reflex daemon running with control.enabled, on that"
                    + " address and port?)");
        }
        if (r.statusCode() != 200) {
            throw new StartException("the daemon at " + daemon + " answered GET /api/status with " + r.statusCode()
                    + ": " + bounded(r.body()));
        }
        try {
            WebSocket w = http.newWebSocketBuilder().header("Authorization", "Bearer " + daemonToken)
                    .connectTimeout(Duration.ofSeconds(CONNECT_TIMEOUT_S))
                    .buildAsync(telemetryUri(), new WebSocket.Listener() {
                    }).get(2L * CONNECT_TIMEOUT_S, TimeUnit.SECONDS);
            w.abort();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            if (cause instanceof WebSocketHandshakeException h) {
                int status = h.getResponse().statusCode();
                if (status == 503) {
                    return;  // the token was taken; the daemon serves as many telemetry clients as it may
                }
                Object body = h.getResponse().body();
                throw new StartException("the daemon at " + daemon + " refused the token in " + tokenFile + " ("
                        + status + (body == null ? "" : ": " + bounded(body.toString())) + "): is it this"
                        + " daemon's control.tokenFile?");
            }
            throw new StartException(unreachable(cause));
        }
    }

    private URI telemetryUri() {
        return URI.create("ws://" + daemon.getRawAuthority() + "/api/telemetry");
    }

    private String unreachable(Throwable e) {
        String why = e instanceof java.net.http.HttpTimeoutException ? "no answer within " + CONNECT_TIMEOUT_S + " s"
                : e instanceof java.net.ConnectException ? "connection refused (nothing listens there)"
                : e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        return "the daemon at " + daemon + " is not reachable: " + why;
    }

    /** Host and Origin checks for every request; POSTs also need this server's token. */
    private void guard(Context ctx) {
        String refusal = hostOrOriginRefusal(ctx.header("Host"), ctx.header("Origin"));
        if (refusal != null) {
            refuse(ctx, 403, refusal);
            return;
        }
        if (ctx.method() == HandlerType.POST) {
            String auth = ctx.header("Authorization");
            if (auth == null) {
                ctx.header("WWW-Authenticate", "Bearer");
                refuse(ctx, 401, "Authorization: Bearer <token> required (the console's token, printed by reflex"
                        + " console at start)");
            } else if (!(auth.startsWith("Bearer ") && tokenMatches(auth.substring("Bearer ".length()).strip()))) {
                refuse(ctx, 403, "wrong token (the console's token, not the daemon's)");
            }
        }
    }

    private String hostOrOriginRefusal(String host, String origin) {
        if (host == null || !hosts.contains(host.toLowerCase(Locale.ROOT))) {
            return "Host header " + quote(host) + " is not one of " + hosts + " (DNS rebinding guard)";
        }
        if (origin != null && !origins.contains(origin.toLowerCase(Locale.ROOT))) {
            return "cross-origin request from " + quote(origin) + " refused; allowed origins " + origins;
        }
        return null;
    }

    /** The telemetry upgrade: Host and Origin, this server's token (header or {@code ?token=}), room. */
    private void telemetryGuard(Context ctx) {
        String auth = ctx.header("Authorization");
        String given = auth != null && auth.startsWith("Bearer ") ? auth.substring("Bearer ".length()).strip()
                : ctx.queryParam("token");
        int status = 403;
        String why = hostOrOriginRefusal(ctx.header("Host"), ctx.header("Origin"));
        if (why == null && given == null) {
            status = 401;
            why = "the console's token is required (Authorization: Bearer <token>, or ?token=<token>)";
        } else if (why == null && !tokenMatches(given)) {
            why = "wrong token (the console's token, not the daemon's)";
        } else if (why == null && clients.size() >= MAX_TELEMETRY_CLIENTS) {
            status = 503;
            why = "at most " + MAX_TELEMETRY_CLIENTS + " telemetry clients";
        }
        if (why != null) {
            throw new io.javalin.http.HttpResponseException(status, why);
        }
    }

    private void refuse(Context ctx, int status, String reason) {
        ctx.status(status).contentType("application/json").result(Json.object().put("error", reason).toJson());
        ctx.skipRemainingHandlers();
    }

    /** Passes the request on to the daemon (with the daemon's token for a POST) and its answer back. */
    private void relay(Context ctx) throws InterruptedException {
        String query = ctx.queryString();
        URI target;
        try {
            target = daemon.resolve(ctx.path() + (query == null ? "" : "?" + query));
        } catch (IllegalArgumentException e) {
            refuse(ctx, 400, "not a path to relay: " + e.getMessage());
            return;
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(REQUEST_TIMEOUT_S));
        String accept = ctx.header("Accept");
        if (accept != null) {
            b.header("Accept", accept);
        }
        if (ctx.method() == HandlerType.POST) {
            String daemonToken;
            try {
                daemonToken = readToken(tokenFile);
            } catch (StartException e) {
                refuse(ctx, 502, e.getMessage());
                return;
            }
            String type = ctx.header("Content-Type");
            b.header("Content-Type", type != null ? type : "application/json")
                    .header("Authorization", "Bearer " + daemonToken)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(ctx.bodyAsBytes()));
        } else {
            b.GET();
        }
        HttpResponse<InputStream> r;
        byte[] body;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = r.body()) {
                body = in.readNBytes(MAX_RESPONSE_BYTES + 1);
            }
        } catch (java.net.http.HttpTimeoutException e) {
            refuse(ctx, 504, "the daemon at " + daemon + " did not answer " + ctx.method() + " " + ctx.path()
                    + " within " + REQUEST_TIMEOUT_S + " s");
            return;
        } catch (IOException e) {
            refuse(ctx, 502, unreachable(e));
            return;
        }
        if (body.length > MAX_RESPONSE_BYTES) {
            refuse(ctx, 502, "the daemon's answer to " + ctx.path() + " is over " + MAX_RESPONSE_BYTES + " bytes");
            return;
        }
        int status = r.statusCode();
        if (status == 401 || status == 403) {
            // The browser's request passed this server's checks: a refusal now is of the relay's own request.
            refuse(ctx, 502, "the daemon at " + daemon + " refused the relayed request (" + status + ": "
                    + bounded(new String(body, StandardCharsets.UTF_8)) + "); is " + tokenFile + " its token file?");
            return;
        }
        ctx.status(status);
        r.headers().firstValue("Content-Type").ifPresent(ctx::contentType);
        ctx.header("Cache-Control", "no-store");
        ctx.result(body);
    }

    /** A browser's telemetry connected: opens its WebSocket to the daemon, which relays each message to it. */
    private void openTelemetry(Session browser) {
        Relayed r = new Relayed(browser);
        if (clients.putIfAbsent(browser, r) != null) {
            return;
        }
        if (clients.size() > MAX_TELEMETRY_CLIENTS) {
            r.end(1013, "at most " + MAX_TELEMETRY_CLIENTS + " telemetry clients");
            return;
        }
        String daemonToken;
        try {
            daemonToken = readToken(tokenFile);
        } catch (StartException e) {
            r.end(1011, "the daemon's token: " + e.getMessage());
            return;
        }
        http.newWebSocketBuilder().header("Authorization", "Bearer " + daemonToken)
                .connectTimeout(Duration.ofSeconds(CONNECT_TIMEOUT_S))
                .buildAsync(telemetryUri(), r).whenComplete((w, e) -> {
                    if (e != null) {
                        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                        r.end(1011, cause instanceof WebSocketHandshakeException h ? "the daemon refused the"
                                + " telemetry (" + h.getResponse().statusCode() + ")" : unreachable(cause));
                        return;
                    }
                    r.daemonSide = w;
                    if (!clients.containsKey(browser)) {
                        w.abort();  // the browser left while the daemon's side was opening
                    }
                });
    }

    /** A browser's telemetry closed or failed: its WebSocket to the daemon closes too. */
    private void closeTelemetry(Session browser) {
        Relayed r = clients.remove(browser);
        if (r != null) {
            WebSocket w = r.daemonSide;
            if (w != null) {
                w.abort();
            }
        }
    }

    private void forget(Session browser) {
        clients.remove(browser);
    }

    /** Compares in constant time. */
    private boolean tokenMatches(String given) {
        return MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8),
                HexFormat.of().formatHex(token).getBytes(StandardCharsets.UTF_8));
    }

    private static String literal(String address) {
        try {
            return InetAddress.getByName(address).getHostAddress();
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("--bind " + quote(address) + " is not a numeric IP address");
        }
    }

    private static String bounded(String s) {
        String t = s.strip();
        return t.length() > 300 ? t.substring(0, 300) + "..." : t;
    }

    private static String quote(String s) {
        return s == null ? "(none)" : "\"" + s + "\"";
    }

    /** Stops serving; every relayed telemetry connection closes. */
    @Override
    public void close() {
        for (Relayed r : clients.values()) {
            r.end(1001, "reflex console stopped");
        }
        if (app != null) {
            app.stop();
            app = null;
        }
    }
}
