package io.reflex.fpga.xclbin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.fpga.abi.KernelAbi;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Foreign, truncated, corrupt and oversized files: each gives an {@link XclbinFormatException} that names what is
 * wrong and where, and nothing else (no index error, no huge allocation).
 */
class XclbinReaderTest {

    private static final byte[] GOOD = XclbinBuilder.create().timestampS(0).kernel(KernelAbi.load("snn_kernel"))
            .kernel(KernelAbi.load("lfads_kernel")).build();

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** File offset of section header {@code i}. */
    private static int header(int i) {
        return Xclbin.OFF_SECTIONS + i * Xclbin.SECTION_HEADER_BYTES;
    }

    private static int sectionOffset(byte[] b, int i) {
        return (int) le(b).getLong(header(i) + 24);
    }

    private static void assertRefused(byte[] bytes, String... fragments) {
        assertThatThrownBy(() -> Xclbin.parse(bytes, "f.xclbin")).isInstanceOf(XclbinFormatException.class)
                .hasMessageStartingWith("f.xclbin: ").hasMessageContainingAll(fragments);
    }

    @Test
    void foreignAndShortFiles() {
        assertRefused(new byte[0], "not an xclbin", "0 bytes");
        byte[] elf = Arrays.copyOf(new byte[] {0x7F, 'E', 'L', 'F', 2, 1, 1, 0}, 4096);
        assertRefused(elf, "not an xclbin", "7f 45 4c 46", "expected 'xclbin2");
        byte[] old = GOOD.clone();
        System.arraycopy("xclbin0\0".getBytes(StandardCharsets.US_ASCII), 0, old, 0, 8);
        assertRefused(old, "unsupported xclbin format 'xclbin0.'", "offset 0");
        assertRefused(Arrays.copyOf(GOOD, 300), "truncated", "300 bytes");
    }

    @Test
    void lengthInTheHeaderMustMatchTheFile() throws Exception {
        assertRefused(Arrays.copyOf(GOOD, GOOD.length - 1), "truncated", "says " + GOOD.length, "has " + (GOOD.length - 1));
        assertRefused(Arrays.copyOf(GOOD, GOOD.length + 5), "5 bytes follow");
        byte[] neg = GOOD.clone();
        le(neg).putLong(Xclbin.OFF_LENGTH, -1L);
        assertRefused(neg, "truncated", "18446744073709551615");
        byte[] tiny = GOOD.clone();
        le(tiny).putLong(Xclbin.OFF_LENGTH, 100);
        assertRefused(tiny, "m_length 100", "shorter than the header");
        // a signed file carries its signature after m_length
        byte[] signed = Arrays.copyOf(GOOD, GOOD.length + 16);
        le(signed).putInt(Xclbin.OFF_SIGNATURE_LENGTH, 16);
        assertThat(Xclbin.parse(signed, "signed").signatureLength()).isEqualTo(16);
    }

    @Test
    void sectionTableAndSectionsAreBounded() {
        byte[] many = GOOD.clone();
        le(many).putInt(Xclbin.OFF_NUM_SECTIONS, 0x10001);
        assertRefused(many, "m_numSections 65537", "offset 448", "limit of 65536");
        byte[] past = GOOD.clone();
        le(past).putInt(Xclbin.OFF_NUM_SECTIONS, 1000);
        assertRefused(past, "truncated", "1000 section headers");

        byte[] far = GOOD.clone();
        le(far).putLong(header(1) + 24, 1L << 40);
        assertRefused(far, "section 1 (MEM_TOPOLOGY 'mem_topology', header at offset 496)", "1099511627776",
                "runs past");
        byte[] wrap = GOOD.clone();
        le(wrap).putLong(header(2) + 32, Long.MAX_VALUE);
        assertRefused(wrap, "section 2 (IP_LAYOUT", "runs past");
        byte[] neg = GOOD.clone();
        le(neg).putLong(header(2) + 32, -8);
        assertRefused(neg, "section 2", "18446744073709551608");
        byte[] overlap = GOOD.clone();
        le(overlap).putLong(header(3) + 24, 8);
        assertRefused(overlap, "section 3 (CONNECTIVITY", "overlaps the header");
    }

