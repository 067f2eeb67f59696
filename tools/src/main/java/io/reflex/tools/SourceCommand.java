package io.reflex.tools;

import io.reflex.runtime.lsl.BroadbandLslPublisher;
import io.reflex.runtime.lsl.DrivenLslPublisher;
import io.reflex.lsl.LslBackend;
import io.reflex.lsl.LslConfig;
import io.reflex.lsl.StreamInfo;
import io.reflex.runtime.lsl.SplitLslPublisher;
import io.reflex.runtime.lsl.SyntheticLslPublisher;
import io.reflex.runtime.source.BroadbandGenerator;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code reflex source}: the synthetic center-out neural source (spike counts or broadband) as an LSL outlet. */
@Command(name = "source", mixinStandardHelpOptions = true,
        header = "Publish the synthetic neural source as an LSL outlet (use --loopback on shared machines).",
        description = {"Publish the synthetic center-out neural source (cosine-tuned Poisson spike counts) as an LSL"
                + " outlet in real time: CHANNELS spike-count channels plus px, py, vx, vy reference channels"
                + " (labelled in the stream's desc). Runs until --seconds pass or SIGTERM; prints a summary"
                + " (one JSON object with --json)."})
final class SourceCommand implements Callable<Integer> {

    @Option(names = "--name", defaultValue = "reflex-synthetic", description = "Stream name (default: ${DEFAULT-VALUE}).")
    String name;

    @Option(names = "--source-id", description = "Stream source_id (default: reflex-synthetic-<seed>).")
    String sourceId;

    @Option(names = "--channels", defaultValue = "96", description = "Neural channels (default: ${DEFAULT-VALUE}).")
    int channels;

    @Option(names = "--rate", paramLabel = "HZ",
            description = "Sample rate (default: 1000, or 30000 with --broadband).")
    Double rate;

    /** The sample rate in force. */
    double rateHz;

    @Option(names = "--broadband", description = "Publish synthetic broadband voltage instead of spike counts"
            + " (docs/frontend.md): the same cosine-tuned center-out units as spike waveforms in noise, line hum and"
            + " LFP, in µV, as type Broadband with px, py, vx, vy reference channels, pushed in chunks of"
            + " --chunk-samples samples. Ingest it with a config that has a frontend section.")
    boolean broadband;

    @Option(names = "--int16", paramLabel = "UV", arity = "0..1", fallbackValue = "0.25",
            description = "With --broadband: publish int16 counts of UV µV each (default 0.25 when given without a"
                    + " value; rounded, clamped to the int16 range, a non-finite value as 0), as an amplifier sends"
                    + " its raw samples, with the kinematics on a second stream (--kinematics-stream, default"
                    + " NAME-kinematics). Ingest it with frontend.inputScaleUv = UV and source.lsl.kinematics.")
    Double int16Uv;

    @Option(names = "--chunk-samples", paramLabel = "N", defaultValue = "30",
            description = "With --broadband: samples per pushed chunk (default: ${DEFAULT-VALUE}, 1 ms at 30 kHz).")
    int chunkSamples;

    @Option(names = "--spike-uv", paramLabel = "MIN,MAX", split = ",",
            description = "With --broadband: the units' trough amplitudes are drawn per channel from [MIN, MAX] µV"
                    + " (default 70,120: easy to detect; e.g. 20,40 for weak units).")
    double[] spikeUv;

    @Option(names = "--noise-uv", paramLabel = "UV",
            description = "With --broadband: white noise RMS in µV (default 10).")
    Double noiseUv;

    @Option(names = "--loop-seconds", paramLabel = "S",
            description = "With --broadband: generate S seconds of signal before publishing, then publish those chunks"
                    + " in a loop, stamped as they go out, so the source costs the LSL push alone (for throughput"
                    + " measurements on a machine where the generator would compete with the daemon for the CPU; the"
                    + " signal and kinematics repeat every S seconds). At most half the JVM's heap"
                    + " (REFLEX_JAVA_OPTS=-Xmx...).")
    Double loopSeconds;

    @Option(names = "--seed", defaultValue = "1", description = "Generator seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--seconds", defaultValue = "0", description = "Run time; 0 runs until stopped (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--json", description = "Print the summary as one JSON object on stdout.")
    boolean json;

