`default_nettype none
// LFADS trial inference (decoders/FIXED_POINT.md sections 5-6) for models without a controller (co_dim = 0):
// bidirectional IC encoder, ic_mean, g0, generator, factors and log-rates, bit-exact.
// Engine: L = 3H row lanes (lfads_lane), P columns per cycle each; lane l holds row l of every matrix.
// A GRU step issues the input projection (tag X, into the thread's ax bank of the step's parity), the z/r/n
// hidden rows on h (job A, tag H; z and r gates are read), then the hidden rows again on r.h (job B, n gate),
// and updates h. The lanes give a job's gates 6 cycles after its last chunk; the dependent job is granted one
// cycle earlier, so its first chunk takes r.h (after A) or the new h (after B) straight from the update logic
// (bypass) and issues 7 cycles after the last chunk: a step costs 2 (K + 6) cycles, K = H / P.
// Schedule: two GRU threads share the lanes job by job (thread 0: forward encoder, then generator; thread 1:
// backward encoder), so one thread's jobs fill the other's pipeline waits; the next bin's input projection
// goes into the free gaps of the running step (it writes the other ax bank); an output thread issues the factor
// and read-out jobs of generator step t while the generator computes step t+1. Jobs are atomic (contiguous
// chunks); hidden-row jobs first, and no other job is granted if it would hold the port when a dependent hidden
// job is due. The counts stream in under the encoders: bursts alternate between the first bins (forward
// encoder) and the last (backward encoder); a thread waits only for a bin that has not arrived.
//
// Model buffer (512-bit beats, little-endian; hdl/README.md has the full layout):
//   beat 0: words [0] magic 0x3144464C "LFD1", [1] D, [2] T_MAX, [3] H, [4] ic_dim, [5] F, [6] RO, [7] P,
//           [8] recon_seq_len - encod_seq_len, [9] clip (Q12); beat 1: words [0..9] requant shifts (int32):
//           ih_fwd, hh_fwd, ih_bwd, hh_bwd, ic, g0, ih_gen, hh_gen, fac, ro;
//   then ceil(2H/32) beats of int16 h0 (fwd then bwd), WD*L beats of lane weights (word a of lane l at beat
//   a*L + l, P int16 in the low bits), NB*L beats of biases (slot s of lane l at s*L + l, int32 in bits 31:0),
//   128 beats of lut_sigmoid and 128 of lut_tanh (4096 int16 each).
// Input: bins*KX chunks of P int16 counts (bin t, chunk k at t*KX + k, zero beyond D), CPB chunks per beat.
// Output: per step one record of REC_BEATS beats: int16 factors[F] then int16 log-rates[RO], zero padded.
// flags: bit0 LOAD the model, bit1 RUN a trial of n_bins bins.
// status: 0 ok, 1 bad magic, 2 dimensions differ from the build, 3 no model loaded, 4 n_bins outside [1, T].
module lfads_core #(
    parameter integer D     = 70,   // input channels (count)
    parameter integer T_MAX = 73,   // longest trial (bins)
    parameter integer H     = 64,   // hidden size of encoders and generator (units)
    parameter integer ICD   = 64,   // ic_dim (units)
    parameter integer F     = 4,    // factors (count)
    parameter integer RO    = 70,   // log-rate outputs (count)
    parameter integer P     = 32    // columns per cycle per lane (multipliers)
) (
    input  wire         clk,
    input  wire         rst,
    input  wire         start,
    output wire         done,
    output wire         idle,
    output wire [31:0]  status,
    input  wire [63:0]  w_addr,
    input  wire [63:0]  in_addr,
    input  wire [63:0]  out_addr,
    input  wire [31:0]  n_bins,
    // lint waiver: the flags 4 (reset), 8 (save) and 16 (restore) belong to the causal-step core; this core ignores
    // them (hdl/abi/lfads_kernel.json)
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [31:0]  flags,
    /* verilator lint_on UNUSEDSIGNAL */
    output reg          m_rd_cmd_valid,
    input  wire         m_rd_cmd_ready,
    output reg  [63:0]  m_rd_cmd_addr,
    output reg  [31:0]  m_rd_cmd_len,
    input  wire         s_rd_valid,
    output wire         s_rd_ready,
    input  wire [511:0] s_rd_data,
    output reg          m_wr_cmd_valid,
    input  wire         m_wr_cmd_ready,
    output reg  [63:0]  m_wr_cmd_addr,
    output reg  [31:0]  m_wr_cmd_len,
    output wire         m_wr_valid,
    input  wire         m_wr_ready,
    output wire [511:0] m_wr_data,
    input  wire         wr_idle
);
    localparam integer L    = 3 * H;
    localparam integer K    = H / P;
    localparam integer KX   = (D + P - 1) / P;
    localparam integer KIC  = (ICD + P - 1) / P;
    localparam integer KF   = (F + P - 1) / P;
    localparam integer CPB  = 512 / (16 * P);            // input chunks per beat
    localparam integer XW   = (T_MAX * KX + CPB - 1) / CPB;
    localparam integer NH0  = (2 * H + 31) / 32;
    localparam integer REC_BEATS = (F + RO + 31) / 32;
    // weight words
    localparam integer WA_IHF = 0, WA_HHF = KX, WA_IHB = KX + K, WA_HHB = 2 * KX + K, WA_IC = 2 * KX + 2 * K;
    localparam integer WA_G0 = WA_IC + 2 * K, WA_HHG = WA_G0 + KIC, WA_FAC = WA_HHG + K, WA_RO = WA_FAC + K;
    localparam integer WD = WA_RO + KF;
    localparam integer NB = 16;
    // vector chunks
    localparam integer C_HF = 1, C_HB = 1 + K, C_RH = 1 + 2 * K, C_IC = 1 + 3 * K, C_G = 1 + 3 * K + KIC;
    localparam integer C_FV = 1 + 4 * K + KIC, C_RH1 = 1 + 4 * K + KIC + KF, NCH = 1 + 5 * K + KIC + KF;
    localparam integer RESW = (L > KIC * P ? L : KIC * P) > KF * P ? (L > KIC * P ? L : KIC * P) : KF * P;
    localparam [31:0] MAGIC = 32'h3144464C;

    initial begin
        if (H % P != 0 || ICD > L || F > L || RO > L || H < P || D < 1 || T_MAX < 1 || F < 1 || RO < 1
            || ICD < 1 || F + RO > 32 * 16) begin
            $display("lfads_core: illegal D=%0d T_MAX=%0d H=%0d ICD=%0d F=%0d RO=%0d P=%0d", D, T_MAX, H, ICD, F, RO, P);
            $finish;
        end
    end
    // stops elaboration in every tool (simulators, Yosys, Vivado): the module below does not exist
    generate
        if (H % P != 0 || ICD > L || F > L || RO > L || H < P || D < 1 || T_MAX < 1 || F < 1 || RO < 1 || ICD < 1 || F + RO > 32 * 16) begin : g_illegal_parameters
            illegal_parameter_combination u_stop ();
        end
    endgenerate

    // ------------------------------------------------------------------ lanes
    wire                   ln_w_we_any, ln_b_we_any, ln_l_we_sig, ln_l_we_tanh;   // from the loader
    wire [15:0]            ld_lane;        // lane addressed by the loader
    wire [$clog2(WD)-1:0]  ld_wa;
    wire [$clog2(NB)-1:0]  ld_ba;
    wire [11:0]            ld_la;
    wire [15:0]            ld_lut_wd;      // table entry being written
    reg                    iss_valid, iss_first, iss_last, iss_thr, iss_axb;
    reg  [1:0]             iss_tag;
    reg  signed [5:0]      iss_shift;
    wire [$clog2(WD)-1:0]  pre_waddr;
    wire [$clog2(NB)-1:0]  pre_baddr;
    (* max_fanout = 16 *) reg [16*P-1:0] vbus_vf;   // replicated per lane group by synthesis
    reg                    vsrc_x_reg;     // operand of the chunk in the lanes' RAM stage comes from the X RAM
    reg  [$clog2(CPB+1)-1:0] xsel_reg;
    wire [511:0]           x_q;
    wire [16*P-1:0]        vbus = vsrc_x_reg ? x_q[16*P*xsel_reg +: 16*P] : vbus_vf;
    wire [16*L-1:0]        res_all;
    wire [16*L-1:0]        gate_all;

    genvar gl;
    generate
        for (gl = 0; gl < L; gl = gl + 1) begin : lane
            // lint waiver: this core times every job from its issue (RT, GT), so the lanes' result and gate strobes
            // (resq_v, gate_v; lfads_step_core uses them) are left open
            /* verilator lint_off PINCONNECTEMPTY */
            lfads_lane #(.P(P), .WD(WD), .NB(NB), .AXB(1)) u_lane (
                .clk(clk),
                .w_we(ln_w_we_any && ld_lane == gl), .w_wa(ld_wa), .w_wd(s_rd_data[16*P-1:0]),
                .b_we(ln_b_we_any && ld_lane == gl), .b_wa(ld_ba), .b_wd(s_rd_data[31:0]),
                .l_we(gl < 2 * H ? ln_l_we_sig : ln_l_we_tanh), .l_wa(ld_la), .l_wd(ld_lut_wd),
                .iss_valid(iss_valid), .iss_first(iss_first), .iss_last(iss_last), .iss_tag(iss_tag),
                .iss_thr(iss_thr), .iss_axb(iss_axb), .iss_shift(iss_shift),
                .pre_valid(jact_reg), .pre_first(jcnt_reg == 0), .pre_waddr(pre_waddr), .pre_baddr(pre_baddr),
                .vbus(vbus), .resq(res_all[16*gl +: 16]), .resq_v(), .gate(gate_all[16*gl +: 16]), .gate_v());
            /* verilator lint_on PINCONNECTEMPTY */
        end
    endgenerate
    // the lane results zero-extended to the widest vector read from them (ic: KIC chunks, factors: KF chunks)
    // lint waiver: only the ic and factor chunks are read here (res_all directly for the rest)
    /* verilator lint_off UNUSEDSIGNAL */
    wire [16*RESW-1:0] res_ext = {{(16*(RESW-L)){1'b0}}, res_all};
    /* verilator lint_on UNUSEDSIGNAL */

    // ------------------------------------------------------------------ X RAM (input counts)
    reg                  x_we;
    reg [$clog2(XW+1)-1:0] x_wa;
    wire                 x_re;
    wire [$clog2(XW+1)-1:0] x_ra;
    ram_sdp #(.WIDTH(512), .DEPTH(XW + 1)) u_x (.clk(clk), .we(x_we), .waddr(x_wa), .wdata(s_rd_data),
        .re(x_re), .raddr(x_ra), .rdata(x_q));

    // ------------------------------------------------------------------ vectors
    reg [16*H-1:0]     hf_reg, hb_reg, rh_reg, rh1_reg, g_reg, h0f_reg, h0b_reg;
    reg [16*KIC*P-1:0] ic_reg;
    reg [16*KF*P-1:0]  fv_reg;
    wire [16*P*NCH-1:0] vf_all = {rh1_reg, fv_reg, g_reg, ic_reg, rh_reg, hb_reg, hf_reg, {(16*P){1'b0}}};
    reg [512*REC_BEATS-1:0] rec_reg, pbuf_reg;              // record being built / being pushed

    // ------------------------------------------------------------------ output FIFO
    reg          fifo_push;
    reg  [511:0] fifo_din;
    wire         fifo_in_ready;
    sync_fifo #(.WIDTH(512), .DEPTH(16)) u_fifo (.clk(clk), .rst(rst), .in_valid(fifo_push),
        .in_ready(fifo_in_ready), .in_data(fifo_din), .out_valid(m_wr_valid), .out_ready(m_wr_ready),
        .out_data(m_wr_data));

    // ------------------------------------------------------------------ model registers
    reg [31:0] hdr_reg [0:9];
    reg signed [5:0] sh_reg [0:9];
    reg [31:0] extra_reg;
    reg [16:0] clip_reg;                   // cell clip (Q12; the update reads clip and clip + 1)

    // ------------------------------------------------------------------ main FSM
    localparam [4:0] S_IDLE = 0, S_LOAD = 1, S_RUN = 7, S_ENC = 11, S_IC = 12, S_IC_W = 13, S_G0 = 14, S_G0_W = 15, S_GEN = 16,
                     S_FLUSH = 17, S_DONE = 18;
    // GRU thread states: T_IN input projection of the step's bin, T_A z/r job requested, T_WA z/r job issued,
    // T_B n job requested, T_WB n job issued
    localparam [2:0] T_IDLE = 0, T_IN = 1, T_A = 2, T_WA = 3, T_B = 4, T_WB = 5;
    // output thread states
    localparam [2:0] O_IDLE = 0, O_FAC = 1, O_FAC_W = 2, O_RO = 3, O_RO_W = 4;
    // lane latency from the issue of a job's last chunk (lfads_lane): result, gate; the dependent job is granted
    // one cycle before the gate so that its first chunk takes the new vector from the update logic (bypass)
    localparam integer RT = 4, GT = 6, PT = GT - 1;
    // input bursts: the first two (front, back) just cover one bin each, the rest about two bins
    localparam integer BL0 = (KX + CPB - 1) / CPB + 1;
    localparam integer BL1 = 2 * ((KX + CPB - 1) / CPB) > 4 ? 2 * ((KX + CPB - 1) / CPB) : 4;

    reg [4:0]  state_reg, state_next;
    reg [31:0] status_reg, status_next;
    reg [63:0] ia_reg, oa_reg;
    reg [31:0] bins_reg;
    reg        run_reg;                    // flag 2: RUN after the LOAD
    reg [31:0] steps_reg;
    reg [31:0] tmod_reg;                   // the model's encod_seq_len

    // input reader: bursts alternate between the front (forward encoder) and the back (backward encoder)
    reg        rdr_on_reg, rdr_on_next, rdr_busy_reg, rdr_busy_next, rdir_reg, rdir_next;
    reg [31:0] nbt_reg;                    // beats of the trial's counts
    reg [31:0] fp_reg, fp_next, bp_reg, bp_next;   // beats requested from the front / the back
    reg [31:0] fb_reg, fb_next, bb_reg, bb_next;   // beats arrived from the front / the back
    reg [31:0] ncmd_reg, ncmd_next, wptr_reg, wptr_next, rrem_reg, rrem_next, rlen_reg, rlen_next;
    reg [31:0] blen, bstart;
    reg        wcmd_reg, wcmd_next;        // the output write command is still to be issued

    // thread 0 (forward encoder, then generator), thread 1 (backward encoder)
    reg [2:0]  t0s_reg, t0s_next, t1s_reg, t1s_next, os_reg, os_next;
    reg [31:0] t0t_reg, t0t_next, t1t_reg, t1t_next;   // bin (encoder) / step (generator)
    reg        t0gen_reg, t0gen_next;                  // thread 0 runs the generator
    reg        t0in_reg, t0in_next, t1in_reg, t1in_next; // next step's input projection already issued
    reg [31:0] ot_reg, ot_next;                        // output thread: step being written
    reg [31:0] gdone_reg, gdone_next;                  // generator steps completed
    reg [31:0] ofac_reg, ofac_next;                    // factor jobs issued
    reg [31:0] ocnt_reg, ocnt_next;                    // beats of the finished record still to push

    // job port: requests, arbiter, active job
    reg        jact_reg;  reg [31:0] jcnt_reg, jn_reg, jchunk_reg, jwbase_reg;
    reg [1:0]  jtag_reg;  reg jthr_reg, jx_reg, jph_reg, jaxb_reg;  reg [3:0] jop_reg;
    reg        g_valid;   reg [31:0] g_n, g_chunk, g_wbase; reg [1:0] g_tag; reg g_thr, g_x, g_ph, g_axb;
    reg [3:0]  g_op;
    reg        gr_t0, gr_t1, gr_o, gr_m;                // grants this cycle
    reg        rq_t0, rq_t1, rq_o, rq_m;                // requests this cycle
    reg [31:0] r0_n, r0_chunk, r0_wbase, r1_n, r1_chunk, r1_wbase, ro_n, ro_chunk, ro_wbase, rm_n, rm_chunk, rm_wbase;
    reg [1:0]  r0_tag, r1_tag; reg r0_x, r1_x, r0_ph, r1_ph, r0_axb, r1_axb; reg [3:0] r0_op, r1_op, ro_op, rm_op;

    // events: the last chunk of a job was in the lanes' issue stage n cycles ago (bit n); hidden jobs per thread
    // and phase (A: z/r rows on h, B: n rows on r.h)
    reg [GT:0] evm_reg, eva0_reg, evb0_reg, eva1_reg, evb1_reg;
    wire ev_res = evm_reg[RT];
    wire ea0 = eva0_reg[GT], eb0 = evb0_reg[GT], ea1 = eva1_reg[GT], eb1 = evb1_reg[GT];
    wire pa0 = eva0_reg[PT], pb0 = evb0_reg[PT], pa1 = eva1_reg[PT], pb1 = evb1_reg[PT];
    wire [PT-1:0] evh_any = eva0_reg[PT-1:0] | evb0_reg[PT-1:0] | eva1_reg[PT-1:0] | evb1_reg[PT-1:0];

    assign done     = state_reg == S_DONE;
    assign idle     = state_reg == S_IDLE;
    assign status   = status_reg;
    // ------------------------------------------------------------------ model loader (lfads_loader)
    wire        ld_rd_ready, ld_cmd_valid, ld_hdr0, ld_hdr1, ld_check, ld_h0, ld_done, ld_loaded;
    wire [63:0] ld_cmd_addr;
    wire [31:0] ld_cmd_len, ld_h0_beat;
    wire        hdr_ok = hdr_reg[0] == MAGIC && hdr_reg[1] == D && hdr_reg[2] != 0 && hdr_reg[2] <= T_MAX
                         && hdr_reg[3] == H && hdr_reg[4] == ICD && hdr_reg[5] == F && hdr_reg[6] == RO
                         && hdr_reg[7] == P && hdr_reg[9] <= 32767;
    // lint waiver: the loader is idle whenever the core starts one (S_IDLE), so its ready is not read
    /* verilator lint_off PINCONNECTEMPTY */
    lfads_loader #(.L(L), .WD(WD), .NB(NB), .NH0(NH0)) u_loader (.clk(clk), .rst(rst),
        .s_load_valid(state_reg == S_IDLE && start && flags[0]), .s_load_ready(), .s_load_addr(w_addr),
        .m_rd_cmd_valid(ld_cmd_valid), .m_rd_cmd_ready(m_rd_cmd_ready), .m_rd_cmd_addr(ld_cmd_addr),
        .m_rd_cmd_len(ld_cmd_len), .s_rd_valid(s_rd_valid), .s_rd_ready(ld_rd_ready), .s_rd_data(s_rd_data),
        .m_hdr0_valid(ld_hdr0), .m_hdr1_valid(ld_hdr1), .m_check_valid(ld_check), .s_check_ok(hdr_ok),
        .m_h0_valid(ld_h0), .m_h0_beat(ld_h0_beat), .m_w_we(ln_w_we_any), .m_b_we(ln_b_we_any),
        .m_lut_we_sig(ln_l_we_sig), .m_lut_we_tanh(ln_l_we_tanh), .m_lane(ld_lane), .m_wa(ld_wa), .m_ba(ld_ba),
        .m_la(ld_la), .m_lut_wd(ld_lut_wd), .m_done(ld_done), .m_loaded(ld_loaded));
    /* verilator lint_on PINCONNECTEMPTY */

    assign s_rd_ready = ld_rd_ready || rdr_busy_reg;
    wire rd_fire = s_rd_valid && s_rd_ready;

    // ---------------------------------------------------------------- GRU arithmetic (FIXED_POINT.md section 5)
    // One cycle before a thread's gate event its state h (and, before the n gate, its stored 16384 - z and
    // 4.z.h + 2^15) are selected into registers; at the event one multiply-add per unit and quantity remains.
    // The saturation / clip decisions come from the same product with the thresholds folded into the addend
    // (sign tests of parallel multiply-adds), so no compare follows the adder.
    wire            ev_thr = ea1 || eb1;                   // events never coincide (one issue port)
    wire            ev_b   = eb0 || eb1;
    wire            ev_any = ea0 || eb0 || ea1 || eb1;
    wire            pre_any = pa0 || pb0 || pa1 || pb1;
    wire            pre_thr = pa1 || pb1;
    reg  [16*H-1:0] hs_reg;                               // h of the thread whose event is next
    reg  [18*H-1:0] zc0_reg, zc1_reg, zcs_reg;            // 16384 - z per unit (18-bit)
    reg  [40*H-1:0] zh0_reg, zh1_reg, zhs_reg, zhhs_reg, zhls_reg;   // 4.z.h + 2^15 (and - (clip+1).2^16, + clip.2^16)
    reg  [16*H-1:0] rh_new, h_new;
    reg  [18*H-1:0] zc_new;
    reg  [40*H-1:0] zh_new;
    integer i;
    reg signed [31:0] prh;
    reg signed [39:0] acc_n;
    // lint waiver: rounding and saturation intermediates; only the result field and the sign bits are read
    /* verilator lint_off UNUSEDSIGNAL */
    reg signed [39:0] rh_u, rh_hi, rh_lo, u_n, u_hi, u_lo;
    /* verilator lint_on UNUSEDSIGNAL */
    always @* begin
        for (i = 0; i < H; i = i + 1) begin
            // r.h: requant16(r.h, 14)
            prh   = $signed(gate_all[16*(H+i) +: 16]) * $signed(hs_reg[16*i +: 16]);
            rh_u  = $signed({{8{prh[31]}}, prh}) + 40'sd8192;
            rh_hi = $signed({{8{prh[31]}}, prh}) + (40'sd8192 - 40'sd536870912);     // >= 0: rh > 32767
            rh_lo = $signed({{8{prh[31]}}, prh}) + (40'sd8192 + 40'sd536870912);     // <  0: rh < -32768
            if (!rh_hi[39]) rh_new[16*i +: 16] = 16'h7FFF;
            else if (rh_lo[39]) rh_new[16*i +: 16] = 16'h8000;
            else rh_new[16*i +: 16] = rh_u[29:14];
            // kept for the update: 16384 - z and 4.z.h + 2^15 (the rounding constant of >> 16)
            zc_new[18*i +: 18] = 18'sd16384 - $signed({{2{gate_all[16*i+15]}}, gate_all[16*i +: 16]});
            zh_new[40*i +: 40] = $signed(gate_all[16*i +: 16]) * $signed({hs_reg[16*i +: 16], 2'b00}) + 40'sd32768;
            // h' = clamp((4.z.h + (16384 - z).n + 2^15) >> 16, -clip, clip)
            acc_n = $signed(zcs_reg[18*i +: 18]) * $signed(gate_all[16*(2*H+i) +: 16]);
            u_n  = $signed(zhs_reg[40*i +: 40]) + acc_n;
            u_hi = $signed(zhhs_reg[40*i +: 40]) + acc_n;            // >= 0: h' > clip
            u_lo = $signed(zhls_reg[40*i +: 40]) + acc_n;            // <  0: h' < -clip
            if (!u_hi[39]) h_new[16*i +: 16] = clip_reg[15:0];
            else if (u_lo[39]) h_new[16*i +: 16] = -clip_reg[15:0];
            else h_new[16*i +: 16] = u_n[31:16];
        end
    end

    function [3:0] bias_slot;      // bias slot of an op (0 = no bias)
        input [3:0] op;
        begin
            bias_slot = op == 4'd8 ? 4'd0 : (op == 4'd9 ? 4'd9 : op + 4'd1);
        end
    endfunction

    // a job of n chunks granted now must not hold the port when a hidden job's dependent job is due (PT)
    function blocked;
        input [31:0] n;
        input [PT-1:0] ev;
        input cur;                 // the chunk in the job stage now is the last of a hidden job
        integer j;
        begin
            blocked = 1'b0;
            for (j = 1; j < PT + 2; j = j + 1)
                if (j < n) begin
                    if (j <= PT - 1) begin if (ev[PT-j]) blocked = 1'b1; end
                    else if (j == PT + 1) begin if (cur) blocked = 1'b1; end
                    else if (j == PT) begin if (ev[0]) blocked = 1'b1; end
                end
        end
    endfunction

    // bins whose counts are in the X RAM: first / last beat of bin t
    function [31:0] bin_first_beat;
        input [31:0] t;
        begin
            bin_first_beat = (t * KX) / CPB;
        end
    endfunction
    function [31:0] bin_last_beat;
        input [31:0] t;
        begin
            bin_last_beat = (t * KX + KX - 1) / CPB;
        end
    endfunction
    wire all_in = fb_reg + bb_reg >= nbt_reg;
    wire av0_cur  = all_in || bin_last_beat(t0t_reg) < fb_reg || bin_first_beat(t0t_reg) >= nbt_reg - bb_reg;
    wire av0_next = all_in || bin_last_beat(t0t_reg + 1) < fb_reg || bin_first_beat(t0t_reg + 1) >= nbt_reg - bb_reg;
    wire av1_cur  = all_in || bin_last_beat(t1t_reg) < fb_reg || bin_first_beat(t1t_reg) >= nbt_reg - bb_reg;
    wire av1_next = all_in || bin_last_beat(t1t_reg - 1) < fb_reg || bin_first_beat(t1t_reg - 1) >= nbt_reg - bb_reg;

    wire port_free = !jact_reg || jcnt_reg == jn_reg - 1;   // a new job may be granted this cycle
    wire cur_h = jact_reg && jcnt_reg == jn_reg - 1 && jtag_reg == 2'd2;
    wire enc_last0 = t0t_reg == bins_reg - 1;                // forward encoder: last bin
    wire enc_last1 = t1t_reg == 0;                           // backward encoder: last bin (t runs down)
    wire gen_last  = t0t_reg == steps_reg - 1;
    wire t1_first  = !t0gen_reg && bins_reg - 1 - t1t_reg < t0t_reg;   // the backward encoder is behind

    always @* begin
        state_next = state_reg; status_next = status_reg;
        t0s_next = t0s_reg; t1s_next = t1s_reg; os_next = os_reg; t0t_next = t0t_reg; t1t_next = t1t_reg;
        t0gen_next = t0gen_reg; t0in_next = t0in_reg; t1in_next = t1in_reg; ot_next = ot_reg;
        gdone_next = gdone_reg; ofac_next = ofac_reg; ocnt_next = ocnt_reg;
        rdr_on_next = rdr_on_reg; rdr_busy_next = rdr_busy_reg; rdir_next = rdir_reg; fp_next = fp_reg;
        bp_next = bp_reg; fb_next = fb_reg; bb_next = bb_reg; ncmd_next = ncmd_reg; wptr_next = wptr_reg;
        rrem_next = rrem_reg; rlen_next = rlen_reg; wcmd_next = wcmd_reg;
        // the loader's read commands (zero while it is idle); the input reader's are issued only after a load
        m_rd_cmd_valid = ld_cmd_valid; m_rd_cmd_addr = ld_cmd_addr; m_rd_cmd_len = ld_cmd_len;
        m_wr_cmd_valid = 1'b0; m_wr_cmd_addr = 64'd0; m_wr_cmd_len = 32'd0;
        x_we = 1'b0; x_wa = wptr_reg[$clog2(XW+1)-1:0];
        fifo_push = 1'b0; fifo_din = pbuf_reg[512*(REC_BEATS-ocnt_reg) +: 512];
        blen = 32'd0; bstart = 32'd0;

        // ---- requests
        // thread 0: forward encoder (X, then H on hf / rh0) or generator (H on g / rh0)
        rq_t0 = 1'b0; r0_n = K; r0_chunk = t0gen_reg ? C_G : C_HF; r0_wbase = t0gen_reg ? WA_HHG : WA_HHF;
        r0_tag = 2'd2; r0_x = 1'b0; r0_op = t0gen_reg ? 4'd7 : 4'd1; r0_ph = 1'b0;
        r0_axb = t0gen_reg ? 1'b0 : t0t_reg[0];
        case (t0s_reg)
            T_IN: if (t0gen_reg) begin // the generator's input has width 0: ax = b_ih from the zero chunk
                        rq_t0 = 1'b1; r0_n = 1; r0_chunk = 0; r0_wbase = 0; r0_tag = 2'd1; r0_op = 4'd6;
                  end else begin
                        rq_t0 = av0_cur; r0_n = KX; r0_chunk = t0t_reg * KX; r0_wbase = WA_IHF; r0_tag = 2'd1;
                        r0_x = 1'b1; r0_op = 4'd0;
                  end
            T_A:  rq_t0 = 1'b1;
            T_WA: if (pa0) begin // n rows on r.h, granted so that the first chunk takes r.h from the update
                        rq_t0 = !t0gen_reg || ofac_reg == t0t_reg;   // fac(t-1) reads g before g changes
                        r0_chunk = C_RH; r0_ph = 1'b1;
                  end else begin // the next bin's input projection, into the other ax bank
                        rq_t0 = !t0gen_reg && !t0in_reg && !enc_last0 && av0_next; r0_n = KX;
                        r0_chunk = (t0t_reg + 1) * KX; r0_wbase = WA_IHF; r0_tag = 2'd1; r0_x = 1'b1; r0_op = 4'd0;
                        r0_axb = !t0t_reg[0];
                  end
            T_B:  begin rq_t0 = !t0gen_reg || ofac_reg == t0t_reg; r0_chunk = C_RH; r0_ph = 1'b1; end
            T_WB: if (pb0) begin // the next step's z/r rows, first chunk from the update
                        rq_t0 = t0gen_reg ? !gen_last : (!enc_last0 && t0in_reg);
                        r0_axb = t0gen_reg ? 1'b0 : !t0t_reg[0];
                  end else begin
                        rq_t0 = !t0gen_reg && !t0in_reg && !enc_last0 && av0_next; r0_n = KX;
                        r0_chunk = (t0t_reg + 1) * KX; r0_wbase = WA_IHF; r0_tag = 2'd1; r0_x = 1'b1; r0_op = 4'd0;
                        r0_axb = !t0t_reg[0];
                  end
            default: ;
        endcase
        // thread 1: backward encoder (bins T-1 down to 0)
        rq_t1 = 1'b0; r1_n = K; r1_chunk = C_HB; r1_wbase = WA_HHB; r1_tag = 2'd2; r1_x = 1'b0; r1_op = 4'd3;
        r1_ph = 1'b0; r1_axb = t1t_reg[0];
        case (t1s_reg)
            T_IN: begin rq_t1 = av1_cur; r1_n = KX; r1_chunk = t1t_reg * KX; r1_wbase = WA_IHB; r1_tag = 2'd1;
                        r1_x = 1'b1; r1_op = 4'd2; end
            T_A:  rq_t1 = 1'b1;
            T_WA: if (pa1) begin rq_t1 = 1'b1; r1_chunk = C_RH1; r1_ph = 1'b1; end
                  else begin
                        rq_t1 = !t1in_reg && !enc_last1 && av1_next; r1_n = KX; r1_chunk = (t1t_reg - 1) * KX;
                        r1_wbase = WA_IHB; r1_tag = 2'd1; r1_x = 1'b1; r1_op = 4'd2; r1_axb = !t1t_reg[0];
                  end
            T_B:  begin rq_t1 = 1'b1; r1_chunk = C_RH1; r1_ph = 1'b1; end
            T_WB: if (pb1) begin rq_t1 = !enc_last1 && t1in_reg; r1_axb = !t1t_reg[0]; end
                  else begin
                        rq_t1 = !t1in_reg && !enc_last1 && av1_next; r1_n = KX; r1_chunk = (t1t_reg - 1) * KX;
                        r1_wbase = WA_IHB; r1_tag = 2'd1; r1_x = 1'b1; r1_op = 4'd2; r1_axb = !t1t_reg[0];
                  end
            default: ;
        endcase
        // output thread: factors of step ot from g, then read-out from the factors
        rq_o = 1'b0; ro_n = K; ro_chunk = C_G; ro_wbase = WA_FAC; ro_op = 4'd8;
        if (os_reg == O_FAC) rq_o = gdone_reg > ot_reg;
        if (os_reg == O_RO) begin rq_o = ocnt_reg == 0; ro_n = KF; ro_chunk = C_FV; ro_wbase = WA_RO; ro_op = 4'd9; end
        // main FSM jobs: ic_mean, g0
        rq_m = 1'b0; rm_n = 2 * K; rm_chunk = C_HF; rm_wbase = WA_IC; rm_op = 4'd4;
        if (state_reg == S_IC) rq_m = 1'b1;
        if (state_reg == S_G0) begin rq_m = 1'b1; rm_n = KIC; rm_chunk = C_IC; rm_wbase = WA_G0; rm_op = 4'd5; end

        // ---- arbiter: hidden-row jobs first (they carry the recurrences), then inputs, outputs, the rest; a
        // job that is not a hidden-row job waits rather than delay a dependent hidden job that is due
        gr_t0 = 1'b0; gr_t1 = 1'b0; gr_o = 1'b0; gr_m = 1'b0;
        g_valid = 1'b0; g_n = 1; g_chunk = 0; g_wbase = 0; g_tag = 2'd0; g_thr = 1'b0; g_x = 1'b0; g_op = 0;
        g_ph = 1'b0; g_axb = 1'b0;
        // between the encoder threads the one with fewer finished bins goes first; a thread that waits for its
        // input projection (T_IN) is not held back for the other's dependent job
        if (port_free) begin
            if (!t1_first && rq_t0 && r0_tag == 2'd2) gr_t0 = 1'b1;
            else if (rq_t1 && r1_tag == 2'd2) gr_t1 = 1'b1;
            else if (rq_t0 && r0_tag == 2'd2) gr_t0 = 1'b1;
            else if (!t1_first && rq_t0 && (t0s_reg == T_IN || !blocked(r0_n, evh_any, cur_h))) gr_t0 = 1'b1;
            else if (rq_t1 && (t1s_reg == T_IN || !blocked(r1_n, evh_any, cur_h))) gr_t1 = 1'b1;
            else if (rq_t0 && (t0s_reg == T_IN || !blocked(r0_n, evh_any, cur_h))) gr_t0 = 1'b1;
            else if (rq_o && !blocked(ro_n, evh_any, cur_h)) gr_o = 1'b1;
            else if (rq_m && !blocked(rm_n, evh_any, cur_h)) gr_m = 1'b1;
        end
        if (gr_t0) begin g_valid = 1'b1; g_n = r0_n; g_chunk = r0_chunk; g_wbase = r0_wbase; g_tag = r0_tag;
                         g_thr = 1'b0; g_x = r0_x; g_op = r0_op; g_ph = r0_ph; g_axb = r0_axb; end
        if (gr_t1) begin g_valid = 1'b1; g_n = r1_n; g_chunk = r1_chunk; g_wbase = r1_wbase; g_tag = r1_tag;
                         g_thr = 1'b1; g_x = r1_x; g_op = r1_op; g_ph = r1_ph; g_axb = r1_axb; end
        if (gr_o)  begin g_valid = 1'b1; g_n = ro_n; g_chunk = ro_chunk; g_wbase = ro_wbase; g_tag = 2'd0;
                         g_op = ro_op; end
        if (gr_m)  begin g_valid = 1'b1; g_n = rm_n; g_chunk = rm_chunk; g_wbase = rm_wbase; g_tag = 2'd0;
                         g_op = rm_op; end

        // ---- thread 0
        case (t0s_reg)
            T_IN: if (gr_t0) t0s_next = T_A;
            T_A:  if (gr_t0) t0s_next = T_WA;
            T_WA: if (pa0) t0s_next = gr_t0 ? T_WB : T_B;
                  else if (gr_t0) t0in_next = 1'b1;
            T_B:  if (gr_t0) t0s_next = T_WB;
            T_WB: if (pb0) begin
                    t0in_next = 1'b0;
                    if (t0gen_reg ? gen_last : enc_last0) t0s_next = T_IDLE;
                    else begin
                        t0t_next = t0t_reg + 1;
                        t0s_next = gr_t0 ? T_WA : ((t0gen_reg || t0in_reg) ? T_A : T_IN);
                    end
                  end else if (gr_t0) t0in_next = 1'b1;
            default: ;
        endcase
        if (t0gen_reg && eb0) gdone_next = gdone_reg + 1;
        // ---- thread 1
        case (t1s_reg)
            T_IN: if (gr_t1) t1s_next = T_A;
            T_A:  if (gr_t1) t1s_next = T_WA;
            T_WA: if (pa1) t1s_next = gr_t1 ? T_WB : T_B;
                  else if (gr_t1) t1in_next = 1'b1;
            T_B:  if (gr_t1) t1s_next = T_WB;
            T_WB: if (pb1) begin
                    t1in_next = 1'b0;
                    if (enc_last1) t1s_next = T_IDLE;
                    else begin
                        t1t_next = t1t_reg - 1;
                        t1s_next = gr_t1 ? T_WA : (t1in_reg ? T_A : T_IN);
                    end
                  end else if (gr_t1) t1in_next = 1'b1;
            default: ;
        endcase
        // ---- output thread
        case (os_reg)
            O_IDLE: if (state_reg == S_GEN) os_next = O_FAC;
            O_FAC:  if (gr_o) begin os_next = O_FAC_W; ofac_next = ofac_reg + 1; end
            O_FAC_W: if (ev_res) os_next = O_RO;
            O_RO:   if (gr_o) os_next = O_RO_W;
            O_RO_W: if (ev_res) begin os_next = O_FAC; ot_next = ot_reg + 1; ocnt_next = REC_BEATS; end
            default: os_next = O_IDLE;
        endcase
        // the finished record goes to the FIFO while the next step's factors are computed
        if (ocnt_reg != 0 && fifo_in_ready) begin
            fifo_push = 1'b1;
            ocnt_next = ocnt_reg - 1;
        end

        // ---- input reader (runs while the encoders do)
        if (rdr_on_reg && !rdr_busy_reg && fp_reg + bp_reg < nbt_reg) begin
            blen = nbt_reg - fp_reg - bp_reg;
            if (ncmd_reg < 2) begin if (blen > BL0) blen = BL0; end
            else if (blen > BL1) blen = BL1;
            bstart = ncmd_reg[0] ? nbt_reg - bp_reg - blen : fp_reg;
            m_rd_cmd_valid = 1'b1; m_rd_cmd_addr = ia_reg + {26'd0, bstart, 6'd0}; m_rd_cmd_len = blen;
            if (m_rd_cmd_ready) begin
                rdr_busy_next = 1'b1; wptr_next = bstart; rrem_next = blen; rlen_next = blen;
                rdir_next = ncmd_reg[0]; ncmd_next = ncmd_reg + 1;
                if (ncmd_reg[0]) bp_next = bp_reg + blen; else fp_next = fp_reg + blen;
            end
        end
        if (rdr_busy_reg && rd_fire) begin
            x_we = 1'b1; wptr_next = wptr_reg + 1; rrem_next = rrem_reg - 1;
            if (!rdir_reg) fb_next = fb_reg + 1;
            if (rrem_reg == 1) begin
                rdr_busy_next = 1'b0;
                if (rdir_reg) bb_next = bb_reg + rlen_reg;
            end
        end
        if (wcmd_reg) begin
            m_wr_cmd_valid = 1'b1; m_wr_cmd_addr = oa_reg; m_wr_cmd_len = steps_reg * REC_BEATS;
            if (m_wr_cmd_ready) wcmd_next = 1'b0;
        end

        // ---- main FSM
        case (state_reg)
            S_IDLE: if (start) begin
                status_next = 32'd0;
                if (flags[0]) state_next = S_LOAD;
                else if (flags[1]) state_next = S_RUN;
                else state_next = S_DONE;
            end
            // the loader reads the header, has it checked here, then writes the lanes
            S_LOAD: begin
                if (ld_check && !hdr_ok) begin
                    status_next = hdr_reg[0] != MAGIC ? 32'd1 : 32'd2; state_next = S_DONE;
                end else if (ld_done) state_next = run_reg ? S_RUN : S_DONE;
            end
            S_RUN: begin
                if (!ld_loaded) begin status_next = 32'd3; state_next = S_DONE; end
                else if (bins_reg == 0 || bins_reg > tmod_reg) begin status_next = 32'd4; state_next = S_DONE; end
                else begin
                    // the counts stream in under the encoders; the output command goes out meanwhile
                    state_next = S_ENC;
                    rdr_on_next = 1'b1; rdr_busy_next = 1'b0; fp_next = 0; bp_next = 0; fb_next = 0; bb_next = 0;
                    ncmd_next = 0; wcmd_next = 1'b1;
                    t0s_next = T_IN; t0t_next = 0; t0gen_next = 1'b0; t0in_next = 1'b0;
                    t1s_next = T_IN; t1t_next = bins_reg - 1; t1in_next = 1'b0;
                end
            end
            S_ENC: if (t0s_reg == T_IDLE && t1s_reg == T_IDLE) state_next = S_IC;
            S_IC: if (gr_m) state_next = S_IC_W;
            S_IC_W: if (ev_res) state_next = S_G0;
            S_G0: if (gr_m) state_next = S_G0_W;
            S_G0_W: if (ev_res) begin
                state_next = S_GEN;
                t0s_next = T_IN; t0gen_next = 1'b1; t0t_next = 0; t0in_next = 1'b0;
                ot_next = 0; gdone_next = 0; ofac_next = 0;
            end
            S_GEN: if (t0s_reg == T_IDLE && ot_reg == steps_reg && ocnt_reg == 0) begin
                state_next = S_FLUSH; os_next = O_IDLE;
            end
            S_FLUSH: if (wr_idle && !m_wr_valid && !wcmd_reg) begin state_next = S_DONE; rdr_on_next = 1'b0; end
            S_DONE: state_next = S_IDLE;
            default: state_next = S_IDLE;
        endcase
    end

    // ------------------------------------------------------------------ job port
    wire        j_issue = jact_reg;
    wire        j_last  = jcnt_reg == jn_reg - 1;
    wire        j_h     = j_issue && j_last && jtag_reg == 2'd2;
    // the first chunk of a hidden job whose vector is being written this cycle takes it from the update logic
    // chunk position of the job stage: a chunk of vf_all (< NCH), or of the X RAM (word xpos, chunk xsel of it)
    wire [31:0] vchunk = {{(32 - $clog2(NCH+1)){1'b0}}, jchunk_reg[$clog2(NCH+1)-1:0] + jcnt_reg[$clog2(NCH+1)-1:0]};
    wire [31:0] jpos   = jchunk_reg + jcnt_reg;
    // lint waiver: the weight word < WD, xpos < XW + 1 and xsel < CPB; only their low bits are read
    /* verilator lint_off UNUSEDSIGNAL */
    wire [31:0] waddr_w = jwbase_reg + jcnt_reg;
    wire [31:0] xpos   = jpos / CPB;
    wire [31:0] xsel_w = jpos % CPB;
    /* verilator lint_on UNUSEDSIGNAL */
    wire [$clog2(CPB+1)-1:0] xsel = xsel_w[$clog2(CPB+1)-1:0];
    wire        bypass  = jact_reg && jcnt_reg == 0 && jtag_reg == 2'd2 && ev_any && jthr_reg == ev_thr;
    always @(posedge clk) begin
        if (g_valid) begin
            jact_reg <= 1'b1; jcnt_reg <= 0; jn_reg <= g_n; jchunk_reg <= g_chunk; jwbase_reg <= g_wbase;
            jtag_reg <= g_tag; jthr_reg <= g_thr; jx_reg <= g_x; jop_reg <= g_op; jph_reg <= g_ph; jaxb_reg <= g_axb;
        end else if (jact_reg) begin
            jcnt_reg <= jcnt_reg + 1;
            if (j_last) jact_reg <= 1'b0;
        end
        // chunk issue (registered into the lanes)
        iss_valid <= j_issue;
        iss_first <= jcnt_reg == 0;
        iss_last  <= j_last;
        iss_tag   <= jtag_reg;
        iss_thr   <= jthr_reg;
        iss_axb   <= jaxb_reg;
        iss_shift <= sh_reg[jop_reg];
        // operand: the VF chunk is registered and the X word read now, aligned with the lanes' weight read
        if (bypass) vbus_vf <= ev_b ? h_new[16*P-1:0] : rh_new[16*P-1:0];
        else vbus_vf <= vf_all[16*P*vchunk +: 16*P];
        xsel_reg  <= xsel;
        evm_reg  <= {evm_reg[GT-1:0], j_issue && j_last && jtag_reg == 2'd0};
        eva0_reg <= {eva0_reg[GT-1:0], j_h && !jthr_reg && !jph_reg};
        evb0_reg <= {evb0_reg[GT-1:0], j_h && !jthr_reg && jph_reg};
        eva1_reg <= {eva1_reg[GT-1:0], j_h && jthr_reg && !jph_reg};
        evb1_reg <= {evb1_reg[GT-1:0], j_h && jthr_reg && jph_reg};
        if (rst) begin
            jact_reg <= 1'b0; iss_valid <= 1'b0; evm_reg <= 0; eva0_reg <= 0; evb0_reg <= 0; eva1_reg <= 0;
            evb1_reg <= 0;
        end
    end
`ifdef LFADS_TRACE
    reg [31:0] dbg_cyc;
    always @(posedge clk) begin
        dbg_cyc <= (state_reg == S_IDLE) ? 0 : dbg_cyc + 1;
        if (g_valid) $display("TR %0d grant n=%0d tag=%0d thr=%0d ph=%0d op=%0d st=%0d t0=%0d/%0d t1=%0d/%0d", dbg_cyc, g_n, g_tag, g_thr, g_ph, g_op, state_reg, t0s_reg, t0t_reg, t1s_reg, t1t_reg);
        if (ev_any) $display("TR %0d event thr=%0d b=%0d", dbg_cyc, ev_thr, ev_b);
        if (m_rd_cmd_valid && m_rd_cmd_ready) $display("TR %0d rdcmd len=%0d", dbg_cyc, m_rd_cmd_len);
        if (state_reg != state_next) $display("TR %0d state %0d -> %0d", dbg_cyc, state_reg, state_next);
    end
