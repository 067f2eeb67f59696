package io.reflex.lsl;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/** The allocation-free number writer and reply builder of the time-probe path (docs/lsl-wire.md A6). */
class TimeProbeFormatTest {
    private static String seconds(long ns) {
        byte[] b = new byte[LslNumbers.SECONDS_NS_MAX_CHARS];
        int end = LslNumbers.putSecondsNs(ns, b, 0);
        return new String(b, 0, end, StandardCharsets.US_ASCII);
    }

    @Test
    void writesSecondsWithNineDecimals() {
        assertThat(seconds(592_177_877_513L)).isEqualTo("592.177877513");
        assertThat(seconds(0)).isEqualTo("0.000000000");
        assertThat(seconds(5)).isEqualTo("0.000000005");
        assertThat(seconds(-1_500_000_000L)).isEqualTo("-1.500000000");
        assertThat(seconds(Long.MAX_VALUE)).isEqualTo("9223372036.854775807").hasSize(20);
    }

    @Property
    void parsesBackToTheNanosecondWithinDoublePrecision(
            @ForAll @LongRange(min = 0, max = 100_000_000_000_000_000L) long ns) {
        // Up to ~3 years of uptime; a double of seconds there resolves about 15 ns.
        long toleranceNs = 2 * (long) Math.ceil(Math.ulp(ns * 1e-9) * 1e9) + 1;
        assertThat(Math.round(Double.parseDouble(seconds(ns)) * 1e9)).isCloseTo(ns,
                org.assertj.core.data.Offset.offset(toleranceNs));
    }

    private static String reply(String probe, long receivedAtNs) {
        ByteBuffer out = ByteBuffer.allocate(UdpRequests.TIME_REPLY_CAPACITY);
        int rc = UdpRequests.timeReply(ByteBuffer.wrap(probe.getBytes(StandardCharsets.ISO_8859_1)), out,
                receivedAtNs);
        if (rc != UdpRequests.ANSWERED) {
            return "rc=" + rc;
        }
        return StandardCharsets.US_ASCII.decode(out).toString();
    }

    @Test
    void replyEchoesWaveIdAndT0ThenT1AndT2() {
        long before = System.nanoTime();
        String r = reply("LSL:timedata\r\n4711 592.177877513\r\n", 592_178_019_314L);
        assertThat(r).startsWith(" 4711 592.177877513 592.178019314 ").doesNotContain("\r").doesNotContain("\n");
        double t2 = Double.parseDouble(r.trim().split(" ")[3]);
        assertThat(t2).isGreaterThanOrEqualTo(before * 1e-9 - 1e-6);
        assertThat(reply("LSL:timedata\n7 1.5e+02", 1)).startsWith(" 7 1.5e+02 0.000000001 ");
    }

    @Test
    void malformedProbesAreRefused() {
        String rc = "rc=" + UdpRequests.MALFORMED;
        assertThat(reply("LSL:timedata", 1)).isEqualTo(rc);
        assertThat(reply("LSL:timedataX\r\n1 2\r\n", 1)).isEqualTo(rc);
        assertThat(reply("LSL:timedata\r\nabc def\r\n", 1)).isEqualTo(rc);
        assertThat(reply("LSL:timedata\r\n12\r\n", 1)).isEqualTo(rc);
        assertThat(reply("LSL:timedata\r\n12 x\r\n", 1)).isEqualTo(rc);
        assertThat(reply("LSL:timedata\r\n12 1.5x\r\n", 1)).isEqualTo(rc);
        assertThat(reply("LSL:timedata\r\n12345678901234567890 1.5\r\n", 1)).isEqualTo(rc);
        assertThat(reply("LSL:timedata\r\n1 " + "1".repeat(UdpRequests.MAX_TOKEN + 1) + "\r\n", 1)).isEqualTo(rc);
    }
}
