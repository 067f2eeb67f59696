package io.reflex.lsl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An outlet whose process runs out of file descriptors ("Too many open files" on accept) keeps its acceptor: it
 * reports the failure once, backs off, and serves again when descriptors are free. Real limits: a child JVM under
 * {@code prlimit --nofile}.
 */
@Timeout(120)
class OutOfFileDescriptorsTest {

    @Test
    void theAcceptorSurvivesEmfileAndServesAgain() throws Exception {
        Path prlimit = Path.of("/usr/bin/prlimit");
        assumeTrue(Files.isExecutable(prlimit), "skipped: prlimit (util-linux) is not installed");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(prlimit.toString(), "--nofile=320:320", java, "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), OutOfFileDescriptorsChild.class.getName());
        pb.redirectErrorStream(true);
        File log = File.createTempFile("emfile-child", ".log");
        log.deleteOnExit();
        pb.redirectOutput(log);
        Process p = pb.start();
        assertThat(p.waitFor(100, TimeUnit.SECONDS)).as("child finished").isTrue();
        List<String> lines = Files.readAllLines(log.toPath(), StandardCharsets.UTF_8);
        String result = lines.stream().filter(l -> l.startsWith("connections=")).findFirst()
                .orElseThrow(() -> new AssertionError("child printed no result:\n" + String.join("\n", lines)));
        System.out.println("child: " + result);
        assertThat(p.exitValue()).as(String.join("\n", lines)).isZero();
        assertThat(result).contains("acceptor_alive=true", "served_again=true", "reported=true")
                .doesNotContain("accept_failures=0 ");
    }
}
