package io.reflex.runtime.check;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.Enumeration;

/**
 * Validation of the network addresses a config names ({@code stim.stimulator}, {@code stim.udp}): a
 * {@code HOST:PORT} whose host resolves to one unicast peer. Wildcard ({@code 0.0.0.0}, {@code ::}), multicast, the
 * limited broadcast {@code 255.255.255.255} and the broadcast address of any local IPv4 subnet are refused, so that
 * {@code --check} names the field instead of the socket failing with a stack trace when the run starts.
 */
public final class Addresses {
    private Addresses() {
    }

    /**
     * Parses {@code value.substring(skip)} as {@code HOST:PORT} (port 1..65535; an IPv6 host in brackets) and
     * returns the host, resolved once.
     *
     * @param field   the config key, named in the refusal
     * @param value   the value as written, e.g. {@code tcp:10.0.0.5:4000}
     * @param skip    characters of a scheme prefix to skip ({@code 4} for {@code tcp:})
     * @param allowed what the field accepts, e.g. {@code tcp:HOST:PORT}
     * @throws ConfigException naming the field, the value and why it was refused
     */
    public static InetAddress unicast(String field, String value, int skip, String allowed) {
        String hostPort = value.substring(skip);
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0 || colon == hostPort.length() - 1) {
            throw new ConfigException(field, quoted(value), allowed);
        }
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new ConfigException(field, quoted(value), allowed + " with a numeric port");
        }
        if (port < 1 || port > 65_535) {
            throw new ConfigException(field, quoted(value), allowed + " with a port in [1, 65535]");
        }
        InetAddress host;
        try {
            String name = hostPort.substring(0, colon);
            // RFC 6761: names under .invalid never resolve; answered here without a DNS query
            if (name.toLowerCase(java.util.Locale.ROOT).matches(".*\\.invalid\\.?")) {
                throw new UnknownHostException(name);
            }
            host = InetAddress.getByName(name);
        } catch (UnknownHostException | SecurityException e) {
            throw new ConfigException(field, quoted(value), allowed + " with a host that resolves (" + hostPort
                    .substring(0, colon) + " does not)");
        }
        String kind = notUnicast(host);
        if (kind != null) {
            throw new ConfigException(field, quoted(value), allowed + " with a unicast host; "
                    + host.getHostAddress() + " is " + kind);
        }
        return host;
    }

    /** Why {@code host} is not one unicast peer ("a multicast address", ...), or null when it is. */
    public static String notUnicast(InetAddress host) {
        if (host.isAnyLocalAddress()) {
            return "the wildcard address";
        }
        if (host.isMulticastAddress()) {
            return "a multicast address";
        }
        if (host instanceof Inet4Address && host.getHostAddress().equals("255.255.255.255")) {
            return "the limited broadcast address";
        }
        if (host instanceof Inet4Address && isLocalSubnetBroadcast(host)) {
            return "the broadcast address of a local subnet";
        }
        return null;
    }

    private static boolean isLocalSubnetBroadcast(InetAddress host) {
        try {
            Enumeration<NetworkInterface> all = NetworkInterface.getNetworkInterfaces();
            while (all != null && all.hasMoreElements()) {
                for (InterfaceAddress a : all.nextElement().getInterfaceAddresses()) {
                    if (host.equals(a.getBroadcast())) {
                        return true;
                    }
                }
            }
        } catch (SocketException e) {
            // Interfaces cannot be listed: the socket refuses a broadcast destination itself at start.
            return false;
        }
        return false;
    }

    private static String quoted(String s) {
        return "\"" + s + "\"";
    }
}
