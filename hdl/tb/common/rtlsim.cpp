// rtlsim: a verilated Vitis RTL kernel with an AXI4-Lite host and an AXI4 memory model (random stalls).
// Compiled once per kernel with -DRTLSIM_TOP=V<kernel> -DRTLSIM_HEADER=\"V<kernel>.h\" -DRTLSIM_NAME=\"<kernel>\".
#include "rtlsim.h"
#include RTLSIM_HEADER
#include "verilated.h"
#include <array>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <new>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#ifndef RTLSIM_PARAMS
#define RTLSIM_PARAMS ""
#endif

double sc_time_stamp() { return 0; }

namespace {

// One data beat of the m_axi_gmem port: a 32-bit word (IData) or a wide vector (VlWide<N>).
inline constexpr uint64_t beat_bytes(const uint32_t &) { return 4; }
template <std::size_t N> inline constexpr uint64_t beat_bytes(const VlWide<N> &) { return 4 * N; }
inline void put_beat(uint32_t &port, const uint8_t *src) { std::memcpy(&port, src, 4); }
template <std::size_t N> inline void put_beat(VlWide<N> &port, const uint8_t *src) {
    for (std::size_t i = 0; i < N; i++) std::memcpy(&port[i], src + 4 * i, 4);
}
inline void get_beat(const uint32_t &port, uint8_t *dst) { std::memcpy(dst, &port, 4); }
template <std::size_t N> inline void get_beat(const VlWide<N> &port, uint8_t *dst) {
    for (std::size_t i = 0; i < N; i++) std::memcpy(dst + 4 * i, &port[i], 4);
}
constexpr uint64_t BEAT = beat_bytes(std::remove_reference_t<decltype(RTLSIM_TOP::m_axi_gmem_rdata)>{});
constexpr uint64_t STRB_ALL = BEAT >= 64 ? ~0ull : ((1ull << BEAT) - 1);
constexpr uint32_t LG_BEAT = BEAT == 4 ? 2 : BEAT == 8 ? 3 : BEAT == 16 ? 4 : BEAT == 32 ? 5 : 6;

struct Burst {
    uint64_t addr;
    uint32_t beats;
};

struct WBeat {
    std::array<uint8_t, BEAT> data;
    bool last;
};

// Between two reads of the control register while a run waits for its interrupt (a kernel whose interrupt logic
// failed still finishes, only later).
constexpr uint64_t POLL_CYCLES = 4096;

}  // namespace

struct rtlsim {
    std::unique_ptr<VerilatedContext> ctx;
    std::unique_ptr<RTLSIM_TOP> top;
    std::vector<uint8_t> mem;
    std::mt19937_64 rng;
    uint32_t stall_pct;
    uint64_t cycles_total = 0;
    uint64_t cycles_run = 0;
    std::string error;
    // memory model state
    std::deque<Burst> rd_q;          // accepted read bursts
    uint32_t rd_beat = 0;
    std::deque<Burst> wr_q;          // accepted write bursts awaiting data
    uint32_t wr_beat = 0;
    std::deque<WBeat> w_buf;         // W beats not yet matched to an AW
    bool wr_bad = false;             // a beat of the burst being written fell outside the memory
    std::deque<uint8_t> b_resp;      // BRESP of each complete burst awaiting its B handshake
    bool irq_prev = false;
    uint64_t start_cycle = 0;        // cycle the ap_start write was accepted
    uint64_t done_cycle = 0;         // cycle the interrupt (ap_done) rose

    bool stall() { return stall_pct != 0 && (rng() % 100) < stall_pct; }
};

