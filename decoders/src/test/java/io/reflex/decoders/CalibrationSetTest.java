package io.reflex.decoders;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CalibrationSetTest {

    @Test
    void storesRowsInOrderUntilFull() {
        final CalibrationSet set = new CalibrationSet(2, 3, 2);
        assertThat(set.add(new float[] {1, 2, 3}, new float[] {0.5f, -0.5f})).isTrue();
        assertThat(set.add(new float[] {4, 5, 6}, new float[] {1.5f, -1.5f})).isTrue();
        assertThat(set.full()).isTrue();
        assertThat(set.add(new float[] {7, 8, 9}, new float[] {0, 0})).isFalse();
        assertThat(set.size()).isEqualTo(2);
        assertThat(set.rejectedFullCount()).isEqualTo(1);
        assertThat(set.feature(1, 2)).isEqualTo(6.0);
        assertThat(set.target(0, 1)).isEqualTo(-0.5);
        assertThat(set.channels()).isEqualTo(3);
        assertThat(set.outputs()).isEqualTo(2);
        assertThat(set.capacity()).isEqualTo(2);
    }

    @Test
    void refusesNonFiniteRowsAndCountsThem() {
        final CalibrationSet set = new CalibrationSet(4, 2, 1);
        assertThat(set.add(new float[] {Float.NaN, 1}, new float[] {0})).isFalse();
        assertThat(set.add(new float[] {1, Float.POSITIVE_INFINITY}, new float[] {0})).isFalse();
        assertThat(set.add(new float[] {1, 2}, new float[] {Float.NEGATIVE_INFINITY})).isFalse();
        assertThat(set.size()).isZero();
        assertThat(set.rejectedNonFiniteCount()).isEqualTo(3);
        assertThat(set.add(new float[] {1, 2}, new float[] {3})).isTrue();
        assertThat(set.feature(0, 1)).isEqualTo(2.0);
    }

    @Test
    void acceptsDoubleTargetsWithTheSameRules() {
        final CalibrationSet set = new CalibrationSet(2, 2, 2);
        assertThat(set.add(new float[] {1, 2}, new double[] {0.1, Double.NaN})).isFalse();
        assertThat(set.rejectedNonFiniteCount()).isEqualTo(1);
        assertThat(set.add(new float[] {1, 2}, new double[] {0.1, -0.2})).isTrue();
        assertThat(set.target(0, 0)).isEqualTo(0.1);
        assertThat(set.add(new float[] {1, 2}, new double[] {0.1, -0.2, 99})).isTrue();
        assertThat(set.add(new float[] {1, 2}, new double[] {0.1, -0.2})).isFalse();
        assertThat(set.rejectedFullCount()).isEqualTo(1);
        assertThatThrownBy(() -> set.add(new float[] {1, 2}, new double[] {0.1})).hasMessageContaining("row too short");
    }

    @Test
    void clearEmptiesAndResetsCounters() {
        final CalibrationSet set = new CalibrationSet(1, 1, 1);
        set.add(new float[] {1}, new float[] {1});
        set.add(new float[] {1}, new float[] {1});
        set.add(new float[] {Float.NaN}, new float[] {1});
        set.clear();
        assertThat(set.size()).isZero();
        assertThat(set.rejectedFullCount()).isZero();
        assertThat(set.rejectedNonFiniteCount()).isZero();
        assertThat(set.add(new float[] {2}, new float[] {3})).isTrue();
        assertThat(set.target(0, 0)).isEqualTo(3.0);
    }

    @Test
    void readsOnlyTheLeadingElementsOfLongerRows() {
        final CalibrationSet set = new CalibrationSet(1, 2, 1);
        assertThat(set.add(new float[] {1, 2, Float.NaN}, new float[] {3, Float.NaN})).isTrue();
        assertThat(set.feature(0, 1)).isEqualTo(2.0);
    }

    @Test
    void rejectsBadShapesWithClearMessages() {
        assertThatThrownBy(() -> new CalibrationSet(0, 1, 1)).hasMessageContaining("capacityBins must be >= 1");
        assertThatThrownBy(() -> new CalibrationSet(1, 0, 1)).hasMessageContaining("channels must be >= 1");
        assertThatThrownBy(() -> new CalibrationSet(1, 1, -1)).hasMessageContaining("outputs must be >= 1");
        final CalibrationSet set = new CalibrationSet(2, 3, 1);
        assertThatThrownBy(() -> set.add(new float[2], new float[1])).hasMessageContaining("row too short");
        assertThatThrownBy(() -> set.feature(0, 0)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Property(tries = 50)
    void everyFiniteRowIsStoredExactly(@ForAll @Size(min = 1, max = 20) List<@FloatRange(min = -1e6f, max = 1e6f) Float> values) {
        final int rows = values.size();
        final CalibrationSet set = new CalibrationSet(rows, 2, 1);
        for (int r = 0; r < rows; r++) {
            final float v = values.get(r);
            assertThat(set.add(new float[] {v, -v}, new float[] {v * 0.5f})).isTrue();
        }
        for (int r = 0; r < rows; r++) {
            assertThat(set.feature(r, 0)).isEqualTo((double) values.get(r));
            assertThat(set.feature(r, 1)).isEqualTo((double) -values.get(r));
            assertThat(set.target(r, 0)).isEqualTo((double) (values.get(r) * 0.5f));
        }
    }

    @Test
    void aTrialStartMarkGoesToTheNextStoredRow() {
        final CalibrationSet set = new CalibrationSet(4, 1, 1);
        set.markTrialStart();
        assertThat(set.add(new float[] {1}, new float[] {1})).isTrue();
        assertThat(set.add(new float[] {2}, new float[] {2})).isTrue();
        set.markTrialStart();
        assertThat(set.add(new float[] {Float.NaN}, new float[] {3})).as("refused: the mark waits").isFalse();
        assertThat(set.add(new float[] {3}, new float[] {3})).isTrue();
        assertThat(set.add(new float[] {4}, new double[] {4})).isTrue();
        assertThat(new boolean[] {set.startsTrial(0), set.startsTrial(1), set.startsTrial(2), set.startsTrial(3)})
                .containsExactly(true, false, true, false);
        set.markTrialStart();
        assertThat(set.add(new float[] {5}, new float[] {5})).as("full: the mark waits").isFalse();
        set.clear();
        assertThat(set.add(new float[] {6}, new float[] {6})).isTrue();
        assertThat(set.startsTrial(0)).as("clear forgets a pending mark").isFalse();
        assertThatThrownBy(() -> set.startsTrial(1)).isInstanceOf(IndexOutOfBoundsException.class);
    }
}
