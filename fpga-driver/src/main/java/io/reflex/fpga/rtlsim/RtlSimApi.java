package io.reflex.fpga.rtlsim;

/**
 * The rtlsim C ABI of one loaded {@code librtlsim_<kernel>.so} (hdl/tb/common/rtlsim.h), one method per C function
 * in the same order. Pointers are passed as native addresses ({@code long}) so that every call is allocation-free;
 * {@link RtlSimDevice} is the facade and the only user. Public only because each library is bound to its own copy of
 * {@link RtlSimNative} in its own class loader (JNA direct mapping binds one class to one library).
 */
public interface RtlSimApi {

    /** {@code rtlsim_create}: a new simulated card, or 0. */
    long create(String kernel, long memBytes, int seed, int stallPct);

    /** {@code rtlsim_destroy}. */
    void destroy(long sim);

    /** {@code rtlsim_kernel_name}. */
    String kernelName();

    /** {@code rtlsim_params}: the Verilog parameters the library was built with ({@code "NAME=VALUE ..."}). */
    String params();

    /** {@code rtlsim_write_reg}. */
    int writeReg(long sim, int offset, int value);

    /** {@code rtlsim_read_reg}: the value goes to the native address {@code valueAddr}. */
    int readReg(long sim, int offset, long valueAddr);

    /** {@code rtlsim_mem_write} from the native address {@code srcAddr}. */
    int memWrite(long sim, long addr, long srcAddr, long bytes);

    /** {@code rtlsim_mem_read} to the native address {@code dstAddr}. */
    int memRead(long sim, long addr, long dstAddr, long bytes);

    /** {@code rtlsim_run_until_done}. */
    int runUntilDone(long sim, long maxCycles);

    /** {@code rtlsim_cycles}. */
    long cycles(long sim);

    /** {@code rtlsim_total_cycles}. */
    long totalCycles(long sim);

    /** {@code rtlsim_error}: the address of a NUL-terminated string. */
    long error(long sim);
}
