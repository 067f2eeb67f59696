package io.reflex.fpga.rtlsim;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import io.reflex.fpga.device.DeviceException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.Map;

/**
 * Loads {@code librtlsim_<kernel>.so} files through JNA, once per file and JVM. JNA's direct mapping registers the
 * native methods of one class against one library, and several libraries (kernels, builds) live in one JVM, so each
 * library gets its own copy of {@link RtlSimNative}, defined from the same bytes in a class loader of its own.
 */
final class RtlSimBinding {
    private static final String NATIVE = RtlSimNative.class.getName();
    /**
     * dlopen flags: RTLD_NOW, so that an unresolvable symbol is a load error instead of a process exit at the first
     * call; RTLD_LOCAL (0), so that two builds of one kernel, which define the same C++ symbols, cannot bind to each
     * other's code (JNA's default is RTLD_GLOBAL; the libraries also export nothing but rtlsim_*).
     */
    private static final int RTLD_NOW_LOCAL = 2;
    private static final Map<Path, Bound> BOUND = new HashMap<>();

    private record Bound(RtlSimApi api, long sizeBytes, long modifiedMs) {
    }

    private RtlSimBinding() {
    }

    /**
     * The binding of a library file.
     *
     * @throws DeviceException when the file is missing, not a loadable library, lacks an rtlsim function, or was
     *                         replaced after this JVM loaded it (the dynamic loader would keep the old code)
     */
    static synchronized RtlSimApi bind(Path library) {
        Path key = library.toAbsolutePath().normalize();
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(key, BasicFileAttributes.class);
        } catch (IOException e) {
            throw new DeviceException("no RTL-sim library at " + key + " (build it with RtlSimBuilds, or make -C"
                    + " hdl/tb KERNEL=<kernel> TAG=<tag> PARAMS=...)", e);
        }
        Bound b = BOUND.get(key);
        if (b != null) {
            if (b.sizeBytes != attrs.size() || b.modifiedMs != attrs.lastModifiedTime().toMillis()) {
                throw new DeviceException(key + " was rebuilt after this JVM loaded it; the dynamic loader keeps the"
                        + " code it loaded first, so restart the JVM (or build into another folder)");
            }
            return b.api;
        }
        NativeLibrary lib;
        try {
            lib = NativeLibrary.getInstance(key.toString(), Map.of(Library.OPTION_OPEN_FLAGS, RTLD_NOW_LOCAL));
        } catch (UnsatisfiedLinkError e) {
            throw new DeviceException("cannot load the RTL-sim library " + key + ": " + e.getMessage(), e);
        }
        Class<?> copy = defineCopy();
        try {
            Native.register(copy, lib);
        } catch (UnsatisfiedLinkError | IllegalArgumentException e) {
            throw new DeviceException(key + " is not an rtlsim library of this version (" + firstLine(e.getMessage())
                    + "); rebuild it from hdl/tb", e);
        }
        RtlSimApi api;
        try {
            api = (RtlSimApi) copy.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new DeviceException("cannot instantiate the binding of " + key, e);
        }
        BOUND.put(key, new Bound(api, attrs.size(), attrs.lastModifiedTime().toMillis()));
        return api;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unknown error";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** A fresh definition of {@link RtlSimNative} whose only link to this loader is {@link RtlSimApi}. */
    private static Class<?> defineCopy() {
        byte[] bytes;
        try (InputStream in = RtlSimNative.class.getResourceAsStream(RtlSimNative.class.getSimpleName() + ".class")) {
            if (in == null) {
                throw new DeviceException("class file of " + NATIVE + " not found");
            }
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new DeviceException("cannot read the class file of " + NATIVE, e);
        }
        ClassLoader loader = new CopyLoader(RtlSimApi.class.getClassLoader(), bytes);
        try {
            return loader.loadClass(NATIVE);
        } catch (ClassNotFoundException e) {
            throw new DeviceException("cannot define " + NATIVE, e);
        }
    }

    /** Defines one class itself and delegates every other name to its parent. */
    private static final class CopyLoader extends ClassLoader {
        private final byte[] bytes;

        CopyLoader(ClassLoader parent, byte[] bytes) {
            super(parent);
            this.bytes = bytes;
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!NATIVE.equals(name)) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null) {
                    c = defineClass(name, bytes, 0, bytes.length, RtlSimApi.class.getProtectionDomain());
                }
                if (resolve) {
                    resolveClass(c);
                }
                return c;
            }
        }
    }
}