`endif
    assign pre_waddr = waddr_w[$clog2(WD)-1:0];
    assign pre_baddr = bias_slot(jop_reg);
    assign x_re = j_issue && jx_reg;
    assign x_ra = xpos[$clog2(XW+1)-1:0];
    always @(posedge clk) vsrc_x_reg <= x_re;

    // ------------------------------------------------------------------ state registers and data
    integer h;
    always @(posedge clk) begin
        if (state_reg == S_IDLE && start) begin
            ia_reg <= in_addr; oa_reg <= out_addr; bins_reg <= n_bins; run_reg <= flags[1];
        end
        if (ld_hdr0)
            for (h = 0; h < 10; h = h + 1) hdr_reg[h] <= s_rd_data[32*h +: 32];
        if (ld_hdr1)
            for (h = 0; h < 10; h = h + 1) sh_reg[h] <= s_rd_data[32*h +: 6];
        if (ld_check) begin extra_reg <= hdr_reg[8]; clip_reg <= hdr_reg[9][16:0]; tmod_reg <= hdr_reg[2]; end
        // h0: unit h is word h % 32 of beat h / 32 (constant indices: a compare per unit, no shifter)
        if (ld_h0)
            for (h = 0; h < 2 * H; h = h + 1)
                if (ld_h0_beat == h / 32) begin
                    if (h < H) h0f_reg[16*h +: 16] <= s_rd_data[16*(h%32) +: 16];
                    else h0b_reg[16*(h-H) +: 16] <= s_rd_data[16*(h%32) +: 16];
                end
        if (state_reg == S_RUN) begin
            steps_reg <= bins_reg + extra_reg;
            nbt_reg <= (bins_reg * KX + CPB - 1) / CPB;
            hf_reg <= h0f_reg; hb_reg <= h0b_reg;
        end
        // one cycle before a thread's gate event: its h and stored update terms
        if (pre_any) begin
            hs_reg <= pre_thr ? hb_reg : (t0gen_reg ? g_reg : hf_reg);
            zcs_reg <= pre_thr ? zc1_reg : zc0_reg;
            for (h = 0; h < H; h = h + 1) begin
                zhs_reg[40*h +: 40]  <= pre_thr ? zh1_reg[40*h +: 40] : zh0_reg[40*h +: 40];
                zhhs_reg[40*h +: 40] <= $signed(pre_thr ? zh1_reg[40*h +: 40] : zh0_reg[40*h +: 40])
                                        - $signed({7'd0, clip_reg + 17'd1, 16'd0});
                zhls_reg[40*h +: 40] <= $signed(pre_thr ? zh1_reg[40*h +: 40] : zh0_reg[40*h +: 40])
                                        + $signed({8'd0, clip_reg[15:0], 16'd0});
            end
        end
        // gate events: after a thread's z/r job r.h is written and the update terms kept; after its n job, h
        if (ea0) begin rh_reg <= rh_new; zc0_reg <= zc_new; zh0_reg <= zh_new; end
        if (ea1) begin rh1_reg <= rh_new; zc1_reg <= zc_new; zh1_reg <= zh_new; end
        if (eb0) begin
            if (t0gen_reg) g_reg <= h_new; else hf_reg <= h_new;
        end
        if (eb1) hb_reg <= h_new;
        if (state_reg == S_IC_W && ev_res) ic_reg <= res_ext[16*KIC*P-1:0];
        if (state_reg == S_G0_W && ev_res) g_reg <= res_all[16*H-1:0];
        if (os_reg == O_FAC_W && ev_res) begin
            fv_reg <= res_ext[16*KF*P-1:0];
            rec_reg <= {(512*REC_BEATS){1'b0}};
            rec_reg[16*F-1:0] <= res_all[16*F-1:0];
        end
        if (os_reg == O_RO_W && ev_res) begin
            pbuf_reg <= rec_reg;
            pbuf_reg[16*F +: 16*RO] <= res_all[16*RO-1:0];
        end
        if (rst) begin
            state_reg <= S_IDLE; status_reg <= 32'd0;
            t0s_reg <= T_IDLE; t1s_reg <= T_IDLE; os_reg <= O_IDLE; ocnt_reg <= 0;
            rdr_on_reg <= 1'b0; rdr_busy_reg <= 1'b0; wcmd_reg <= 1'b0;
        end else begin
            state_reg <= state_next; status_reg <= status_next;
            t0s_reg <= t0s_next; t1s_reg <= t1s_next; os_reg <= os_next;
            rdr_on_reg <= rdr_on_next; rdr_busy_reg <= rdr_busy_next; wcmd_reg <= wcmd_next;
        end
        t0t_reg <= t0t_next; t1t_reg <= t1t_next; t0gen_reg <= t0gen_next; t0in_reg <= t0in_next;
        t1in_reg <= t1in_next; ot_reg <= ot_next; gdone_reg <= gdone_next; ofac_reg <= ofac_next;
        if (!rst) ocnt_reg <= ocnt_next;
        rdir_reg <= rdir_next; fp_reg <= fp_next; bp_reg <= bp_next; fb_reg <= fb_next; bb_reg <= bb_next;
        ncmd_reg <= ncmd_next; wptr_reg <= wptr_next; rrem_reg <= rrem_next; rlen_reg <= rlen_next;
    end
endmodule
