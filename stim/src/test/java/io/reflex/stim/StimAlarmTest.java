package io.reflex.stim;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What a stimulation error handler gets: the flag, the message, no stack, and any other throwable taken as fatal. */
class StimAlarmTest {
    @Test
    void carriesItsFlagAndMessageWithoutAStack() {
        StimAlarm warning = new StimAlarm(false, "arm refused: not calibrated");
        StimAlarm fault = new StimAlarm(true, "stimulation stopped, fault latched (watchdog): stall");
        assertThat(StimAlarm.isFatal(warning)).isFalse();
        assertThat(StimAlarm.isFatal(fault)).isTrue();
        assertThat(StimAlarm.isFatal(new IllegalArgumentException("unplanned"))).isTrue();
        assertThat(fault.getStackTrace()).isEmpty();
        assertThat(warning).hasToString("java.lang.IllegalStateException: arm refused: not calibrated");
    }
}
