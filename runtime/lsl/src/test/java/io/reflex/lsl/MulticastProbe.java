package io.reflex.lsl;

import java.util.List;

/**
 * Run by {@link MulticastNamespaceTest} inside a private network namespace (only lo, multicast routed to it):
 * one outlet, one resolve by site-scope multicast alone (no machine address, no known peers), prints what it found.
 */
public final class MulticastProbe {
    private MulticastProbe() {
    }

    public static void main(String[] args) {
        LslConfig cfg = LslConfig.parse("[multicast]\nResolveScope = site\nMachineAddresses = {}\n"
                + "LinkAddresses = {}\n", "multicast-probe").conclude();
        String name = "mcast-" + ProcessHandle.current().pid();
        try (JavaOutlet outlet = new JavaOutlet(StreamInfo.builder(name, "Probe", 1, 0, ChannelFormat.FLOAT32, "m")
                .build(), cfg, LslError.logging())) {
            List<StreamInfo> found = new Resolver(cfg).resolve(Resolver.byProperty("name", name), 1, 5);
            boolean ok = found.size() == 1 && found.get(0).uid().equals(outlet.info().uid());
            System.out.println("targets=" + cfg.discoveryAddresses().size() + " multicast="
                    + cfg.sendsMulticastOrBroadcast() + " found=" + found.size() + " ok=" + ok);
        }
    }
}
