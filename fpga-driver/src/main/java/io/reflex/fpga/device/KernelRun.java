package io.reflex.fpga.device;

/**
 * One prepared invocation of a kernel: arguments are set once at set-up ({@link #arg}), then {@link #start} and
 * {@link #await} run it as often as needed. A host program keeps one run per argument set it uses per bin (e.g. one
 * for "run one bin", one for "reset and run one bin"), so that the per-bin path only starts and waits.
 */
public interface KernelRun extends AutoCloseable {

    /** Sets a buffer argument (its device address). Set-up time; may throw {@link DeviceException}. */
    KernelRun arg(int argIndex, DeviceBuffer buffer);

    /** Sets a 32-bit scalar argument. Set-up time; may throw {@link DeviceException}. */
    KernelRun arg(int argIndex, int value);

    /** Starts the kernel with this run's arguments; {@link KernelDevice#OK} or {@link KernelDevice#ERROR}. */
    int start();

    /**
     * Waits for the run started last.
     *
     * @return {@link KernelDevice#OK} when it completed, {@link KernelDevice#TIMEOUT} when it did not complete in
     *         {@code timeoutMs}, {@link KernelDevice#ERROR} when the device reported an error
     */
    int await(long timeoutMs);

    /** Releases the run. Never throws. */
    @Override
    void close();
}
