package io.reflex.tools;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Option;

/** {@code reflex version}: the Reflex version, the JVM and the OS. */
@Command(name = "version", mixinStandardHelpOptions = true, description = "Print the Reflex version and the JVM in use.")
final class VersionCommand implements Callable<Integer> {

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    static String reflexVersion() {
        String v = VersionCommand.class.getPackage().getImplementationVersion();
        return v != null ? v : "0.1.0-SNAPSHOT";
    }

    @Override
    public Integer call() {
        if (json) {
            System.out.println(Json.object()
                    .put("reflex", reflexVersion())
                    .put("java", System.getProperty("java.version"))
                    .put("vm", System.getProperty("java.vm.name"))
                    .put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"))
                    .toJson());
        } else {
            System.out.println("reflex " + reflexVersion() + " (Java " + System.getProperty("java.version") + ", "
                    + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ")");
        }
        return 0;
    }

    /** Supplies {@code reflex --version}. */
    static final class Provider implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"reflex " + reflexVersion()};
        }
    }
}
