package io.reflex.lsl;

import java.util.ServiceLoader;

/**
 * The liblsl backend as {@link LslBackend#select} finds it: a service ({@link ServiceLoader}) that the native binding
 * ({@code io.reflex.lsl.nativelsl}) provides, so that the protocol package does not depend on the binding (which
 * depends on it). A class path without the binding has no native backend: {@code native} is refused with that
 * reason and {@code auto} takes the Java one.
 */
public interface NativeBackend {

    /** Null when liblsl can be loaded (it is loaded once), else the loader's reason. */
    String unavailableReason();

    /** A backend on the installed liblsl; call only when {@link #unavailableReason()} is null. */
    LslBackend open(LslConfig config);

    /** The provider on the class path, or null when there is none. */
    static NativeBackend find() {
        return ServiceLoader.load(NativeBackend.class, NativeBackend.class.getClassLoader()).findFirst().orElse(null);
    }

    /** The reason {@link #find()}'s provider gives, or why there is none. */
    static String unavailableReason(NativeBackend provider) {
        return provider == null ? "the liblsl binding (io.reflex.lsl.nativelsl) is not on the class path"
                : provider.unavailableReason();
    }
}
