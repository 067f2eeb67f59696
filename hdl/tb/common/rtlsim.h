/*
 * C ABI of the verilated Reflex kernels (one library per kernel: librtlsim_<kernel>.so).
 * The simulated card has one AXI4 memory (the kernel's m_axi_gmem port) of mem_bytes bytes at address 0 and the
 * kernel's s_axi_control port. Every call drives the RTL cycle by cycle exactly as XRT drives a card: registers
 * through AXI4-Lite transactions, a run by writing ap_start and polling ap_done at 0x00.
 * Return codes: 0 ok, -1 bad argument, -2 timeout, -3 AXI protocol violation seen by the memory model (an access
 * outside the memory among them: it is also answered DECERR on R or B, which the kernel reports as status 7).
 */
#ifndef REFLEX_RTLSIM_H
#define REFLEX_RTLSIM_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

typedef struct rtlsim rtlsim_t;

/* kernel: must equal the kernel this library was built for; seed and stall_pct (0..95) drive the random idle
 * and backpressure on every memory channel and on the control port (0 = no stalls). NULL on error. */
rtlsim_t *rtlsim_create(const char *kernel, uint64_t mem_bytes, uint32_t seed, uint32_t stall_pct);
void      rtlsim_destroy(rtlsim_t *sim);
const char *rtlsim_kernel_name(void);
/* The Verilog parameters the library was built with, as the Makefile passed them: "NAME=VALUE" pairs separated by
 * single spaces (e.g. "CAUSAL=1 D=70 H=64 P=16"); parameters not listed have the RTL's default. "" for a default
 * build. */
const char *rtlsim_params(void);
int       rtlsim_write_reg(rtlsim_t *sim, uint32_t offset, uint32_t value);
int       rtlsim_read_reg(rtlsim_t *sim, uint32_t offset, uint32_t *value);
int       rtlsim_mem_write(rtlsim_t *sim, uint64_t addr, const void *src, uint64_t bytes);
int       rtlsim_mem_read(rtlsim_t *sim, uint64_t addr, void *dst, uint64_t bytes);
/* Writes ap_start, waits for the kernel's interrupt (reading 0x00 every 4,096 cycles as well), then reads ap_done at
 * 0x00 as XRT does and acknowledges the interrupt; -2 when ap_done is not seen within max_cycles. */
int       rtlsim_run_until_done(rtlsim_t *sim, uint64_t max_cycles);
/* Kernel cycles of the last run: from the cycle ap_start rose to the cycle ap_done (the interrupt) rose. */
uint64_t  rtlsim_cycles(rtlsim_t *sim);
/* All clock cycles simulated so far, control-port traffic included. */
uint64_t  rtlsim_total_cycles(rtlsim_t *sim);
/* The first AXI protocol violation seen, or "" if none. */
const char *rtlsim_error(rtlsim_t *sim);

#ifdef __cplusplus
}
#endif
#endif
