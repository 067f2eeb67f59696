package io.reflex.tools;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The command line of the CLI in a child JVM, as the process tests start the daemon, the task or a source. */
public final class CliProcess {
    private CliProcess() {
    }

    /**
     * {@code java <this JVM's module and Chronicle flags> <jvmArgs> -cp <this class path> ReflexCli <args>}: the same
     * flags as the test JVM (the surefire argLine: Chronicle's add-opens, analytics off), so the child behaves as
     * {@code ./reflex} would.
     */
    public static List<String> command(List<String> jvmArgs, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-") || a.startsWith("--enable-native") || a.startsWith("--sun-misc")
                    || a.startsWith("-Dchronicle")) {
                cmd.add(a);
            }
        }
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(ReflexCli.class.getName());
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** {@link #command(List, String...)} without extra JVM arguments. */
    public static List<String> command(String... args) {
        return command(List.of(), args);
    }
}
