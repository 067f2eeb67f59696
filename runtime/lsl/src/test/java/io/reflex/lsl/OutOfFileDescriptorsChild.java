package io.reflex.lsl;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Run in a child JVM under a low open-files limit ({@code prlimit --nofile}) by {@link OutOfFileDescriptorsTest}:
 * exhausts the process's descriptors with connections to its own outlet, so the outlet's accept fails with "Too many
 * open files", frees them, and checks that the outlet serves again. Prints one line of {@code key=value} results.
 */
public final class OutOfFileDescriptorsChild {
    private OutOfFileDescriptorsChild() {
    }

    public static void main(String[] args) throws Exception {
        LslTestSupport.Errors errors = new LslTestSupport.Errors();
        List<Socket> hogs = new ArrayList<>();
        String clientFailure = "";
        try (JavaOutlet outlet = new JavaOutlet(LslTestSupport.info("emfile", ChannelFormat.FLOAT32, 2, 0),
                LslTestSupport.config().handshakeTimeoutS(60).outletMaxPendingConnections(4096), errors)) {
            int port = outlet.info().v4dataPort();
            long deadlineNs = System.nanoTime() + 30_000_000_000L;
            while (outlet.acceptFailures() == 0 && System.nanoTime() < deadlineNs) {
                try {
                    hogs.add(new Socket(InetAddress.getLoopbackAddress(), port));
                } catch (IOException e) {
                    // the client side ran out first; the backlog still holds connections the acceptor cannot take
                    clientFailure = e.getMessage();
                    Thread.yield();
                }
            }
            long failures = outlet.acceptFailures();
            boolean acceptorAlive = LslTestSupport.lslThreads().stream()
                    .anyMatch(t -> t.getName().startsWith("lsl-outlet-accept-"));
            for (Socket s : hogs) {
                s.close();
            }
            boolean served = LslTestSupport.eventually(() -> {
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    s.setSoTimeout(10_000);
                    s.getOutputStream().write("LSL:fullinfo\r\n".getBytes(StandardCharsets.US_ASCII));
                    return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8).contains("<info>");
                } catch (IOException e) {
                    return false;
                }
            }, 30);
            boolean reported = errors.contains("accept failed") && errors.contains("retrying");
            System.out.println("connections=" + hogs.size() + " accept_failures=" + failures + " acceptor_alive="
                    + acceptorAlive + " served_again=" + served + " reported=" + reported + " client_failure="
                    + clientFailure.replace(' ', '_'));
        }
    }
}
