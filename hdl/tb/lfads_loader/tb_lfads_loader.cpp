// Unit bench of lfads_loader (hdl/rtl/lfads/lfads_loader.v) on Verilator: random idle on the load request, the
// read-command ready and the read data, random header verdicts; every output is compared with the order the model
// buffer layout prescribes (hdl/README.md): the two read commands, the header and initial-state beats, one weight
// and one bias write per lane and beat, 32 table entries per table beat written while the read bus is held off,
// m_done once after the last entry, m_loaded cleared by a header check and set by a completed load.
// Built and run by `make -C hdl/tb unit UNIT=lfads_loader` (LfadsLoaderBenchTest). Usage: Vlfads_loader [seed]
// [loads]; prints "lfads_loader bench: PASS <loads> loads, <cycles> cycles" and exits 0, or the first mismatch
// and exits 1.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <random>
#include "Vlfads_loader.h"
#include "verilated.h"

#ifndef TB_L
#error "TB_L, TB_WD, TB_NB and TB_NH0 (the module's parameters) come from the Makefile"
#endif
static const int L = TB_L, WD = TB_WD, NB = TB_NB, NH0 = TB_NH0;
static const uint32_t BODY = NH0 + WD * L + NB * L + 256;

static std::mt19937_64 rng;
static uint64_t cycles = 0;

static bool chance(int pct) { return (int)(rng() % 100) < pct; }

// word w (0..15) of the beat at byte address a: a hash, so no memory is stored
static uint32_t word(uint64_t a, int w) {
    uint64_t x = (a >> 6) * 0x9E3779B97F4A7C15ull + (uint64_t)w * 0xBF58476D1CE4E5B9ull + 12345;
    x ^= x >> 31; x *= 0x94D049BB133111EBull; x ^= x >> 29;
    return (uint32_t)x;
}

[[noreturn]] static void fail(const char* what, long a, long b) {
    std::fprintf(stderr, "lfads_loader bench: FAIL at cycle %llu: %s (got %ld, expected %ld)\n",
                 (unsigned long long)cycles, what, a, b);
    std::exit(1);
}
static void expect(bool ok, const char* what) { if (!ok) fail(what, 0, 1); }
static void expect_eq(long got, long want, const char* what) { if (got != want) fail(what, got, want); }

struct Cmd { uint64_t addr; uint32_t len; };

