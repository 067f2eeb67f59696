package io.reflex.runtime.journal;

/**
 * No part of Reflex phones home: Chronicle's announcer, usage-analytics ping and disk monitor are switched off.
 * The launcher, surefire and the JMH command pass the same system properties; this is the safety net for any other
 * JVM (an IDE run, an embedding application), applied before the first Chronicle class loads.
 */
final class ChronicleSettings {
    private ChronicleSettings() {
    }

    static void disablePhoneHome() {
        for (String key : new String[] {"chronicle.analytics.disable", "chronicle.announcer.disable",
                "chronicle.disk.monitor.disable"}) {
            if (System.getProperty(key) == null) {
                System.setProperty(key, "true");
            }
        }
    }
}
