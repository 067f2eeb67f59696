package io.reflex.fpga.xrt;

import com.sun.jna.Library;
import com.sun.jna.Pointer;

/**
 * The raw binding of XRT's C API ({@code libxrt_coreutil.so.2}, headers {@code xrt/xrt_device.h},
 * {@code xrt_kernel.h}, {@code xrt_bo.h}, {@code experimental/xrt_xclbin.h}), with the C names kept exactly.
 *
 * <p>JNA direct mapping ({@code Native.register}, done by {@link XrtRuntime} once the environment was checked): no
 * proxy, no boxing; handles ({@code void*}) and {@code size_t} are {@code long}, {@code uint32_t} and
 * {@code unsigned int} are {@code int}, {@code xuid_t} is a 16-byte array, and the data pointers of the per-invocation
 * calls are native addresses so that nothing is allocated per call. {@link Varargs} binds {@code xrtRunSetArg}, which
 * direct mapping cannot (varargs), through an interface mapping: set-up only.
 *
 * <p>Calling any method before {@link XrtRuntime} registered the class throws {@link UnsatisfiedLinkError}; calling
 * it after registering without the runtime's checks can end the process (see {@link XrtEnvironment}). Only the facade
 * in this package calls it.
 */
final class XrtLibrary {

    private XrtLibrary() {
    }

    // xrt_device.h
    static native long xrtDeviceOpen(int index);

    static native int xrtDeviceClose(long dhdl);

    static native int xrtDeviceLoadXclbinFile(long dhdl, String xclbinFnm);

    static native int xrtDeviceGetXclbinUUID(long dhdl, byte[] out);

    // experimental/xrt_xclbin.h
    static native long xrtXclbinAllocFilename(String filename);

    static native int xrtXclbinFreeHandle(long xhdl);

    static native int xrtXclbinGetUUID(long xhdl, byte[] retUuid);

    static native long xrtXclbinGetNumKernels(long xhdl);

    static native long xrtXclbinGetNumKernelComputeUnits(long xhdl);

    // xrt_kernel.h
    static native long xrtPLKernelOpen(long deviceHandle, byte[] xclbinId, String name);

    static native long xrtPLKernelOpenExclusive(long deviceHandle, byte[] xclbinId, String name);

    static native int xrtKernelClose(long kernelHandle);

    static native int xrtKernelArgGroupId(long kernelHandle, int argno);

    static native int xrtKernelArgOffset(long khdl, int argno);

    static native int xrtKernelReadRegister(long kernelHandle, int offset, long datap);

    static native long xrtRunOpen(long kernelHandle);

    static native int xrtRunStart(long rhdl);

    static native int xrtRunWaitFor(long rhdl, int timeoutMs);

    static native int xrtRunState(long rhdl);

    static native int xrtRunClose(long rhdl);

    // xrt_bo.h
    static native long xrtBOAlloc(long dhdl, long size, long flags, int grp);

    static native int xrtBOFree(long bhdl);

    static native long xrtBOSize(long bhdl);

    static native long xrtBOAddress(long bhdl);

    static native int xrtBOWrite(long bhdl, long src, long size, long seek);

    static native int xrtBORead(long bhdl, long dst, long size, long skip);

    static native int xrtBOSync(long bhdl, int dir, long size, long offset);

    /** The varargs functions, through an interface mapping (set-up only: each call boxes and allocates). */
    interface Varargs extends Library {
        /** {@code int xrtRunSetArg(xrtRunHandle rhdl, int index, ...)}: a {@link Pointer} for a buffer, an
         *  {@link Integer} for a 32-bit scalar. */
        int xrtRunSetArg(Pointer rhdl, int index, Object... args);
    }
}
