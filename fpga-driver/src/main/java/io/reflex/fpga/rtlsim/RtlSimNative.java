package io.reflex.fpga.rtlsim;

/**
 * Direct-mapped binding of hdl/tb/common/rtlsim.h with the C names kept exactly. Never used through this class
 * directly: {@link RtlSimBinding} defines a fresh copy of it per library (JNA registers the native methods of one
 * class against one library) and calls it through {@link RtlSimApi}. {@code rtlsim_t *}, {@code void *} and
 * {@code const char *} results are native addresses ({@code long}): no per-call objects.
 */
public final class RtlSimNative implements RtlSimApi {

    /** Called reflectively by {@link RtlSimBinding}. */
    public RtlSimNative() {
    }

    static native long rtlsim_create(String kernel, long memBytes, int seed, int stallPct);

    static native void rtlsim_destroy(long sim);

    static native String rtlsim_kernel_name();

    static native String rtlsim_params();

    static native int rtlsim_write_reg(long sim, int offset, int value);

    static native int rtlsim_read_reg(long sim, int offset, long value);

    static native int rtlsim_mem_write(long sim, long addr, long src, long bytes);

    static native int rtlsim_mem_read(long sim, long addr, long dst, long bytes);

    static native int rtlsim_run_until_done(long sim, long maxCycles);

    static native long rtlsim_cycles(long sim);

    static native long rtlsim_total_cycles(long sim);

    static native long rtlsim_error(long sim);

    @Override
    public long create(String kernel, long memBytes, int seed, int stallPct) {
        return rtlsim_create(kernel, memBytes, seed, stallPct);
    }

    @Override
    public void destroy(long sim) {
        rtlsim_destroy(sim);
    }

    @Override
    public String kernelName() {
        return rtlsim_kernel_name();
    }

    @Override
    public String params() {
        return rtlsim_params();
    }

    @Override
    public int writeReg(long sim, int offset, int value) {
        return rtlsim_write_reg(sim, offset, value);
    }

    @Override
    public int readReg(long sim, int offset, long valueAddr) {
        return rtlsim_read_reg(sim, offset, valueAddr);
    }

    @Override
    public int memWrite(long sim, long addr, long srcAddr, long bytes) {
        return rtlsim_mem_write(sim, addr, srcAddr, bytes);
    }

    @Override
    public int memRead(long sim, long addr, long dstAddr, long bytes) {
        return rtlsim_mem_read(sim, addr, dstAddr, bytes);
    }

    @Override
    public int runUntilDone(long sim, long maxCycles) {
        return rtlsim_run_until_done(sim, maxCycles);
    }

    @Override
    public long cycles(long sim) {
        return rtlsim_cycles(sim);
    }

    @Override
    public long totalCycles(long sim) {
        return rtlsim_total_cycles(sim);
    }

    @Override
    public long error(long sim) {
        return rtlsim_error(sim);
    }
}
