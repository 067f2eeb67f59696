package io.reflex.lsl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class LslConfigTest {

    @Test
    void loopbackModeSendsOnlyToLoopback() {
        LslConfig c = LslConfig.loopback().conclude();
        assertThat(c.discoveryAddresses()).containsExactly("127.0.0.1");
        assertThat(c.sendsMulticastOrBroadcast()).isFalse();
        assertThat(c.bindAddress()).isEqualTo("127.0.0.1");
        assertThat(c.listenAddress()).isEqualTo("127.0.0.1");
        assertThat(c.knownPeers()).containsExactly("127.0.0.1");
        assertThat(Resolver.targets(c)).allMatch(a -> a.getAddress().isLoopbackAddress()).hasSize(1 + 32);
    }

    @Test
    void labDefaultIsSiteScopeMulticastAsInLiblsl() {
        LslConfig c = LslConfig.labDefault().conclude();
        assertThat(c.resolveScope()).isEqualTo(LslConfig.ResolveScope.SITE);
        assertThat(c.sendsMulticastOrBroadcast()).isTrue();
        assertThat(c.multicastTtl()).isEqualTo(24);
        assertThat(c.multicastPort()).isEqualTo(16571);
        assertThat(c.basePort()).isEqualTo(16572);
        assertThat(c.portRange()).isEqualTo(32);
    }

    @Test
    void parsesLiblslConfigFiles() {
        String text = """
                ; a comment
                [ports]
                BasePort = 17000
                PortRange = 8
                IPv6 = disable
                [multicast]
                ResolveScope = machine
                ListenAddress = 127.0.0.1
                MachineAddresses = {127.0.0.1}
                [lab]
                KnownPeers = {127.0.0.1, 127.0.0.2}
                SessionID = lab7
                [tuning]
                TimeProbeCount = 10
                UnknownKey = 5
                """;
        LslConfig c = LslConfig.parse(text, "test.cfg").conclude();
        assertThat(c.basePort()).isEqualTo(17000);
        assertThat(c.portRange()).isEqualTo(8);
        assertThat(c.resolveScope()).isEqualTo(LslConfig.ResolveScope.MACHINE);
        assertThat(c.knownPeers()).containsExactly("127.0.0.1", "127.0.0.2");
        assertThat(c.sessionId()).isEqualTo("lab7");
        assertThat(c.timeProbeCount()).isEqualTo(10);
        assertThat(c.sendsMulticastOrBroadcast()).isFalse();
        LslConfig again = LslConfig.parse(c.toCfgText(), "round-trip").conclude();
        assertThat(again.knownPeers()).isEqualTo(c.knownPeers());
        assertThat(again.discoveryAddresses()).isEqualTo(c.discoveryAddresses());
    }

    @Test
    void emptyValuesAndBadRangesAreNamed() {
        assertThatThrownBy(() -> LslConfig.parse("[multicast]\nListenAddress =\n", "x.cfg"))
                .hasMessageContaining("x.cfg:2").hasMessageContaining("ListenAddress").hasMessageContaining("empty");
        assertThatThrownBy(() -> LslConfig.parse("[ports]\nBasePort = abc\n", "x.cfg"))
                .hasMessageContaining("BasePort");
        assertThatThrownBy(() -> LslConfig.loopback().basePort(65530).portRange(32).conclude())
                .hasMessageContaining("portRange");
        assertThatThrownBy(() -> LslConfig.loopback().timeUpdateMinProbes(9).conclude())
                .hasMessageContaining("timeUpdateMinProbes");
        assertThatThrownBy(() -> LslConfig.loopback().knownPeers(List.of("host.example")).conclude())
                .hasMessageContaining("knownPeers");
        assertThatThrownBy(() -> new InletOptions().latestDepth(0).conclude()).hasMessageContaining("latestDepth");
    }

    @Test
    void backendSelectionFallsBackToJava() {
        LslBackend b = LslBackend.select("auto", LslConfig.loopback(), LslError.logging());
        assertThat(b.name()).isIn("java", "native");
        assertThat(LslBackend.select("java", LslConfig.loopback(), LslError.logging()).name()).isEqualTo("java");
        assertThatThrownBy(() -> LslBackend.select("fpga", LslConfig.loopback(), LslError.logging()))
                .hasMessageContaining("java, native or auto");
    }
}
