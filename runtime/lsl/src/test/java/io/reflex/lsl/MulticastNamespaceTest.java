package io.reflex.lsl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Site-scope multicast discovery, tested only inside a private network namespace the test creates
 * ({@code unshare -n}, as root): lo is the only interface there, so nothing reaches any network.
 */
class MulticastNamespaceTest {

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void multicastDiscoveryWorksInAPrivateNamespace() throws Exception {
        Assumptions.assumeTrue(System.getProperty("os.name").toLowerCase().contains("linux"),
                "skipped: network namespaces need Linux");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/unshare")), "skipped: unshare unavailable");
        Process probe = new ProcessBuilder("/usr/bin/unshare", "-n", "true").redirectErrorStream(true).start();
        boolean done = probe.waitFor(10, TimeUnit.SECONDS);
        Assumptions.assumeTrue(done && probe.exitValue() == 0,
                "skipped: unshare -n is not permitted here (needs root or user namespaces)");
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        String script = "ip link set lo up && ip link set lo multicast on && ip route add "
                + LslConfig.IPV4_MULTICAST_RANGE + " dev lo"
                + " && exec \"$0\" -cp \"$1\" io.reflex.lsl.MulticastProbe";
        Process p = new ProcessBuilder(List.of("/usr/bin/unshare", "-n", "sh", "-c", script, java,
                System.getProperty("java.class.path"))).redirectErrorStream(true).start();
        assertThat(p.waitFor(45, TimeUnit.SECONDS)).as("probe finished").isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Assumptions.assumeFalse(out.contains("RTNETLINK") || out.contains("Operation not permitted"),
                "skipped: cannot configure lo in the namespace: " + out.strip());
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).as(out).contains("multicast=true").contains("found=1 ok=true");
    }
}
