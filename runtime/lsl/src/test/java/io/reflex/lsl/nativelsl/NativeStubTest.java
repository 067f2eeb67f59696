package io.reflex.lsl.nativelsl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.lsl.ChannelFormat;
import io.reflex.lsl.InletOptions;
import io.reflex.lsl.LslConfig;
import io.reflex.lsl.StreamInfo;
import io.reflex.lsl.StreamInlet;
import io.reflex.lsl.StreamOutlet;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The native backend's paths that need no liblsl: every NULL handle and error code liblsl can return is met with
 * an exception or a result, never passed on to another liblsl call (issue #13: a NULL reaching lsl_get_xml killed
 * the JVM), and stream infos reach liblsl only as the resolver's own handles.
 */
class NativeStubTest {
    private static final String UID = "0b5e8c1a-1111-4c4c-9d9d-000000000001";
    private final StubLsl stub = new StubLsl();
    private final NativeLsl lsl = new NativeLsl(stub, LslConfig.loopback());

    private static String xml(String name, String uid) {
        return StreamInfo.builder(name, "EEG", 2, 100, ChannelFormat.FLOAT32, name + "-sid").uid(uid)
                .hostname("h").v4address("127.0.0.1").v4dataPort(16572).v4servicePort(16572).build().toFullXml();
    }

    private StreamInlet inlet() {
        stub.streams.add(xml("eeg", UID));
        List<StreamInfo> found = lsl.resolve("name='eeg'", 1, 1.0);
        return lsl.createInlet(found.get(0), new InletOptions());
    }

    @AfterEach
    void noHandleMisused() {
        assertThat(stub.badHandles).as("NULL or unknown handles passed to liblsl").isZero();
        assertThat(stub.doubleFrees).as("handles freed twice").isZero();
        assertThat(stub.liveStrings).as("liblsl strings not freed").isEmpty();
    }

    @Test
    void theDefaultEmptyQueryResolvesAllStreams() {
        stub.streams.add(xml("a", UID));
        stub.streams.add(xml("b", "0b5e8c1a-1111-4c4c-9d9d-000000000002"));
        List<StreamInfo> found = lsl.resolve("", 0, 1.0);
        assertThat(found).extracting(StreamInfo::name).containsExactly("a", "b");
        assertThat(stub.calls).contains("lsl_resolve_all").doesNotContain("lsl_resolve_bypred");
        assertThat(lsl.resolve(null, 0, 1.0)).hasSize(2);
        assertThat(lsl.heldStreamInfos()).as("one handle per uid, older ones destroyed").isEqualTo(2);
        assertThat(stub.liveInfos).hasSize(2);
    }

    @Test
    void anInvalidPredicateIsAnErrorNotNoStreams() {
        stub.resolveCode = LslLibrary.ARGUMENT_ERROR;
        assertThatThrownBy(() -> lsl.resolve("name=='x", 1, 1.0)).isInstanceOf(NativeLslException.class)
                .hasMessageContaining("invalid argument").hasMessageContaining("stub says no")
                .satisfies(e -> assertThat(((NativeLslException) e).code()).isEqualTo(-3));
    }

    @Test
    void nullEntriesAndUnreadableInfosFromTheResolverAreNeverDereferenced() {
        stub.nullEntryInResolve = true;
        stub.streams.add(xml("a", UID));
        assertThat(lsl.resolve("name='a'", 1, 1.0)).hasSize(1);
        stub.xmlNull = true;
        assertThatThrownBy(() -> lsl.resolve("name='a'", 1, 1.0)).isInstanceOf(NativeLslException.class)
                .hasMessageContaining("lsl_get_xml");
        assertThat(stub.liveInfos).as("only the handle kept from the first resolve").hasSize(1);
    }

    @Test
    void inletsAreCreatedFromTheResolversOwnHandle() {
        stub.streams.add(xml("eeg", UID));
        StreamInfo info = lsl.resolve("name='eeg'", 1, 1.0).get(0);
        long held = stub.liveInfos.keySet().iterator().next();
        try (StreamInlet in = lsl.createInlet(info, new InletOptions())) {
            assertThat(in.info()).isEqualTo(info);
        }
        assertThat(stub.inletsCreatedFrom).hasSize(1);
        assertThat(com.sun.jna.Pointer.nativeValue(stub.inletsCreatedFrom.get(0))).isEqualTo(held);
        assertThat(stub.liveInlets).isEmpty();
    }

    @Test
    void aStreamResolvedElsewhereIsReResolvedByUid() {
        StreamInfo fromJava = StreamInfo.parse(xml("eeg", UID));
        stub.streams.add(xml("eeg", UID));
        try (StreamInlet in = lsl.createInlet(fromJava, new InletOptions())) {
            assertThat(in.info().uid()).isEqualTo(UID);
        }
        assertThat(stub.predicates).containsExactly("uid='" + UID + "'");
    }

