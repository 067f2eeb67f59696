// Vector runner for a verilated kernel, driving it through the rtlsim C ABI exactly as XRT would.
// usage: tb_<kernel> <vectors.txt> <seed> <stall_pct> <mem_bytes> [cycles.jsonl]
// Vector file commands (one per line, numbers in hex unless noted):
//   case <name>                  start a case (name without spaces)
//   mem <addr> <n> <w0> .. <wn-1>  write n 32-bit words
//   poison <addr> <n>            fill n words with 0xA5A5A5A5 (so stale results cannot pass)
//   arg <index-dec> <value>      write the 64-bit argument register 0x10 + 12*index
//   run <label>                  start the kernel, poll ap_done, record the cycles under <label>
//   expect <addr> <n> <w0> ..    compare n words exactly
//   reg <offset> <value>         compare a register exactly
#include "rtlsim.h"
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

int main(int argc, char **argv) {
    if (argc < 5) {
        std::fprintf(stderr, "usage: %s vectors seed stall_pct mem_bytes [cycles.jsonl]\n", argv[0]);
        return 2;
    }
    std::ifstream in(argv[1]);
    if (!in) { std::fprintf(stderr, "cannot read %s\n", argv[1]); return 2; }
    uint32_t seed = std::strtoul(argv[2], nullptr, 10);
    uint32_t stall = std::strtoul(argv[3], nullptr, 10);
    uint64_t mem_bytes = std::strtoull(argv[4], nullptr, 10);
    FILE *cyc = argc > 5 ? std::fopen(argv[5], "w") : nullptr;
    rtlsim_t *sim = rtlsim_create(rtlsim_kernel_name(), mem_bytes, seed, stall);
    if (!sim) { std::fprintf(stderr, "rtlsim_create failed\n"); return 2; }

    std::string line, cname = "?";
    long cases = 0, runs = 0, words = 0, failures = 0, lineno = 0;
    bool case_failed = false;
    while (std::getline(in, line)) {
        lineno++;
        std::istringstream ls(line);
        std::string cmd;
        if (!(ls >> cmd) || cmd[0] == '#') continue;
        if (cmd == "case") {
            ls >> cname;
            cases++;
            case_failed = false;
        } else if (cmd == "mem" || cmd == "expect") {
            uint64_t addr, n;
            ls >> std::hex >> addr >> n;
            std::vector<uint32_t> w(n);
            for (uint64_t i = 0; i < n; i++) ls >> std::hex >> w[i];
            if (!ls) { std::fprintf(stderr, "line %ld: malformed\n", lineno); return 2; }
            if (cmd == "mem") {
                if (rtlsim_mem_write(sim, addr, w.data(), 4 * n)) { std::fprintf(stderr, "line %ld: mem\n", lineno); return 2; }
            } else {
                std::vector<uint32_t> got(n);
                if (rtlsim_mem_read(sim, addr, got.data(), 4 * n)) { std::fprintf(stderr, "line %ld: mem\n", lineno); return 2; }
                words += n;
                for (uint64_t i = 0; i < n; i++) {
                    if (got[i] != w[i]) {
                        if (!case_failed) failures++;
                        case_failed = true;
                        std::printf("MISMATCH case %s addr 0x%" PRIx64 " word %" PRIu64 ": got %08x want %08x\n",
                                    cname.c_str(), addr, i, got[i], w[i]);
                        break;
                    }
                }
            }
        } else if (cmd == "poison") {
            uint64_t addr, n;
            ls >> std::hex >> addr >> n;
            std::vector<uint32_t> w(n, 0xA5A5A5A5u);
            if (rtlsim_mem_write(sim, addr, w.data(), 4 * n)) { std::fprintf(stderr, "line %ld: poison\n", lineno); return 2; }
        } else if (cmd == "arg") {
            unsigned idx;
            uint64_t v;
            ls >> std::dec >> idx >> std::hex >> v;
            uint32_t off = 0x10 + 12 * idx;
            if (rtlsim_write_reg(sim, off, (uint32_t)v) || rtlsim_write_reg(sim, off + 4, (uint32_t)(v >> 32))) {
                std::fprintf(stderr, "line %ld: register write failed\n", lineno);
                return 2;
            }
        } else if (cmd == "run") {
            std::string label;
            ls >> label;
            int rc = rtlsim_run_until_done(sim, 200000000ull);
            runs++;
            if (rc) {
                std::printf("RUN FAILED case %s rc %d: %s\n", cname.c_str(), rc, rtlsim_error(sim));
                return 1;
            }
            if (cyc) std::fprintf(cyc, "{\"case\":\"%s\",\"label\":\"%s\",\"cycles\":%" PRIu64 "}\n",
                                  cname.c_str(), label.c_str(), rtlsim_cycles(sim));
        } else if (cmd == "reg") {
            uint32_t off, want, got = 0;
            ls >> std::hex >> off >> want;
            if (rtlsim_read_reg(sim, off, &got)) { std::fprintf(stderr, "line %ld: register read failed\n", lineno); return 2; }
            if (got != want) {
                if (!case_failed) failures++;
                case_failed = true;
                std::printf("MISMATCH case %s reg 0x%x: got %08x want %08x\n", cname.c_str(), off, got, want);
            }
        } else {
            std::fprintf(stderr, "line %ld: unknown command %s\n", lineno, cmd.c_str());
            return 2;
        }
    }
    std::printf("SUMMARY kernel=%s cases=%ld runs=%ld words=%ld failures=%ld cycles=%" PRIu64 "\n",
                rtlsim_kernel_name(), cases, runs, words, failures, rtlsim_total_cycles(sim));
    if (cyc) std::fclose(cyc);
    rtlsim_destroy(sim);
    return failures == 0 ? 0 : 1;
}
