package io.reflex.lsl.nativelsl;

import io.reflex.lsl.LslBackend;
import io.reflex.lsl.LslConfig;
import io.reflex.lsl.NativeBackend;

/** Provides {@link NativeLsl} to {@link LslBackend#select} (registered in META-INF/services). */
public final class NativeLslProvider implements NativeBackend {

    @Override
    public String unavailableReason() {
        return NativeLsl.unavailableReason();
    }

    @Override
    public LslBackend open(LslConfig config) {
        return new NativeLsl(config);
    }
}