    @Test
    void aStreamLiblslCannotFindGivesATimeoutNotAPlaceholderConnection() {
        StreamInfo gone = StreamInfo.parse(xml("gone", UID));
        assertThatThrownBy(() -> lsl.createInlet(gone, new InletOptions())).isInstanceOf(NativeLslException.class)
                .hasMessageContaining("did not answer").satisfies(e -> assertThat(((NativeLslException) e)
                        .isTimeout()).isTrue());
        assertThat(stub.calls).doesNotContain("lsl_create_inlet");
    }

    @Test
    void anInfoWithoutAUsableUidIsRefused() {
        StreamInfo built = StreamInfo.builder("x", "T", 1, 0, ChannelFormat.FLOAT32, "x").build();
        StreamInfo quote = built.toBuilder().uid("a' or '1'='1").build();
        assertThatThrownBy(() -> lsl.createInlet(quote, new InletOptions()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no valid uid");
        StreamInfo longUid = built.toBuilder().uid("a".repeat(65)).build();
        assertThatThrownBy(() -> lsl.createInlet(longUid, new InletOptions()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(stub.predicates).isEmpty();
    }

    @Test
    void aNullInletOrAFailedPostprocessingSetupThrowsAndFreesTheInlet() {
        stub.streams.add(xml("eeg", UID));
        StreamInfo info = lsl.resolve("name='eeg'", 1, 1.0).get(0);
        stub.createInletNull = true;
        assertThatThrownBy(() -> lsl.createInlet(info, new InletOptions())).isInstanceOf(NativeLslException.class)
                .hasMessageContaining("lsl_create_inlet");
        stub.createInletNull = false;
        stub.postprocessingCode = LslLibrary.ARGUMENT_ERROR;
        assertThatThrownBy(() -> lsl.createInlet(info, new InletOptions().postprocessClockSync(true)))
                .isInstanceOf(NativeLslException.class).hasMessageContaining("lsl_set_postprocessing");
        assertThat(stub.liveInlets).isEmpty();
    }

    @Test
    void fullInfoTimeoutIsAnExceptionAndTheNullHandleGoesNowhere() {
        try (StreamInlet in = inlet()) {
            stub.fullinfoCode = LslLibrary.TIMEOUT_ERROR;
            int xmlCalls = (int) stub.calls.stream().filter("lsl_get_xml"::equals).count();
            assertThatThrownBy(() -> in.fullInfo(0.1)).isInstanceOf(NativeLslException.class)
                    .hasMessageContaining("timeout")
                    .satisfies(e -> assertThat(((NativeLslException) e).isTimeout()).isTrue());
            assertThat(stub.calls.stream().filter("lsl_get_xml"::equals).count()).isEqualTo(xmlCalls);
            stub.fullinfoCode = 0;
            stub.fullinfoNull = true;
            assertThatThrownBy(() -> in.fullInfo(0.1)).isInstanceOf(NativeLslException.class)
                    .hasMessageContaining("internal error");
            stub.fullinfoNull = false;
            assertThat(in.fullInfo(0.1).name()).isEqualTo("eeg");
            stub.fullinfoCode = LslLibrary.LOST_ERROR;
            assertThatThrownBy(() -> in.fullInfo(0.1)).isInstanceOf(NativeLslException.class);
            assertThat(in.lost()).isTrue();
        }
    }

    @Test
    void openErrorsThrowWithTheirCode() {
        try (StreamInlet in = inlet()) {
            stub.openCode = LslLibrary.TIMEOUT_ERROR;
            assertThatThrownBy(() -> in.open(0.1)).isInstanceOf(NativeLslException.class)
                    .hasMessageContaining("lsl_open_stream");
            assertThat(in.lost()).isFalse();
            stub.openCode = LslLibrary.LOST_ERROR;
            assertThatThrownBy(() -> in.open(0.1)).isInstanceOf(NativeLslException.class);
            assertThat(in.lost()).isTrue();
            stub.openCode = 0;
            in.open(0.1);
        }
    }

    @Test
    void pullErrorsMapToNoSampleLostOrAnException() {
        try (StreamInlet in = inlet()) {
            float[] f = new float[2];
            assertThat(in.pullSample(f, 0.1)).isEqualTo(42.0);
            stub.pullCode = LslLibrary.TIMEOUT_ERROR;
            assertThat(in.pullSample(f, 0.1)).isZero();
            assertThat(in.pullChunk(new float[4], new double[2], 2, 0.1)).isZero();
            String[] s = new String[2];
            assertThat(in.pullSample(s, 0.1)).isZero();
            assertThat(s).containsOnlyNulls();
            assertThat(in.lost()).isFalse();
            stub.pullCode = LslLibrary.LOST_ERROR;
            assertThat(in.pullSample(new double[2], 0.1)).isZero();
            assertThat(in.lost()).isTrue();
            stub.pullCode = LslLibrary.INTERNAL_ERROR;
            assertThatThrownBy(() -> in.pullSample(new int[2], 0.1)).isInstanceOf(NativeLslException.class)
                    .hasMessageContaining("internal error");
            assertThatThrownBy(() -> in.pullChunk(new double[4], new double[2], 2, 0.1))
                    .isInstanceOf(NativeLslException.class);
            stub.pullCode = 0;
            assertThat(in.pullSample(s, 0.1)).isEqualTo(42.0);
            assertThat(s).containsExactly("s0", "s1");
            assertThat(in.pullChunk(new float[5], new double[3], 3, 0.1)).as("bounded by the destination")
                    .isEqualTo(2);
        }
    }

    @Test
    void aPullToAnOffsetWritesTheSampleThereOnlyWhenOneArrived() {
        try (StreamInlet in = inlet()) {
            float[] dst = {-1f, -1f, -1f, -1f, -1f};
            assertThat(in.pullSample(dst, 2, 0.1)).isEqualTo(42.0);
            assertThat(dst).containsExactly(-1f, -1f, 10f, 11f, -1f);
            stub.pullCode = LslLibrary.TIMEOUT_ERROR;
            float[] untouched = {-1f, -1f, -1f, -1f, -1f};
            assertThat(in.pullSample(untouched, 1, 0.1)).isZero();
            assertThat(untouched).containsOnly(-1f);
            stub.pullCode = LslLibrary.INTERNAL_ERROR;
            assertThatThrownBy(() -> in.pullSample(untouched, 3, 0.1)).isInstanceOf(NativeLslException.class);
            assertThat(untouched).containsOnly(-1f);
            stub.pullCode = 0;
            assertThatThrownBy(() -> in.pullSample(new float[5], 4, 0.1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("from offset 4");
            assertThatThrownBy(() -> in.pullSample(new float[5], -1, 0.1))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void timeCorrectionErrorsAreNaN() {
        try (StreamInlet in = inlet()) {
            assertThat(in.timeCorrection(0.1)).isEqualTo(0.25);
            stub.timeCorrectionCode = LslLibrary.TIMEOUT_ERROR;
            assertThat(in.timeCorrection(0.1)).isNaN();
            stub.timeCorrectionCode = LslLibrary.LOST_ERROR;
            assertThat(in.timeCorrection(0.1)).isNaN();
            assertThat(in.lost()).isTrue();
        }
    }

    @Test
    void outletFailuresThrowAndFreeWhatWasCreated() {
        StreamInfo out = StreamInfo.builder("out", "T", 2, 100, ChannelFormat.FLOAT32, "out").build();
        stub.createStreaminfoNull = true;
        assertThatThrownBy(() -> lsl.createOutlet(out)).isInstanceOf(NativeLslException.class)
                .hasMessageContaining("lsl_create_streaminfo").hasMessageContaining("stub says no");
        stub.createStreaminfoNull = false;
        stub.descNull = true;
        assertThatThrownBy(() -> lsl.createOutlet(out)).hasMessageContaining("lsl_get_desc");
        stub.descNull = false;
        stub.createOutletNull = true;
        assertThatThrownBy(() -> lsl.createOutlet(out)).hasMessageContaining("lsl_create_outlet");
        stub.createOutletNull = false;
        stub.getInfoNull = true;
        assertThatThrownBy(() -> lsl.createOutlet(out)).hasMessageContaining("lsl_get_info");
        assertThat(stub.liveOutlets).isEmpty();
        assertThat(stub.liveInfos).isEmpty();
        stub.getInfoNull = false;
        try (StreamOutlet o = lsl.createOutlet(out)) {
            o.pushSample(new float[] {1, 2}, 1.0);
            stub.pushCode = LslLibrary.INTERNAL_ERROR;
            assertThatThrownBy(() -> o.pushSample(new float[] {1, 2}, 1.0)).isInstanceOf(NativeLslException.class)
                    .hasMessageContaining("push");
            assertThatThrownBy(() -> o.pushChunk(new double[4], 2, new double[2]))
                    .isInstanceOf(NativeLslException.class);
        }
        assertThat(stub.liveOutlets).isEmpty();
        assertThat(stub.liveInfos).as("the outlet's info handles are freed").isEmpty();
    }

    @Test
    void aTimeUpdateIntervalLiblslCannotCompleteIsRefused() {
        assertThatThrownBy(() -> new NativeLsl(new StubLsl(), LslConfig.loopback().timeUpdateIntervalS(0.5)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("TimeUpdateInterval");
    }

    @Test
    void theLoadersMessageIsBounded() {
        String jna = "Unable to load library 'lsl':\nliblsl.so: cannot open shared object file\nNative library not found"
                + " in resource path (" + "/x.jar:".repeat(500) + ")";
        assertThat(NativeLsl.firstLines(jna)).isEqualTo("Unable to load library 'lsl': liblsl.so: cannot open shared"
                + " object file");
        assertThat(NativeLsl.firstLines("y".repeat(1000))).hasSize(303);
        assertThat(NativeLsl.firstLines(null)).isEmpty();
    }

    @Test
    void closedHandlesAreNotUsedAgain() {
        StreamInlet in = inlet();
        in.close();
        in.close();
        assertThatThrownBy(() -> in.pullSample(new float[2], 0.0)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }
}
