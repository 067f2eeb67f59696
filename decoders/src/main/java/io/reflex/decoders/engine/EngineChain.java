package io.reflex.decoders.engine;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.ServiceLoader;

/**
 * A fallback chain of engines, e.g. {@code [xrt, rtl-sim, cpu-fixed]}: {@link #load} loads the model on every
 * engine that can take it, and calls go to the first healthy one. When the active engine faults (returns
 * {@code ENGINE_FAULT}, throws, or reports itself unhealthy), the chain marks it failed and repeats the same bin on
 * the next healthy engine within the same call, so no frame is lost. The next engine starts from a fresh stream
 * state (its own reset state), not from the failed engine's recurrent state.
 */
public final class EngineChain implements Engine {

    private final Engine[] engines;
    private final boolean[] usable;
    private final String[] reasons;
    private int active = -1;
    private long failovers;
    private long faults;

    /** A chain over the given engines, in order of preference. */
    public EngineChain(List<Engine> engines) {
        if (engines.isEmpty()) {
            throw new IllegalArgumentException("an engine chain needs at least one engine");
        }
        this.engines = engines.toArray(new Engine[0]);
        this.usable = new boolean[this.engines.length];
        this.reasons = new String[this.engines.length];
        Arrays.fill(reasons, "not loaded");
    }

    /**
     * A chain from engine names, resolved through {@link EngineFactory} service providers, e.g.
     * {@code of("xrt", "rtl-sim", "cpu-fixed")}. Names without a provider, or whose engine cannot be created
     * here, are kept out of the chain and listed in {@link #describe()}.
     *
     * @throws EngineException when none of the names gives an engine
     */
    public static EngineChain of(String... names) {
        List<Engine> list = new ArrayList<>();
        StringBuilder missing = new StringBuilder();
        for (String n : names) {
            EngineFactory f = null;
            for (EngineFactory candidate : ServiceLoader.load(EngineFactory.class)) {
                if (candidate.name().equals(n)) {
                    f = candidate;
                    break;
                }
            }
            if (f == null) {
                missing.append(' ').append(n).append(" (no provider)");
                continue;
            }
            try {
                list.add(f.create());
            } catch (EngineException e) {
                missing.append(' ').append(n).append(" (").append(e.getMessage()).append(')');
            }
        }
        if (list.isEmpty()) {
            throw new EngineException("no engine available among " + Arrays.toString(names) + ":" + missing);
        }
        return new EngineChain(list);
    }

    /** Names of every engine a provider offers on the class path. */
    public static List<String> availableEngineNames() {
        List<String> names = new ArrayList<>();
        for (EngineFactory f : ServiceLoader.load(EngineFactory.class)) {
            names.add(f.name());
        }
        return names;
    }

    /** The engine calls go to now, or null when none is healthy. */
    public Engine active() {
        return active < 0 ? null : engines[active];
    }

    /** How often the chain moved to the next engine. */
    public long failovers() {
        return failovers;
    }

    /** One line per engine: name, usable or why not. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < engines.length; i++) {
            sb.append(i == active ? "* " : "  ").append(engines[i].name()).append(": ")
                    .append(usable[i] ? "ready" : reasons[i]).append('\n');
        }
        return sb.toString();
    }

    @Override
    public String name() {
        return active < 0 ? "chain" : engines[active].name();
    }

    @Override
    public String arithmetic() {
        return engines[active < 0 ? 0 : active].arithmetic();
    }

    /**
     * Loads the model on every engine; an engine that refuses it is left out (its reason is kept).
     *
     * @throws EngineException when no engine can run the model (listing every reason); a
     *                         {@link io.reflex.decoders.bundle.BundleException} from the first engine is rethrown
     *                         as is when every engine refuses the bundle
     */
    @Override
    public void load(ModelBundle bundle) {
        active = -1;
        RuntimeException first = null;
        for (int i = 0; i < engines.length; i++) {
            try {
                engines[i].load(bundle);
                usable[i] = engines[i].health().healthy();
                reasons[i] = usable[i] ? "ready" : engines[i].health().detail();
            } catch (RuntimeException e) {
                usable[i] = false;
                reasons[i] = e.getMessage();
                if (first == null) {
                    first = e;
                }
            }
            if (usable[i] && active < 0) {
                active = i;
            }
        }
        if (active < 0) {
            if (first instanceof io.reflex.decoders.bundle.BundleException be) {
                throw be;
            }
            throw new EngineException("no engine can run " + bundle.name() + ":\n" + describe(), first);
        }
    }

    private boolean failover() {
        usable[active] = false;
        reasons[active] = "failed: " + engines[active].health().detail();
        faults++;
        for (int i = active + 1; i < engines.length; i++) {
            if (usable[i] && engines[i].health().healthy()) {
                active = i;
                failovers++;
                engines[i].reset();
                return true;
            }
        }
        active = -1;
        return false;
    }

    @Override
    public int inputCount() {
        return active < 0 ? 0 : engines[active].inputCount();
    }

    @Override
    public int outputCount() {
        return active < 0 ? 0 : engines[active].outputCount();
    }

    @Override
    public int maxTrialBins() {
        return active < 0 ? 0 : engines[active].maxTrialBins();
    }

    @Override
    public int trialSteps(int bins) {
        return active < 0 ? 0 : engines[active].trialSteps(bins);
    }

    @Override
    public int step(float[] in, float[] out) {
        while (active >= 0) {
            int s;
            try {
                s = engines[active].step(in, out);
            } catch (RuntimeException e) {
                s = DecodeStatus.ENGINE_FAULT;
            }
            if (s != DecodeStatus.ENGINE_FAULT) {
                return s;
            }
            if (!failover()) {
                break;
            }
        }
        Arrays.fill(out, 0f);
        return DecodeStatus.ENGINE_FAULT;
    }

    @Override
    public int trial(float[] window, int bins, float[] out) {
        while (active >= 0) {
            int s;
            try {
                s = engines[active].trial(window, bins, out);
            } catch (RuntimeException e) {
                s = DecodeStatus.ENGINE_FAULT;
            }
            if (s != DecodeStatus.ENGINE_FAULT) {
                return s;
            }
            if (!failover()) {
                break;
            }
        }
        Arrays.fill(out, 0f);
        return DecodeStatus.ENGINE_FAULT;
    }

    @Override
    public void reset() {
        for (int i = 0; i < engines.length; i++) {
            if (usable[i]) {
                engines[i].reset();
            }
        }
    }

    @Override
    public EngineHealth health() {
        if (active < 0) {
            return new EngineHealth(false, "no healthy engine", faults);
        }
        EngineHealth h = engines[active].health();
        return faults == 0 && h.faults() == 0 ? h : new EngineHealth(h.healthy(), h.detail(), faults + h.faults());
    }

    @Override
    public void close() {
        for (Engine e : engines) {
            try {
                e.close();
            } catch (RuntimeException ignored) {
                // close never throws by contract; a broken engine must not stop the others from closing
            }
        }
        active = -1;
    }
}
