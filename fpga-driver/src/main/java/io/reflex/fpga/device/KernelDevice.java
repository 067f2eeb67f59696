package io.reflex.fpga.device;

import io.reflex.fpga.abi.KernelAbi;

/**
 * One compute unit of a Reflex kernel as a host program drives it: on a card through XRT ({@code XrtDevice}) or in
 * the verilated RTL ({@code RtlSimDevice}). The kernel host programs are written once against this interface, so
 * the code that runs a U55C is the code the RTL tests run.
 *
 * <p>Set-up calls ({@link #alloc}, {@link #newRun}, {@link KernelRun#arg}) may allocate and throw
 * {@link DeviceException}; the per-invocation calls ({@link DeviceBuffer#write}, {@link DeviceBuffer#sync},
 * {@link KernelRun#start}, {@link KernelRun#await}, {@link #readRegister(int, int[])}) allocate nothing and report failures by
 * return code. A device is owned by one thread. {@link #close} never throws.
 */
public interface KernelDevice extends AutoCloseable {

    /** Return code: the call succeeded. */
    int OK = 0;
    /** Return code: the run did not finish within its timeout. */
    int TIMEOUT = -2;
    /** Return code: the device or library reported an error (the reason is in {@link #lastError()}). */
    int ERROR = -1;

    /** What this device is, for reports, e.g. {@code "rtl-sim librtlsim_lfads_kernel.so"} or {@code "xrt 0000:c1:00.1"}. */
    String description();

    /** The kernel's ABI (argument indices, register offsets, memory bundles). */
    KernelAbi abi();

    /**
     * A buffer in the memory bank that argument {@code argIndex} is connected to.
     *
     * @throws DeviceException when the size is out of range or the device refuses
     */
    DeviceBuffer alloc(int argIndex, long bytes);

    /** A run of the kernel whose arguments are set once ({@link KernelRun#arg}) and started many times. */
    KernelRun newRun();

    /**
     * Reads a 32-bit register of the kernel's control port (e.g. the status word) into {@code value[0]}.
     *
     * @return {@link #OK}, or {@link #ERROR} when the read failed ({@link #lastError()} says why)
     */
    int readRegister(int offset, int[] value);

    /**
     * Whether the outputs of a run are the kernel's results. False for a device that runs the host flow without
     * computing anything (XRT's noop shim: runs complete at once and leave the output buffers as they were), whose
     * outputs an engine must never use as results.
     */
    default boolean computesResults() {
        return true;
    }

    /** Device clock cycles of the last completed run, or -1 when the device cannot tell. */
    long lastRunCycles();

    /** The reason of the last failed call, or {@code ""}. */
    String lastError();

    /** Releases every buffer, run and handle. Never throws. */
    @Override
    void close();
}