    @Option(names = {"-q", "--quiet"}, description = "No start-up line on stderr.")
    boolean quiet;

    @Option(names = "--kinematics-stream", paramLabel = "NAME",
            description = "Publish as a lab does (docs/lab-setup.md): the neural stream with neural channels only, and"
                    + " the kinematics (px, py, vx, vy) as a second stream of this name and source_id, type"
                    + " Kinematics, every --kinematics-every samples.")
    String kinematicsStream;

    @Option(names = "--kinematics-every", paramLabel = "N", defaultValue = "10",
            description = "With --kinematics-stream: one kinematics sample per N neural samples (default:"
                    + " ${DEFAULT-VALUE}).")
    int kinematicsEvery;

    @Option(names = "--driven-by", paramLabel = "STREAM",
            description = "Closed-loop simulation (docs/lab-setup.md): publish only the neural channels, cosine-tuned"
                    + " to the velocity on the LSL stream of this name (channels labelled vx, vy; the intended"
                    + " velocity of 'reflex task') instead of the scripted reach; zero velocity until it is found.")
    String drivenBy;

    @Mixin
    LslOptions lsl = new LslOptions();

    @Override
    public Integer call() throws Exception {
        rateHz = rate != null ? rate : broadband ? 30_000 : 1_000;
        if (channels < 1 || channels > 65_536) {
            System.err.println("reflex source: --channels must be in [1, 65536], got " + channels);
            return 2;
        }
        if (!(rateHz > 0 && rateHz <= 100_000)) {
            System.err.println("reflex source: --rate must be in (0, 100000] Hz, got " + rateHz);
            return 2;
        }
        if (broadband && (rateHz < 1_000 || (kinematicsStream != null && int16Uv == null) || drivenBy != null)) {
            System.err.println("reflex source: --broadband needs --rate >= 1000 Hz and excludes --driven-by, and"
                    + " --kinematics-stream but with --int16 (float32 broadband carries the kinematics itself)");
            return 2;
        }
        if (int16Uv != null && (!broadband || !(int16Uv > 0 && int16Uv <= 1e6))) {
            System.err.println("reflex source: --int16 needs --broadband and a count size in (0, 1000000] µV, got "
                    + int16Uv + (broadband ? "" : " without --broadband"));
            return 2;
        }
        if (broadband && int16Uv == null && channels > 65_532) {
            System.err.println("reflex source: float32 --broadband carries px, py, vx, vy beside the voltage, so at most"
                    + " 65532 channels (LSL's limit is 65536); got " + channels + " (--int16 takes up to 65536)");
            return 2;
        }
        if ((spikeUv != null || noiseUv != null) && !broadband) {
            System.err.println("reflex source: --spike-uv and --noise-uv need --broadband");
            return 2;
        }
        if (spikeUv != null && (spikeUv.length != 2 || !(spikeUv[0] >= 0 && spikeUv[1] >= spikeUv[0]
                && spikeUv[1] <= 100_000))) {
            System.err.println("reflex source: --spike-uv needs MIN,MAX with 0 <= MIN <= MAX <= 100000 µV");
            return 2;
        }
        if (noiseUv != null && !(noiseUv >= 0 && noiseUv <= 10_000)) {
            System.err.println("reflex source: --noise-uv must be in [0, 10000] µV, got " + noiseUv);
            return 2;
        }
        if (loopSeconds != null && (!broadband || !(loopSeconds > 0 && loopSeconds <= 3_600))) {
            System.err.println("reflex source: --loop-seconds needs --broadband and a value in (0, 3600], got "
                    + loopSeconds + (broadband ? "" : " without --broadband"));
            return 2;
        }
        if (chunkSamples < 1 || chunkSamples > 100_000) {
            System.err.println("reflex source: --chunk-samples must be in [1, 100000], got " + chunkSamples);
            return 2;
        }
        if (!(seconds >= 0)) {
            System.err.println("reflex source: --seconds must be >= 0, got " + seconds);
            return 2;
        }
        if (kinematicsEvery < 1 || kinematicsEvery > 100_000) {
            System.err.println("reflex source: --kinematics-every must be in [1, 100000], got " + kinematicsEvery);
            return 2;
        }
        if (kinematicsStream != null && kinematicsStream.isBlank()) {
            System.err.println("reflex source: --kinematics-stream needs a stream name");
            return 2;
        }
        if (drivenBy != null && (drivenBy.isBlank() || kinematicsStream != null)) {
            System.err.println("reflex source: --driven-by needs a stream name and excludes --kinematics-stream");
            return 2;
        }
        LslConfig cfg;
        LslBackend backend;
        try {
            cfg = lsl.config();
            backend = lsl.backend(cfg);
        } catch (RuntimeException e) {
            System.err.println("reflex source: " + e.getMessage());
            return 2;
        }
        String sid = sourceId != null ? sourceId : "reflex-synthetic-" + seed;
        CountDownLatch done = new CountDownLatch(1);
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stopped.countDown();
            try {
                done.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "reflex-source-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        long t0 = System.nanoTime();
        if (broadband) {
            BroadbandGenerator.Context gc = new BroadbandGenerator.Context().channels(channels).sampleRateHz(rateHz)
                    .seed(seed);
            if (spikeUv != null) {
                gc.spikeUv(spikeUv[0], spikeUv[1]);
            }
            if (noiseUv != null) {
                gc.noiseUv(noiseUv);
            }
            BroadbandGenerator gen = new BroadbandGenerator(gc);
            String kinName = int16Uv == null ? null : kinematicsStream != null ? kinematicsStream
                    : name + "-kinematics";
            try (BroadbandLslPublisher pub = int16Uv == null
                    ? new BroadbandLslPublisher(backend, name, sid, gen, chunkSamples)
                    : BroadbandLslPublisher.int16(backend, name, sid, gen, chunkSamples, int16Uv, kinName,
                    kinematicsEvery)) {
                if (loopSeconds != null) {
                    try {
                        pub.loop(loopSeconds);
                    } catch (IllegalArgumentException e) {
                        System.err.println("reflex source: --loop-seconds: " + e.getMessage());
                        return 2;
                    }
                }
                StreamInfo info = pub.outlet().info();
                if (!quiet) {
                    System.err.println("reflex source: publishing '" + info.name() + "' (" + channels + " broadband"
                            + (int16Uv == null ? " channels in uV plus px,py,vx,vy"
                            : " channels as int16 counts of " + int16Uv + " uV") + " at " + rateHz + " Hz, chunks of "
                            + chunkSamples + " samples, source_id " + sid + ", uid " + info.uid() + ")"
                            + (kinName == null ? "" : " and '" + kinName + "' (px,py,vx,vy at "
                            + rateHz / kinematicsEvery + " Hz)")
                            + (loopSeconds == null ? "" : ", a loop of " + pub.loopChunks() + " chunks")
                            + ", " + lsl.mode() + ", backend " + backend.name());
                }
                pub.run(seconds, () -> stopped.getCount() == 0);
                double elapsed = (System.nanoTime() - t0) * 1e-9;
                if (json) {
                    System.out.println(Json.object().put("name", info.name()).put("source_id", sid)
                            .put("uid", info.uid()).put("type", "Broadband").put("channels", channels)
                            .put("rate_hz", rateHz).put("chunk_samples", chunkSamples)
                            .put("format", int16Uv == null ? "float32" : "int16").put("count_uv", int16Uv == null ? Double.NaN : int16Uv)
                            .put("kinematics_stream", kinName)
                            .put("samples", pub.published()).put("chunks", pub.chunks())
                            .put("true_spikes", gen.truthOffered())
                            .put("loop_chunks", pub.loopChunks())
                            .put("seconds", Math.round(elapsed * 1000) / 1000.0).put("backend", backend.name())
                            .put("network", lsl.mode()).toJson());
                } else {
                    System.out.printf("reflex source: %d samples of '%s' in %d chunks, %d true spikes, in %.1f s%n",
                            pub.published(), info.name(), pub.chunks(), gen.truthOffered(), elapsed);
                }
            } finally {
                done.countDown();
                if (stopped.getCount() != 0) {
                    Runtime.getRuntime().removeShutdownHook(hook);
                }
            }
            return 0;
        }
        if (drivenBy != null) {
            try (DrivenLslPublisher pub = new DrivenLslPublisher(backend, name, drivenBy, channels, rateHz, seed)) {
                if (!quiet) {
                    System.err.println("reflex source: publishing '" + name + "' (" + channels + " neural channels at "
                            + rateHz + " Hz, source_id " + name + ") driven by the vx, vy of '" + drivenBy + "', "
                            + lsl.mode() + ", backend " + backend.name());
                }
                pub.run(seconds, () -> stopped.getCount() == 0);
                double elapsed = (System.nanoTime() - t0) * 1e-9;
                if (pub.drivingError() != null) {
                    System.err.println("reflex source: --driven-by: " + pub.drivingError());
                    return 1;
                }
                if (json) {
                    System.out.println(Json.object().put("name", name).put("source_id", name)
                            .put("uid", pub.neural().info().uid()).put("channels", channels).put("rate_hz", rateHz)
                            .put("samples", pub.neuralPublished()).put("driven_by", drivenBy)
                            .put("driving_samples", pub.drivingSamples())
                            .put("seconds", Math.round(elapsed * 1000) / 1000.0).put("backend", backend.name())
                            .put("network", lsl.mode()).toJson());
                } else {
                    System.out.printf("reflex source: %d samples of '%s', driven by %d samples of '%s', in %.1f s%n",
                            pub.neuralPublished(), name, pub.drivingSamples(), drivenBy, elapsed);
                }
            } finally {
                done.countDown();
                if (stopped.getCount() != 0) {
                    Runtime.getRuntime().removeShutdownHook(hook);
                }
            }
            return 0;
        }
        if (kinematicsStream != null) {
            try (SplitLslPublisher pub = new SplitLslPublisher(backend, name, kinematicsStream, channels, rateHz,
                    kinematicsEvery, seed)) {
                if (!quiet) {
                    System.err.println("reflex source: publishing '" + name + "' (" + channels + " neural channels at "
                            + rateHz + " Hz, source_id " + name + ") and '" + kinematicsStream + "' (px,py,vx,vy at "
                            + rateHz / kinematicsEvery + " Hz), " + lsl.mode() + ", backend " + backend.name());
                }
                pub.run(seconds, () -> stopped.getCount() == 0);
                double elapsed = (System.nanoTime() - t0) * 1e-9;
                if (json) {
                    System.out.println(Json.object().put("name", name).put("source_id", name)
                            .put("uid", pub.neural().info().uid()).put("channels", channels).put("rate_hz", rateHz)
                            .put("samples", pub.neuralPublished()).put("kinematics_stream", kinematicsStream)
                            .put("kinematics_samples", pub.kinematicsPublished())
                            .put("seconds", Math.round(elapsed * 1000) / 1000.0).put("backend", backend.name())
                            .put("network", lsl.mode()).toJson());
                } else {
                    System.out.printf("reflex source: %d samples of '%s' and %d of '%s' in %.1f s%n",
                            pub.neuralPublished(), name, pub.kinematicsPublished(), kinematicsStream, elapsed);
                }
            } finally {
                done.countDown();
                if (stopped.getCount() != 0) {
                    Runtime.getRuntime().removeShutdownHook(hook);
                }
            }
            return 0;
        }
        try (SyntheticLslPublisher pub = new SyntheticLslPublisher(backend, name, sid, channels, rateHz, seed)) {
            StreamInfo info = pub.outlet().info();
            if (!quiet) {
                System.err.println("reflex source: publishing '" + info.name() + "' (" + info.channelCount()
                        + " channels incl. px,py,vx,vy at " + rateHz + " Hz, source_id " + sid + ", uid " + info.uid()
                        + ") on TCP " + info.v4dataPort() + ", " + lsl.mode() + ", backend " + backend.name());
            }
            pub.run(seconds, () -> stopped.getCount() == 0);
            double elapsed = (System.nanoTime() - t0) * 1e-9;
            if (json) {
                System.out.println(Json.object().put("name", info.name()).put("source_id", sid)
                        .put("uid", info.uid()).put("channels", channels).put("rate_hz", rateHz)
                        .put("samples", pub.published()).put("seconds", Math.round(elapsed * 1000) / 1000.0)
                        .put("backend", backend.name()).put("network", lsl.mode()).toJson());
            } else {
                System.out.printf("reflex source: %d samples of '%s' in %.1f s%n", pub.published(), info.name(),
                        elapsed);
            }
        } finally {
            done.countDown();
            if (stopped.getCount() != 0) {
                Runtime.getRuntime().removeShutdownHook(hook);
            }
        }
        return 0;
    }
}
