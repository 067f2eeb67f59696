package io.reflex.tools;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code reflex test}: the whole test suite through {@code tools/scripts/reflex-test.sh}. The launcher runs that
 * script directly (it must work before anything is built); this command does the same from the jar.
 */
@Command(name = "test", mixinStandardHelpOptions = true,
        header = "Run the whole test suite (mvn -B verify).",
        description = {"Run the whole test suite: installs the Debian packages it needs when run as root (or prints"
                + " the command), then 'mvn -B verify'. Extra arguments go to Maven, e.g. -pl runtime -am."})
final class TestCommand implements Callable<Integer> {

    @Parameters(paramLabel = "MAVEN_ARGS", arity = "0..*", description = "Passed to Maven.")
    List<String> mavenArgs = new ArrayList<>();

    /** The repository root: -Dreflex.home (set by ./reflex), else the working directory. */
    static Path home() {
        String h = System.getProperty("reflex.home");
        return Path.of(h != null ? h : System.getProperty("user.dir")).toAbsolutePath();
    }

    @Override
    public Integer call() throws Exception {
        Path script = home().resolve("tools/scripts/reflex-test.sh");
        if (!Files.isRegularFile(script)) {
            System.err.println("reflex test: " + script + " not found; run from the repository root or via ./reflex");
            return 2;
        }
        List<String> cmd = new ArrayList<>(List.of("bash", script.toString()));
        cmd.addAll(mavenArgs);
        Process p = new ProcessBuilder(cmd).directory(new File(home().toString())).inheritIO().start();
        return p.waitFor();
    }
}
