/* Smoke test of the rtlsim C ABI (librtlsim_snn_kernel.so): a one-neuron LIF network driven by one input channel,
 * expected spikes worked out by hand from decoders/FIXED_POINT.md section 7. Exit status 0 on success. */
#include "rtlsim.h"
#include <stdio.h>
#include <string.h>

#define CHECK(cond, msg) do { if (!(cond)) { fprintf(stderr, "FAIL: %s\n", msg); return 1; } } while (0)

int main(void) {
    CHECK(rtlsim_params() != NULL, "build parameters are reported");
    CHECK(rtlsim_create("no_such_kernel", 1 << 20, 1, 0) == NULL, "unknown kernel name is refused");
    CHECK(rtlsim_create(rtlsim_kernel_name(), 1 << 20, 1, 99) == NULL, "stall_pct > 95 is refused");
    rtlsim_t *sim = rtlsim_create("snn_kernel", 1 << 20, 42, 20);
    CHECK(sim != NULL, "create");
    CHECK(rtlsim_write_reg(sim, 0x11, 0) == -1, "unaligned register offset is refused");
    CHECK(rtlsim_mem_write(sim, (1 << 20) - 2, "abcd", 4) == -1, "write past the end of memory is refused");

    /* N = 1, n_in = 1, one synapse input0 -> neuron0 with w = 100; k_syn = k_mem = 0 so that I = in and
     * V = V_rest + I + b; theta = 100, V_rest = V_reset = 0, T_ref = 0, reset to zero. */
    uint32_t net[16 + 2 + 1 + 1] = {0x314E4E53u, 1, 1, 1, 0, 0, 100, 0, 0, 0, 1};
    net[16] = 0;                       /* row_ptr[0] */
    net[17] = 1;                       /* row_ptr[1] */
    net[18] = (1u << 16) | 100u;       /* col 1 = input channel 0, w = 100 */
    net[19] = 0;                       /* bias */
    uint32_t in[3] = {1, 0, 1};        /* input spikes of ticks 0, 1, 2 */
    CHECK(rtlsim_mem_write(sim, 0x1000, net, sizeof net) == 0, "net");
    CHECK(rtlsim_mem_write(sim, 0x2000, in, sizeof in) == 0, "in");
    /* flags 7: LOAD, RESET, SAVE (V, I, ref and the last tick's spike word to the state buffer at 0x4000) */
    const uint32_t args[6][2] = {{0x1000, 0}, {0x2000, 0}, {0x3000, 0}, {3, 0}, {7, 0}, {0x4000, 0}};
    for (int i = 0; i < 6; i++) {
        CHECK(rtlsim_write_reg(sim, 0x10 + 12 * i, args[i][0]) == 0, "arg lo");
        CHECK(rtlsim_write_reg(sim, 0x14 + 12 * i, args[i][1]) == 0, "arg hi");
    }
    uint32_t v = 0;
    CHECK(rtlsim_read_reg(sim, 0x34, &v) == 0 && v == 3, "argument read back");
    CHECK(rtlsim_run_until_done(sim, 100000) == 0, rtlsim_error(sim));
    CHECK(rtlsim_cycles(sim) > 0 && rtlsim_cycles(sim) < rtlsim_total_cycles(sim), "cycle counters");
    CHECK(rtlsim_read_reg(sim, 0x58, &v) == 0 && v == 0, "status ok");
    uint32_t out[3], st[4];
    CHECK(rtlsim_mem_read(sim, 0x3000, out, sizeof out) == 0, "out");
    CHECK(rtlsim_mem_read(sim, 0x4000, st, sizeof st) == 0, "state");
    const uint32_t want[3] = {1, 0, 1};
    const uint32_t want_st[4] = {0 /* V after reset */, 100 /* I */, 0 /* ref */, 1 /* spiked in the last tick */};
    CHECK(memcmp(out, want, sizeof want) == 0, "spikes");
    CHECK(memcmp(st, want_st, sizeof want_st) == 0, "saved state");
    printf("rtlsim smoke: ok, %llu kernel cycles, %llu total, params \"%s\"\n", (unsigned long long)rtlsim_cycles(sim),
           (unsigned long long)rtlsim_total_cycles(sim), rtlsim_params());
    /* bus responses: input spikes outside the memory are answered DECERR, which the kernel reports as status 7 */
    CHECK(rtlsim_write_reg(sim, 0x1C, 1u << 20) == 0, "spikes_in outside the memory");
    CHECK(rtlsim_write_reg(sim, 0x34, 1) == 0 && rtlsim_write_reg(sim, 0x40, 0) == 0, "one tick, no flags");
    CHECK(rtlsim_run_until_done(sim, 100000) == -3, "an access outside the memory is a violation");
    CHECK(rtlsim_read_reg(sim, 0x58, &v) == 0 && v == 7, "status 7 after a DECERR read response");
    CHECK(rtlsim_write_reg(sim, 0x1C, 0x2000) == 0 && rtlsim_write_reg(sim, 0x28, 1u << 20) == 0, "spikes_out outside");
    CHECK(rtlsim_run_until_done(sim, 100000) == -3, "a write outside the memory is a violation");
    CHECK(rtlsim_read_reg(sim, 0x58, &v) == 0 && v == 7, "status 7 after a DECERR write response");
    CHECK(rtlsim_write_reg(sim, 0x28, 0x3000) == 0, "spikes_out back in the memory");
    CHECK(rtlsim_run_until_done(sim, 100000) == -3, "the violation stays reported");
    CHECK(rtlsim_read_reg(sim, 0x58, &v) == 0 && v == 0, "the next clean run clears status 7");
    rtlsim_destroy(sim);
    return 0;
}
