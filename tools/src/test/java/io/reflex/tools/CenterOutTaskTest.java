package io.reflex.tools;

import static io.reflex.tools.CliRunner.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rules of {@code reflex task}, driven frame by frame with a fake clock. */
class CenterOutTaskTest {
    private static final double DT = 0.01;

    private final List<String> marks = new ArrayList<>();

    private CenterOutTask task() {
        return new CenterOutTask(new CenterOutTask.Context(), (text, t) -> marks.add(text), 0);
    }

    @Test
    void whileCalibratingTheCursorFollowsTheIntentAndReachesEveryTarget() {
        CenterOutTask task = task();
        for (int i = 1; i <= 2000; i++) {
            task.step(i * DT, DT);
        }
        assertThat(task.calibrationTrials()).isGreaterThan(8);
        assertThat(task.trials()).as("no trials count under decoder control yet").isZero();
        assertThat(marks.get(0)).isEqualTo("block_start calibration");
        assertThat(marks).contains("trial_start 1").noneMatch(m -> m.startsWith("target_timeout"));
        assertThat(marks.stream().filter(m -> m.startsWith("target_on")).map(m -> m.split(" ")[1]).limit(8).distinct())
                .as("a block visits each of the 8 targets once").hasSize(8);
    }

    @Test
    void underDecoderControlOnlyTheDecodedVelocityMovesTheCursor() {
        CenterOutTask task = task();
        double t = 0;
        for (int i = 0; i < 60; i++) {
            task.step(t += DT, DT);
        }
        assertThat(marks).contains("trial_start 1").doesNotContain("trial_start 2");
        task.startDecoderControl(t);
        assertThat(marks).contains("trial_aborted 1", "block_end calibration", "block_start decoder");
        // a decoder that outputs nothing: the intent points at the target, but the cursor stays put
        for (int i = 0; i < 1200; i++) {
            task.step(t += DT, DT);
            task.applyDecoded(0, 0, DT);
        }
        assertThat(task.cursorX()).isZero();
        assertThat(Math.hypot(task.intentX(), task.intentY())).isPositive();
        assertThat(task.trials()).isEqualTo(2);
        assertThat(task.timeouts()).isEqualTo(2);
        assertThat(task.successes()).isZero();
        // a decoder that outputs the intent: every trial succeeds
        for (int i = 0; i < 2000; i++) {
            task.step(t += DT, DT);
            task.applyDecoded(task.intentX(), task.intentY(), DT);
        }
        assertThat(task.successes()).isGreaterThan(8);
        assertThat(task.trials()).isEqualTo(task.successes() + task.timeouts());
        assertThat(task.pathM()).isPositive();
        double median = CenterOutTask.quantile(task.timesToTargetS(), 0.5);
        assertThat(median).isBetween(0.2, 1.0);
        assertThat(CenterOutTask.quantile(task.timesToTargetS(), 0.9)).isGreaterThanOrEqualTo(median);
        task.finish(t);
        assertThat(marks.get(marks.size() - 1)).isEqualTo("block_end decoder");
    }

    @Test
    void badOptionsAreRefusedNamingTheOption() {
        assertThatThrownBy(() -> {
            CenterOutTask.Context c = new CenterOutTask.Context();
            c.windowM = 0.5;
            c.conclude();
        }).hasMessageContaining("--window-m");
        Object[] r = run("task", "--loopback", "--targets", "0");
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("--targets must be in [1, 360]");
        r = run("task", "--loopback", "--rate", "0");
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("--rate");
        // no daemon: the task runs its calibration block alone and says so
        r = run("task", "--loopback", "--seconds", "1.5", "--kinematics-stream", "k-" + System.nanoTime(),
                "--markers-stream", "m-" + System.nanoTime(), "--decoded-stream", "none-" + System.nanoTime());
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        assertThat((String) r[1]).contains("completed after").contains("decoder control never began")
                .contains("0 under decoder control").contains("0 samples received").doesNotContain("NaN");
        r = run("source", "--loopback", "--driven-by", "k", "--kinematics-stream", "k2");
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("--driven-by");
    }

    @Test
    void quantilesAreNearestRank() {
        assertThat(CenterOutTask.quantile(new double[] {3, 1, 2, 4}, 0.5)).isEqualTo(2);
        assertThat(CenterOutTask.quantile(new double[] {3, 1, 2, 4}, 0.9)).isEqualTo(4);
        assertThat(CenterOutTask.quantile(new double[0], 0.5)).isNaN();
    }
}
