package io.reflex.lsl;

import static io.reflex.lsl.LslTestSupport.config;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.lsl.nativelsl.NativeLsl;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Without liblsl the binding reports why and the auto backend falls back to Java; nothing crashes. */
class NativeAbsentTest {

    @Test
    void missingLiblslIsReportedNotFatal() {
        Assumptions.assumeTrue(NativeLsl.unavailableReason() != null, "skipped: liblsl is installed");
        assertThat(NativeLsl.unavailableReason()).isNotBlank();
        assertThat(LslBackend.select("auto", config(), LslError.logging())).isInstanceOf(JavaLsl.class);
        assertThatThrownBy(() -> LslBackend.select("native", config(), LslError.logging()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("liblsl cannot be loaded");
    }
}
