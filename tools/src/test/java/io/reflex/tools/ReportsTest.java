package io.reflex.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.runtime.session.SessionReport;
import org.junit.jupiter.api.Test;

class ReportsTest {

    private static SessionReport report(long binWidthUs) {
        SessionReport r = new SessionReport();
        r.decoder = "kalman";
        r.channels = 96;
        r.binWidthUs = binWidthUs;
        r.deadlineUs = 5_000;
        r.topology = "fused";
        r.ending = "completed";
        return r;
    }

    @Test
    void theSummaryNamesTheBinWidthInMillisecondsWithoutTruncating() {
        assertThat(Reports.text(report(20_000))).contains("96 channels, 20 ms bins,");
        assertThat(Reports.text(report(500))).contains("96 channels, 0.5 ms bins,");
        assertThat(Reports.text(report(1_250))).contains("96 channels, 1.25 ms bins,");
        assertThat(Reports.json(report(500)).node().get("bin_width_us").asLong()).isEqualTo(500);
    }
}
