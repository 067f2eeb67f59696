package io.reflex.runtime.config;

import io.reflex.runtime.check.Addresses;
import io.reflex.runtime.check.ConfigException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.util.Collections;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every address a config names is checked when the config is read (so by {@code --check}): one unicast peer whose
 * host resolves, or a refusal naming the field; never a stack trace when the run opens the socket.
 *
 * <p>Nothing here opens a socket or sends a packet: the broadcast and multicast addresses below are config strings
 * the parser must refuse, and the unresolvable hosts are under the reserved {@code .invalid} domain, which the check
 * refuses without a DNS query.
 */
class ConfigAddressTest {

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', textBlock = """
            udp        | 255.255.255.255:9000    | the limited broadcast address
            udp        | 224.0.0.1:9000          | a multicast address
            udp        | [ff02::1]:9000          | a multicast address
            udp        | 0.0.0.0:9000            | the wildcard address
            udp        | [::]:9000               | the wildcard address
            udp        | no-such-host.invalid:9000 | with a host that resolves
            udp        | 127.0.0.1:0             | with a port in [1, 65535]
            udp        | 127.0.0.1               | expected HOST:PORT
            stimulator | tcp:255.255.255.255:4000 | the limited broadcast address
            stimulator | tcp:239.1.2.3:4000      | a multicast address
            stimulator | tcp:no-such-host.invalid:4000 | with a host that resolves
            """)
    void aNonUnicastOrUnresolvableAddressIsRefusedNamingTheField(String key, String value, String why) {
        String json = "{\"stim\":{\"" + key + "\":\"" + value + "\"}}";
        assertThatThrownBy(() -> ReflexConfig.parse(json))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("stim." + key + ": \"" + value + "\" is not allowed")
                .hasMessageContaining(why)
                .satisfies(e -> assertThat(((ConfigException) e).field()).isEqualTo("stim." + key));
    }

    @Test
    void theBroadcastAddressOfALocalSubnetIsRefused() throws Exception {
        InetAddress broadcast = null;
        for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            for (InterfaceAddress a : nif.getInterfaceAddresses()) {
                if (a.getBroadcast() != null && !a.getBroadcast().getHostAddress().equals("255.255.255.255")) {
                    broadcast = a.getBroadcast();
                }
            }
        }
        assumeTrue(broadcast != null, "skipped: no local IPv4 subnet with a broadcast address");
        String value = broadcast.getHostAddress() + ":9000";
        assertThatThrownBy(() -> ReflexConfig.parse("{\"stim\":{\"udp\":\"" + value + "\"}}"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("stim.udp")
                .hasMessageContaining("the broadcast address of a local subnet");
    }

    @Test
    void aLoopbackPeerIsAccepted() {
        ReflexConfig c = ReflexConfig.parse("{\"stim\":{\"udp\":\"127.0.0.1:9000\"}}");
        assertThat(c.stim.udp).isEqualTo("127.0.0.1:9000");
        assertThat(Addresses.notUnicast(InetAddress.getLoopbackAddress())).isNull();
    }
}
