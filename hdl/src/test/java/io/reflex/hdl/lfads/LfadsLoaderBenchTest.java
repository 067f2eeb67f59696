package io.reflex.hdl.lfads;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.reflex.hdl.sim.Builds;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Unit bench of the shared model loader (hdl/rtl/lfads/lfads_loader.v, used by lfads_core and lfads_step_core):
 * hdl/tb/lfads_loader/tb_lfads_loader.cpp on Verilator ({@code make -C hdl/tb unit UNIT=lfads_loader}), random
 * idle and backpressure on every interface and random header verdicts, every output compared with the model
 * buffer's layout. The bench must also catch a loader that takes a beat while it writes a table beat.
 */
class LfadsLoaderBenchTest {
    static final String UNIT = "lfads_loader";

    static Path bench(Path rtl, Path out) throws IOException, InterruptedException {
        Builds.Result r = Builds.exec(List.of("make", "-s", "-C", Builds.HDL.resolve("tb").toString(), "unit",
                "UNIT=" + UNIT, "RTL=" + rtl, "OUT=" + out), 900);
        assertThat(r.exit()).as("make unit UNIT=%s:%n%s", UNIT, r.output()).isZero();
        return out.resolve("unit_" + UNIT).resolve("V" + UNIT);
    }

    @Test
    @Timeout(1200)
    void loaderFollowsTheModelBufferLayoutUnderRandomStalls() throws Exception {
        assumeTrue(Builds.missing() == null, "skipped: " + Builds.missing());
        Path exe = bench(Builds.HDL.resolve("rtl"), Builds.HDL.resolve("target/verilator"));
        for (int seed = 1; seed <= 8; seed++) {
            Builds.Result r = Builds.exec(List.of(exe.toString(), Integer.toString(seed), "8"), 120);
            assertThat(r.exit()).as("seed %d: %s", seed, r.output()).isZero();
            assertThat(r.output()).contains("lfads_loader bench: PASS 8 loads");
        }
    }

    @Test
    @Timeout(1200)
    void benchCatchesABeatTakenWhileATableBeatIsWritten(@TempDir Path tmp) throws Exception {
        assumeTrue(Builds.missing() == null, "skipped: " + Builds.missing());
        Path rtl = tmp.resolve("rtl");
        try (Stream<Path> files = Files.walk(Builds.HDL.resolve("rtl"))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, rtl.resolve(Builds.HDL.resolve("rtl").relativize(f).toString()));
            }
        }
        Path loader = rtl.resolve("lfads/lfads_loader.v");
        String good = "lbusy_reg && sub_reg == 31) lbusy_reg <= 1'b0;";
        String src = Files.readString(loader, StandardCharsets.UTF_8);
        assertThat(src).contains(good);
        Files.writeString(loader, src.replace(good, "lbusy_reg && sub_reg == 30) lbusy_reg <= 1'b0;"),
                StandardCharsets.UTF_8);
        Path exe = bench(rtl, tmp.resolve("out"));
        Builds.Result r = Builds.exec(List.of(exe.toString(), "3", "4"), 120);
        assertThat(r.exit()).as(r.output()).isEqualTo(1);
        assertThat(r.output()).contains("lfads_loader bench: FAIL");
    }
}
