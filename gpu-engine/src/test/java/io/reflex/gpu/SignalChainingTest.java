package io.reflex.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signal chaining: why the JVMs that run Aparapi start with the JDK's libjsig preloaded, that it keeps HotSpot's
 * SIGSEGV handler in place through an OpenCL compile, and that the engines refuse to load Aparapi's native side in a
 * JVM without it (the chain then runs on the next engine) instead of leaving a JVM that dies later.
 */
class SignalChainingTest {
    @TempDir
    Path dir;

    record Result(int exit, String out, String err) {
        String all() {
            return "exit " + exit + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    static String jsig() {
        return Path.of(System.getProperty("java.home"), "lib", "libjsig.so").toString();
    }

    /** Runs {@link SignalChild} with LD_PRELOAD set to {@code preload} (null: unset) and PoCL's kernel cache off. */
    Result child(String preload, String mode) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-") || a.startsWith("--enable-native") || a.startsWith("--sun-misc")) {
                cmd.add(a);
            }
        }
        cmd.addAll(List.of("-XX:ErrorFile=" + dir.resolve("hs_err_%p.log"), "-XX:-CreateCoredumpOnCrash", "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), SignalChild.class.getName(), mode));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        Map<String, String> env = pb.environment();
        if (preload == null) {
            env.remove("LD_PRELOAD");
        } else {
            env.put("LD_PRELOAD", preload);
        }
        // a cached kernel binary would skip the compile, and with it the driver's LLVM
        env.put("POCL_KERNEL_CACHE", "0");
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("child did not finish: " + cmd);
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    static boolean linux() {
        return System.getProperty("os.name", "").toLowerCase().contains("linux");
    }

    @Test
    void theBuildStartsTestJvmsWithLibjsigAsTheLaunchersDo() {
        Assumptions.assumeTrue(linux(), "skipped: the libjsig check is for Linux");
        assertThat(AparapiDevices.signalChainingProblem())
                .as("surefire's LD_PRELOAD (profile jsig in the parent pom) did not reach this JVM").isNull();
    }

    @Test
    void theCheckReadsTheProcessMap(@TempDir Path tmp) throws Exception {
        Path with = Files.writeString(tmp.resolve("with"),
                "7f00-7f01 r-xp 00000000 08:01 1 /usr/lib/jvm/java-17/lib/libjsig.so\n7f02-7f03 r-xp 0 0 2 /x/libjvm.so\n");
        Path without = Files.writeString(tmp.resolve("without"), "7f02-7f03 r-xp 0 0 2 /x/libjvm.so\n");
        assertThat(AparapiDevices.signalChainingProblem("Linux", with, "/jdk")).isNull();
        assertThat(AparapiDevices.signalChainingProblem("Linux", without, "/jdk"))
                .contains("without the JDK's libjsig.so").contains("LD_PRELOAD=/jdk/lib/libjsig.so");
        assertThat(AparapiDevices.signalChainingProblem("Mac OS X", without, "/jdk")).isNull();
        assertThat(AparapiDevices.signalChainingProblem("Linux", tmp.resolve("absent"), "/jdk")).isNull();
    }

    /**
     * The hazard and the cure: an LLVM-based driver (PoCL here: already when it lists its devices) takes SIGSEGV from
     * HotSpot in a JVM without libjsig, and leaves it with HotSpot when libjsig is preloaded.
     */
    @Test
    @Timeout(300)
    void anOpenClCompileLeavesHotSpotsSigsegvHandlerInPlaceOnlyWithLibjsig() throws Exception {
        Assumptions.assumeTrue(linux() && Files.exists(Path.of(jsig())), "skipped: no libjsig.so in this JDK");
        String arch = System.getProperty("os.arch");
        Assumptions.assumeTrue(arch.equals("amd64") || arch.equals("x86_64"),
                "skipped: the handler is read with x86-64's rt_sigaction layout");
        Result bare = child(null, "compile");
        assertThat(bare.exit()).as(bare.all()).isZero();
        Assumptions.assumeFalse(bare.out().contains("no-opencl"), "skipped: no OpenCL device here");
        assertThat(bare.out()).as(bare.all()).containsPattern("before=/.*/libjvm\\.so").contains("sigsegv=");
        System.out.println("without libjsig: " + bare.out().strip().replace('\n', ' '));
        Assumptions.assumeFalse(bare.out().matches("(?s).*listed=\\S*libjvm\\.so.*")
                        && bare.out().matches("(?s).*sigsegv=\\S*libjvm\\.so.*"),
                "skipped: this OpenCL driver leaves HotSpot's handlers alone, so there is nothing to chain here: "
                        + bare.out().strip());
        Result chained = child(jsig(), "compile");
        assertThat(chained.exit()).as(chained.all()).isZero();
        assertThat(chained.out()).as(chained.all()).containsPattern("before=/.*/libjvm\\.so")
                .containsPattern("listed=/.*/libjvm\\.so").containsPattern("sigsegv=/.*/libjvm\\.so");
    }

    @Test
    @Timeout(300)
    void withoutLibjsigTheAparapiEngineRefusesWithTheCureAndTheChainRunsOnCpuFixed() throws Exception {
        Assumptions.assumeTrue(linux(), "skipped: the libjsig check is for Linux");
        Result r = child(null, "engine");
        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(r.out()).as(r.all()).contains("active=cpu-fixed")
                .contains("aparapi=aparapi-fixed: this JVM runs without the JDK's libjsig.so")
                .contains("LD_PRELOAD=" + System.getProperty("java.home") + "/lib/libjsig.so");
        Result ok = child(jsig(), "engine");
        assertThat(ok.exit()).as(ok.all()).isZero();
        assertThat(ok.out()).as(ok.all()).contains("active=aparapi-fixed").contains("aparapi=ok");
    }
}