int main(int argc, char** argv) {
    uint64_t seed = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1;
    int loads = argc > 2 ? std::atoi(argv[2]) : 6;
    rng.seed(seed);
    auto ctx = std::make_unique<VerilatedContext>();
    auto top = std::make_unique<Vlfads_loader>(ctx.get());

    // the memory side: accepted read commands, the beat being delivered
    std::deque<Cmd> cmds;
    uint32_t beat_in_cmd = 0;
    // what the bench expects next
    enum { E_HDR_CMD, E_HDR0, E_HDR1, E_CHECK, E_BODY_CMD, E_BODY, E_LUT, E_IDLE } exp = E_IDLE;
    uint64_t base = 0;
    uint32_t body_beat = 0;          // body beats accepted
    int lut_entry = 0, lut_tab = 0, lut_beat = 0;
    uint32_t lut_words[16] = {0};
    bool loaded_model = false;       // what m_loaded must say
    bool verdict = true;
    int done_loads = 0, ok_loads = 0;
    int idle_pct = (int)(rng() % 60), ready_pct = (int)(rng() % 60), start_pct = 20 + (int)(rng() % 60);

    auto tick = [&](int clk) { top->clk = clk; top->eval(); };
    top->rst = 1; top->s_load_valid = 0; top->m_rd_cmd_ready = 0; top->s_rd_valid = 0; top->s_check_ok = 0;
    for (int i = 0; i < 4; i++) { tick(0); tick(1); }
    top->rst = 0;

    while (done_loads < loads) {
        if (++cycles > 50000000ull) fail("bench timed out", 0, 0);
        // ---- drive the inputs of this cycle
        bool start = exp == E_IDLE && chance(start_pct);
        top->s_load_valid = start;
        if (start) {
            base = (rng() % (1ull << 40)) & ~0x3Full;   // 64-byte aligned model buffer
            top->s_load_addr = base;
            verdict = chance(75);
        }
        top->m_rd_cmd_ready = !chance(ready_pct);
        bool have = !cmds.empty();
        top->s_rd_valid = have && !chance(idle_pct);
        if (have) {
            uint64_t a = cmds.front().addr + 64ull * beat_in_cmd;
            for (int w = 0; w < 16; w++) top->s_rd_data[w] = word(a, w);
        } else {
            for (int w = 0; w < 16; w++) top->s_rd_data[w] = (uint32_t)rng();   // garbage: must not be taken
        }
        top->s_check_ok = verdict;
        tick(0);

        // ---- check the outputs of this cycle
        expect_eq(top->s_load_ready, exp == E_IDLE, "s_load_ready while idle only");
        expect_eq(top->m_loaded, loaded_model, "m_loaded");
        bool rd_fire = top->s_rd_valid && top->s_rd_ready;
        bool cmd_fire = top->m_rd_cmd_valid && top->m_rd_cmd_ready;
        if (top->m_rd_cmd_valid) {
            if (exp == E_HDR_CMD) {
                expect_eq((long)top->m_rd_cmd_addr, (long)base, "header command address");
                expect_eq(top->m_rd_cmd_len, 2, "header command length");
            } else if (exp == E_BODY_CMD) {
                expect_eq((long)top->m_rd_cmd_addr, (long)(base + 128), "body command address");
                expect_eq(top->m_rd_cmd_len, (long)BODY, "body command length");
            } else fail("read command out of turn", exp, -1);
        }
        expect_eq(top->m_hdr0_valid, rd_fire && exp == E_HDR0, "m_hdr0_valid");
        expect_eq(top->m_hdr1_valid, rd_fire && exp == E_HDR1, "m_hdr1_valid");
        expect_eq(top->m_check_valid, exp == E_CHECK, "m_check_valid");
        if (rd_fire) expect(exp == E_HDR0 || exp == E_HDR1 || exp == E_BODY, "beat taken out of turn");
        if (exp == E_LUT) expect_eq(top->s_rd_ready, 0, "read bus held off while a table beat is written");

        bool h0 = false, wwe = false, bwe = false;
        if (exp == E_BODY && rd_fire) {
            uint32_t b = body_beat;
            if (b < (uint32_t)NH0) h0 = true;
            else if (b < (uint32_t)(NH0 + WD * L)) wwe = true;
            else if (b < (uint32_t)(NH0 + WD * L + NB * L)) bwe = true;
        }
        expect_eq(top->m_h0_valid, h0, "m_h0_valid");
        if (h0) expect_eq(top->m_h0_beat, body_beat, "m_h0_beat");
        expect_eq(top->m_w_we, wwe, "m_w_we");
        expect_eq(top->m_b_we, bwe, "m_b_we");
        if (wwe) {
            uint32_t k = body_beat - NH0;
            expect_eq(top->m_lane, k % L, "weight lane");
            expect_eq(top->m_wa, k / L, "weight word");
        }
        if (bwe) {
            uint32_t k = body_beat - NH0 - WD * L;
            expect_eq(top->m_lane, k % L, "bias lane");
            expect_eq(top->m_ba, k / L, "bias slot");
        }
        bool lut = exp == E_LUT;
        expect_eq(top->m_lut_we_sig, lut && lut_tab == 0, "m_lut_we_sig");
        expect_eq(top->m_lut_we_tanh, lut && lut_tab == 1, "m_lut_we_tanh");
        if (lut) {
            expect_eq(top->m_la, lut_beat * 32 + lut_entry, "table entry address");
            uint32_t w = lut_words[lut_entry / 2];
            expect_eq(top->m_lut_wd, (lut_entry & 1) ? (w >> 16) : (w & 0xFFFF), "table entry data");
        }
        bool last = lut && lut_tab == 1 && lut_beat == 127 && lut_entry == 31;
        expect_eq(top->m_done, last, "m_done");

        // ---- advance the bench's model (the clock edge)
        if (start) exp = E_HDR_CMD;
        else if (cmd_fire) {
            cmds.push_back({top->m_rd_cmd_addr, top->m_rd_cmd_len});
            exp = exp == E_HDR_CMD ? E_HDR0 : E_BODY;
            if (exp == E_BODY) body_beat = 0;
        } else if (exp == E_CHECK) {
            loaded_model = false;
            if (verdict) exp = E_BODY_CMD;
            else { exp = E_IDLE; done_loads++; }
        } else if (rd_fire) {
            if (exp == E_HDR0) exp = E_HDR1;
            else if (exp == E_HDR1) exp = E_CHECK;
            else {
                uint32_t tb = body_beat - NH0 - WD * L - NB * L;
                if (body_beat >= (uint32_t)(NH0 + WD * L + NB * L)) {
                    for (int w = 0; w < 16; w++) lut_words[w] = top->s_rd_data[w];
                    lut_tab = (int)(tb / 128); lut_beat = (int)(tb % 128); lut_entry = 0;
                    exp = E_LUT;
                }
                body_beat++;
            }
        } else if (lut) {
            if (++lut_entry == 32) {
                if (last) { exp = E_IDLE; loaded_model = true; done_loads++; ok_loads++; }
                else exp = E_BODY;
            }
        }
        if (rd_fire) {
            if (++beat_in_cmd == cmds.front().len) { cmds.pop_front(); beat_in_cmd = 0; }
        }
        tick(1);
    }
    if (!cmds.empty()) fail("beats left unread", (long)cmds.size(), 0);
    if (ok_loads == 0 && loads > 1) fail("no load was accepted (seed too unlucky)", 0, 1);
    std::printf("lfads_loader bench: PASS %d loads (%d accepted), %llu cycles, seed %llu\n", loads, ok_loads,
                (unsigned long long)cycles, (unsigned long long)seed);
    top->final();
    return 0;
}
