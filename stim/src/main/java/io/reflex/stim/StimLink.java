package io.reflex.stim;

/**
 * The connection side of a stimulator driver whose link is opened off the owning thread: the owner asks for a
 * connection and then only asks whether it is up, so that a slow or hostile stimulator can never stall the closed
 * loop. Implemented by {@link io.reflex.stim.driver.TcpStimulatorDriver}.
 */
public interface StimLink {
    /** No connection and none being opened (initially, and after a dropped link). */
    int LINK_DOWN = 0;
    /** A connection is being opened (or is waiting for the owner to take it up). */
    int LINK_CONNECTING = 1;
    /** The session is up: commands can be delivered. */
    int LINK_UP = 2;
    /** The last attempt failed; {@link #alarm()} says why. */
    int LINK_FAILED = 3;

    /** Starts opening a connection, bounded by the link's own deadline; returns at once. Any thread. */
    boolean requestConnect();

    /** One of the {@code LINK_*} states. Any thread. */
    int linkState();

    /** Attempts that failed so far. */
    long connectFailures();

    /** Why the link is down or the last attempt failed, or null. */
    String alarm();
}
