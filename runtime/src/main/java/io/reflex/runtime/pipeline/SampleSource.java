package io.reflex.runtime.pipeline;

import io.reflex.runtime.pipeline.SampleBlock;
import java.util.List;

/**
 * Where samples come from: an LSL inlet, a synthetic generator, a file. The ingest agent calls {@link #poll}
 * from its own thread, never concurrently; {@code poll} must not block or allocate in steady state.
 *
 * <p>The pipeline refuses at start a source whose {@link #channels()} differ from the configured channel count.
 */
public interface SampleSource extends AutoCloseable {

    /** Returned by {@link #poll} when the stream has ended and no more samples will come. */
    int END_OF_STREAM = -1;

    /**
     * The reference that marks trials: non-zero in the first sample of a trial, 0 elsewhere. A source that carries
     * it makes the pipeline reset the decoder's stream state at each trial start ({@code Frame.FLAG_TRIAL_START}).
     */
    String TRIAL_START = "trial_start";

    /** A short description for reports and error messages, e.g. {@code "synthetic center-out"}. */
    String name();

    /** Values per sample. */
    int channels();

    /** Nominal sample rate in Hz (the LSL {@code nominal_srate}); must be positive for binning. */
    double nominalRateHz();

    /**
     * Names of the reference values each sample carries (e.g. the true kinematics {@code px, py, vx, vy} of a
     * synthetic source, or a task's cursor kinematics), empty if none. Calibration and scoring find the velocity
     * by the names {@code vx} and {@code vy}.
     */
    default List<String> referenceNames() {
        return List.of();
    }

    /** Reference values per sample: {@code referenceNames().size()}. */
    default int referenceCount() {
        return referenceNames().size();
    }

    /**
     * Appends to {@code block} the samples that are available now, at most {@code block.remaining()}, each with
     * its acquisition timestamp on the LSL clock (CLOCK_MONOTONIC seconds).
     *
     * @return samples appended (0 if none are ready), or {@link #END_OF_STREAM}
     */
    int poll(SampleBlock block);

    /** Releases the source's resources. */
    @Override
    default void close() {
    }
}
