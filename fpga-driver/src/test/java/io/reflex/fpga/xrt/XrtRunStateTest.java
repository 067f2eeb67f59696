package io.reflex.fpga.xrt;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.fpga.device.KernelDevice;
import org.junit.jupiter.api.Test;

/**
 * The timeout path of {@link XrtRun#await}: what each ERT command state returned by {@code xrtRunWaitFor} becomes.
 * Under XRT's noop shim a started run is complete before {@code xrtRunStart} returns, so no real timeout can be
 * provoked there (see fpga-driver/README.md); the code after the wait is driven here with the states a card returns,
 * the wait itself runs against libxrt in XrtHostFlowTest.
 */
class XrtRunStateTest {

    @Test
    void waitStatesMapToDeviceCodes() {
        assertThat(XrtRun.codeOf(XrtRunHandle.STATE_COMPLETED)).isEqualTo(KernelDevice.OK);
        // xrtRunWaitFor returns the current state when the time runs out
        for (int s : new int[] {XrtRunHandle.STATE_NEW, XrtRunHandle.STATE_QUEUED, XrtRunHandle.STATE_RUNNING,
            XrtRunHandle.STATE_SUBMITTED}) {
            assertThat(XrtRun.codeOf(s)).as(XrtRunHandle.stateName(s)).isEqualTo(KernelDevice.TIMEOUT);
        }
        // the driver gave up on a compute unit that stopped answering
        assertThat(XrtRun.codeOf(XrtRunHandle.STATE_TIMEOUT)).isEqualTo(KernelDevice.TIMEOUT);
        assertThat(XrtRun.codeOf(XrtRunHandle.STATE_NORESPONSE)).isEqualTo(KernelDevice.TIMEOUT);
        for (int s : new int[] {XrtRunHandle.STATE_ERROR, XrtRunHandle.STATE_ABORT, 10, 11, 0, -1, 99}) {
            assertThat(XrtRun.codeOf(s)).as(XrtRunHandle.stateName(s)).isEqualTo(KernelDevice.ERROR);
        }
        assertThat(XrtRunHandle.stateName(8)).isEqualTo("TIMEOUT");
        assertThat(XrtRunHandle.stateName(42)).isEqualTo("42");
    }

    @Test
    void aRunStillInFlightTimesOutStaysAwaitableAndCannotBeRestarted() {
        DeviceError errors = new DeviceError();
        XrtRun run = new XrtRun(null, errors, null);
        run.started = true;
        assertThat(run.onWaitResult(XrtRunHandle.STATE_RUNNING, 50)).isEqualTo(KernelDevice.TIMEOUT);
        assertThat(errors.message()).isEqualTo("await: the run did not complete within 50 ms (ERT state 3)");
        assertThat(run.started).as("still in flight").isTrue();
        assertThat(run.start()).as("no second start over a running one").isEqualTo(KernelDevice.ERROR);
        assertThat(errors.message()).contains("still in flight");
        // a later wait collects it
        assertThat(run.onWaitResult(XrtRunHandle.STATE_COMPLETED, 50)).isEqualTo(KernelDevice.OK);
        assertThat(run.started).isFalse();
        assertThat(run.await(50)).as("nothing to wait for").isEqualTo(KernelDevice.ERROR);
        assertThat(errors.message()).isEqualTo("await: the run was not started");
    }

    @Test
    void aComputeUnitThatStopsAnsweringEndsTheRun() {
        DeviceError errors = new DeviceError();
        XrtRun run = new XrtRun(null, errors, null);
        run.started = true;
        assertThat(run.onWaitResult(XrtRunHandle.STATE_NORESPONSE, 20)).isEqualTo(KernelDevice.TIMEOUT);
        assertThat(errors.message()).contains("stopped answering", "ERT state 9");
        assertThat(run.started).isFalse();
        run.started = true;
        assertThat(run.onWaitResult(XrtRunHandle.STATE_ABORT, 20)).isEqualTo(KernelDevice.ERROR);
        assertThat(errors.message()).contains("ERT state 6");
        run.started = true;
        assertThat(run.await(0)).isEqualTo(KernelDevice.ERROR);
        assertThat(errors.message()).contains("below 1 ms");
    }
}
