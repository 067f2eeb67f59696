package io.reflex.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.runtime.config.ConfigException;
import io.reflex.runtime.config.ReflexConfig;
import io.reflex.runtime.session.ClosedLoopSession;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Start-up refusals of the control server and its request-body rules, without a run. */
class ControlServerTest {

    private static ReflexConfig config(Path dir, int port) {
        ReflexConfig c = ReflexConfig.parse("{\"journal\": {\"dir\": \"" + dir.toString().replace("\\", "\\\\")
                + "\"}, \"control\": {\"enabled\": true, \"port\": " + port + "}}");
        return c;
    }

    private static ControlServer server(ReflexConfig c) {
        return new ControlServer(c, new ControlState(new ClosedLoopSession.Listener() {
        }, null), reason -> {
        }, null);
    }

    @Test
    void aTakenPortIsRefusedNamingTheField(@TempDir Path dir) throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            ControlServer s = server(config(dir, taken.getLocalPort()));
            try {
                assertThatThrownBy(() -> s.start(new PrintStream(new ByteArrayOutputStream(), true,
                        StandardCharsets.UTF_8)))
                        .isInstanceOf(ConfigException.class)
                        .hasMessageStartingWith("control.port: cannot listen on 127.0.0.1:" + taken.getLocalPort());
            } finally {
                s.close();
            }
            assertThat(dir.resolve("control.token")).as("no token left behind").doesNotExist();
        }
    }

    @Test
    void aTokenFileThatCannotBeWrittenIsRefused(@TempDir Path dir) throws Exception {
        Path notADir = Files.writeString(dir.resolve("plain-file"), "x");
        ReflexConfig c = config(dir, 0);
        c.control.tokenFile = notADir.resolve("control.token").toString();
        ControlServer s = server(c);
        try {
            assertThatThrownBy(() -> s.start(new PrintStream(new ByteArrayOutputStream(), true,
                    StandardCharsets.UTF_8)))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith("control.tokenFile: cannot write");
        } finally {
            s.close();
        }
    }

    @Test
    void theBodyIsOptionalJsonWithOneBoundedReason() {
        assertThat(ControlServer.reason(new byte[0])).isEmpty();
        assertThat(ControlServer.reason(" {} ".getBytes(StandardCharsets.UTF_8))).isEmpty();
        assertThat(ControlServer.reason("{\"reason\": \"end of block\"}".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo("end of block");
        assertThatThrownBy(() -> ControlServer.reason("[1]".getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("must be a JSON object");
        assertThatThrownBy(() -> ControlServer.reason("{\"reason\": \"x\"} x".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ControlServer.reason(("{\"reason\": \"" + "y".repeat(201) + "\"}")
                .getBytes(StandardCharsets.UTF_8))).hasMessageContaining("longer than 200");
        assertThatThrownBy(() -> ControlServer.reason(new byte[ControlServer.MAX_BODY_BYTES + 1]))
                .hasMessageContaining("at most " + ControlServer.MAX_BODY_BYTES);
    }
}
