package io.reflex.runtime.pipeline;

import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.RingBuffer;
import io.reflex.decoders.CalibrationSet;
import io.reflex.decoders.TrainableDecoder;
import io.reflex.decoders.catalog.Decoders;
import io.reflex.decoders.synth.CenterOutSource;
import io.reflex.runtime.pipeline.SampleSource;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.Agent;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One frame through the pipeline (ingest of a 20-sample bin, spike-count binning, a fitted Kalman decode, emit)
 * against a bare Disruptor chain of the same hops (publish, then three chained pollers doing nothing), both driven
 * on the benchmark thread so that {@code -prof gc} sees every allocation. Run with {@code -prof gc}: both should
 * show ~0 B/op.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class PipelineBenchmark {

    @Param({"96"})
    int channels;

    private Pipeline pipeline;
    private Agent pipelineAgent;
    private ReplaySource source;

    private RingBuffer<long[]> bare;
    private EventPoller<long[]>[] bareStages;
    private final EventPoller.Handler<long[]> touch = (event, sequence, endOfBatch) -> {
        event[1] = event[0];
        return true;
    };
    private long counter;

    @Setup(Level.Trial)
    @SuppressWarnings({"unchecked", "rawtypes"})
    public void setUp() {
        CenterOutSource gen = new CenterOutSource(new CenterOutSource.Context().channels(channels).seed(3));
        int samplesPerBin = 20;
        CalibrationSet set = new CalibrationSet(1000, channels, 2);
        gen.fillVelocityCalibration(set, samplesPerBin);
        TrainableDecoder kalman = Decoders.create("kalman", channels, null);
        kalman.fit(set);
        source = new ReplaySource(gen, channels, 4096);
        pipeline = new Pipeline(new Pipeline.Context().source(source).channels(channels).binWidthUs(20_000)
                .ringSize(1024).deadlineUs(1_000_000).decoder(kalman).topology(Topology.SINGLE)
                .sink(new OutputSink() {
                    @Override
                    public String name() {
                        return "none";
                    }

                    @Override
                    public void emit(Frame frame) {
                        counter += frame.sequence;
                    }
                }));
        pipelineAgent = pipeline.startManual();

        bare = RingBuffer.createSingleProducer(() -> new long[2], 1024);
        bareStages = new EventPoller[3];
        EventPoller<long[]> prev = null;
        for (int i = 0; i < 3; i++) {
            bareStages[i] = prev == null ? bare.newPoller() : bare.newPoller(prev.getSequence());
            prev = bareStages[i];
        }
        bare.addGatingSequences(prev.getSequence());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pipeline.close();
    }

    /** One 20-sample bin of 96 channels from ingest to emit. */
    @Benchmark
    public long pipelineFrame() throws Exception {
        source.arm(20);
        pipelineAgent.doWork();
        return counter;
    }

    /** The same hops on a bare Disruptor ring: publish, then three chained pollers. */
    @Benchmark
    public long bareDisruptorChain() throws Exception {
        long seq = bare.next();
        bare.get(seq)[0] = seq;
        bare.publish(seq);
        for (EventPoller<long[]> p : bareStages) {
            p.poll(touch);
        }
        return seq;
    }

    /** Replays pre-generated center-out spike counts; each {@link #arm} makes that many samples available. */
    static final class ReplaySource implements SampleSource {
        private final int channels;
        private final float[] samples;
        private final int count;
        private int pos;
        private int armed;
        private double t;

        ReplaySource(CenterOutSource gen, int channels, int count) {
            this.channels = channels;
            this.count = count;
            this.samples = new float[count * channels];
            float[] s = new float[channels];
            double[] kin = new double[4];
            for (int i = 0; i < count; i++) {
                gen.nextSample(s, kin);
                System.arraycopy(s, 0, samples, i * channels, channels);
            }
        }

        void arm(int n) {
            armed += n;
        }

        @Override
        public String name() {
            return "replay";
        }

        @Override
        public int channels() {
            return channels;
        }

        @Override
        public double nominalRateHz() {
            return 1000;
        }

        @Override
        public int poll(io.reflex.runtime.pipeline.SampleBlock block) {
            int n = 0;
            while (armed > 0 && block.remaining() > 0) {
                block.append(samples, pos * channels, t, null);
                t += 0.001;
                pos = pos + 1 == count ? 0 : pos + 1;
                armed--;
                n++;
            }
            return n;
        }
    }
}