    @Test
    void tableCountsAreCheckedAgainstTheirSection() {
        byte[] mem = GOOD.clone();
        le(mem).putInt(sectionOffset(mem, 1), 1_000_000);
        assertRefused(mem, "section 1 (MEM_TOPOLOGY", "m_count 1000000", "40000008 bytes of mem_data");
        byte[] negMem = GOOD.clone();
        le(negMem).putInt(sectionOffset(negMem, 1), -3);
        assertRefused(negMem, "MEM_TOPOLOGY", "negative m_count -3");
        byte[] ip = GOOD.clone();
        le(ip).putInt(sectionOffset(ip, 2), Integer.MAX_VALUE);
        assertRefused(ip, "IP_LAYOUT", "m_count 2147483647");
        byte[] conn = GOOD.clone();
        // one more connection than the section holds (4 buffer arguments per kernel: 8)
        le(conn).putInt(sectionOffset(conn, 3), 9);
        assertRefused(conn, "CONNECTIVITY", "m_count 9");
        byte[] badMem = GOOD.clone();
        le(badMem).putInt(sectionOffset(badMem, 3) + 4 + 8, 32);
        assertRefused(badMem, "CONNECTIVITY entry 0", "mem_data_index 32", "32 entries");
        byte[] badIp = GOOD.clone();
        le(badIp).putInt(sectionOffset(badIp, 3) + 4 + 4, 2);
        assertRefused(badIp, "CONNECTIVITY entry 0", "m_ip_layout_index 2");
    }

    @Test
    void kernelXmlMustBeWellFormedAndSafe() {
        assertRefused(withXml("<project><platform"), "section 4 (EMBEDDED_METADATA", "not well-formed");
        assertRefused(withXml("<root/>"), "root is <root>");
        assertRefused(withXml("<!DOCTYPE p [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><project>&x;</project>"),
                "EMBEDDED_METADATA", "DOCTYPE");
        assertRefused(withXml("<project><platform><device><core><kernel name=\"k\"><arg name=\"a\" id=\"0\""
                + " offset=\"0xZZ\"/></kernel></core></device></platform></project>"), "kernel k argument 'a' offset",
                "'0xZZ' is not a number");
        assertRefused(withXml("<project><platform><device><core><kernel/></core></device></platform></project>"),
                "a <kernel> has no name");
    }

    @Test
    void unknownKindsAreKeptOpaque() throws Exception {
        byte[] b = GOOD.clone();
        le(b).putInt(header(5), 99);
        Xclbin x = Xclbin.parse(b, "f");
        assertThat(x.sections().get(5).kind()).isEqualTo(99);
        assertThat(x.sections().get(5).kindName()).isEqualTo("KIND_99");
        assertThat(x.sections().get(5).size()).isPositive();
        assertThat(x.buildMetadata()).isEmpty();
        assertThat(x.kernels()).hasSize(2);
    }

    @Test
    void filesAreCheckedBeforeTheyAreRead(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> Xclbin.read(dir.resolve("none.xclbin"))).isInstanceOf(XclbinFormatException.class)
                .hasMessageEndingWith("none.xclbin: no such file");
        assertThatThrownBy(() -> Xclbin.read(dir)).hasMessageContaining("not a regular file");
        Path huge = dir.resolve("huge.xclbin");
        try (RandomAccessFile f = new RandomAccessFile(huge.toFile(), "rw")) {
            f.setLength(Xclbin.MAX_FILE_BYTES + 1); // sparse: nothing is written, nothing is read
        }
        assertThatThrownBy(() -> Xclbin.read(huge)).isInstanceOf(XclbinFormatException.class)
                .hasMessageContaining((Xclbin.MAX_FILE_BYTES + 1) + " bytes is more than");
        Path ok = Files.write(dir.resolve("ok.xclbin"), GOOD);
        assertThat(Xclbin.read(ok).kernels()).hasSize(2);
    }

    /** Any truncation or byte corruption ends in a clear refusal or a parse, never in another exception. */
    @Property(tries = 400)
    void corruptionNeverEscapesAsAnotherException(@ForAll @IntRange(min = 0, max = 8000) int position,
            @ForAll @IntRange(min = 0, max = 255) int value, @ForAll @IntRange(min = 0, max = 8000) int cut) {
        byte[] b = GOOD.clone();
        b[position % b.length] = (byte) value;
        byte[] bytes = cut < b.length && cut % 3 == 0 ? Arrays.copyOf(b, cut) : b;
        try {
            Xclbin.parse(bytes, "p");
        } catch (XclbinFormatException e) {
            assertThat(e.getMessage()).startsWith("p: ");
        }
    }

    private static byte[] withXml(String xml) {
        byte[] b = GOOD.clone();
        byte[] x = xml.getBytes(StandardCharsets.UTF_8);
        int off = sectionOffset(b, 4);
        long size = le(b).getLong(header(4) + 32);
        assertThat(x.length).isLessThanOrEqualTo((int) size);
        Arrays.fill(b, off, (int) (off + size), (byte) 0);
        System.arraycopy(x, 0, b, off, x.length);
        return b;
    }

}
