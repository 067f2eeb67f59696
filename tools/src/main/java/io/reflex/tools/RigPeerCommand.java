package io.reflex.tools;

import io.reflex.tools.rig.RigPeers;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code reflex rig-peer source|relay}: the child processes of {@code reflex rig --path lsl} (hidden: the rig starts
 * them and talks to them on stdin and stdout; see {@link RigPeers}).
 */
@Command(name = "rig-peer", hidden = true, mixinStandardHelpOptions = true,
        description = "A child process of 'reflex rig --path lsl' (source or relay); started by the rig.")
final class RigPeerCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ROLE", description = "source or relay")
    String role;

    @Option(names = "--name", description = "source: the stream to publish") String name;
    @Option(names = "--channels", defaultValue = "96") int channels;
    @Option(names = "--rate", defaultValue = "1000") double rateHz;
    @Option(names = "--chunk", defaultValue = "1") int chunk;
    @Option(names = "--samples-per-bin", defaultValue = "20") int samplesPerBin;
    @Option(names = "--bins", defaultValue = "1") long bins;
    @Option(names = "--signal", defaultValue = "spikes") String signal;
    @Option(names = "--seed", defaultValue = "7") long seed;
    @Option(names = "--consumers", defaultValue = "2") int consumers;
    @Option(names = "--extra-samples", defaultValue = "0") int extraSamples;
    @Option(names = "--offset-samples", defaultValue = "0") int offsetSamples;
    @Option(names = "--from", description = "relay: the stream to read") String from;
    @Option(names = "--to", description = "relay: the stream to publish") String to;
    @Option(names = "--bin-us", defaultValue = "20000") long binUs;
    @Option(names = "--outputs", defaultValue = "2") int outputs;
    @Option(names = "--hot-idle", defaultValue = "backoff") String hotIdle;
    @Option(names = "--connect-timeout-s", defaultValue = "60") double connectTimeoutS;
    @Option(names = "--velocity", description = "source: also send vx, vy channels (a calibrating daemon)")
    boolean velocity;

    @Override
    public Integer call() {
        switch (role) {
            case "source": {
                RigPeers.SourceOptions o = new RigPeers.SourceOptions();
                o.name = name;
                o.channels = channels;
                o.rateHz = rateHz;
                o.chunk = chunk;
                o.samplesPerBin = samplesPerBin;
                o.bins = bins;
                o.signal = signal;
                o.seed = seed;
                o.consumers = consumers;
                o.extraSamples = extraSamples;
                o.velocity = velocity;
                o.connectTimeoutS = connectTimeoutS;
                return RigPeers.source(o, System.in, System.out, System.err);
            }
            case "relay": {
                RigPeers.RelayOptions o = new RigPeers.RelayOptions();
                o.from = from;
                o.to = to;
                o.samplesPerBin = samplesPerBin;
                o.binWidthUs = binUs;
                o.outputs = outputs;
                o.offsetSamples = offsetSamples;
                o.hotIdle = hotIdle;
                o.connectTimeoutS = connectTimeoutS;
                return RigPeers.relay(o, System.in, System.out, System.err);
            }
            default:
                System.err.println("reflex rig-peer: ROLE must be source or relay, was '" + role + "'");
                return 2;
        }
    }
}