namespace {

void fail(rtlsim *s, const std::string &msg) {
    if (s->error.empty()) s->error = msg;
}

// Outside the memory a beat is an error (the run returns -3) and answered DECERR, as an interconnect would.
bool in_mem(const rtlsim *s, uint64_t addr) { return addr <= s->mem.size() && BEAT <= s->mem.size() - addr; }

bool mem_write_beat(rtlsim *s, uint64_t addr, const uint8_t *v) {
    if (!in_mem(s, addr)) { fail(s, "write outside memory at 0x" + std::to_string(addr)); return false; }
    std::memcpy(&s->mem[addr], v, BEAT);
    return true;
}

const uint8_t *mem_read_beat(rtlsim *s, uint64_t addr) {
    static const uint8_t zero[64] = {0};
    if (!in_mem(s, addr)) { fail(s, "read outside memory at 0x" + std::to_string(addr)); return zero; }
    return &s->mem[addr];
}

constexpr uint32_t RESP_OKAY = 0, RESP_DECERR = 3;

void check_burst(rtlsim *s, uint64_t addr, uint32_t len, uint32_t size, uint32_t burst, const char *ch) {
    if (burst != 1) fail(s, std::string(ch) + ": burst type is not INCR");
    if (size != LG_BEAT) fail(s, std::string(ch) + ": size is not the data width");
    if (addr & (BEAT - 1)) fail(s, std::string(ch) + ": unaligned address");
    if ((addr & 0xFFF) + (uint64_t)(len + 1) * BEAT > 0x1000) fail(s, std::string(ch) + ": burst crosses 4 KiB");
}

// One clock cycle: drive the memory side, settle, record handshakes, clock edge, update the model.
void tick(rtlsim *s) {
    RTLSIM_TOP *t = s->top.get();
    // drive this cycle's memory-side outputs (decided from state, with random stalls)
    t->m_axi_gmem_arready = !s->stall();
    bool r_can = !s->rd_q.empty() && !s->stall();
    t->m_axi_gmem_rvalid = r_can;
    if (r_can) {
        const Burst &b = s->rd_q.front();
        uint64_t a = b.addr + BEAT * s->rd_beat;
        put_beat(t->m_axi_gmem_rdata, mem_read_beat(s, a));
        t->m_axi_gmem_rlast = s->rd_beat + 1 == b.beats;
        t->m_axi_gmem_rresp = in_mem(s, a) ? RESP_OKAY : RESP_DECERR;
    } else {
        static const uint8_t junk[64] = {0xEF, 0xBE, 0xAD, 0xDE};
        put_beat(t->m_axi_gmem_rdata, junk);
        t->m_axi_gmem_rlast = 0;
    }
    t->m_axi_gmem_awready = !s->stall();
    t->m_axi_gmem_wready = !s->stall();
    bool b_can = !s->b_resp.empty() && !s->stall();
    t->m_axi_gmem_bvalid = b_can;
    t->m_axi_gmem_bresp = b_can ? s->b_resp.front() : RESP_OKAY;
    t->ap_clk = 0;
    t->eval();

    bool ar_fire = t->m_axi_gmem_arvalid && t->m_axi_gmem_arready;
    bool r_fire = t->m_axi_gmem_rvalid && t->m_axi_gmem_rready;
    bool aw_fire = t->m_axi_gmem_awvalid && t->m_axi_gmem_awready;
    bool w_fire = t->m_axi_gmem_wvalid && t->m_axi_gmem_wready;
    bool b_fire = t->m_axi_gmem_bvalid && t->m_axi_gmem_bready;
    uint64_t araddr = t->m_axi_gmem_araddr;
    uint32_t arlen = t->m_axi_gmem_arlen, arsize = t->m_axi_gmem_arsize, arburst = t->m_axi_gmem_arburst;
    uint64_t awaddr = t->m_axi_gmem_awaddr;
    uint32_t awlen = t->m_axi_gmem_awlen, awsize = t->m_axi_gmem_awsize, awburst = t->m_axi_gmem_awburst;
    if (w_fire) {
        // the beat is copied before the edge; nothing is allocated on cycles without a W handshake
        WBeat beat;
        get_beat(t->m_axi_gmem_wdata, beat.data.data());
        beat.last = t->m_axi_gmem_wlast;
        if (t->m_axi_gmem_wstrb != STRB_ALL) fail(s, "W: partial strobe");
        s->w_buf.push_back(beat);
    }

    // rising edge; the falling edge needs no evaluation of its own (no logic uses it): the next cycle's first
    // eval() with ap_clk = 0 settles the new inputs
    t->ap_clk = 1;
    t->eval();
    s->cycles_total++;
    bool irq = t->__SYM__interrupt;  // Verilator renames the C++ keyword-like port
    if (irq && !s->irq_prev) s->done_cycle = s->cycles_total;
    s->irq_prev = irq;

    if (ar_fire) {
        check_burst(s, araddr, arlen, arsize, arburst, "AR");
        s->rd_q.push_back({araddr, arlen + 1});
    }
    if (r_fire) {
        if (++s->rd_beat == s->rd_q.front().beats) { s->rd_q.pop_front(); s->rd_beat = 0; }
    }
    if (aw_fire) {
        check_burst(s, awaddr, awlen, awsize, awburst, "AW");
        s->wr_q.push_back({awaddr, awlen + 1});
    }
    // retire buffered W beats against accepted AW bursts (W may lead AW in AXI4)
    while (!s->w_buf.empty() && !s->wr_q.empty()) {
        const Burst &b = s->wr_q.front();
        const WBeat &beat = s->w_buf.front();
        if (!mem_write_beat(s, b.addr + BEAT * s->wr_beat, beat.data.data())) s->wr_bad = true;
        bool last = ++s->wr_beat == b.beats;
        if (beat.last != last) fail(s, "W: WLAST does not match AWLEN");
        s->w_buf.pop_front();
        if (last) {
            s->wr_q.pop_front();
            s->wr_beat = 0;
            s->b_resp.push_back(s->wr_bad ? RESP_DECERR : RESP_OKAY);
            s->wr_bad = false;
        }
    }
    if (b_fire) s->b_resp.pop_front();
}

void idle_ctrl(RTLSIM_TOP *t) {
    t->s_axi_control_awvalid = 0;
    t->s_axi_control_wvalid = 0;
    t->s_axi_control_bready = 0;
    t->s_axi_control_arvalid = 0;
    t->s_axi_control_rready = 0;
}

constexpr uint64_t CTRL_TIMEOUT = 10000;

}  // namespace

