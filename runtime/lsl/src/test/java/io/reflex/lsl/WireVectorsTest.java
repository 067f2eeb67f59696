package io.reflex.lsl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Byte-exact vectors from docs/lsl-wire.md (captures between liblsl programs). */
class WireVectorsTest {

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    @Test
    void float32TestPatternMatchesTheLiblslCapture() {
        byte[] wire = TestPattern.wire(ChannelFormat.FLOAT32, 8, false);
        assertThat(wire).hasSize(2 * (9 + 32));
        // 02 <123456.789> 4, -5, 6, -7, 8, -9, 10, -11
        assertThat(Arrays.copyOfRange(wire, 0, 17)).isEqualTo(hex("02 c976be9f0c24fe40 00008040 0000a0c0"));
        assertThat(Arrays.copyOfRange(wire, 37, 41)).isEqualTo(hex("000030c1"));
        // second sample: 2, -3, ...
        assertThat(Arrays.copyOfRange(wire, 41, 58)).isEqualTo(hex("02 c976be9f0c24fe40 00000040 000040c0"));
    }

    @Test
    void bigEndianTestPatternStartsLikeTheCapture() {
        byte[] wire = TestPattern.wire(ChannelFormat.FLOAT32, 8, true);
        assertThat(Arrays.copyOfRange(wire, 0, 13)).isEqualTo(hex("02 40fe240c9fbe76c9 40800000"));
    }

    @Test
    void stringTestPatternIsTenMinusElevenTwelve() {
        byte[] wire = TestPattern.wire(ChannelFormat.STRING, 3, false);
        // 02 <ts> 01 02 "10" 01 03 "-11" 01 02 "12", twice (strings ignore the offset)
        byte[] one = hex("02 c976be9f0c24fe40 0102 3130 0103 2d3131 0102 3132");
        assertThat(wire).hasSize(2 * one.length);
        assertThat(Arrays.copyOfRange(wire, 0, one.length)).isEqualTo(one);
        assertThat(Arrays.copyOfRange(wire, one.length, wire.length)).isEqualTo(one);
    }

    @ParameterizedTest
    @EnumSource(value = ChannelFormat.class, names = {"FLOAT32", "DOUBLE64", "INT8", "INT16", "INT32", "INT64"})
    void numericTestPatternsFollowTheFormula(ChannelFormat format) {
        int channels = 300; // past 127 so the int8 modulo matters
        for (int offset : TestPattern.OFFSETS) {
            byte[] s = TestPattern.storage(format, channels, offset);
            for (int k = 0; k < channels; k++) {
                double expected = switch (format) {
                    case FLOAT32 -> (float) k + (float) offset;
                    case DOUBLE64 -> k + offset + 16777217.0;
                    case INT32 -> (k + offset + 65537) % 2147483647;
                    case INT16 -> (k + offset + 257) % 32767;
                    case INT8 -> (k + offset + 1) % 127;
                    case INT64 -> k + offset + 2147483649.0;
                    default -> throw new AssertionError();
                };
                if (k % 2 == 1) {
                    expected = -expected;
                }
                assertThat(Wire.loadDouble(format, s, 0, k)).as("%s offset %d channel %d", format, offset, k)
                        .isEqualTo(expected);
            }
        }
    }

    @Test
    void int8PatternWrapsAtTheModulo() {
        byte[] s = TestPattern.storage(ChannelFormat.INT8, 130, 4);
        // k=122: (122+4+1) % 127 = 0; k=123 (odd): -((123+5) % 127) = -1
        assertThat(s[122]).isEqualTo((byte) 0);
        assertThat(s[123]).isEqualTo((byte) -1);
    }

    @Test
    void timestampsAreLittleEndianDoubles() {
        byte[] out = new byte[9];
        Wire.encodeSample(ChannelFormat.INT8, 0, true, 123456.789, new byte[0], 0, false, false, out, 0);
        assertThat(out).isEqualTo(hex("02 c976be9f0c24fe40"));
    }

    @Test
    void longStringsUseFourByteLengths() {
        byte[][] v = {new byte[256], new byte[255]};
        byte[] storage = new byte[Wire.stringStorageBytes(v, 2)];
        Wire.storeStrings(v, 2, storage, 0);
        byte[] out = new byte[1 + 5 + 256 + 2 + 255];
        int end = Wire.encodeSample(ChannelFormat.STRING, 2, false, 0, storage, 0, false, false, out, 0);
        assertThat(end).isEqualTo(out.length);
        assertThat(Arrays.copyOfRange(out, 0, 6)).isEqualTo(hex("01 04 00010000"));
        assertThat(Arrays.copyOfRange(out, 262, 264)).isEqualTo(hex("01 ff"));
    }

    @Test
    void subnormalsAreFlushedOnlyWhenAsked() {
        byte[] storage = new byte[4];
        Wire.FLOAT_LE.set(storage, 0, Float.MIN_VALUE);
        byte[] out = new byte[5];
        Wire.encodeSample(ChannelFormat.FLOAT32, 1, false, 0, storage, 0, false, true, out, 0);
        assertThat(out).isEqualTo(hex("01 00000000"));
        Wire.encodeSample(ChannelFormat.FLOAT32, 1, false, 0, storage, 0, false, false, out, 0);
        assertThat(out).isEqualTo(hex("01 01000000"));
    }

