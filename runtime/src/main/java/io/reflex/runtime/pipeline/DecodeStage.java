package io.reflex.runtime.pipeline;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.Decoder;
import io.reflex.decoders.engine.EngineDecoder;
import java.util.concurrent.atomic.AtomicReference;
import org.agrona.concurrent.NanoClock;

/**
 * Runs the decoder on the frame's features and enforces the deadline: a frame with bad input, a decode that
 * fails, or a decode that ends past the frame's deadline leaves with the decoder's safe output. A frame that starts a
 * trial ({@link Frame#FLAG_TRIAL_START}) resets the decoder's stream state first. A new decoder
 * (e.g. fitted after calibration) is handed over through {@link #install} and taken up by the decode thread at
 * the next frame, so only that thread ever touches the decoder.
 */
final class DecodeStage implements FrameHandler {
    private final NanoClock clock;
    private final PipelineCounters counters;
    private final int channels;
    private final int outputCount;
    private final AtomicReference<Decoder> pending = new AtomicReference<>();
    private Decoder decoder;
    /** The decoder again when it runs on an engine chain (LFADS, SNN), to record which engine served each frame. */
    private EngineDecoder engineDecoder;
    private int generation;
    private volatile int installedGeneration;

    DecodeStage(NanoClock clock, PipelineCounters counters, int channels, int outputCount, Decoder initial) {
        this.clock = clock;
        this.counters = counters;
        this.channels = channels;
        this.outputCount = outputCount;
        if (initial != null) {
            check(initial);
            decoder = initial;
            engineDecoder = initial instanceof EngineDecoder ed ? ed : null;
            generation = 1;
            installedGeneration = 1;
        }
    }

    private void check(Decoder d) {
        if (d.inputCount() != channels || d.outputCount() != outputCount) {
            throw new IllegalArgumentException("decoder '" + d.name() + "' maps " + d.inputCount() + " inputs to "
                    + d.outputCount() + " outputs, but the pipeline has " + channels + " decoder inputs (channels,"
                    + " or the front end's features) and " + outputCount + " outputs");
        }
    }

    /** Queues {@code next} to replace the decoder at the next frame; callable from any thread. */
    void install(Decoder next) {
        check(next);
        pending.set(next);
    }

    /** Takes {@code next} back when it is still waiting to be taken up; callable from any thread. */
    boolean withdraw(Decoder next) {
        return pending.compareAndSet(next, null);
    }

    /** Number of decoders the decode thread has taken up so far. */
    int installedGeneration() {
        return installedGeneration;
    }

    // The common path (a decoder, valid input, in time, OK) is kept small and the rare ones are in methods of their
    // own, so that the JIT can inline this method into the fused loop (HotSpot inlines hot methods up to 325 bytes of
    // bytecode).
    @Override
    public void onFrame(Frame frame) {
        if (pending.get() != null) {
            takeUpPending();
        }
        frame.decoderGeneration = generation;
        if (decoder == null) {
            noDecoder(frame);
            return;
        }
        if ((frame.flags & Frame.FLAG_TRIAL_START) != 0) {
            // A new trial: the stream state of a recurrent decoder (LFADS, SNN) starts again, as it did in training.
            decoder.reset();
        }
        decoder.safeOutput(frame.safeOutput);
        if ((frame.flags & Frame.FLAG_INVALID_INPUT) != 0) {
            useSafe(frame);
            frame.decodeStatus = DecodeStatus.INVALID_INPUT;
            return;
        }
        if (clock.nanoTime() > frame.deadlineNs) {
            missDeadline(frame);
            frame.decodeStatus = Frame.DECODE_SKIPPED;
            return;
        }
        int status = decode(frame);
        frame.decodeStatus = status;
        if (engineDecoder != null) {
            frame.engine = engineDecoder.lastEngineIndex();
            frame.engineCycles = engineDecoder.lastCallCycles();
        }
        if (status != DecodeStatus.OK) {
            notOk(frame, status);
            return;
        }
        System.arraycopy(frame.output, 0, frame.decoded, 0, frame.output.length);
        if (clock.nanoTime() > frame.deadlineNs) {
            missDeadline(frame);
        }
    }

    private void takeUpPending() {
        Decoder next = pending.getAndSet(null);
        if (next == null) {
            // withdrawn between the check and here
            return;
        }
        decoder = next;
        engineDecoder = decoder instanceof EngineDecoder ed ? ed : null;
        decoder.reset();
        generation++;
        installedGeneration = generation;
    }

    private static void noDecoder(Frame frame) {
        zero(frame.safeOutput);
        zero(frame.output);
        frame.decodeStatus = DecodeStatus.NOT_READY;
        frame.flags |= Frame.FLAG_SAFE_OUTPUT;
    }

    private int decode(Frame frame) {
        try {
            return decoder.decode(frame.features, frame.output);
        } catch (RuntimeException e) {
            // Decoders report faults by return code; one that throws anyway may have half-written the output, and
            // the frame still reads as OK (cleared status): it must leave with the safe output. The stage agent
            // reports the exception itself.
            frame.decodeStatus = DecodeStatus.ENGINE_FAULT;
            counters.decodeFaults.increment();
            useSafe(frame);
            throw e;
        }
    }

    private void notOk(Frame frame, int status) {
        if (status != DecodeStatus.NOT_READY) {
            counters.decodeFaults.increment();
        }
        useSafe(frame);
    }

    private void missDeadline(Frame frame) {
        counters.decodeDeadlineMisses.increment();
        frame.flags |= Frame.FLAG_DEADLINE_MISS;
        useSafe(frame);
    }

    private static void useSafe(Frame frame) {
        System.arraycopy(frame.safeOutput, 0, frame.output, 0, frame.output.length);
        frame.flags |= Frame.FLAG_SAFE_OUTPUT;
    }

    private static void zero(float[] a) {
        for (int i = 0; i < a.length; i++) {
            a[i] = 0f;
        }
    }
}
