package io.reflex.runtime.session;

import java.util.List;

/**
 * What a session's decoders are fitted to on the calibration block and scored against live: reference values the
 * source carries with every sample. A source with {@code vx, vy} (the center-out task's true velocity, or a task
 * program's cursor kinematics) gives velocity targets; one with {@code lx, ly, lz} (the Lorenz source's true latent
 * state) gives latent targets.
 *
 * @param kind    {@code velocity} or {@code latent}: names the R² in reports ({@code velocity_r2}, {@code latent_r2})
 * @param names   the reference names, in output order
 * @param indices their indices among the source's references
 */
public record DecodeTargets(String kind, List<String> names, int[] indices) {

    /** Velocity targets. */
    public static final String VELOCITY = "velocity";
    /** Latent-state targets. */
    public static final String LATENT = "latent";

    private static final List<String> VELOCITY_NAMES = List.of("vx", "vy");
    private static final List<String> LATENT_NAMES = List.of("lx", "ly", "lz");

    /** The targets a source's references offer (velocity first), or null when it offers none. */
    public static DecodeTargets of(List<String> references) {
        if (references.containsAll(VELOCITY_NAMES)) {
            return new DecodeTargets(VELOCITY, VELOCITY_NAMES, indices(references, VELOCITY_NAMES));
        }
        if (references.containsAll(LATENT_NAMES)) {
            return new DecodeTargets(LATENT, LATENT_NAMES, indices(references, LATENT_NAMES));
        }
        return null;
    }

    private static int[] indices(List<String> references, List<String> names) {
        int[] idx = new int[names.size()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = references.indexOf(names.get(i));
        }
        return idx;
    }

    /** Number of targets (the decoders' outputs). */
    public int count() {
        return indices.length;
    }
}
