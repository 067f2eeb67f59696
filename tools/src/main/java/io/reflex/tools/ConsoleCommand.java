package io.reflex.tools;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code reflex console --daemon http://127.0.0.1:PORT}: serves the experiment console from its own process and port
 * and relays its API calls and telemetry to a running daemon ({@link ConsoleRelay}), until SIGTERM or Ctrl-C.
 */
@Command(name = "console", mixinStandardHelpOptions = true,
        header = "Serve the console for a running daemon from a separate process, relaying to its control API.",
        description = {"Serve the experiment console on its own loopback port and relay the console's API calls and"
                + " telemetry WebSocket to a running daemon's control API, adding the daemon's token (read from its"
                + " owner-only token file). The browser uses this process's own token, printed once on stderr with"
                + " the console's address. Runs until SIGTERM or Ctrl-C. Exit 2: bad options, the daemon not"
                + " reachable or refusing the token, the token file missing, unreadable or readable by others, the"
                + " port taken."})
final class ConsoleCommand implements Callable<Integer> {
    @Option(names = "--daemon", paramLabel = "URL", required = true,
            description = "The daemon's control API, as it printed it: http://127.0.0.1:PORT")
    String daemon;

    @Option(names = "--token-file", paramLabel = "FILE", defaultValue = "reflex-journal/control.token",
            description = "The daemon's token file (control.tokenFile; default ${DEFAULT-VALUE}, the daemon's"
                    + " default with the default journal.dir).")
    Path tokenFile;

    @Option(names = "--port", paramLabel = "P", defaultValue = "0",
            description = "Port to serve the console on; 0 (default) takes a free one (printed).")
    int port;

    @Option(names = "--bind", paramLabel = "ADDRESS", defaultValue = "127.0.0.1",
            description = "Numeric address to listen on (default ${DEFAULT-VALUE}); one that is not loopback"
                    + " needs --allow-non-loopback.")
    String bind;

    @Option(names = "--allow-non-loopback", description = "Allow a --bind address that is not loopback.")
    boolean allowNonLoopback;

    @Override
    public Integer call() throws Exception {
        String refusal = bindRefusal();
        if (refusal == null && (port < 0 || port > 65_535)) {
            refusal = "--port " + port + " must be 0 to 65535";
        }
        if (refusal != null) {
            System.err.println("reflex console: " + refusal);
            return 2;
        }
        ConsoleRelay relay;
        try {
            relay = new ConsoleRelay(ConsoleRelay.daemonUri(daemon), tokenFile, bind, port).start(System.err);
        } catch (ConsoleRelay.StartException e) {
            System.err.println("reflex console: " + e.getMessage());
            return 2;
        }
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            relay.close();
            closed.countDown();
        }, "reflex-console-shutdown"));
        closed.await();
        return 0;
    }

    /** Why {@link #bind} is refused, or null. */
    private String bindRefusal() {
        if (!bind.matches("[0-9A-Fa-f:.]+")) {
            return "--bind \"" + bind + "\" must be a numeric IP address such as 127.0.0.1 or ::1 (a host name is"
                    + " not looked up)";
        }
        InetAddress a;
        try {
            a = InetAddress.getByName(bind);
        } catch (java.net.UnknownHostException e) {
            return "--bind \"" + bind + "\" is not a numeric IP address";
        }
        if (a.isAnyLocalAddress()) {
            return "--bind \"" + bind + "\": one specific address is needed (a wildcard address would accept any"
                    + " Host header)";
        }
        if (!a.isLoopbackAddress() && !allowNonLoopback) {
            return "--bind \"" + bind + "\" is not a loopback address (127.0.0.1, ::1); another address needs"
                    + " --allow-non-loopback";
        }
        return null;
    }
}