    @Test
    void doublesRenderLikeLiblsl() {
        assertThat(LslNumbers.showpoint16(100)).isEqualTo("100.0000000000000");
        assertThat(LslNumbers.showpoint16(1.1)).isEqualTo("1.100000000000000");
        assertThat(LslNumbers.showpoint16(0)).isEqualTo("0.000000000000000");
        assertThat(LslNumbers.showpoint16(592.121224514)).isEqualTo("592.1212245140000");
        assertThat(LslNumbers.general16(592.177877513)).isEqualTo("592.177877513");
        assertThat(LslNumbers.general16(123456.789)).isEqualTo("123456.789");
        assertThat(LslNumbers.general16(2)).isEqualTo("2");
        assertThat(LslNumbers.general16(1e-7)).isEqualTo("1e-07");
        assertThat(LslNumbers.general16(1e20)).isEqualTo("1e+20");
        assertThat(LslNumbers.general16(-0.5)).isEqualTo("-0.5");
    }

    @Test
    void shortInfoRendersExactlyAsPugixml() {
        StreamInfo info = StreamInfo.builder("Test", "EEG", 8, 100, ChannelFormat.FLOAT32, "sid")
                .uid("1980bc18-3597-488a-9b51-5798b6f4583a").createdAt(592.121224514).hostname("host")
                .v4dataPort(16572).v4servicePort(16572).build();
        info.desc().appendChildValue("manufacturer", "x");
        String expected = "<?xml version=\"1.0\"?>\n<info>\n"
                + "\t<name>Test</name>\n\t<type>EEG</type>\n\t<channel_count>8</channel_count>\n"
                + "\t<channel_format>float32</channel_format>\n\t<source_id>sid</source_id>\n"
                + "\t<nominal_srate>100.0000000000000</nominal_srate>\n\t<version>1.100000000000000</version>\n"
                + "\t<created_at>592.1212245140000</created_at>\n"
                + "\t<uid>1980bc18-3597-488a-9b51-5798b6f4583a</uid>\n\t<session_id>default</session_id>\n"
                + "\t<hostname>host</hostname>\n\t<v4address></v4address>\n\t<v4data_port>16572</v4data_port>\n"
                + "\t<v4service_port>16572</v4service_port>\n\t<v6address></v6address>\n"
                + "\t<v6data_port>0</v6data_port>\n\t<v6service_port>0</v6service_port>\n\t<desc />\n</info>\n";
        assertThat(info.toShortXml()).isEqualTo(expected);
        assertThat(info.toFullXml()).isEqualTo(expected.replace("\t<desc />\n",
                "\t<desc>\n\t\t<manufacturer>x</manufacturer>\n\t</desc>\n"));
    }

    @Test
    void infoParsesBackToTheSameXml() {
        StreamInfo.Builder b = StreamInfo.builder("N", "T", 3, 0, ChannelFormat.INT16, "");
        b.desc().appendChild("a").appendChild("b").appendChildValue("c", "1");
        b.desc().appendChild("empty");
        StreamInfo info = b.createdAt(1.5).hostname("h").v4dataPort(1).v4servicePort(2).build();
        StreamInfo back = StreamInfo.parse(info.toFullXml());
        assertThat(back.toFullXml()).isEqualTo(info.toFullXml());
        assertThat(back.version()).isEqualTo(110);
        assertThat(back.channelFormat()).isEqualTo(ChannelFormat.INT16);
    }

    @Test
    void malformedInfoIsRefusedClearly() {
        assertThatThrownBy(() -> StreamInfo.parse("<info><name>x</name></info>"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("uid");
        assertThatThrownBy(() -> StreamInfo.parse("not xml")).hasMessageContaining("malformed");
        assertThatThrownBy(() -> StreamInfo.parse("<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><info/>"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void xpathQueriesMatchLikeLiblsl() {
        StreamInfo.Builder b = StreamInfo.builder("EEG-1", "EEG", 8, 100, ChannelFormat.FLOAT32, "amp");
        b.desc().appendChildValue("manufacturer", "Acme");
        QueryMatcher m = new QueryMatcher(b.build());
        assertThat(m.matches("session_id='default' and type='EEG'")).isTrue();
        assertThat(m.matches(" name='EEG-1' ")).isTrue();
        assertThat(m.matches("channel_count>4 and starts-with(name,'EEG')")).isTrue();
        assertThat(m.matches("desc/manufacturer='Acme'")).isTrue();
        assertThat(m.matches("type='Markers'")).isFalse();
        assertThat(m.matches("")).isTrue();
        assertThat(m.matches("name=='x")).isFalse();
        assertThat(m.invalidQueries()).isEqualTo(1);
        assertThat(Resolver.byProperty("name", "it's")).isEqualTo("name=\"it's\"");
    }

    @ParameterizedTest
    @EnumSource(value = ChannelFormat.class, names = "UNDEFINED", mode = EnumSource.Mode.EXCLUDE)
    void aDeducedSampleRetaggedInPlaceIsTheExplicitEncoding(ChannelFormat format) {
        // the outlet's sender does this when a drop is counted after it encoded a sample with tag 1
        byte[] storage = TestPattern.storage(format, 5, 4);
        for (boolean big : new boolean[] {false, true}) {
            byte[] explicit = new byte[256];
            int explicitEnd = Wire.encodeSample(format, 5, true, 42.25, storage, 0, big, false, explicit, 7);
            byte[] retagged = new byte[256];
            int deducedEnd = Wire.encodeSample(format, 5, false, 42.25, storage, 0, big, false, retagged, 7);
            assertThat(retagged[7]).isEqualTo((byte) Wire.TAG_DEDUCED);
            int end = Wire.retagExplicit(retagged, 7, deducedEnd, 42.25, big);
            assertThat(end).isEqualTo(explicitEnd);
            assertThat(Arrays.copyOfRange(retagged, 7, end)).isEqualTo(Arrays.copyOfRange(explicit, 7, explicitEnd));
        }
    }
}