extern "C" {

const char *rtlsim_kernel_name(void) { return RTLSIM_NAME; }

const char *rtlsim_params(void) { return RTLSIM_PARAMS; }

rtlsim_t *rtlsim_create(const char *kernel, uint64_t mem_bytes, uint32_t seed, uint32_t stall_pct) {
    if (kernel == nullptr || std::strcmp(kernel, RTLSIM_NAME) != 0 || stall_pct > 95 || mem_bytes == 0
        || mem_bytes > (1ull << 34)) return nullptr;
    // no C++ exception may cross the C ABI (a JVM caller would abort): a memory that cannot be had is a NULL
    std::unique_ptr<rtlsim> owner;
    try {
        owner = std::make_unique<rtlsim>();
        owner->ctx = std::make_unique<VerilatedContext>();
        owner->top = std::make_unique<RTLSIM_TOP>(owner->ctx.get());
        owner->mem.assign(mem_bytes, 0);
    } catch (const std::exception &) {
        return nullptr;
    }
    rtlsim *s = owner.release();
    s->rng.seed(seed);
    s->stall_pct = stall_pct;
    RTLSIM_TOP *t = s->top.get();
    idle_ctrl(t);
    t->m_axi_gmem_rvalid = 0;
    t->m_axi_gmem_bvalid = 0;
    t->ap_rst_n = 0;
    for (int i = 0; i < 8; i++) tick(s);
    t->ap_rst_n = 1;
    for (int i = 0; i < 4; i++) tick(s);
    // the interrupt marks the cycle ap_done rises (for rtlsim_cycles); XRT itself polls 0x00
    rtlsim_write_reg(s, 0x04, 1);
    rtlsim_write_reg(s, 0x08, 1);
    return s;
}

void rtlsim_destroy(rtlsim_t *sim) {
    if (sim == nullptr) return;
    sim->top->final();
    delete sim;
}

int rtlsim_write_reg(rtlsim_t *s, uint32_t offset, uint32_t value) {
    if (s == nullptr || (offset & 3)) return -1;
    RTLSIM_TOP *t = s->top.get();
    bool aw_done = false, w_done = false;
    uint64_t n = 0;
    t->s_axi_control_awaddr = offset;
    t->s_axi_control_wdata = value;
    t->s_axi_control_wstrb = 0xF;
    while (!(aw_done && w_done)) {
        if (++n > CTRL_TIMEOUT) { idle_ctrl(t); return -2; }
        t->s_axi_control_awvalid = !aw_done && !s->stall();
        t->s_axi_control_wvalid = !w_done && !s->stall();
        t->ap_clk = 0;
        t->eval();
        bool aw = t->s_axi_control_awvalid && t->s_axi_control_awready;
        bool w = t->s_axi_control_wvalid && t->s_axi_control_wready;
        tick(s);
        aw_done |= aw;
        w_done |= w;
        if (aw_done && w_done && offset == 0 && (value & 1)) s->start_cycle = s->cycles_total;
    }
    t->s_axi_control_awvalid = 0;
    t->s_axi_control_wvalid = 0;
    for (;;) {
        if (++n > CTRL_TIMEOUT) { idle_ctrl(t); return -2; }
        t->s_axi_control_bready = !s->stall();
        t->ap_clk = 0;
        t->eval();
        bool b = t->s_axi_control_bvalid && t->s_axi_control_bready;
        tick(s);
        if (b) break;
    }
    t->s_axi_control_bready = 0;
    return 0;
}

int rtlsim_read_reg(rtlsim_t *s, uint32_t offset, uint32_t *value) {
    if (s == nullptr || value == nullptr || (offset & 3)) return -1;
    RTLSIM_TOP *t = s->top.get();
    uint64_t n = 0;
    t->s_axi_control_araddr = offset;
    for (;;) {
        if (++n > CTRL_TIMEOUT) { idle_ctrl(t); return -2; }
        t->s_axi_control_arvalid = !s->stall();
        t->ap_clk = 0;
        t->eval();
        bool ar = t->s_axi_control_arvalid && t->s_axi_control_arready;
        tick(s);
        if (ar) break;
    }
    t->s_axi_control_arvalid = 0;
    for (;;) {
        if (++n > CTRL_TIMEOUT) { idle_ctrl(t); return -2; }
        t->s_axi_control_rready = !s->stall();
        t->ap_clk = 0;
        t->eval();
        bool r = t->s_axi_control_rvalid && t->s_axi_control_rready;
        uint32_t d = t->s_axi_control_rdata;
        tick(s);
        if (r) { *value = d; break; }
    }
    t->s_axi_control_rready = 0;
    return 0;
}

int rtlsim_mem_write(rtlsim_t *s, uint64_t addr, const void *src, uint64_t bytes) {
    if (s == nullptr || (bytes != 0 && src == nullptr) || addr > s->mem.size() || bytes > s->mem.size() - addr)
        return -1;
    if (bytes) std::memcpy(&s->mem[addr], src, bytes);
    return 0;
}

int rtlsim_mem_read(rtlsim_t *s, uint64_t addr, void *dst, uint64_t bytes) {
    if (s == nullptr || (bytes != 0 && dst == nullptr) || addr > s->mem.size() || bytes > s->mem.size() - addr)
        return -1;
    if (bytes) std::memcpy(dst, &s->mem[addr], bytes);
    return 0;
}

int rtlsim_run_until_done(rtlsim_t *s, uint64_t max_cycles) {
    if (s == nullptr) return -1;
    uint64_t begin = s->cycles_total;
    s->done_cycle = 0;
    int rc = rtlsim_write_reg(s, 0x00, 1);
    if (rc) return rc;
    uint32_t ctrl = 0;
    for (;;) {
        // wait for the interrupt with the control port idle, then read ap_done at 0x00 as XRT does
        uint64_t poll_at = s->cycles_total + POLL_CYCLES;
        while (s->done_cycle == 0 && s->cycles_total < poll_at) {
            if (s->cycles_total - begin > max_cycles) return -2;
            tick(s);
        }
        if (s->cycles_total - begin > max_cycles) return -2;
        rc = rtlsim_read_reg(s, 0x00, &ctrl);
        if (rc) return rc;
        if (ctrl & 2) break;
    }
    s->cycles_run = s->done_cycle > s->start_cycle ? s->done_cycle - s->start_cycle : 0;
    rc = rtlsim_write_reg(s, 0x0C, 1);  // acknowledge the interrupt (ISR is toggle-on-write)
    if (rc) return rc;
    return s->error.empty() ? 0 : -3;
}

uint64_t rtlsim_cycles(rtlsim_t *s) { return s ? s->cycles_run : 0; }
uint64_t rtlsim_total_cycles(rtlsim_t *s) { return s ? s->cycles_total : 0; }
const char *rtlsim_error(rtlsim_t *s) { return s ? s->error.c_str() : "null"; }

}  // extern "C"
