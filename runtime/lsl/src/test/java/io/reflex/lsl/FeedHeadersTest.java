package io.reflex.lsl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The {@code LSL:streamfeed/110} handshake codec both sides share (docs/lsl-wire.md A3): what the inlet writes the
 * outlet reads back, what the outlet answers the inlet reads back, and each malformed or unsupported header is
 * refused with its reason.
 */
class FeedHeadersTest {
    private static final String UID = "0b8e2f3c-uid";

    private static StreamInfo info(ChannelFormat format, int channels, double srate) {
        return StreamInfo.builder("feed", "EEG", channels, srate, format, "feed-sid").uid(UID).hostname("host")
                .sessionId("default").build();
    }

    /** Lines of {@code text} as the outlet reads them (through {@link Net#readLine}). */
    private static FeedHeaders.LineSource lines(String text) {
        return new FeedHeaders.StreamLines(new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1)));
    }

    /** The outlet's reading of a whole request (request line, headers, empty line). */
    private static FeedHeaders.Feed outletReads(String request, StreamInfo info) throws Exception {
        int eol = request.indexOf("\r\n");
        return FeedHeaders.readRequest(request.substring(0, eol), lines(request.substring(eol + 2)), info);
    }

    private static String refusalOf(String request, StreamInfo info) {
        try {
            outletReads(request, info);
        } catch (FeedHeaders.Refusal r) {
            return r.status();
        } catch (Exception e) {
            throw new AssertionError("expected a refusal, got " + e, e);
        }
        throw new AssertionError("expected a refusal, the request was accepted");
    }

    /** A liblsl-like request with one header line replaced or added. */
    private static String request(String uid, String replace, String with) {
        String r = "LSL:streamfeed/110 " + uid + "\r\nNative-Byte-Order: 1234\r\nEndian-Performance: 0\r\n"
                + "Has-IEEE754-Floats: 1\r\nSupports-Subnormals: 1\r\nValue-Size: 4\r\nData-Protocol-Version: 110\r\n"
                + "Max-Buffer-Length: 36000\r\nMax-Chunk-Length: 0\r\n\r\n";
        return replace == null ? r : r.replace(replace, with);
    }

    // ------------------------------------------------------------------ request: inlet writes, outlet reads

    @Test
    void theInletsRequestIsLiblslsByteForByte() {
        assertThat(FeedHeaders.request(info(ChannelFormat.FLOAT32, 8, 100), 360)).isEqualTo(
                "LSL:streamfeed/110 " + UID + "\r\n"
                + "Native-Byte-Order: 1234\r\nEndian-Performance: 100000000\r\nHas-IEEE754-Floats: 1\r\n"
                + "Supports-Subnormals: 1\r\nValue-Size: 4\r\nData-Protocol-Version: 110\r\n"
                + "Max-Buffer-Length: 36000\r\nMax-Chunk-Length: 0\r\nHostname: host\r\nSource-Id: feed-sid\r\n"
                + "Session-Id: default\r\n\r\n");
        // strings have no Value-Size; an irregular stream sizes its buffer at 100 Hz
        assertThat(FeedHeaders.request(info(ChannelFormat.STRING, 1, 0), 2.5))
                .doesNotContain("Value-Size").contains("Max-Buffer-Length: 250\r\n");
    }

    @Property(tries = 200)
    void whatTheInletAsksTheOutletGrants(@ForAll ChannelFormat format, @ForAll @IntRange(min = 1, max = 4096)
            int channels, @ForAll @DoubleRange(min = 0, max = 50_000) double srate,
            @ForAll @DoubleRange(min = 0.01, max = 3600) double bufferS) throws Exception {
        Assume.that(format != ChannelFormat.UNDEFINED);
        StreamInfo info = info(format, channels, srate);
        FeedHeaders.Feed feed = outletReads(FeedHeaders.request(info, bufferS), info);
        long expectedBuffer = (long) Math.min(Integer.MAX_VALUE, Math.max(1, Math.ceil(bufferS
                * (srate > 0 ? srate : 100))));
        assertThat(feed).isEqualTo(new FeedHeaders.Feed(false, false, expectedBuffer));
    }

    @ParameterizedTest
    @CsvSource({
        // client byte order, its conversions per second, what it gets
        "1234, 0, false",
        "4321, 0, true",
        "4321, 3.06074e+06, true",
        "4321, 1e9, false",
    })
    void aBigEndianClientThatConvertsSlowlyGetsBigEndian(String order, String perf, boolean big) throws Exception {
        String r = request(UID, "Native-Byte-Order: 1234\r\nEndian-Performance: 0",
                "Native-Byte-Order: " + order + "\r\nEndian-Performance: " + perf);
        assertThat(outletReads(r, info(ChannelFormat.FLOAT32, 1, 100)).bigEndian()).isEqualTo(big);
    }

    @Test
    void subnormalsAreSuppressedOnlyForFloatStreamsThatAskForIt() throws Exception {
        String r = request(UID, "Supports-Subnormals: 1", "Supports-Subnormals: 0");
        assertThat(outletReads(r, info(ChannelFormat.FLOAT32, 1, 100)).suppressSubnormals()).isTrue();
        String ints = r.replace("Value-Size: 4", "Value-Size: 2");
        assertThat(outletReads(ints, info(ChannelFormat.INT16, 1, 100)).suppressSubnormals()).isFalse();
    }

    @Test
    void headerKeysAreCaseInsensitiveCommentsAndNonHeadersIgnoredAbsentOnesDefault() throws Exception {
        String r = "LSL:streamfeed/110 " + UID + "\r\nNATIVE-byte-ORDER: 4321 ; big\r\nno colon here\r\n"
                + ": no key\r\nMax-Buffer-Length: 7\r\n\r\n";
        assertThat(outletReads(r, info(ChannelFormat.DOUBLE64, 2, 10)))
                .isEqualTo(new FeedHeaders.Feed(true, false, 7));
        assertThat(FeedHeaders.header("Key : value ; comment")).containsExactly("key", "value");
        assertThat(FeedHeaders.header("no colon")).isNull();
        assertThat(FeedHeaders.header(":value")).isNull();
        // Max-Buffer-Length defaults to 0 (a consumer that asks for no samples)
        assertThat(outletReads("LSL:streamfeed/110 " + UID + "\r\n\r\n", info(ChannelFormat.INT8, 1, 10)))
                .isEqualTo(new FeedHeaders.Feed(false, false, 0));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "LSL:streamfeed/abc " + UID + "| | | 400 Bad request",
        "| Data-Protocol-Version: 110| Data-Protocol-Version: 100| 505 Protocol 1.00 not supported",
        "LSL:streamfeed/200 " + UID + "| | | 505 Version not supported",
        "LSL:streamfeed/110 someone-else| | | 404 Not found",
        "LSL:streamfeed/110| | | 404 Not found",
        "| Native-Byte-Order: 1234| Native-Byte-Order: 3412| 400 Bad Native-Byte-Order 3412",
        "| Value-Size: 4| Value-Size: four| 400 Bad request header (For input string: \"four\")",
        "| Max-Buffer-Length: 36000| Max-Buffer-Length: 99999999999999999999| 400 Bad request header (For input string: \"99999999999999999999\")",
        "| Endian-Performance: 0| Endian-Performance: fast| 400 Bad request header (For input string: \"fast\")",
        "| Max-Buffer-Length: 36000| Max-Buffer-Length: -1| 400 Bad Max-Buffer-Length -1",
        "| Value-Size: 4| Value-Size: 8| 505 Value-Size 8 does not match float32 (4); protocol 1.00 not supported",
        "| Has-IEEE754-Floats: 1| Has-IEEE754-Floats: 0| 505 Non-IEEE754 floats need protocol 1.00, which is not supported",
    })
    void malformedOrUnsupportedRequestsAreRefusedWithTheirReason(String requestLine, String replace, String with,
            String status) {
        String r = request(UID, replace, with);
        if (requestLine != null) {
            r = requestLine + r.substring(r.indexOf("\r\n"));
        }
        assertThat(refusalOf(r, info(ChannelFormat.FLOAT32, 8, 100))).isEqualTo(status);
        assertThat(FeedHeaders.refusal(status)).isEqualTo("LSL/110 " + status);
    }

    @Test
    void theHeaderCountIsBounded() throws Exception {
        StreamInfo info = info(ChannelFormat.FLOAT32, 1, 100);
        String most = "LSL:streamfeed/110 " + UID + "\r\n" + "X-Pad: 1\r\n".repeat(FeedHeaders.MAX_REQUEST_HEADERS)
                + "\r\n";
        assertThat(outletReads(most, info)).isNotNull();
        String tooMany = most.replace("\r\n\r\n", "\r\nX-Pad: 1\r\n\r\n");
        assertThat(refusalOf(tooMany, info)).isEqualTo("400 Too many headers");
    }

    @Test
    void anOverlongHeaderLineIsAnErrorAndAPeerLeavingMidRequestGetsNoAnswer() throws Exception {
        StreamInfo info = info(ChannelFormat.FLOAT32, 1, 100);
        String longLine = "LSL:streamfeed/110 " + UID + "\r\nX: " + "a".repeat(Net.MAX_LINE_BYTES) + "\r\n\r\n";
        assertThatThrownBy(() -> outletReads(longLine, info)).isInstanceOf(IOException.class)
                .hasMessage("line longer than " + Net.MAX_LINE_BYTES + " bytes");
        assertThat(outletReads("LSL:streamfeed/110 " + UID + "\r\nValue-Size: 4\r\n", info)).isNull();
    }

    // ------------------------------------------------------------------ response: outlet writes, inlet reads

    @Test
    void theOutletsResponseIsLiblslsAndTheInletReadsItsByteOrder() throws Exception {
        String little = FeedHeaders.response(UID, new FeedHeaders.Feed(false, false, 10));
        assertThat(little).isEqualTo("LSL/110 200 OK\r\nUID: " + UID + "\r\nByte-Order: 1234\r\n"
                + "Suppress-Subnormals: 0\r\nData-Protocol-Version: 110\r\n\r\n");
        String big = FeedHeaders.response(UID, new FeedHeaders.Feed(true, true, 10));
        assertThat(big).contains("Byte-Order: 4321\r\n", "Suppress-Subnormals: 1\r\n");
        assertThat(FeedHeaders.readResponse(lines(little), UID)).isFalse();
        assertThat(FeedHeaders.readResponse(lines(big), UID)).isTrue();
        // the inlet's own line source (its receive buffer) reads the same
        assertThat(FeedHeaders.readResponse(inletLines(big), UID)).isTrue();
        // Byte-Order 0 is the sender's native order, which liblsl only sends little-endian
        assertThat(FeedHeaders.readResponse(lines(little.replace("Byte-Order: 1234", "byte-order: 0 ; native")),
                UID)).isFalse();
    }

    /** {@code text} through an inlet's {@link SampleReader} (its own line reading, bounded the same way). */
    private static FeedHeaders.LineSource inletLines(String text) {
        SampleReader reader = new SampleReader(info(ChannelFormat.FLOAT32, 1, 100), 256, 1024,
                new SampleQueue(1, 4));
        reader.reset(Channels.newChannel(new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1))), null,
                () -> {
                    throw new IOException("timed out");
                }, 1000, Long.MAX_VALUE);
        return reader;
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        // response, whether the outlet is gone (re-resolve) or the feed failed (retry), the message
        "| true| outlet closed the connection without a response",
        "LSL/110 404 Not found\\r\\n| true| outlet answered 'LSL/110 404 Not found'",
        "LSL/110 301 Moved\\r\\n| true| outlet answered 'LSL/110 301 Moved'",
        "LSL/110 200 OK\\r\\nUID: other\\r\\nData-Protocol-Version: 110\\r\\n\\r\\n| true| outlet has uid other, expected " + UID,
        "LSL/110 505 Protocol 1.00 not supported| false| outlet refused the feed: 'LSL/110 505 Protocol 1.00 not supported'",
        "HTTP/1.1 200 OK\\r\\n| false| not an LSL response: 'HTTP/1.1 200 OK'",
        "LSL/110\\r\\n| false| not an LSL response: 'LSL/110'",
        "LSL/110 OK 200\\r\\n| false| bad status line: 'LSL/110 OK 200'",
        "LSL/110 200 OK\\r\\nByte-Order: 3412\\r\\n\\r\\n| false| unsupported Byte-Order 3412",
        "LSL/110 200 OK\\r\\nData-Protocol-Version: 1.10\\r\\n\\r\\n| false| bad Data-Protocol-Version '1.10'",
        "LSL/110 200 OK\\r\\nData-Protocol-Version: 100\\r\\n\\r\\n| false| outlet offered Data-Protocol-Version 100; only 110 is supported",
        "LSL/110 200 OK\\r\\nByte-Order: 1234\\r\\n\\r\\n| false| outlet offered Data-Protocol-Version -1; only 110 is supported",
        "LSL/110 200 OK\\r\\nByte-Order: 1234\\r\\n| false| response headers cut short",
    })
    void badResponsesAreRefusedWithTheirReason(String response, boolean gone, String message) {
        String text = response == null ? "" : response.replace("\\r\\n", "\r\n");
        for (FeedHeaders.LineSource source : new FeedHeaders.LineSource[] {lines(text), inletLines(text)}) {
            assertThatThrownBy(() -> FeedHeaders.readResponse(source, UID)).isInstanceOf(IOException.class)
                    .hasMessage(message)
                    .matches(e -> (e instanceof FeedHeaders.GoneException) == gone, "gone: " + gone);
        }
    }

    @Test
    void theInletBoundsResponseLinesAndAbbreviatesWhatItQuotes() {
        String status = "LSL/110 500 " + "x".repeat(200) + "\r\n";
        assertThatThrownBy(() -> FeedHeaders.readResponse(inletLines(status), UID))
                .hasMessage("outlet refused the feed: '" + status.substring(0, 120) + "...'");
        String longLine = "LSL/110 200 OK\r\nX: " + "a".repeat(Net.MAX_LINE_BYTES) + "\r\n\r\n";
        assertThatThrownBy(() -> FeedHeaders.readResponse(inletLines(longLine), UID))
                .isInstanceOf(IOException.class)
                .hasMessage("response line longer than " + Net.MAX_LINE_BYTES + " bytes");
        assertThatThrownBy(() -> FeedHeaders.readResponse(inletLines("LSL/110 200 OK\r\n"), UID))
                .isInstanceOf(EOFException.class);
    }
}
