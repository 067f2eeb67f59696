package io.reflex.fpga.xclbin;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.ErrorHandler;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * An xclbin read into memory: the {@code axlf} header of XRT's {@code xclbin.h}, its sections, and the sections XRT
 * needs to run a kernel, decoded (MEM_TOPOLOGY, IP_LAYOUT, CONNECTIVITY, the kernel XML of EMBEDDED_METADATA,
 * BUILD_METADATA). Other sections, including kinds this reader does not know, are kept as opaque bytes.
 *
 * <p>Every size, count and offset in the file is checked against the bytes actually present before anything is
 * allocated from it; a foreign, truncated, corrupt or oversized file gives an {@link XclbinFormatException} naming the
 * file, what is wrong and where. The file itself is read only after its size was checked against
 * {@link #MAX_FILE_BYTES}.
 */
public final class Xclbin {

    /** Largest file the reader accepts (real U55C xclbins are tens of MiB). */
    public static final long MAX_FILE_BYTES = 1L << 30;
    /** The only magic XRT accepts: {@code "xclbin2\0"}. */
    public static final String MAGIC = "xclbin2";
    /** {@code XCLBIN_MAX_NUM_SECTION}. */
    public static final int MAX_SECTIONS = 0x10000;

    // struct axlf
    static final int OFF_MAGIC = 0;
    static final int OFF_SIGNATURE_LENGTH = 8;
    static final int OFF_RESERVED = 12;
    static final int OFF_KEY_BLOCK = 40;
    static final int OFF_UNIQUE_ID = 296;
    // struct axlf_header, inline at 304
    static final int OFF_LENGTH = 304;
    static final int OFF_TIMESTAMP = 312;
    static final int OFF_FEATURE_ROM_TIMESTAMP = 320;
    static final int OFF_VERSION_PATCH = 328;
    static final int OFF_VERSION_MAJOR = 330;
    static final int OFF_VERSION_MINOR = 331;
    static final int OFF_MODE = 332;
    static final int OFF_ACTION_MASK = 334;
    static final int OFF_ROM_UUID = 336;
    static final int OFF_PLATFORM_VBNV = 352;
    static final int OFF_UUID = 416;
    static final int OFF_DEBUG_BIN = 432;
    static final int OFF_NUM_SECTIONS = 448;
    /** First section header ({@code m_sections}). */
    static final int OFF_SECTIONS = 456;
    /** {@code sizeof(struct axlf)}: the header with room for one section header. */
    static final int AXLF_BYTES = 496;
    /** {@code sizeof(struct axlf_section_header)}. */
    static final int SECTION_HEADER_BYTES = 40;
    static final int SECTION_NAME_BYTES = 16;
    static final int MEM_DATA_BYTES = 40;
    static final int IP_DATA_BYTES = 80;
    static final int CONNECTION_BYTES = 12;
    static final int VBNV_BYTES = 64;
    static final int IP_NAME_BYTES = 64;
    static final int MEM_TAG_BYTES = 16;

    private final String source;
    private final int signatureLength;
    private final long uniqueId;
    private final long length;
    private final long timestampS;
    private final long featureRomTimestamp;
    private final int versionMajor;
    private final int versionMinor;
    private final int versionPatch;
    private final int mode;
    private final int actionMask;
    private final byte[] romUuid;
    private final String platformVbnv;
    private final UUID uuid;
    private final List<XclbinSection> sections;
    private final List<MemBank> memBanks;
    private final List<IpInstance> ips;
    private final List<ArgConnection> connections;
    private final List<KernelInfo> kernels;
    private final String buildMetadata;

    private Xclbin(Parser p) {
        this.source = p.source;
        this.signatureLength = p.signatureLength;
        this.uniqueId = p.uniqueId;
        this.length = p.length;
        this.timestampS = p.timestampS;
        this.featureRomTimestamp = p.featureRomTimestamp;
        this.versionMajor = p.versionMajor;
        this.versionMinor = p.versionMinor;
        this.versionPatch = p.versionPatch;
        this.mode = p.mode;
        this.actionMask = p.actionMask;
        this.romUuid = p.romUuid;
        this.platformVbnv = p.platformVbnv;
        this.uuid = p.uuid;
        this.sections = Collections.unmodifiableList(p.sections);
        this.memBanks = Collections.unmodifiableList(p.memBanks);
        this.ips = Collections.unmodifiableList(p.ips);
        this.connections = Collections.unmodifiableList(p.connections);
        this.kernels = Collections.unmodifiableList(p.kernels);
        this.buildMetadata = p.buildMetadata;
    }

    /**
     * Reads and checks an xclbin file.
     *
     * @throws XclbinFormatException when the file is missing, not a regular file, too large, foreign, truncated or
     *                               corrupt (the message says which, and where)
     * @throws IOException           when reading fails
     */
    public static Xclbin read(Path file) throws IOException {
        String src = file.toString();
        if (!Files.exists(file)) {
            throw new XclbinFormatException(src + ": no such file");
        }
        if (!Files.isRegularFile(file)) {
            throw new XclbinFormatException(src + ": not a regular file");
        }
        long size = Files.size(file);
        if (size > MAX_FILE_BYTES) {
            throw new XclbinFormatException(src + ": " + size + " bytes is more than the " + MAX_FILE_BYTES
                    + " this reader accepts (not an xclbin, or an unexpectedly large one)");
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            // readNBytes bounds the allocation to the size checked above even if the file grows meanwhile.
            bytes = in.readNBytes((int) size);
        } catch (NoSuchFileException e) {
            throw new XclbinFormatException(src + ": no such file", e);
        }
        return parse(bytes, src);
    }

    /**
     * Checks and decodes xclbin bytes.
     *
     * @param source what to call the bytes in error messages (usually the file name)
     * @throws XclbinFormatException when the bytes are not a well-formed xclbin
     */
    public static Xclbin parse(byte[] bytes, String source) throws XclbinFormatException {
        Parser p = new Parser(bytes, source);
        p.parse();
        return new Xclbin(p);
    }

    /** The file name (or label) the xclbin was read from. */
    public String source() {
        return source;
    }

    /** {@code m_signature_length}: -1 when the file is not signed. */
    public int signatureLength() {
        return signatureLength;
    }

    /** {@code m_uniqueId}. */
    public long uniqueId() {
        return uniqueId;
    }

    /** {@code m_header.m_length}: bytes of the container (without a signature). */
    public long length() {
        return length;
    }

    /** {@code m_timeStamp}: seconds since the epoch when the file was made. */
    public long timestampS() {
        return timestampS;
    }

    /** {@code m_featureRomTimeStamp}. */
    public long featureRomTimestamp() {
        return featureRomTimestamp;
    }

    /** {@code m_versionMajor.m_versionMinor.m_versionPatch}: the version of the tool that made the file. */
    public String version() {
        return versionMajor + "." + versionMinor + "." + versionPatch;
    }

    /** {@code m_mode} ({@code enum XCLBIN_MODE}). */
    public int mode() {
        return mode;
    }

    /** The mode's name, e.g. {@code "XCLBIN_FLAT"}. */
    public String modeName() {
        String[] names = {"XCLBIN_FLAT", "XCLBIN_PR", "XCLBIN_TANDEM_STAGE2", "XCLBIN_TANDEM_STAGE2_WITH_PR",
            "XCLBIN_HW_EMU", "XCLBIN_SW_EMU", "XCLBIN_HW_EMU_PR"};
        return mode >= 0 && mode < names.length ? names[mode] : "XCLBIN_MODE_" + mode;
    }

    /** {@code m_actionMask}. */
    public int actionMask() {
        return actionMask;
    }

    /** The 16 bytes of the feature-ROM / interface UUID ({@code rom_uuid}) as hex. */
    public String romUuidHex() {
        return HexFormat.of().formatHex(romUuid);
    }

    /** {@code m_platformVBNV}, e.g. {@code "xilinx_u55c_gen3x16_xdma_3_202210_1"}. */
    public String platformVbnv() {
        return platformVbnv;
    }

    /** The xclbin's UUID ({@code m_header.uuid}), the id XRT opens kernels with. */
    public UUID uuid() {
        return uuid;
    }

    /** The UUID as the 16 bytes of a {@code xuid_t}. */
    public byte[] uuidBytes() {
        return uuidToBytes(uuid);
    }

    /** Every section in file order. */
    public List<XclbinSection> sections() {
        return sections;
    }

    /** The first section of a kind. */
    public Optional<XclbinSection> section(SectionKind kind) {
        return sections.stream().filter(s -> s.kind() == kind.code()).findFirst();
    }

    /** MEM_TOPOLOGY in index (group id) order; empty when the section is absent. */
    public List<MemBank> memBanks() {
        return memBanks;
    }

    /** IP_LAYOUT in file order; empty when the section is absent. */
    public List<IpInstance> ips() {
        return ips;
    }

    /** CONNECTIVITY in file order; empty when the section is absent. */
    public List<ArgConnection> connections() {
        return connections;
    }

    /** The kernels of the EMBEDDED_METADATA XML; empty when the section is absent. */
    public List<KernelInfo> kernels() {
        return kernels;
    }

    /** The kernel of that name. */
    public Optional<KernelInfo> kernel(String name) {
        return kernels.stream().filter(k -> k.name().equals(name)).findFirst();
    }

    /** The compute units (IP_KERNEL entries of IP_LAYOUT) of a kernel. */
    public List<IpInstance> computeUnits(String kernel) {
        List<IpInstance> out = new ArrayList<>();
        for (IpInstance ip : ips) {
            if (ip.isKernel() && ip.kernelName().equals(kernel)) {
                out.add(ip);
            }
        }
        return out;
    }

    /** The memories argument {@code argIndex} of a kernel's compute units is connected to (CONNECTIVITY), in order. */
    public List<MemBank> memoryOf(String kernel, int argIndex) {
        List<MemBank> out = new ArrayList<>();
        for (IpInstance cu : computeUnits(kernel)) {
            for (ArgConnection c : connections) {
                if (c.ipLayoutIndex() == cu.index() && c.argIndex() == argIndex) {
                    MemBank m = memBanks.get(c.memDataIndex());
                    if (!out.contains(m)) {
                        out.add(m);
                    }
                }
            }
        }
        return out;
    }

    /** The BUILD_METADATA section as text (JSON when written by v++ or this package), or empty. */
    public Optional<String> buildMetadata() {
        return Optional.ofNullable(buildMetadata);
    }

    /** The EMBEDDED_METADATA XML as text, or empty. */
    public Optional<String> embeddedMetadataXml() {
        return section(SectionKind.EMBEDDED_METADATA).map(s -> text(s.data()));
    }

    static byte[] uuidToBytes(UUID u) {
        return ByteBuffer.allocate(16).order(ByteOrder.BIG_ENDIAN)
                .putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits()).array();
    }

    /** Text of a section: UTF-8 up to the first NUL (tools pad text sections with NULs). */
    static String text(byte[] data) {
        int n = 0;
        while (n < data.length && data[n] != 0) {
            n++;
        }
        return new String(data, 0, n, StandardCharsets.UTF_8);
    }

    /** A fresh XML parser that resolves no DTD or external entity (the XML comes from files of any origin). */
    static DocumentBuilder secureXmlParser() {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature("http://xml.org/sax/features/external-general-entities", false);
            f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            f.setXIncludeAware(false);
            f.setExpandEntityReferences(false);
            f.setNamespaceAware(false);
            DocumentBuilder b = f.newDocumentBuilder();
            // The default handler prints "[Fatal Error]" lines to stderr; the caller reports the exception instead.
            b.setErrorHandler(new ErrorHandler() {
                @Override
                public void warning(SAXParseException e) {
                }

                @Override
                public void error(SAXParseException e) throws SAXException {
                    throw e;
                }

                @Override
                public void fatalError(SAXParseException e) throws SAXException {
                    throw e;
                }
            });
            return b;
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("the JDK's XML parser lacks a secure-processing feature", e);
        }
    }

    /** Decoding state; every read goes through a bounds check against the bytes present. */
    private static final class Parser {
        final byte[] b;
        final ByteBuffer buf;
        final String source;
        int signatureLength;
        long uniqueId;
        long length;
        long timestampS;
        long featureRomTimestamp;
        int versionMajor;
        int versionMinor;
        int versionPatch;
        int mode;
        int actionMask;
        byte[] romUuid;
        String platformVbnv;
        UUID uuid;
        final List<XclbinSection> sections = new ArrayList<>();
        final List<MemBank> memBanks = new ArrayList<>();
        final List<IpInstance> ips = new ArrayList<>();
        final List<ArgConnection> connections = new ArrayList<>();
        final List<KernelInfo> kernels = new ArrayList<>();
        String buildMetadata;

        Parser(byte[] bytes, String source) {
            this.b = bytes;
            this.buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            this.source = source;
        }

        XclbinFormatException fail(String what) {
            return new XclbinFormatException(source + ": " + what);
        }

        void parse() throws XclbinFormatException {
            if (b.length < OFF_SECTIONS) {
                if (b.length >= 7 && new String(b, 0, 7, StandardCharsets.ISO_8859_1).equals(MAGIC)) {
                    throw fail("truncated: " + b.length + " bytes, the axlf header alone needs " + AXLF_BYTES);
                }
                throw fail("not an xclbin: " + b.length + " bytes, shorter than the " + AXLF_BYTES
                        + "-byte axlf header");
            }
            checkMagic();
            signatureLength = buf.getInt(OFF_SIGNATURE_LENGTH);
            uniqueId = buf.getLong(OFF_UNIQUE_ID);
            length = buf.getLong(OFF_LENGTH);
            timestampS = buf.getLong(OFF_TIMESTAMP);
            featureRomTimestamp = buf.getLong(OFF_FEATURE_ROM_TIMESTAMP);
            versionPatch = Short.toUnsignedInt(buf.getShort(OFF_VERSION_PATCH));
            versionMajor = Byte.toUnsignedInt(b[OFF_VERSION_MAJOR]);
            versionMinor = Byte.toUnsignedInt(b[OFF_VERSION_MINOR]);
            mode = Short.toUnsignedInt(buf.getShort(OFF_MODE));
            actionMask = Short.toUnsignedInt(buf.getShort(OFF_ACTION_MASK));
            romUuid = slice(OFF_ROM_UUID, 16);
            platformVbnv = cString(OFF_PLATFORM_VBNV, VBNV_BYTES);
            ByteBuffer u = ByteBuffer.wrap(b, OFF_UUID, 16).order(ByteOrder.BIG_ENDIAN);
            uuid = new UUID(u.getLong(), u.getLong());
            checkLength();
            readSectionHeaders();
            decodeSections();
        }

        void checkMagic() throws XclbinFormatException {
            String magic = new String(b, 0, 8, StandardCharsets.ISO_8859_1);
            if (magic.equals(MAGIC + "\0")) {
                return;
            }
            if (magic.startsWith("xclbin")) {
                throw fail("unsupported xclbin format '" + printable(magic) + "' at offset 0 (XRT reads only '"
                        + MAGIC + "')");
            }
            throw fail("not an xclbin: the first 8 bytes are " + HexFormat.ofDelimiter(" ").formatHex(b, 0, 8)
                    + " ('" + printable(magic) + "'), expected '" + MAGIC + "\\0'");
        }

        void checkLength() throws XclbinFormatException {
            if (length < 0 || length > b.length) {
                throw fail("truncated: the header (m_length at offset " + OFF_LENGTH + ") says "
                        + Long.toUnsignedString(length) + " bytes, the file has " + b.length);
            }
            if (length < OFF_SECTIONS) {
                throw fail("corrupt header: m_length " + length + " at offset " + OFF_LENGTH
                        + " is shorter than the header itself (" + AXLF_BYTES + " bytes)");
            }
            long extra = b.length - length;
            if (extra != 0 && !(signatureLength > 0 && extra == signatureLength)) {
                throw fail("corrupt: " + extra + " bytes follow the " + length + " bytes the header declares"
                        + (signatureLength > 0 ? " (the signature is " + signatureLength + " bytes)" : "")
                        + " (concatenated or damaged file)");
            }
        }

        void readSectionHeaders() throws XclbinFormatException {
            long n = Integer.toUnsignedLong(buf.getInt(OFF_NUM_SECTIONS));
            if (n > MAX_SECTIONS) {
                throw fail("corrupt header: m_numSections " + n + " at offset " + OFF_NUM_SECTIONS
                        + " is above XRT's limit of " + MAX_SECTIONS);
            }
            long tableEnd = OFF_SECTIONS + n * SECTION_HEADER_BYTES;
            if (tableEnd > length) {
                throw fail("truncated: " + n + " section headers end at offset " + tableEnd
                        + ", past the file's " + length + " bytes");
            }
            for (int i = 0; i < n; i++) {
                int h = OFF_SECTIONS + i * SECTION_HEADER_BYTES;
                int kind = buf.getInt(h);
                String name = cString(h + 4, SECTION_NAME_BYTES);
                long off = buf.getLong(h + 24);
                long size = buf.getLong(h + 32);
                String what = "section " + i + " (" + SectionKind.label(kind) + " '" + name + "', header at offset "
                        + h + ")";
                if (off < 0 || size < 0 || off > length || size > length - off) {
                    throw fail(what + ": data at offset " + Long.toUnsignedString(off) + " of "
                            + Long.toUnsignedString(size) + " bytes runs past the file's " + length + " bytes");
                }
                if (size > 0 && off < tableEnd) {
                    throw fail(what + ": data at offset " + off + " overlaps the header (which ends at " + tableEnd
                            + ")");
                }
                sections.add(new XclbinSection(kind, name, off, slice((int) off, (int) size)));
            }
        }

        void decodeSections() throws XclbinFormatException {
            for (int i = 0; i < sections.size(); i++) {
                XclbinSection s = sections.get(i);
                String what = "section " + i + " (" + s.kindName() + " at offset " + s.offset() + ")";
                if (s.kind() == SectionKind.MEM_TOPOLOGY.code() && memBanks.isEmpty()) {
                    decodeMemTopology(s.data(), what);
                } else if (s.kind() == SectionKind.IP_LAYOUT.code() && ips.isEmpty()) {
                    decodeIpLayout(s.data(), what);
                } else if (s.kind() == SectionKind.CONNECTIVITY.code() && connections.isEmpty()) {
                    decodeConnectivity(s.data(), what);
                } else if (s.kind() == SectionKind.EMBEDDED_METADATA.code() && kernels.isEmpty()) {
                    decodeKernels(s.data(), what);
                } else if (s.kind() == SectionKind.BUILD_METADATA.code() && buildMetadata == null) {
                    buildMetadata = text(s.data());
                }
            }
            for (int i = 0; i < connections.size(); i++) {
                ArgConnection c = connections.get(i);
                if (c.ipLayoutIndex() < 0 || c.ipLayoutIndex() >= ips.size()) {
                    throw fail("CONNECTIVITY entry " + i + ": m_ip_layout_index " + c.ipLayoutIndex()
                            + " is outside IP_LAYOUT (" + ips.size() + " entries)");
                }
                if (c.memDataIndex() < 0 || c.memDataIndex() >= memBanks.size()) {
                    throw fail("CONNECTIVITY entry " + i + ": mem_data_index " + c.memDataIndex()
                            + " is outside MEM_TOPOLOGY (" + memBanks.size() + " entries)");
                }
            }
        }

        /** The count at the start of a table section, checked against the section's size. */
        int tableCount(byte[] d, String what, int countBytes, int headBytes, int entryBytes, String struct)
                throws XclbinFormatException {
            if (d.length < countBytes) {
                throw fail(what + ": " + d.length + " bytes, too short for its count");
            }
            ByteBuffer s = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
            long count = countBytes == 2 ? s.getShort(0) : s.getInt(0);
            if (count < 0) {
                throw fail(what + ": negative m_count " + count);
            }
            long need = headBytes + count * entryBytes;
            if (need > d.length) {
                throw fail(what + ": m_count " + count + " needs " + need + " bytes of " + struct + ", the section has "
                        + d.length);
            }
            return (int) count;
        }

        void decodeMemTopology(byte[] d, String what) throws XclbinFormatException {
            int n = tableCount(d, what, 4, 8, MEM_DATA_BYTES, "mem_data");
            ByteBuffer s = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                int e = 8 + i * MEM_DATA_BYTES;
                memBanks.add(new MemBank(i, Byte.toUnsignedInt(d[e]), d[e + 1] != 0, s.getLong(e + 8), s.getLong(e + 16),
                        cString(d, e + 24, MEM_TAG_BYTES)));
            }
        }

        void decodeIpLayout(byte[] d, String what) throws XclbinFormatException {
            int n = tableCount(d, what, 4, 8, IP_DATA_BYTES, "ip_data");
            ByteBuffer s = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                int e = 8 + i * IP_DATA_BYTES;
                ips.add(new IpInstance(i, s.getInt(e), s.getInt(e + 4), s.getLong(e + 8), cString(d, e + 16, IP_NAME_BYTES)));
            }
        }

        void decodeConnectivity(byte[] d, String what) throws XclbinFormatException {
            int n = tableCount(d, what, 4, 4, CONNECTION_BYTES, "connection");
            ByteBuffer s = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                int e = 4 + i * CONNECTION_BYTES;
                connections.add(new ArgConnection(s.getInt(e), s.getInt(e + 4), s.getInt(e + 8)));
            }
        }

        void decodeKernels(byte[] d, String what) throws XclbinFormatException {
            int n = 0;
            while (n < d.length && d[n] != 0) {
                n++;
            }
            Document doc;
            try {
                doc = secureXmlParser().parse(new ByteArrayInputStream(d, 0, n));
            } catch (SAXParseException e) {
                throw fail(what + ": the kernel XML is not well-formed (line " + e.getLineNumber() + ", column "
                        + e.getColumnNumber() + "): " + e.getMessage());
            } catch (SAXException | IOException e) {
                throw fail(what + ": the kernel XML cannot be read: " + e.getMessage());
            }
            Element project = doc.getDocumentElement();
            if (!project.getTagName().equals("project")) {
                throw fail(what + ": the XML's root is <" + project.getTagName() + ">, XRT expects <project>");
            }
            for (Element platform : children(project, "platform")) {
                for (Element device : children(platform, "device")) {
                    for (Element core : children(device, "core")) {
                        for (Element k : children(core, "kernel")) {
                            kernels.add(kernel(k, what));
                        }
                    }
                }
            }
        }

        KernelInfo kernel(Element k, String what) throws XclbinFormatException {
            String name = k.getAttribute("name");
            if (name.isEmpty()) {
                throw fail(what + ": a <kernel> has no name");
            }
            long range = 0;
            for (Element port : children(k, "port")) {
                if (port.getAttribute("mode").equals("slave")) {
                    range = number(port.getAttribute("range"), what + ": kernel " + name + " port "
                            + port.getAttribute("name") + " range");
                    break;
                }
            }
            List<KernelArgInfo> args = new ArrayList<>();
            for (Element a : children(k, "arg")) {
                String an = a.getAttribute("name");
                String where = what + ": kernel " + name + " argument '" + an + "' ";
                long id = number(a.getAttribute("id"), where + "id");
                if (id > Integer.MAX_VALUE) {
                    throw fail(where + "id " + id + " is out of range");
                }
                long aq = number(a.getAttribute("addressQualifier"), where + "addressQualifier");
                args.add(new KernelArgInfo(an, (int) id, (int) Math.min(aq, Integer.MAX_VALUE),
                        number(a.getAttribute("offset"), where + "offset"), number(a.getAttribute("size"), where + "size"),
                        number(a.getAttribute("hostSize"), where + "hostSize"), a.getAttribute("type"),
                        a.getAttribute("port")));
            }
            args.sort((x, y) -> Integer.compare(x.id(), y.id()));
            List<String> instances = new ArrayList<>();
            for (Element inst : children(k, "instance")) {
                instances.add(inst.getAttribute("name"));
            }
            return new KernelInfo(name, range, List.copyOf(args), List.copyOf(instances));
        }

        /** An XML number as XRT reads it ({@code std::stoul(s, nullptr, 0)}: decimal, 0x hex or 0 octal). */
        long number(String s, String what) throws XclbinFormatException {
            String t = s.strip();
            if (t.isEmpty()) {
                return 0;
            }
            try {
                long v;
                if (t.startsWith("0x") || t.startsWith("0X")) {
                    v = Long.parseUnsignedLong(t.substring(2), 16);
                } else if (t.length() > 1 && t.startsWith("0")) {
                    v = Long.parseUnsignedLong(t.substring(1), 8);
                } else {
                    v = Long.parseUnsignedLong(t);
                }
                return v;
            } catch (NumberFormatException e) {
                throw fail(what + " '" + s + "' is not a number");
            }
        }

        byte[] slice(int off, int len) {
            byte[] out = new byte[len];
            System.arraycopy(b, off, out, 0, len);
            return out;
        }

        String cString(int off, int max) {
            return cString(b, off, max);
        }

        static String cString(byte[] d, int off, int max) {
            int n = 0;
            while (n < max && d[off + n] != 0) {
                n++;
            }
            return new String(d, off, n, StandardCharsets.UTF_8);
        }

        static String printable(String s) {
            StringBuilder sb = new StringBuilder();
            for (char c : s.toCharArray()) {
                sb.append(c >= 0x20 && c < 0x7F ? c : '.');
            }
            return sb.toString();
        }

        static List<Element> children(Element parent, String tag) {
            List<Element> out = new ArrayList<>();
            for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
                if (n instanceof Element e && e.getTagName().equals(tag)) {
                    out.add(e);
                }
            }
            return out;
        }
    }
}
