package io.reflex.stim;

/**
 * Where accepted stimulation commands go: a stimulator (e.g. {@link io.reflex.stim.driver.TcpStimulatorDriver}) or
 * a sink that mirrors commands (UDP, file, LSL). Only the {@link StimController} calls {@link #send}: commands
 * reaching a driver have passed the envelope and have been journaled.
 *
 * <p>All methods except {@link #abort()} are called by the controller's owning thread. Hot-path methods return
 * {@link #OK} or a negative code and never throw.
 */
public interface StimulatorDriver extends AutoCloseable {
    /** Success. */
    int OK = 0;
    /** The link to the stimulator is down. */
    int DISCONNECTED = -1;
    /** An I/O error occurred while sending. */
    int IO_ERROR = -2;
    /** The link could not take the frame in time. */
    int BACKPRESSURE = -3;
    /** The driver was aborted. */
    int ABORTED = -4;

    /** Short name for reports. */
    String name();

    /** Delivers one accepted command. */
    int send(long sequence, StimCommand command);

    /** Asks the stimulator to stop all trains at once (sent on disarm and on every fault). */
    int stopAll(long sequence);

    /** Polls the link (acknowledgements, heartbeats, timeouts); returns the amount of work done. */
    int doWork(long nowNs);

    /** True while commands can be delivered. */
    boolean isConnected();

    /**
     * Cuts stimulation off as fast as possible. Thread-safe and idempotent: the watchdog and e-stop call it from
     * their own threads when the owning thread may be stuck. Stimulators treat the lost link as a stop.
     */
    void abort();

    /** The latest alarm (why the link is down or what the stimulator reported), or null. */
    String alarm();

    /** Releases the link. */
    @Override
    void close();
}
