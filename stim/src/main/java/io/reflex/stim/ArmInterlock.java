package io.reflex.stim;

/** A condition that must hold before the controller may arm (e.g. a fresh watchdog). */
@FunctionalInterface
public interface ArmInterlock {
    /** Null when arming is allowed at {@code nowNs}, else the reason it is not. */
    String refusal(long nowNs);
}
