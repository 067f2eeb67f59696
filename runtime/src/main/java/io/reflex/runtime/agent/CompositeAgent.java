package io.reflex.runtime.agent;

import java.util.List;

/** Runs several agents on one thread, in order, each duty cycle: this is how pipeline stages are fused. */
public final class CompositeAgent implements Agent {
    private final Agent[] agents;
    private final String roleName;

    public CompositeAgent(String roleName, List<? extends Agent> agents) {
        if (agents.isEmpty()) {
            throw new IllegalArgumentException("a composite agent needs at least one agent");
        }
        this.agents = agents.toArray(new Agent[0]);
        this.roleName = roleName;
    }

    @Override
    public void onStart() {
        for (Agent a : agents) {
            a.onStart();
        }
    }

    @Override
    public int doWork() throws Exception {
        int work = 0;
        for (Agent a : agents) {
            work += a.doWork();
        }
        return work;
    }

    @Override
    public void onClose() {
        for (Agent a : agents) {
            a.onClose();
        }
    }

    @Override
    public String roleName() {
        return roleName;
    }
}
