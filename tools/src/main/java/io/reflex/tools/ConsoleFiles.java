package io.reflex.tools;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;

/**
 * The console's files, read once from the class path (the page, its script and style, uPlot's WebJar), and how they
 * are served: by the daemon's control API and by {@code reflex console} alike.
 */
final class ConsoleFiles {
    private final Map<String, byte[]> files = new HashMap<>();

    private ConsoleFiles() {
    }

    /** The page, its script and style from the class path, and uPlot from its WebJar (never copied here). */
    static ConsoleFiles load() {
        ConsoleFiles c = new ConsoleFiles();
        for (String f : new String[] {"index.html", "console.js", "console.css"}) {
            c.files.put(f, resource("io/reflex/tools/console/" + f));
        }
        String dist = "META-INF/resources/webjars/uplot/" + io.reflex.tools.rig.RigReport.uplotVersion() + "/dist/";
        c.files.put("uplot.js", resource(dist + "uPlot.iife.min.js"));
        c.files.put("uplot.css", resource(dist + "uPlot.min.css"));
        return c;
    }

    private static byte[] resource(String name) {
        try (InputStream in = ConsoleFiles.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("the console's file " + name + " is missing from the class path");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the console's file " + name + ": " + e, e);
        }
    }

    /** Answers with the file {@code name} (404 when there is none). */
    void serve(Context ctx, String name) {
        byte[] body = files.get(name);
        if (body == null) {
            ctx.status(404).contentType("application/json").result(Json.object().put("error", "no console file \""
                    + name + "\"").toJson());
            return;
        }
        String type = name.endsWith(".html") ? "text/html; charset=utf-8" : name.endsWith(".js")
                ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8";
        // The page talks to this origin only, and no other page may frame it (its buttons arm stimulation).
        ctx.header("Content-Security-Policy", "default-src 'self'; connect-src 'self'; img-src 'self' data:;"
                + " frame-ancestors 'none'");
        ctx.header("X-Frame-Options", "DENY");
        ctx.header("Cache-Control", "no-store");
        ctx.contentType(type).result(body);
    }
}
