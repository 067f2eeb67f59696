package io.reflex.tools;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code reflex} command line. */
@Command(name = "reflex",
        mixinStandardHelpOptions = true,
        versionProvider = VersionCommand.Provider.class,
        description = "Real-time closed-loop brain-computer-interface runtime.",
        subcommands = {DemoCommand.class, DaemonCommand.class, ConsoleCommand.class, EvalCommand.class, EnginesCommand.class,
            SourceCommand.class, TaskCommand.class, StreamsCommand.class, LslCommand.class, XclbinCommand.class,
            FitCommand.class, JournalCommand.class, ReplayCommand.class, ExportCommand.class, ImportCommand.class,
            RecordCommand.class, FpgaCommand.class,
            RigCommand.class, RigPeerCommand.class, TestCommand.class, VersionCommand.class, CountersCommand.class,
            CommandLine.HelpCommand.class})
public final class ReflexCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Builds the command line; tests use this to run commands in-process. */
    public static CommandLine commandLine() {
        return new CommandLine(new ReflexCli()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    public static void main(String[] args) {
        // Chronicle logs its start-up at INFO through slf4j-simple; keep the console for Reflex's own output.
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        System.exit(commandLine().execute(args));
    }
}
