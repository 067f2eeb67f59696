package io.reflex.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.aparapi.Kernel;
import com.aparapi.device.Device;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A kernel Aparapi cannot translate to OpenCL is refused on OpenCL, never run elsewhere silently. */
class KernelLauncherTest {

    /** Reads a List: Aparapi cannot translate object fields to OpenCL; Java runs it fine. */
    static final class Untranslatable extends Kernel {
        final List<Integer> list = new ArrayList<>(List.of(7));
        final int[] out = new int[4];

        @Override
        public void run() {
            out[getGlobalId()] = list.size();
        }
    }

    /** A translatable kernel. */
    static final class Doubler extends Kernel {
        final int[] out = new int[16];

        @Override
        public void run() {
            int i = getGlobalId();
            out[i] = 2 * i + getPassId();
        }
    }

    /** Counts each work item below {@code n}. */
    static final class Counter extends Kernel {
        final int[] hits = new int[256];
        int n;

        @Override
        public void run() {
            int i = getGlobalId();
            if (i < n) {
                hits[i] = hits[i] + 1;
            }
        }
    }

    @Test
    @Timeout(120)
    void everyWorkItemRunsExactlyOnceOnTheThreadPoolForEverySize() {
        // Range.create(JTP, 5) ran 4 items: the local size did not divide the global size (AparapiLfads found it)
        for (int n = 1; n <= 200; n++) {
            Counter k = new Counter();
            k.n = n;
            try (KernelLauncher l = KernelLauncher.open(k, AparapiDevices.threadPool(), n)) {
                assertThat(l.launch(2)).isEqualTo(KernelLauncher.OK);
            }
            for (int i = 0; i < 256; i++) {
                assertThat(k.hits[i]).as("n %d item %d", n, i).isEqualTo(i < n ? 2 : 0);
            }
        }
    }

    @Test
    @Timeout(120)
    void untranslatableKernelIsRefusedOnOpenClWithAparapisReason() {
        Device d = AparapiSnnBitExactTest.openClOrSkip();
        assertThatThrownBy(() -> KernelLauncher.open(new Untranslatable(), d, 4))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot translate Untranslatable to OpenCL");
    }

    @Test
    @Timeout(120)
    void aparapisFallbackAtLaunchIsCaughtAndReportedNotSilent() {
        Device d = AparapiSnnBitExactTest.openClOrSkip();
        Untranslatable k = new Untranslatable();
        try (KernelLauncher l = KernelLauncher.open(k, d, 4, false)) {
            // Aparapi either runs it elsewhere (caught after the launch) or, with only the OpenCL device allowed,
            // fails its own device check (caught as the launch's failure): never OK, always with the reason
            assertThat(l.launch(1)).isIn(KernelLauncher.FELL_BACK, KernelLauncher.FAILED);
            assertThat(l.fault()).containsAnyOf("does not change device silently", "Aparapi launch failed on OpenCL");
            assertThat(l.launch(1)).as("a failed launcher stays failed").isEqualTo(KernelLauncher.FAILED);
        }
    }

    @Test
    @Timeout(120)
    void theSameKernelRunsOnTheThreadPoolWhenThatIsTheChoice() {
        Untranslatable k = new Untranslatable();
        try (KernelLauncher l = KernelLauncher.open(k, AparapiDevices.threadPool(), 4)) {
            assertThat(l.launch(1)).isEqualTo(KernelLauncher.OK);
            assertThat(l.mode()).isEqualTo("jtp");
            assertThat(k.out).containsExactly(1, 1, 1, 1);
        }
    }

    @Test
    @Timeout(120)
    void translatableKernelRunsOnOpenClAndLaunchesAreCheckedForFallback() {
        Device d = AparapiSnnBitExactTest.openClOrSkip();
        Doubler k = new Doubler();
        try (KernelLauncher l = KernelLauncher.open(k, d, 16)) {
            assertThat(l.launch(3)).isEqualTo(KernelLauncher.OK);
            assertThat(l.mode()).isEqualTo("opencl");
            assertThat(k.isRunningCL()).isTrue();
            assertThat(k.out[5]).isEqualTo(12);   // last pass id 2
            assertThat(l.fault()).isNull();
        }
    }
}
