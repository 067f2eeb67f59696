package io.reflex.tools;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.reflex.runtime.check.ConfigException;
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
 * {@code POST /api/stim/estop}, {@code /api/stim/disarm}, {@code /api/stim/arm} and {@code /api/stim/arm/confirm};
 * with {@link #runs}, {@code POST /api/run/stop} and {@code /api/run/start}; each needs
 * {@code Authorization: Bearer <token>}.
 *
 * <p>Arming takes two requests: {@code /api/stim/arm} with a reason only issues a one-time confirmation id, valid
 * {@value #CONFIRM_TTL_S} s; {@code /api/stim/arm/confirm} with that id arms, through the pipeline's emit thread,
 * and answers with the controller's verdict. A disarm or an e-stop voids every confirmation not yet used.
 *
 * <p>{@code GET /api/telemetry} is a WebSocket (token as {@code Authorization: Bearer} or {@code ?token=}) on which
 * the {@link TelemetryHub} pushes the status JSON {@code control.telemetryHz} times a second.
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
    /** Longest decoder file path accepted. */
    static final int MAX_PATH_CHARS = 1_024;
    private static final int TOKEN_BYTES = 32;
    /** How long an arm confirmation id stays valid, s. */
    static final int CONFIRM_TTL_S = 30;
    /** Confirmations kept at once (used, expired or pending); more pending ones than this are refused (429). */
    static final int MAX_CONFIRMATIONS = 32;
    /** A used or expired confirmation is remembered this long past its expiry, to say why it is refused, ns. */
    private static final long CONFIRM_REMEMBER_NS = 300_000_000_000L;

    /**
     * What the control API may do to the run's stimulation. Implementations hand arming and disarming to the thread
     * that owns the controller; only the calling (HTTP) thread may wait.
     */
    /**
     * Swaps the live decoder between two bins for the one a decoder file holds ({@code ClosedLoopSession
     * .swapDecoder}), or for a decoder built by name and fitted on the run's calibration block
     * ({@code ClosedLoopSession.swapModel}: LFADS or SNN on the run's engine chain, or Kalman, Wiener).
     */
    interface DecoderSwap {
        /**
         * @return what is live now: {@code decoder}, {@code generation}, {@code file}
         * @throws IllegalArgumentException the file cannot be read, or its decoder does not fit the run (400)
         * @throws IllegalStateException    the run is not live, or no frame took the decoder up in time (409)
         */
        Json.Obj swap(Path file) throws InterruptedException;

        /**
         * @return what is live now: {@code decoder}, {@code model} (LFADS, SNN), {@code engine}, {@code generation}
         * @throws IllegalArgumentException the name or an option is refused, no engine can run it, the fit failed
         *                                  (400)
         * @throws IllegalStateException    the run is not live, has no calibration block, or no frame took the
         *                                  decoder up in time (409)
         */
        Json.Obj swapModel(String decoder, java.util.Map<String, String> options) throws InterruptedException;
    }

    /** Options a model swap may carry, at most. */
    static final int MAX_SWAP_OPTIONS = 16;
    /** Characters of an option name, at most. */
    static final int MAX_OPTION_NAME_CHARS = 64;

    /**
     * A {@code POST /api/decoder} body: a decoder file ({@code {"file": "..."}}) or a decoder by name with options
     * ({@code {"decoder": "lfads", "options": {"model": "..."}}}); exactly one of {@code file} and {@code decoder}.
     */
    record SwapRequest(String file, String decoder, java.util.Map<String, String> options) {
    }

    /**
     * Starts and stops the daemon's runs ({@code POST /api/run/start}, {@code /api/run/stop}). Both only ask: the
     * daemon's main thread starts a run, the session stops between two bins.
     */
    interface Runs {
        /**
         * Asks for a new run with the daemon's config.
         *
         * @return what was accepted: {@code accepted}, {@code run} (the new run's number)
         * @throws IllegalStateException a run is live or starting, the daemon holds one run only, or it is shutting
         *                               down (409, with the message)
         */
        Json.Obj start(String who, String reason);

        /**
         * Asks the live run to stop cleanly (stimulation disarmed first, the pipeline drained, the journal closed).
         *
         * @param accepted runs once the stop is accepted and before it is asked for (the journal line)
         * @return what was accepted: {@code accepted}, {@code run}
         * @throws IllegalStateException no run is live, or it is stopping already (409, with the message)
         */
        Json.Obj stop(String reason, Runnable accepted);
    }

    interface Stim {
        /**
         * Arms with {@code reason} (journaled by the controller), waiting (bounded) for the owning thread's verdict.
         *
         * @return null when armed, else why not (the controller's refusal)
         */
        String arm(String reason) throws InterruptedException;

        /**
         * Disarms at the owning thread's next frame (a stop-all; the reason is journaled), after any arming in
         * progress, so that nothing requested before it arms after it.
         */
        void disarm(String reason) throws InterruptedException;

        /** Stops stimulation at once and latches an e-stop fault. */
        void estop(String reason);

        boolean armed();

        /** The latched fault with its reason, or null. */
        String fault();
    }

    /** One arm confirmation: the reason it arms with; guarded by the confirmations map. */
    private static final class Confirmation {
        final String reason;
        final long expiresNs;
        boolean used;

        Confirmation(String reason, long expiresNs) {
            this.reason = reason;
            this.expiresNs = expiresNs;
        }
    }

    private final ControlState state;
    private final Consumer<String> stop;
    private final Stim stim;
    private final java.util.LinkedHashMap<String, Confirmation> confirmations = new java.util.LinkedHashMap<>();
    private final SecureRandom random = new SecureRandom();
    private java.util.function.LongSupplier clockNs = System::nanoTime;
    private final Path tokenFile;
    private final Path logFile;
    private final String bind;
    private final int requestedPort;
    private final int maxTelemetryClients;
    private final byte[] token;
    private final ExpositionFormats formats = ExpositionFormats.init();
    private Set<String> hosts;
    private Set<String> origins;
    private Javalin app;
    private Writer log;
    private final TelemetryHub telemetry;
    private volatile DecoderSwap decoderSwap;
    private volatile Runs runs;
    /** Where every control action is also journaled (the run's data journal), or null. */
    private volatile java.util.function.BiConsumer<String, String[]> dataJournal;
    /** The console's files, read at start. */
    private ConsoleFiles consoleFiles;
    private org.agrona.concurrent.AgentRunner telemetryRunner;
    /** Stderr for telemetry errors, rate-limited. */
    private final io.reflex.runtime.agent.RateLimitedErrorHandler telemetryErrors =
            new io.reflex.runtime.agent.RateLimitedErrorHandler((src, e) -> System.err.println("reflex daemon: "
                    + src + ": " + e), 5, 10_000_000_000L, System::nanoTime);

    /**
     * @param stop asks the run to stop cleanly (as SIGTERM does), with the journaled reason
     * @param stim the run's stimulation, or null without a {@code stim} section
     */
    ControlServer(ReflexConfig cfg, ControlState state, Consumer<String> stop, Stim stim) {
        this.state = state;
        this.stop = stop;
        this.stim = stim;
        this.tokenFile = cfg.control.tokenPath(cfg).toAbsolutePath();
        this.logFile = cfg.control.logPath(cfg).toAbsolutePath();
        this.bind = cfg.control.bind;
        this.requestedPort = cfg.control.port;
        this.maxTelemetryClients = cfg.control.telemetryMaxClients;
        this.token = new byte[TOKEN_BYTES];
        random.nextBytes(token);
        this.telemetry = new TelemetryHub(() -> state.status().put("type", "telemetry")
                .put("time_ms", System.currentTimeMillis()), cfg.control.telemetryHz, cfg.control.telemetryMaxClients,
                System::nanoTime);
        io.prometheus.metrics.core.metrics.GaugeWithCallback.builder().name("reflex_telemetry_clients")
                .help("Telemetry WebSocket clients served now").callback(cb -> cb.call(telemetry.clients()))
                .register(state.registry());
        io.prometheus.metrics.core.metrics.CounterWithCallback.builder().name("reflex_telemetry_clients_dropped")
                .help("Telemetry clients cut off because they fell behind")
                .callback(cb -> cb.call(telemetry.dropped())).register(state.registry());
        io.prometheus.metrics.core.metrics.CounterWithCallback.builder().name("reflex_telemetry_clients_refused")
                .help("Telemetry connections refused because control.telemetryMaxClients were served")
                .callback(cb -> cb.call(telemetry.refused())).register(state.registry());
    }

    /** Also journals every control action through {@code j} (who, {what, outcome}). */
    ControlServer dataJournal(java.util.function.BiConsumer<String, String[]> j) {
        this.dataJournal = j;
        return this;
    }

    /** Enables {@code POST /api/decoder}; without it the route answers 404. */
    ControlServer decoderSwap(DecoderSwap swap) {
        this.decoderSwap = swap;
        return this;
    }

    /** Enables {@code POST /api/run/start} and {@code /api/run/stop}; without it they answer 404. */
    ControlServer runs(Runs r) {
        this.runs = r;
        return this;
    }

    /** The telemetry publisher (tests, metrics). */
    TelemetryHub telemetry() {
        return telemetry;
    }

    /** The clock of confirmation expiry (tests). */
    ControlServer clockNs(java.util.function.LongSupplier clock) {
        this.clockNs = clock;
        return this;
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
        consoleFiles = ConsoleFiles.load();
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
            c.routes.post("/api/stim/estop", ctx -> action(ctx, "stim-estop", stim == null ? null : why -> {
                voidConfirmations();
                stim.estop(why);
            }));
            c.routes.post("/api/stim/disarm", this::disarm);
            c.routes.post("/api/stim/arm", this::arm);
            c.routes.post("/api/stim/arm/confirm", this::confirm);
            c.routes.post("/api/decoder", this::swapDecoder);
            c.routes.post("/api/run/start", ctx -> runAction(ctx, "run-start"));
            c.routes.post("/api/run/stop", ctx -> runAction(ctx, "run-stop"));
            c.routes.get("/api/log", ctx -> ctx.contentType("application/json").result(state.log().toJson()));
            c.routes.get("/api/latency", ctx -> ctx.contentType("application/json")
                    .result(state.latencyHistograms().toJson()));
            // trailing slashes are ignored: this serves /console and /console/ (the page uses absolute paths)
            c.routes.get("/console", ctx -> consoleFile(ctx, "index.html"));
            c.routes.get("/console/{file}", ctx -> consoleFile(ctx, ctx.pathParam("file")));
            c.routes.wsBeforeUpgrade("/api/telemetry", this::telemetryGuard);
            c.routes.ws("/api/telemetry", ws -> {
                ws.onConnect(ctx -> {
                    if (!telemetry.add(ctx.session)) {
                        ctx.closeSession(1013, "at most " + this.maxTelemetryClients + " telemetry clients");
                    }
                });
                ws.onClose(ctx -> telemetry.remove(ctx.session));
                ws.onError(ctx -> telemetry.remove(ctx.session));
            });
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
        // one line holds the token (stderr may be kept in a log): the console's address carries it too
        err.println("reflex daemon: control token: " + hex + "; console: http://" + host + ":" + port
                + "/console/#token=" + hex);
        err.flush();
        journal("-", "server", "started on " + host + ":" + port);
        telemetryRunner = io.reflex.runtime.agent.Agents.start(telemetry, telemetry, telemetryErrors);
        return this;
    }

    /** The bound port (after {@link #start}). */
    int port() {
        return app.port();
    }

    /** Host and Origin checks for every request; POSTs also need the token. */
    private void guard(Context ctx) {
        String refusal = hostOrOriginRefusal(ctx);
        if (refusal != null) {
            refuse(ctx, 403, refusal);
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

    /** Why the request's Host or Origin is refused (DNS rebinding, another web page), or null. */
    private String hostOrOriginRefusal(Context ctx) {
        String h = ctx.header("Host");
        if (h == null || !hosts.contains(h.toLowerCase(java.util.Locale.ROOT))) {
            return "Host header " + quote(h) + " is not one of " + hosts + " (DNS rebinding guard)";
        }
        String origin = ctx.header("Origin");
        if (origin != null && !origins.contains(origin.toLowerCase(java.util.Locale.ROOT))) {
            return "cross-origin request from " + quote(origin) + " refused; allowed origins " + origins;
        }
        return null;
    }

    /**
     * The WebSocket upgrade of {@code /api/telemetry}: Host and Origin as for every request, the token (header or
     * {@code ?token=}; a browser cannot set headers on a WebSocket), and room for another client. A refusal is
     * journaled and answered without upgrading.
     */
    private void telemetryGuard(Context ctx) {
        String auth = ctx.header("Authorization");
        String given = auth != null && auth.startsWith("Bearer ") ? auth.substring("Bearer ".length()).strip()
                : ctx.queryParam("token");
        String outcome = given == null ? "none" : tokenMatches(given) ? "ok" : "wrong";
        int status = 403;
        String why = hostOrOriginRefusal(ctx);
        if (why == null && given == null) {
            status = 401;
            why = "the token is required (Authorization: Bearer <token>, or ?token=<token>; it is in " + tokenFile
                    + ")";
        } else if (why == null && !"ok".equals(outcome)) {
            why = "wrong token";
        } else if (why == null && telemetry.full()) {
            telemetry.refusedFull();
            status = 503;
            why = "at most " + maxTelemetryClients + " telemetry clients (control.telemetryMaxClients)";
        }
        if (why != null) {
            journal(who(ctx, outcome), "GET " + ctx.path() + " (WebSocket)", "refused " + status + ": " + why);
            throw new io.javalin.http.HttpResponseException(status, why);
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
            noStim(ctx, who, what);
            return;
        }
        String reason = body(ctx, who, what, "reason", MAX_REASON_CHARS);
        if (reason == null) {
            return;
        }
        String full = "control API " + what + " by " + ctx.ip() + (reason.isEmpty() ? "" : ": " + reason);
        journal(who, what, "accepted" + (reason.isEmpty() ? "" : "; reason " + quote(reason)));
        act.accept(full);
        ctx.status(202).contentType("application/json").result(Json.object().put("accepted", what).toJson());
    }

    private void noStim(Context ctx, String who, String what) {
        refuseAction(ctx, who, what, 404, "this daemon runs without a stim section");
    }

    /** Answers {@code status} with the reason and journals the refusal. */
    private void refuseAction(Context ctx, String who, String what, int status, String why) {
        journal(who, what, "refused " + status + ": " + why);
        ctx.status(status).contentType("application/json").result(Json.object().put("error", why).toJson());
    }

    /**
     * The body's one field (see {@link #field}), or null when the request was refused (413, 400) and answered.
     */
    private String body(Context ctx, String who, String what, String field, int maxChars) {
        long length = ctx.req().getContentLengthLong();
        if (length > MAX_BODY_BYTES) {
            refuseAction(ctx, who, what, 413, "body of " + length + " bytes; at most " + MAX_BODY_BYTES);
            return null;
        }
        try {
            return field(ctx.bodyAsBytes(), field, maxChars);
        } catch (IllegalArgumentException e) {
            refuseAction(ctx, who, what, 400, e.getMessage());
            return null;
        }
    }

    /**
     * {@code POST /api/stim/arm {"reason": "..."}}: checks what can be checked now and issues a one-time
     * confirmation id; nothing is armed.
     */
    private void arm(Context ctx) {
        String who = who(ctx, "ok");
        String what = "stim-arm";
        if (stim == null) {
            noStim(ctx, who, what);
            return;
        }
        String reason = body(ctx, who, what, "reason", MAX_REASON_CHARS);
        if (reason == null) {
            return;
        }
        if (reason.isBlank()) {
            refuseAction(ctx, who, what, 400, "arming needs a reason: {\"reason\": \"...\"} (at most "
                    + MAX_REASON_CHARS + " characters)");
            return;
        }
        String fault = stim.fault();
        if (fault != null) {
            refuseAction(ctx, who, what, 409, "a stimulation fault is latched (" + fault + "); arming is refused");
            return;
        }
        if (stim.armed()) {
            refuseAction(ctx, who, what, 409, "stimulation is armed already");
            return;
        }
        String id = issueConfirmation(reason);
        if (id == null) {
            refuseAction(ctx, who, what, 429, MAX_CONFIRMATIONS + " arm confirmations are pending; confirm or let"
                    + " them expire (" + CONFIRM_TTL_S + " s)");
            return;
        }
        journal(who, what, "confirmation " + id.substring(0, 8) + "... issued, valid " + CONFIRM_TTL_S
                + " s; reason " + quote(reason) + "; not armed");
        ctx.status(202).contentType("application/json").result(Json.object()
                .put("confirmation", id)
                .put("expires_in_s", CONFIRM_TTL_S)
                .put("reason", reason)
                .put("confirm", "POST /api/stim/arm/confirm {\"confirmation\": \"<id>\"}").toJson());
    }

    /** {@code POST /api/stim/arm/confirm {"confirmation": "<id>"}}: arms with the reason the id was issued for. */
    private void confirm(Context ctx) throws InterruptedException {
        String who = who(ctx, "ok");
        String what = "stim-arm-confirm";
        if (stim == null) {
            noStim(ctx, who, what);
            return;
        }
        String id = body(ctx, who, what, "confirmation", 2 * CONFIRMATION_BYTES);
        if (id == null) {
            return;
        }
        if (id.isEmpty()) {
            refuseAction(ctx, who, what, 400, "{\"confirmation\": \"<id>\"} required (the id that POST"
                    + " /api/stim/arm returned)");
            return;
        }
        String shown = id.length() > 8 ? id.substring(0, 8) + "..." : id;
        String reason;
        synchronized (confirmations) {
            Confirmation c = confirmations.get(id);
            String refusal = c == null ? "unknown confirmation " + quote(shown)
                    : c.used ? "confirmation " + quote(shown) + " was used already; ask again with POST /api/stim/arm"
                    : clockNs.getAsLong() - c.expiresNs > 0 ? "confirmation " + quote(shown) + " expired (valid "
                    + CONFIRM_TTL_S + " s); ask again with POST /api/stim/arm" : null;
            if (refusal != null) {
                refuseAction(ctx, who, what, 409, refusal);
                return;
            }
            c.used = true;
            reason = c.reason;
        }
        String refusal = stim.arm("control API arm by " + ctx.ip() + ": " + reason);
        if (refusal != null) {
            refuseAction(ctx, who, what, 409, "arming refused: " + refusal);
            return;
        }
        journal(who, what, "armed with confirmation " + shown + "; reason " + quote(reason));
        ctx.status(200).contentType("application/json").result(Json.object().put("armed", true)
                .put("reason", reason).toJson());
    }

    /**
     * {@code POST /api/decoder {"file": "/path/decoder.rxdf"}} or {@code {"decoder": "lfads"|"snn"|"kalman"|"wiener",
     * "options": {"model": "..."}}}: swaps the live decoder between two bins.
     */
    private void swapDecoder(Context ctx) throws InterruptedException {
        String who = who(ctx, "ok");
        String what = "decoder-swap";
        DecoderSwap swap = decoderSwap;
        if (swap == null) {
            refuseAction(ctx, who, what, 404, "this run cannot swap its decoder");
            return;
        }
        long length = ctx.req().getContentLengthLong();
        if (length > MAX_BODY_BYTES) {
            refuseAction(ctx, who, what, 413, "body of " + length + " bytes; at most " + MAX_BODY_BYTES);
            return;
        }
        SwapRequest req;
        try {
            req = swapRequest(ctx.bodyAsBytes());
        } catch (IllegalArgumentException e) {
            refuseAction(ctx, who, what, 400, e.getMessage());
            return;
        }
        String asked = req.file() != null ? quote(req.file())
                : req.decoder() + (req.options().isEmpty() ? "" : " " + req.options());
        Json.Obj done;
        try {
            done = req.file() != null ? swap.swap(Path.of(req.file())) : swap.swapModel(req.decoder(), req.options());
        } catch (IllegalArgumentException e) {
            refuseAction(ctx, who, what, 400, asked + ": " + e.getMessage());
            return;
        } catch (IllegalStateException e) {
            refuseAction(ctx, who, what, 409, asked + ": " + e.getMessage());
            return;
        }
        journal(who, what, "swapped to " + asked + ": " + done.toJson());
        ctx.status(200).contentType("application/json").result(done.toJson());
    }

    /**
     * Reads a {@code POST /api/decoder} body (bounded: {@link #MAX_BODY_BYTES}, paths {@link #MAX_PATH_CHARS},
     * {@link #MAX_SWAP_OPTIONS} options of string values).
     *
     * @throws IllegalArgumentException saying what is wrong and what is expected (400)
     */
    static SwapRequest swapRequest(byte[] body) {
        String usage = "expected {\"file\": \"/path/decoder.rxdf\"} (a decoder file: reflex fit, or decoder.rxdf of a"
                + " journaled run) or {\"decoder\": \"lfads\"|\"snn\"|\"kalman\"|\"wiener\", \"options\":"
                + " {\"model\": \"...\"}} (fitted on the run's calibration block)";
        if (body.length > MAX_BODY_BYTES) {
            throw new IllegalArgumentException("body of " + body.length + " bytes; at most " + MAX_BODY_BYTES);
        }
        String text = new String(body, StandardCharsets.UTF_8).strip();
        if (text.isEmpty()) {
            throw new IllegalArgumentException("empty body; " + usage);
        }
        JsonNode n;
        try {
            n = Json.mapper().reader().with(com.fasterxml.jackson.databind.DeserializationFeature
                    .FAIL_ON_TRAILING_TOKENS).readTree(text);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("body is not JSON: " + e.getOriginalMessage());
        }
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException("body must be a JSON object; " + usage);
        }
        java.util.Iterator<String> names = n.fieldNames();
        while (names.hasNext()) {
            String f = names.next();
            if (!Set.of("file", "decoder", "options").contains(f)) {
                throw new IllegalArgumentException("unknown field " + quote(f) + "; allowed: file, or decoder and"
                        + " options");
            }
        }
        String file = text(n, "file", MAX_PATH_CHARS);
        String decoder = text(n, "decoder", MAX_OPTION_NAME_CHARS);
        if ((file == null) == (decoder == null)) {
            throw new IllegalArgumentException((file == null ? "neither file nor decoder given; "
                    : "file and decoder both given; ") + usage);
        }
        JsonNode opts = n.get("options");
        if (file != null) {
            if (opts != null) {
                throw new IllegalArgumentException("options go with decoder, not with a decoder file");
            }
            return new SwapRequest(file, null, java.util.Map.of());
        }
        java.util.Map<String, String> options = new java.util.LinkedHashMap<>();
        if (opts != null && !opts.isNull()) {
            if (!opts.isObject()) {
                throw new IllegalArgumentException("options must be an object of strings, e.g. {\"model\":"
                        + " \"lfads-centerout-causal\"}");
            }
            if (opts.size() > MAX_SWAP_OPTIONS) {
                throw new IllegalArgumentException("options has " + opts.size() + " entries; at most "
                        + MAX_SWAP_OPTIONS);
            }
            java.util.Iterator<java.util.Map.Entry<String, JsonNode>> it = opts.fields();
            while (it.hasNext()) {
                java.util.Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().isEmpty() || e.getKey().length() > MAX_OPTION_NAME_CHARS) {
                    throw new IllegalArgumentException("option name " + quote(e.getKey()) + " must be 1 to "
                            + MAX_OPTION_NAME_CHARS + " characters");
                }
                if (!e.getValue().isTextual()) {
                    throw new IllegalArgumentException("option " + quote(e.getKey()) + " must be a string");
                }
                if (e.getValue().asText().length() > MAX_PATH_CHARS) {
                    throw new IllegalArgumentException("option " + quote(e.getKey()) + " longer than "
                            + MAX_PATH_CHARS + " characters");
                }
                options.put(e.getKey(), e.getValue().asText());
            }
        }
        return new SwapRequest(null, decoder, options);
    }

    /** A non-blank string field, or null when absent; refused when not a string, blank or too long. */
    private static String text(JsonNode n, String name, int maxChars) {
        JsonNode r = n.get(name);
        if (r == null || r.isNull()) {
            return null;
        }
        if (!r.isTextual() || r.asText().isBlank()) {
            throw new IllegalArgumentException(name + " must be a non-empty string");
        }
        if (r.asText().length() > maxChars) {
            throw new IllegalArgumentException(name + " longer than " + maxChars + " characters");
        }
        return r.asText();
    }

    /**
     * {@code POST /api/run/start} and {@code /api/run/stop}, body {@code {"reason": "..."}} (required): asks the
     * daemon to start a new run or to stop the live one. Either voids every unused arm confirmation, so that none
     * given for one run can arm another.
     */
    private void runAction(Context ctx, String what) {
        String who = who(ctx, "ok");
        Runs r = runs;
        if (r == null) {
            refuseAction(ctx, who, what, 404, "this server cannot start or stop runs");
            return;
        }
        String reason = body(ctx, who, what, "reason", MAX_REASON_CHARS);
        if (reason == null) {
            return;
        }
        if (reason.isBlank()) {
            refuseAction(ctx, who, what, 400, "a reason is required: {\"reason\": \"...\"} (at most "
                    + MAX_REASON_CHARS + " characters)");
            return;
        }
        voidConfirmations();
        Json.Obj done;
        try {
            // journaled first, so that a stop's line reaches the run's data journal before the journal closes
            if (what.equals("run-stop")) {
                done = r.stop("control API " + what + " by " + ctx.ip() + ": " + reason,
                        () -> journal(who, what, "accepted; reason " + quote(reason)));
            } else {
                done = r.start(who, reason);
                journal(who, what, "accepted, run " + done.node().path("run").asInt() + "; reason " + quote(reason));
            }
        } catch (IllegalStateException e) {
            refuseAction(ctx, who, what, 409, e.getMessage());
            return;
        }
        ctx.status(202).contentType("application/json").result(done.toJson());
    }

    private void consoleFile(Context ctx, String name) {
        consoleFiles.serve(ctx, name);
    }

    /** {@code POST /api/stim/disarm {"reason": "..."}}: disarms at the next frame; voids pending confirmations. */
    private void disarm(Context ctx) throws InterruptedException {
        String who = who(ctx, "ok");
        String what = "stim-disarm";
        if (stim == null) {
            noStim(ctx, who, what);
            return;
        }
        String reason = body(ctx, who, what, "reason", MAX_REASON_CHARS);
        if (reason == null) {
            return;
        }
        if (reason.isBlank()) {
            refuseAction(ctx, who, what, 400, "disarming needs a reason: {\"reason\": \"...\"}");
            return;
        }
        voidConfirmations();
        journal(who, what, "accepted; reason " + quote(reason));
        stim.disarm("control API disarm by " + ctx.ip() + ": " + reason);
        ctx.status(202).contentType("application/json").result(Json.object().put("accepted", what).toJson());
    }

    private static final int CONFIRMATION_BYTES = 16;

    /** A fresh one-time id, or null when {@link #MAX_CONFIRMATIONS} are pending. */
    private String issueConfirmation(String reason) {
        long now = clockNs.getAsLong();
        synchronized (confirmations) {
            confirmations.values().removeIf(c -> now - c.expiresNs > CONFIRM_REMEMBER_NS);
            if (confirmations.size() >= MAX_CONFIRMATIONS) {
                // Forget the oldest used or expired one; refuse when every one is still pending.
                java.util.Iterator<Confirmation> it = confirmations.values().iterator();
                while (it.hasNext()) {
                    Confirmation c = it.next();
                    if (c.used || now - c.expiresNs > 0) {
                        it.remove();
                        break;
                    }
                }
                if (confirmations.size() >= MAX_CONFIRMATIONS) {
                    return null;
                }
            }
            byte[] b = new byte[CONFIRMATION_BYTES];
            random.nextBytes(b);
            String id = HexFormat.of().formatHex(b);
            confirmations.put(id, new Confirmation(reason, now + CONFIRM_TTL_S * 1_000_000_000L));
            return id;
        }
    }

    /** A disarm or e-stop: no confirmation issued before it may arm after it. */
    private void voidConfirmations() {
        synchronized (confirmations) {
            for (Confirmation c : confirmations.values()) {
                c.used = true;
            }
        }
    }

    /** The optional body {@code {"reason": "..."}}; empty is allowed. */
    static String reason(byte[] body) {
        return field(body, "reason", MAX_REASON_CHARS);
    }

    /** The optional body {@code {"<name>": "..."}} of one string field of at most {@code maxChars}; empty: "". */
    static String field(byte[] body, String name, int maxChars) {
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
            throw new IllegalArgumentException("body must be a JSON object such as {\"" + name + "\": \"...\"}");
        }
        java.util.Iterator<String> names = n.fieldNames();
        while (names.hasNext()) {
            String f = names.next();
            if (!f.equals(name)) {
                throw new IllegalArgumentException("unknown field " + quote(f) + "; allowed: " + name);
            }
        }
        JsonNode r = n.get(name);
        if (r == null) {
            return "";
        }
        if (!r.isTextual()) {
            throw new IllegalArgumentException(name + " must be a string");
        }
        if (r.asText().length() > maxChars) {
            throw new IllegalArgumentException(name + " longer than " + maxChars + " characters");
        }
        return r.asText();
    }

    /** {@code none}, {@code ok} or {@code wrong}: the request's bearer token against ours (constant time). */
    private String tokenOutcome(Context ctx) {
        String auth = ctx.header("Authorization");
        if (auth == null) {
            return "none";
        }
        boolean ok = auth.startsWith("Bearer ") && tokenMatches(auth.substring("Bearer ".length()).strip());
        return ok ? "ok" : "wrong";
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
        if (!"server".equals(what)) {
            // the console's run log shows control actions beside phases and notices; the data journal keeps them
            state.logEntry("control", who + " " + what + ": " + outcome);
            java.util.function.BiConsumer<String, String[]> dj = dataJournal;
            if (dj != null) {
                dj.accept(who, new String[] {what, outcome});
            }
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
        if (telemetryRunner != null) {
            io.reflex.runtime.agent.Agents.close(telemetryRunner, telemetryErrors);
            telemetryRunner = null;
        }
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
