package io.reflex.runtime.journal;

import io.reflex.runtime.pipeline.SampleBlock;
import io.reflex.runtime.pipeline.SampleSource;
import java.nio.file.Path;
import java.util.List;

/**
 * Replays the samples a journal recorded, with their original timestamps and reference values, as fast as the
 * pipeline takes them: feed it to a pipeline with the same bin width and the recorded frames come back one for one,
 * so a run can be re-decoded deterministically. Reads the journal on the ingest thread; meant for replay and
 * analysis, not for a live loop.
 */
public final class JournalSource implements SampleSource {
    private final Path dir;
    private final JournalReader reader;
    private final JournalRecord record = new JournalRecord();
    private final double nominalRateHz;
    private final List<String> referenceNames;
    private final int channels;
    private final double[] reference;
    private boolean hasRecord;
    private int next;

    /**
     * @param nominalRateHz  the recorded source's sample rate (the run's {@code source.sampleRateHz})
     * @param referenceNames names of the recorded reference values, e.g. {@code px, py, vx, vy}
     * @throws IllegalArgumentException when the journal holds no frame or its reference count differs
     */
    public JournalSource(Path dir, double nominalRateHz, List<String> referenceNames) {
        this.dir = dir;
        this.reader = new JournalReader(dir);
        this.nominalRateHz = nominalRateHz;
        this.referenceNames = List.copyOf(referenceNames);
        this.hasRecord = reader.next(record);
        if (!hasRecord) {
            reader.close();
            throw new IllegalArgumentException("journal " + dir + " holds no frame to replay");
        }
        if (record.referenceCount != referenceNames.size()) {
            reader.close();
            throw new IllegalArgumentException("journal " + dir + " records " + record.referenceCount
                    + " reference values per sample, but " + referenceNames.size() + " names were given");
        }
        this.channels = record.channels;
        this.reference = new double[Math.max(1, record.referenceCount)];
    }

    @Override
    public String name() {
        return "journal " + dir;
    }

    @Override
    public int channels() {
        return channels;
    }

    @Override
    public double nominalRateHz() {
        return nominalRateHz;
    }

    @Override
    public List<String> referenceNames() {
        return referenceNames;
    }

    @Override
    public int poll(SampleBlock block) {
        if (!hasRecord) {
            return END_OF_STREAM;
        }
        int n = 0;
        int refs = record.referenceCount;
        while (hasRecord && block.remaining() > 0) {
            for (int k = 0; k < refs; k++) {
                reference[k] = record.reference[next * refs + k];
            }
            block.append(record.samples, next * channels, record.sampleTimestampsS[next], reference);
            n++;
            if (++next == record.sampleCount) {
                next = 0;
                hasRecord = reader.next(record);
            }
        }
        return n;
    }

    @Override
    public void close() {
        reader.close();
    }
}
