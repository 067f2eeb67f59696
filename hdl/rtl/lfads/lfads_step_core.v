`default_nettype none
// LFADS causal step (decoders/FIXED_POINT.md section 6, "Causal step") for causal models with a controller,
// bit-exact with LfadsFixed.stepQ. Per bin: forward CI-encoder GRU step on the counts, ci_t = F_{t-ci_lag}
// (zero while t < ci_lag), controller GRU step on [ci_t ; f_{t-1}], u = co rows of W_co (posterior mean),
// generator GRU step on u, factors f_t = W_fac.g_t, log-rates W_ro.f_t + b_ro.
// Engine: L = 3H row lanes (lfads_lane), P columns per cycle each; lane l holds row l of every matrix. The CI
// encoder, controller and generator share the lanes and must have the same size H (ci_enc_dim = con_dim =
// gen_dim, checked at load: status 2 otherwise). A GRU step is an input-projection job (tag X), a hidden job on h
// (tag H: z and r gates read), r.h, a hidden job on r.h (n gate) and the state update in one cycle.
// Schedule: two threads share the lanes job by job. The main thread (lane thread 0) runs the dependent chain of a
// bin: controller -> co -> generator -> factors, and goes on to the next bin's controller at once; the bin's
// read-out is issued in the next gap of the main thread. The CI thread (lane thread 1) runs the CI-encoder step
// of the same bin alongside: with ci_lag >= 1 the controller's input F_{t-lag} is already known when the bin
// starts, so only ci_lag = 0 waits for the CI step. The counts stream into the input RAM under the first steps
// (the CI thread waits for its bin's beats). Port priority: main thread, read-out, CI thread. Completion is taken from the lanes' resq_v /
// gate_v strobes (one per job, in issue order) through two small queues of the issued jobs' kinds, not from a
// copy of the lane latency.
//
// Model buffer (512-bit beats, little-endian; hdl/README.md has the full layout):
//   beat 0: words [0] magic 0x3143464C "LFC1", [1] D, [2] ci_enc_dim, [3] con_dim, [4] gen_dim, [5] co_dim,
//           [6] F, [7] RO, [8] P, [9] ci_lag, [10] clip (Q12);
//   beat 1: words [0..8] requant shifts (int32): ih_ci, hh_ci, ih_con, hh_con, co, ih_gen, hh_gen, fac, ro;
//   then ceil(3H/32) beats of int16 initial states (ci_enc_h0, con_h0, g0), WD*L beats of lane weights (word a
//   of lane l at beat a*L + l, P int16 in the low bits; matrices in the order W_ih ci, W_hh ci, W_ih con,
//   W_hh con, W_co (mean rows), W_ih gen, W_hh gen, W_fac, W_ro), NB*L beats of biases (slot s of lane l at
//   s*L + l, int32 in bits 31:0; slot s = op + 1, slot 0 and 8 zero), 128 beats of lut_sigmoid, 128 of lut_tanh.
// Input: bins*KX chunks of P int16 counts (bin t, chunk k at t*KX + k, zero beyond D), CPB chunks per beat.
// Output: per bin one record of REC_BEATS beats: int16 factors[F] then int16 log-rates[RO], zero padded.
// State buffer (SAVE writes it, RESTORE reads it; 512-bit beats, HB = ceil(H/32), FB = ceil(F/32)):
//   beat 0: words [0] magic 0x3154534C "LST1", [1] H, [2] F, [3] LAG_MAX, [4] ci_lag, [5] 0, [6..7] int64 bins
//           stepped since the last RESET (LOAD resets), rest 0;
//   then HB beats CI-encoder h, HB beats controller h, HB beats generator h, FB beats f_{t-1} (the factors of the
//   last step, W_fac.g0 after a RESET), and ci_lag x HB beats of CI history, entry j = the CI-encoder output of bin
//   (bins - 1 - j), zero before the RESET; int16 Q12, element e of a vector at beat e/32, bits 16(e%32).
//   1 + (3 + ci_lag) HB + FB beats in all (10 for the demo model: H 64, F 4, ci_lag 1).
// flags: bit0 LOAD the model (and reset the state), bit2 RESET the state to the initial states (ci_enc_h0,
//        con_h0, g0, no past CI outputs), bit4 RESTORE the state from the state buffer, bit1 RUN n_bins causal
//        steps, bit3 SAVE the state into the state buffer; in that order when combined. Without RESET or RESTORE
//        a RUN continues from the state the previous RUN left (closed-loop use, one call per bin or few).
// status: 0 ok, 1 bad magic, 2 dimensions differ from the build (or ci_lag > LAG_MAX, or clip > 32767),
//         3 no model loaded (RUN, RESET, RESTORE or SAVE), 4 n_bins outside [1, T_MAX] with RUN (checked before
//         anything is done), 5 the state buffer's header differs from the loaded model (magic, H, F, LAG_MAX,
//         ci_lag: nothing restored). A refused phase ends the invocation; nothing after it runs.
module lfads_step_core #(
    parameter integer D       = 70,   // input channels (count)
    parameter integer T_MAX   = 73,   // most bins per invocation (input buffer depth)
    parameter integer H       = 64,   // CI encoder, controller and generator size (units)
    parameter integer CO      = 4,    // controller outputs co_dim (units)
    parameter integer F       = 4,    // factors (count)
    parameter integer RO      = 70,   // log-rate outputs (count)
    parameter integer P       = 16,   // columns per cycle per lane (multipliers)
    parameter integer LAG_MAX = 4     // largest ci_lag accepted (bins)
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
    input  wire [63:0]  st_addr,
    input  wire [31:0]  n_bins,
    input  wire [31:0]  flags,
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
    localparam integer KF   = (F + P - 1) / P;
    localparam integer KCO  = (CO + P - 1) / P;
    localparam integer CPB  = 512 / (16 * P);            // input chunks per beat
    localparam integer XW   = (T_MAX * KX + CPB - 1) / CPB;
    localparam integer NH0  = (3 * H + 31) / 32;
    localparam integer REC_BEATS = (F + RO + 31) / 32;
    // weight words (per lane)
    localparam integer WA_IHCI = 0, WA_HHCI = KX, WA_IHCON = KX + K, WA_HHCON = KX + 2 * K + KF;
    localparam integer WA_CO = KX + 3 * K + KF, WA_IHG = KX + 4 * K + KF, WA_HHG = KX + 4 * K + KF + KCO;
    localparam integer WA_FAC = KX + 5 * K + KF + KCO, WA_RO = KX + 6 * K + KF + KCO;
    localparam integer WD = KX + 6 * K + 2 * KF + KCO;
    localparam integer NB = 10;
    // vector chunks: ci input and factors adjacent (the controller input [ci ; f] is one job)
    localparam integer C_CIH = 1, C_RH = 1 + K, C_CIIN = 1 + 2 * K, C_FV = 1 + 3 * K, C_CONH = 1 + 3 * K + KF;
    localparam integer C_U = 1 + 4 * K + KF, C_GH = 1 + 4 * K + KF + KCO, C_RHCI = 1 + 5 * K + KF + KCO;
    localparam integer NCH = 1 + 6 * K + KF + KCO;
    // ops (requant shift index; bias slot op + 1, none for the factors)
    localparam [3:0] OP_IHCI = 0, OP_HHCI = 1, OP_IHCON = 2, OP_HHCON = 3, OP_CO = 4, OP_IHG = 5, OP_HHG = 6,
                     OP_FAC = 7, OP_RO = 8;
    localparam [1:0] TAG_M = 2'd0, TAG_X = 2'd1, TAG_H = 2'd2;
    localparam [31:0] MAGIC = 32'h3143464C;
    // state buffer: beats of a vector of H (F) int16, first beat of each part
    localparam integer HB = (H + 31) / 32, FB = (F + 31) / 32;
    localparam integer B_CI = 1, B_CON = 1 + HB, B_GEN = 1 + 2 * HB, B_F = 1 + 3 * HB, B_HIST = 1 + 3 * HB + FB;
    localparam integer SB_MAX = B_HIST + LAG_MAX * HB;
    localparam [31:0] ST_MAGIC = 32'h3154534C;

    initial begin
        if (H % P != 0 || H < P || CO < 1 || CO > L || F > L || RO > L || D < 1 || T_MAX < 1 || F < 1 || RO < 1
            || F + RO > 32 * 16 || LAG_MAX < 1) begin
            $display("lfads_step_core: illegal D=%0d T_MAX=%0d H=%0d CO=%0d F=%0d RO=%0d P=%0d LAG_MAX=%0d",
                     D, T_MAX, H, CO, F, RO, P, LAG_MAX);
            $finish;
        end
    end
    // stops elaboration in every tool (simulators, Yosys, Vivado): the module below does not exist
    generate
        if (H % P != 0 || H < P || CO < 1 || CO > L || F > L || RO > L || D < 1 || T_MAX < 1 || F < 1 || RO < 1
            || F + RO > 32 * 16 || LAG_MAX < 1) begin : g_illegal_parameters
            illegal_parameter_combination u_stop ();
        end
    endgenerate

    // ------------------------------------------------------------------ lanes
    // job port: the grant of this cycle and the active job
    reg        jact_reg;  reg [31:0] jcnt_reg, jn_reg, jchunk_reg, jwbase_reg;
    reg [1:0]  jtag_reg;  reg jx_reg, jthr_reg;  reg [3:0] jop_reg;
    reg        g_valid;   reg [31:0] g_n, g_chunk, g_wbase; reg [1:0] g_tag; reg g_x, g_thr; reg [3:0] g_op;
    reg        main_req;  // the main thread requests the port this cycle (it has priority)
    wire                   ln_w_we_any, ln_b_we_any, ln_l_we_sig, ln_l_we_tanh;   // from the loader
    wire [15:0]            ld_lane;        // lane addressed by the loader
    wire [$clog2(WD)-1:0]  ld_wa;
    wire [$clog2(NB)-1:0]  ld_ba;
    wire [11:0]            ld_la;
    wire [15:0]            ld_lut_wd;      // table entry being written
    reg                    iss_valid, iss_first, iss_last, iss_thr;
    reg  [1:0]             iss_tag;
    reg  signed [5:0]      iss_shift;
    wire [$clog2(WD)-1:0]  pre_waddr;
    wire [$clog2(NB)-1:0]  pre_baddr;
    reg  [16*P-1:0]        vbus_vf;
    reg                    vsrc_x_reg;     // operand of the chunk in the lanes' RAM stage comes from the X RAM
    reg  [$clog2(CPB+1)-1:0] xsel_reg;
    wire [511:0]           x_q;
    wire [16*P-1:0]        vbus = vsrc_x_reg ? x_q[16*P*xsel_reg +: 16*P] : vbus_vf;
    // lint waiver: the jobs whose results are read (co, factors, read-out) use the first CO, F or RO lanes, the
    // other lanes give gates only; every lane runs the same job, so lane 0's strobes speak for all
    /* verilator lint_off UNUSEDSIGNAL */
    wire [16*L-1:0]        res_all;
    wire [L-1:0]           resq_v_all, gate_v_all;
    /* verilator lint_on UNUSEDSIGNAL */
    wire [16*L-1:0]        gate_all;
    wire                   res_v  = resq_v_all[0];   // every lane runs the same job: lane 0 speaks for all
    wire                   gate_v = gate_v_all[0];

    genvar gl;
    generate
        for (gl = 0; gl < L; gl = gl + 1) begin : lane
            lfads_lane #(.P(P), .WD(WD), .NB(NB)) u_lane (
                .clk(clk),
                .w_we(ln_w_we_any && ld_lane == gl), .w_wa(ld_wa), .w_wd(s_rd_data[16*P-1:0]),
                .b_we(ln_b_we_any && ld_lane == gl), .b_wa(ld_ba), .b_wd(s_rd_data[31:0]),
                .l_we(gl < 2 * H ? ln_l_we_sig : ln_l_we_tanh), .l_wa(ld_la), .l_wd(ld_lut_wd),
                .iss_valid(iss_valid), .iss_first(iss_first), .iss_last(iss_last), .iss_tag(iss_tag),
                .iss_thr(iss_thr), .iss_axb(1'b0), .iss_shift(iss_shift),
                .pre_valid(jact_reg), .pre_first(jcnt_reg == 0), .pre_waddr(pre_waddr), .pre_baddr(pre_baddr),
                .vbus(vbus), .resq(res_all[16*gl +: 16]), .resq_v(resq_v_all[gl]), .gate(gate_all[16*gl +: 16]),
                .gate_v(gate_v_all[gl]));
        end
    endgenerate

    // ------------------------------------------------------------------ X RAM (input counts)
    reg                  x_we;
    reg [$clog2(XW+1)-1:0] x_wa;
    wire                 x_re;
    wire [$clog2(XW+1)-1:0] x_ra;
    ram_sdp #(.WIDTH(512), .DEPTH(XW + 1)) u_x (.clk(clk), .we(x_we), .waddr(x_wa), .wdata(s_rd_data),
        .re(x_re), .raddr(x_ra), .rdata(x_q));

    // ------------------------------------------------------------------ vectors and state
    reg [16*H-1:0]       cih_reg, conh_reg, gh_reg, rh_reg, rhci_reg, ciin_reg, zg_reg, zgci_reg;
    reg [16*H-1:0]       h0ci_reg, h0con_reg, h0g_reg;
    reg [16*H*LAG_MAX-1:0] hist_reg;                     // hist j: CI output of j bins ago (0 before the start)
    reg [16*KF*P-1:0]    fv_reg;
    reg [16*KCO*P-1:0]   u_reg;
    wire [16*P*NCH-1:0]  vf_all = {rhci_reg, gh_reg, u_reg, conh_reg, fv_reg, ciin_reg, rh_reg, cih_reg,
                                   {(16*P){1'b0}}};
    reg [512*REC_BEATS-1:0] rec_reg, out_reg;

    // ------------------------------------------------------------------ output FIFO
    reg          fifo_push;
    wire         fifo_in_ready;
    reg          push_busy_reg;
    reg [31:0]   pcnt_reg;
    reg          ro_pend_reg;     // a read-out job is in the pipeline; its result completes the record
    reg          ro_req_reg, ro_req_next;   // the factors of a bin are in: its read-out is to be issued
    reg          sv_push;         // SAVE: a state beat goes to the FIFO (records and state never overlap)
    reg  [511:0] sv_beat;         // SAVE: the state beat of this cycle
    sync_fifo #(.WIDTH(512), .DEPTH(16)) u_fifo (.clk(clk), .rst(rst), .in_valid(fifo_push),
        .in_ready(fifo_in_ready), .in_data(sv_push ? sv_beat : out_reg[512*pcnt_reg +: 512]), .out_valid(m_wr_valid),
        .out_ready(m_wr_ready), .out_data(m_wr_data));
    always @* fifo_push = (push_busy_reg || sv_push) && fifo_in_ready;

    // ------------------------------------------------------------------ model registers
    reg [31:0] hdr_reg [0:10];
    reg signed [5:0] sh_reg [0:15];
    reg [31:0] clip_reg, lag_reg;

    // ------------------------------------------------------------------ main FSM
    localparam [5:0] S_IDLE = 0, S_LOAD = 1,
                     S_RESET = 7, S_F0_W = 8, S_RUN = 9, S_X_CMD = 10, S_OUT_CMD = 12, S_BIN = 13,
                     S_CI_WAIT = 14, S_CON_X = 15, S_CON_A = 16, S_CON_WA = 17, S_CON_B = 18, S_CON_WB = 19,
                     S_CO = 20, S_CO_W = 21, S_GEN_X = 22, S_GEN_A = 23, S_GEN_WA = 24, S_GEN_B = 25,
                     S_GEN_WB = 26, S_FAC = 27, S_FAC_W = 28, S_FLUSH = 29, S_DONE = 30, S_RS_CMD = 31,
                     S_RS = 32, S_SV_CMD = 33, S_SV = 34, S_SV_FLUSH = 35;
    // CI thread states
    localparam [2:0] CI_IDLE = 0, CI_X = 1, CI_A = 2, CI_WA = 3, CI_B = 4, CI_WB = 5;

    reg [5:0]  state_reg, state_next;
    reg [31:0] status_reg, status_next;
    reg [63:0] ia_reg, oa_reg, sa_reg;
    reg [31:0] bins_reg, flags_reg;
    reg [31:0] cnt_reg, cnt_next;          // beat counter of RESTORE and SAVE
    reg [31:0] bin_reg, bin_next;          // bin of this invocation being stepped (main thread)
    reg [2:0]  cis_reg, cis_next;          // CI thread state
    reg [31:0] cibin_reg, cibin_next;      // bin of the CI thread's step
    reg        ciin_load;                  // the controller input of the next bin is taken from the history now
    reg        xload_reg;                  // counts beats are arriving (under the first steps)
    reg [31:0] xcnt_reg;                   // counts beats written to the input RAM
    reg [63:0] nbin_reg;                   // bins stepped since the last RESET (saved with the state)
    reg        rs_ok_reg;                  // RESTORE: the state buffer's header matches the loaded model


    assign done     = state_reg == S_DONE;
    assign idle     = state_reg == S_IDLE;
    assign status   = status_reg;
    // ------------------------------------------------------------------ model loader (lfads_loader)
    wire        ld_rd_ready, ld_cmd_valid, ld_hdr0, ld_hdr1, ld_check, ld_h0, ld_done, ld_loaded;
    wire [63:0] ld_cmd_addr;
    wire [31:0] ld_cmd_len, ld_h0_beat;
    wire        hdr_ok = hdr_reg[0] == MAGIC && hdr_reg[1] == D && hdr_reg[2] == H && hdr_reg[3] == H
                         && hdr_reg[4] == H && hdr_reg[5] == CO && hdr_reg[6] == F && hdr_reg[7] == RO
                         && hdr_reg[8] == P && hdr_reg[9] <= LAG_MAX && hdr_reg[10] <= 32767;
    // a LOAD starts unless n_bins refuses the RUN first (S_IDLE below)
    wire        ld_start = state_reg == S_IDLE && start && flags[0] && !(flags[1] && (n_bins == 0 || n_bins > T_MAX));
    // lint waiver: the loader is idle whenever the core starts one (S_IDLE), so its ready is not read
    /* verilator lint_off PINCONNECTEMPTY */
    lfads_loader #(.L(L), .WD(WD), .NB(NB), .NH0(NH0)) u_loader (.clk(clk), .rst(rst),
        .s_load_valid(ld_start), .s_load_ready(), .s_load_addr(w_addr),
        .m_rd_cmd_valid(ld_cmd_valid), .m_rd_cmd_ready(m_rd_cmd_ready), .m_rd_cmd_addr(ld_cmd_addr),
        .m_rd_cmd_len(ld_cmd_len), .s_rd_valid(s_rd_valid), .s_rd_ready(ld_rd_ready), .s_rd_data(s_rd_data),
        .m_hdr0_valid(ld_hdr0), .m_hdr1_valid(ld_hdr1), .m_check_valid(ld_check), .s_check_ok(hdr_ok),
        .m_h0_valid(ld_h0), .m_h0_beat(ld_h0_beat), .m_w_we(ln_w_we_any), .m_b_we(ln_b_we_any),
        .m_lut_we_sig(ln_l_we_sig), .m_lut_we_tanh(ln_l_we_tanh), .m_lane(ld_lane), .m_wa(ld_wa), .m_ba(ld_ba),
        .m_la(ld_la), .m_lut_wd(ld_lut_wd), .m_done(ld_done), .m_loaded(ld_loaded));
    /* verilator lint_on PINCONNECTEMPTY */

    assign s_rd_ready = ld_rd_ready || xload_reg || state_reg == S_RS;
    wire rd_fire = s_rd_valid && s_rd_ready;

    // ------------------------------------------------------------------ job completion events
    // Every job gives one resq_v and every H job one gate_v, in issue order: queue what each one means.
    localparam [1:0] EV_NONE = 2'd0, EV_MAIN = 2'd1, EV_RO = 2'd2;   // resq_v kinds
    reg [1:0] qres_mem [0:15];
    reg       qgate_mem [0:15];
    reg [3:0] qres_wp, qres_rp, qgate_wp, qgate_rp;
    wire [1:0] qres_head  = qres_mem[qres_rp];
    wire       qgate_head = qgate_mem[qgate_rp];
    wire ev_res_m  = res_v && qres_head == EV_MAIN;   // co, factors (also f_0 after RESET)
    wire ev_ro     = res_v && qres_head == EV_RO;     // read-out
    wire ev_gate_m = gate_v && !qgate_head;           // main thread's hidden job
    wire ev_gate_c = gate_v && qgate_head;            // CI thread's hidden job
    always @(posedge clk) begin
        if (g_valid) begin
            qres_mem[qres_wp] <= g_tag != TAG_M ? EV_NONE : (g_op == OP_RO ? EV_RO : EV_MAIN);
            qres_wp <= qres_wp + 4'd1;
        end
        if (g_valid && g_tag == TAG_H) begin
            qgate_mem[qgate_wp] <= g_thr;
            qgate_wp <= qgate_wp + 4'd1;
        end
        if (res_v) qres_rp <= qres_rp + 4'd1;
        if (gate_v) qgate_rp <= qgate_rp + 4'd1;
        if (rst) begin
            qres_wp <= 4'd0; qres_rp <= 4'd0; qgate_wp <= 4'd0; qgate_rp <= 4'd0;
        end
    end

    // GRU arithmetic of the cell whose gate event is now (FIXED_POINT.md section 5): the CI thread's or the
    // main thread's (controller or generator); at most one gate event per cycle
    wire in_con = state_reg == S_CON_WA || state_reg == S_CON_WB;
    wire [16*H-1:0] h_cur  = ev_gate_c ? cih_reg : (in_con ? conh_reg : gh_reg);
    wire [16*H-1:0] zg_cur = ev_gate_c ? zgci_reg : zg_reg;
    reg  [16*H-1:0] rh_new, h_new;
    integer i;
    reg signed [31:0] prod_rh;
    reg signed [39:0] acc_u;
    reg signed [39:0] hv;
    always @* begin
        for (i = 0; i < H; i = i + 1) begin
            prod_rh = $signed(gate_all[16*(H+i) +: 16]) * $signed(h_cur[16*i +: 16]);
            rh_new[16*i +: 16] = sat16(($signed({{8{prod_rh[31]}}, prod_rh}) + 40'sd8192) >>> 14);
            acc_u = ($signed({{24{zg_cur[16*i+15]}}, zg_cur[16*i +: 16]}) * $signed({{24{h_cur[16*i+15]}}, h_cur[16*i +: 16]})) * 4
                  + ($signed(40'sd16384) - $signed({{24{zg_cur[16*i+15]}}, zg_cur[16*i +: 16]}))
                    * $signed({{24{gate_all[16*(2*H+i)+15]}}, gate_all[16*(2*H+i) +: 16]});
            hv = (acc_u + 40'sd32768) >>> 16;
            if (hv > $signed({8'd0, clip_reg})) h_new[16*i +: 16] = clip_reg[15:0];
            else if (hv < -$signed({8'd0, clip_reg})) h_new[16*i +: 16] = -clip_reg[15:0];
            else h_new[16*i +: 16] = hv[15:0];
        end
    end

    function [15:0] sat16;
        input signed [39:0] x;
        begin
            if (x > 40'sd32767) sat16 = 16'h7FFF;
            else if (x < -40'sd32768) sat16 = 16'h8000;
            else sat16 = x[15:0];
        end
    endfunction

    function [3:0] bias_slot;      // bias slot of an op (0 = no bias)
        input [3:0] op;
        begin
            bias_slot = op == OP_FAC ? 4'd0 : op + 4'd1;
        end
    endfunction

    // history of CI outputs: hist j = F_{t-j} after the CI step of bin t (zero before the start), so the
    // controller input of bin t is hist[lag-1] before that bin's CI step (lag >= 1) or hist[0] after it (lag 0)
    // lint waiver: the oldest entry (hist LAG_MAX-1) falls out of the shift
    /* verilator lint_off UNUSEDSIGNAL */
    wire [16*H*(LAG_MAX+1)-1:0] hist_shift = {hist_reg, h_new};   // after a CI update: hist j <- hist j-1
    /* verilator lint_on UNUSEDSIGNAL */
    reg [16*H-1:0] ci_src;
    integer j;
    always @* begin
        ci_src = hist_reg[16*H-1:0];
        for (j = 2; j <= LAG_MAX; j = j + 1)
            if (lag_reg == j) ci_src = hist_reg[16*H*(j-1) +: 16*H];
    end

    wire port_free = !jact_reg || jcnt_reg == jn_reg - 1;   // a new job may be granted this cycle
    wire last_bin  = bin_reg == bins_reg - 1;
    wire ci_idle   = cis_reg == CI_IDLE;
    wire ro_free   = !ro_pend_reg && !push_busy_reg;        // a read-out may start: its record has a place
    wire [31:0] x_beats = (bins_reg * KX + CPB - 1) / CPB;  // counts beats of this invocation
    // the CI step of bin cibin may read its counts: all beats up to its last chunk are in the input RAM
    wire ci_counts = !xload_reg || xcnt_reg >= ((cibin_reg + 1) * KX + CPB - 1) / CPB;

    // ------------------------------------------------------------------ state buffer (SAVE, RESTORE)
    // what follows a finished RESET (or LOAD), or an invocation without either: RESTORE, RUN, SAVE, in that order
    function [5:0] after_reset;
        // lint waiver: flag bits 0 (LOAD) and 2 (RESET) are done by now
        /* verilator lint_off UNUSEDSIGNAL */
        input [31:0] fl;
        /* verilator lint_on UNUSEDSIGNAL */
        begin
            after_reset = fl[4] ? S_RS_CMD : fl[1] ? S_RUN : fl[3] ? S_SV_CMD : S_DONE;
        end
    endfunction
    wire [31:0] st_beats = B_HIST + lag_reg * HB;   // beats of the loaded model's state: ci_lag history entries
    wire rs_hdr_ok = s_rd_data[31:0] == ST_MAGIC && s_rd_data[63:32] == H && s_rd_data[95:64] == F
                     && s_rd_data[127:96] == LAG_MAX && s_rd_data[159:128] == lag_reg;
    // the whole state as SAVE writes it (history entries beyond ci_lag are not written); constant indices only
    reg [512*SB_MAX-1:0] sv_vec;
    integer es, js;
    always @* begin
        sv_vec = 0;
        sv_vec[31:0] = ST_MAGIC;
        sv_vec[63:32] = H;
        sv_vec[95:64] = F;
        sv_vec[127:96] = LAG_MAX;
        sv_vec[159:128] = lag_reg;
        sv_vec[255:192] = nbin_reg;
        for (es = 0; es < H; es = es + 1) begin
            sv_vec[512*(B_CI + es/32) + 16*(es%32) +: 16] = cih_reg[16*es +: 16];
            sv_vec[512*(B_CON + es/32) + 16*(es%32) +: 16] = conh_reg[16*es +: 16];
            sv_vec[512*(B_GEN + es/32) + 16*(es%32) +: 16] = gh_reg[16*es +: 16];
        end
        for (es = 0; es < F; es = es + 1)
            sv_vec[512*(B_F + es/32) + 16*(es%32) +: 16] = fv_reg[16*es +: 16];
        for (js = 0; js < LAG_MAX; js = js + 1)
            for (es = 0; es < H; es = es + 1)
                sv_vec[512*(B_HIST + js*HB + es/32) + 16*(es%32) +: 16] = hist_reg[16*(H*js + es) +: 16];
        sv_beat = sv_vec[512*cnt_reg[$clog2(SB_MAX+1)-1:0] +: 512];
    end

    // a job request of the main thread: granted when the port is free
    task want;
        input [31:0] n, chunk, wbase;
        input [1:0]  tag;
        input        x;
        input [3:0]  op;
        begin
            main_req = 1'b1;
            g_valid = port_free; g_n = n; g_chunk = chunk; g_wbase = wbase; g_tag = tag; g_x = x; g_thr = 1'b0;
            g_op = op;
        end
    endtask
    // a job request of the CI thread: granted when the port is free and the main thread does not want it
    task want_ci;
        input [31:0] n, chunk, wbase;
        input [1:0]  tag;
        input        x;
        input [3:0]  op;
        begin
            if (!main_req) begin
                g_valid = port_free; g_n = n; g_chunk = chunk; g_wbase = wbase; g_tag = tag; g_x = x;
                g_thr = 1'b1; g_op = op;
            end
        end
    endtask

    always @* begin
        state_next = state_reg; status_next = status_reg; cnt_next = cnt_reg; bin_next = bin_reg; cis_next = cis_reg; cibin_next = cibin_reg;
        // the loader's read commands (zero while it is idle); the core's own are issued only outside a load
        m_rd_cmd_valid = ld_cmd_valid; m_rd_cmd_addr = ld_cmd_addr; m_rd_cmd_len = ld_cmd_len;
        m_wr_cmd_valid = 1'b0; m_wr_cmd_addr = 64'd0; m_wr_cmd_len = 32'd0;
        x_we = xload_reg && rd_fire; x_wa = xcnt_reg[$clog2(XW+1)-1:0];
        main_req = 1'b0; ciin_load = 1'b0; ro_req_next = ro_req_reg; sv_push = 1'b0;
        g_valid = 1'b0; g_n = 1; g_chunk = 0; g_wbase = 0; g_tag = TAG_M; g_x = 1'b0; g_thr = 1'b0; g_op = 0;

        // ---- main thread and control
        case (state_reg)
            S_IDLE: if (start) begin
                status_next = 32'd0;
                // n_bins is checked first, so that a refused RUN leaves the model and the state as they were
                if (flags[1] && (n_bins == 0 || n_bins > T_MAX)) begin status_next = 32'd4; state_next = S_DONE; end
                else if (flags[0]) state_next = S_LOAD;
                else if (flags[2]) state_next = S_RESET;
                else state_next = after_reset(flags);
            end
            // the loader reads the header, has it checked here, then writes the lanes
            S_LOAD: begin
                if (ld_check && !hdr_ok) begin
                    status_next = hdr_reg[0] != MAGIC ? 32'd1 : 32'd2; state_next = S_DONE;
                end else if (ld_done) state_next = S_RESET;   // a new model starts from its initial states
            end
            // initial states are copied in the register block; f_0 = W_fac.g0 is the controller's first input
            S_RESET: begin
                if (!ld_loaded) begin status_next = 32'd3; state_next = S_DONE; end
                else begin
                    want(K, C_GH, WA_FAC, TAG_M, 1'b0, OP_FAC);
                    if (g_valid) state_next = S_F0_W;
                end
            end
            S_F0_W: if (ev_res_m) state_next = after_reset(flags_reg);
            // RESTORE: the header beat is checked; on a mismatch the other beats are read and dropped (status 5)
            S_RS_CMD: begin
                if (!ld_loaded) begin status_next = 32'd3; state_next = S_DONE; end
                else begin
                    m_rd_cmd_valid = 1'b1; m_rd_cmd_addr = sa_reg; m_rd_cmd_len = st_beats;
                    if (m_rd_cmd_ready) begin state_next = S_RS; cnt_next = 0; end
                end
            end
            S_RS: if (rd_fire) begin
                cnt_next = cnt_reg + 1;
                if (cnt_reg == st_beats - 1) begin
                    if (!rs_ok_reg) begin status_next = 32'd5; state_next = S_DONE; end
                    else state_next = flags_reg[1] ? S_RUN : flags_reg[3] ? S_SV_CMD : S_DONE;
                end
            end
            S_RUN: begin
                if (!ld_loaded) begin status_next = 32'd3; state_next = S_DONE; end
                else begin state_next = S_X_CMD; cnt_next = 0; end
            end
            // the counts stream into the input RAM under the first steps (the CI thread waits for its beats)
            S_X_CMD: begin
                m_rd_cmd_valid = 1'b1; m_rd_cmd_addr = ia_reg; m_rd_cmd_len = x_beats;
                if (m_rd_cmd_ready) state_next = S_OUT_CMD;
            end
            S_OUT_CMD: begin
                m_wr_cmd_valid = 1'b1; m_wr_cmd_addr = oa_reg; m_wr_cmd_len = bins_reg * REC_BEATS;
                if (m_wr_cmd_ready) begin state_next = S_BIN; bin_next = 0; end
            end
            // a bin starts when the CI thread has finished the previous one (hist is current): the CI step of
            // this bin starts now; the controller input is taken now (lag >= 1) or after that step (lag 0)
            S_BIN: if (ci_idle) begin
                cis_next = CI_X; cibin_next = bin_reg; ciin_load = 1'b1;
                state_next = lag_reg == 0 ? S_CI_WAIT : S_CON_X;
            end
            S_CI_WAIT: if (ci_idle) begin ciin_load = 1'b1; state_next = S_CON_X; end
            // controller: input [ci_t ; f_{t-1}]
            S_CON_X: begin
                want(K + KF, C_CIIN, WA_IHCON, TAG_X, 1'b0, OP_IHCON);
                if (g_valid) state_next = S_CON_A;
            end
            S_CON_A: begin
                want(K, C_CONH, WA_HHCON, TAG_H, 1'b0, OP_HHCON);
                if (g_valid) state_next = S_CON_WA;
            end
            S_CON_WA: if (ev_gate_m) begin   // r.h is written now, read from the next cycle
                want(K, C_RH, WA_HHCON, TAG_H, 1'b0, OP_HHCON);
                state_next = g_valid ? S_CON_WB : S_CON_B;
            end
            S_CON_B: begin
                want(K, C_RH, WA_HHCON, TAG_H, 1'b0, OP_HHCON);
                if (g_valid) state_next = S_CON_WB;
            end
            S_CON_WB: if (ev_gate_m) begin   // u = W_co[0:co_dim].c + b_co on the state written now
                want(K, C_CONH, WA_CO, TAG_M, 1'b0, OP_CO);
                state_next = g_valid ? S_CO_W : S_CO;
            end
            S_CO: begin
                want(K, C_CONH, WA_CO, TAG_M, 1'b0, OP_CO);
                if (g_valid) state_next = S_CO_W;
            end
            // generator on u
            S_CO_W: if (ev_res_m) begin
                want(KCO, C_U, WA_IHG, TAG_X, 1'b0, OP_IHG);
                state_next = g_valid ? S_GEN_A : S_GEN_X;
            end
            S_GEN_X: begin
                want(KCO, C_U, WA_IHG, TAG_X, 1'b0, OP_IHG);
                if (g_valid) state_next = S_GEN_A;
            end
            S_GEN_A: begin
                want(K, C_GH, WA_HHG, TAG_H, 1'b0, OP_HHG);
                if (g_valid) state_next = S_GEN_WA;
            end
            S_GEN_WA: if (ev_gate_m) begin
                want(K, C_RH, WA_HHG, TAG_H, 1'b0, OP_HHG);
                state_next = g_valid ? S_GEN_WB : S_GEN_B;
            end
            S_GEN_B: begin
                want(K, C_RH, WA_HHG, TAG_H, 1'b0, OP_HHG);
                if (g_valid) state_next = S_GEN_WB;
            end
            // the factors overwrite the record of the previous bin: its read-out must have been issued
            S_GEN_WB: if (ev_gate_m) begin
                if (!ro_req_reg) want(K, C_GH, WA_FAC, TAG_M, 1'b0, OP_FAC);
                state_next = g_valid ? S_FAC_W : S_FAC;
            end
            S_FAC: if (!ro_req_reg) begin
                want(K, C_GH, WA_FAC, TAG_M, 1'b0, OP_FAC);
                if (g_valid) state_next = S_FAC_W;
            end
            // factors of this bin (the next controller's input): the read-out is queued behind the next bin's
            // controller projection, which (ci_lag >= 1, CI step of this bin done) is granted at once
            S_FAC_W: if (ev_res_m) begin
                ro_req_next = 1'b1;
                if (last_bin) state_next = S_FLUSH;
                else if (lag_reg != 0 && ci_idle) begin
                    ciin_load = 1'b1; cis_next = CI_X; cibin_next = bin_reg + 1; bin_next = bin_reg + 1;
                    want(K + KF, C_CIIN, WA_IHCON, TAG_X, 1'b0, OP_IHCON);
                    state_next = g_valid ? S_CON_A : S_CON_X;
                end else begin
                    bin_next = bin_reg + 1; state_next = S_BIN;
                end
            end
            S_FLUSH: if (ci_idle && !ro_req_reg && ro_free && !xload_reg && wr_idle && !m_wr_valid)
                state_next = flags_reg[3] ? S_SV_CMD : S_DONE;
            // SAVE: the state beats go through the output FIFO once the records are written
            S_SV_CMD: begin
                if (!ld_loaded) begin status_next = 32'd3; state_next = S_DONE; end
                else begin
                    m_wr_cmd_valid = 1'b1; m_wr_cmd_addr = sa_reg; m_wr_cmd_len = st_beats;
                    if (m_wr_cmd_ready) begin state_next = S_SV; cnt_next = 0; end
                end
            end
            S_SV: begin
                sv_push = 1'b1;
                if (fifo_in_ready) begin
                    cnt_next = cnt_reg + 1;
                    if (cnt_reg == st_beats - 1) state_next = S_SV_FLUSH;
                end
            end
            S_SV_FLUSH: if (wr_idle && !m_wr_valid) state_next = S_DONE;
            S_DONE: state_next = S_IDLE;
            default: state_next = S_IDLE;
        endcase

        // ---- read-out of the last factors: after the main thread's jobs, before the CI thread's
        if (ro_req_reg && ro_free && !main_req) begin
            want(KF, C_FV, WA_RO, TAG_M, 1'b0, OP_RO);
            if (g_valid) ro_req_next = 1'b0;
        end

        // ---- CI thread: input projection of the bin's counts, z/r on h, n on r.h, update
        case (cis_reg)
            CI_X: if (ci_counts) begin
                want_ci(KX, cibin_reg * KX, WA_IHCI, TAG_X, 1'b1, OP_IHCI);
                if (g_valid && g_thr) cis_next = CI_A;
            end
            CI_A: begin
                want_ci(K, C_CIH, WA_HHCI, TAG_H, 1'b0, OP_HHCI);
                if (g_valid && g_thr) cis_next = CI_WA;
            end
            CI_WA: if (ev_gate_c) begin
                want_ci(K, C_RHCI, WA_HHCI, TAG_H, 1'b0, OP_HHCI);
                cis_next = g_valid && g_thr ? CI_WB : CI_B;
            end
            CI_B: begin
                want_ci(K, C_RHCI, WA_HHCI, TAG_H, 1'b0, OP_HHCI);
                if (g_valid && g_thr) cis_next = CI_WB;
            end
            CI_WB: if (ev_gate_c) cis_next = CI_IDLE;
            default: ;
        endcase
    end

    // ------------------------------------------------------------------ job port
    wire        j_issue = jact_reg;
    wire        j_last  = jcnt_reg == jn_reg - 1;
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
    always @(posedge clk) begin
        if (g_valid) begin
            jact_reg <= 1'b1; jcnt_reg <= 0; jn_reg <= g_n; jchunk_reg <= g_chunk; jwbase_reg <= g_wbase;
            jtag_reg <= g_tag; jx_reg <= g_x; jthr_reg <= g_thr; jop_reg <= g_op;
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
        iss_shift <= sh_reg[jop_reg];
        // operand: the VF chunk is registered and the X word read now, aligned with the lanes' weight read
        vbus_vf   <= vf_all[16*P*vchunk +: 16*P];
        xsel_reg  <= xsel;
        if (rst) begin
            jact_reg <= 1'b0; iss_valid <= 1'b0;
        end
    end
    assign pre_waddr = waddr_w[$clog2(WD)-1:0];
    assign pre_baddr = bias_slot(jop_reg);
    assign x_re = j_issue && jx_reg;
    assign x_ra = xpos[$clog2(XW+1)-1:0];
    always @(posedge clk) vsrc_x_reg <= x_re;

    // ------------------------------------------------------------------ state registers and data
    integer h, er, jr;
    always @(posedge clk) begin
        if (state_reg == S_IDLE && start) begin
            ia_reg <= in_addr; oa_reg <= out_addr; sa_reg <= st_addr; bins_reg <= n_bins;
            flags_reg <= flags;
        end
        if (ld_hdr0)
            for (h = 0; h < 11; h = h + 1) hdr_reg[h] <= s_rd_data[32*h +: 32];
        if (ld_hdr1)
            for (h = 0; h < 16; h = h + 1) sh_reg[h] <= h < 9 ? s_rd_data[32*h +: 6] : 6'd0;
        if (ld_check) begin lag_reg <= hdr_reg[9]; clip_reg <= hdr_reg[10]; end
        if (ld_h0)
            for (h = 0; h < 32; h = h + 1)
                if (32 * ld_h0_beat + h < H) h0ci_reg[16*(32*ld_h0_beat+h) +: 16] <= s_rd_data[16*h +: 16];
                else if (32 * ld_h0_beat + h < 2 * H) h0con_reg[16*(32*ld_h0_beat+h-H) +: 16] <= s_rd_data[16*h +: 16];
                else if (32 * ld_h0_beat + h < 3 * H) h0g_reg[16*(32*ld_h0_beat+h-2*H) +: 16] <= s_rd_data[16*h +: 16];
        // RESET: the golden model's initial states; no CI output is older than the start
        if (state_reg == S_RESET && ld_loaded) begin
            cih_reg <= h0ci_reg; conh_reg <= h0con_reg; gh_reg <= h0g_reg;
            hist_reg <= 0;
            nbin_reg <= 64'd0;
        end
        if (state_reg == S_FAC_W && ev_res_m) nbin_reg <= nbin_reg + 64'd1;
        // RESTORE: beat 0 is the header; the others are written element by element (constant indices) when it
        // matched the loaded model
        if (state_reg == S_RS && rd_fire) begin
            if (cnt_reg == 0) begin
                rs_ok_reg <= rs_hdr_ok;
                if (rs_hdr_ok) nbin_reg <= s_rd_data[255:192];
            end else if (rs_ok_reg) begin
                for (er = 0; er < H; er = er + 1) begin
                    if (cnt_reg == B_CI + er/32) cih_reg[16*er +: 16] <= s_rd_data[16*(er%32) +: 16];
                    if (cnt_reg == B_CON + er/32) conh_reg[16*er +: 16] <= s_rd_data[16*(er%32) +: 16];
                    if (cnt_reg == B_GEN + er/32) gh_reg[16*er +: 16] <= s_rd_data[16*(er%32) +: 16];
                end
                for (er = 0; er < F; er = er + 1)
                    if (cnt_reg == B_F + er/32) fv_reg[16*er +: 16] <= s_rd_data[16*(er%32) +: 16];
                for (jr = 0; jr < LAG_MAX; jr = jr + 1)
                    for (er = 0; er < H; er = er + 1)
                        if (cnt_reg == B_HIST + jr*HB + er/32)
                            hist_reg[16*(H*jr + er) +: 16] <= s_rd_data[16*(er%32) +: 16];
            end
        end
        // controller input of the bin: before its CI step (lag >= 1) or after it (lag 0)
        if (ciin_load) ciin_reg <= ci_src;
        // counts loader
        if (rst) xload_reg <= 1'b0;
        else if (state_reg == S_X_CMD && m_rd_cmd_ready) begin xload_reg <= 1'b1; xcnt_reg <= 0; end
        else if (xload_reg && rd_fire) begin
            xcnt_reg <= xcnt_reg + 1;
            if (xcnt_reg == x_beats - 1) xload_reg <= 1'b0;
        end
        if (rst) ro_req_reg <= 1'b0; else ro_req_reg <= ro_req_next;
        // gate events: after a z/r job the z gates are kept and r.h written; after the n job, h updates
        if (ev_gate_c && cis_reg == CI_WA) begin zgci_reg <= gate_all[16*H-1:0]; rhci_reg <= rh_new; end
        if (ev_gate_c && cis_reg == CI_WB) begin cih_reg <= h_new; hist_reg <= hist_shift[16*H*LAG_MAX-1:0]; end
        if (ev_gate_m && (state_reg == S_CON_WA || state_reg == S_GEN_WA)) begin
            zg_reg <= gate_all[16*H-1:0]; rh_reg <= rh_new;
        end
        if (ev_gate_m && state_reg == S_CON_WB) conh_reg <= h_new;
        if (ev_gate_m && state_reg == S_GEN_WB) gh_reg <= h_new;
        if (ev_res_m && state_reg == S_CO_W) begin
            u_reg <= {(16*KCO*P){1'b0}};
            u_reg[16*CO-1:0] <= res_all[16*CO-1:0];
        end
        if (ev_res_m && (state_reg == S_F0_W || state_reg == S_FAC_W)) begin
            fv_reg <= {(16*KF*P){1'b0}};
            fv_reg[16*F-1:0] <= res_all[16*F-1:0];
            rec_reg <= {(512*REC_BEATS){1'b0}};
            rec_reg[16*F-1:0] <= res_all[16*F-1:0];
        end
        // the read-out completes the record (factors kept in rec_reg), which goes to the pusher at once
        if (ev_ro) begin
            out_reg <= rec_reg;
            out_reg[16*F +: 16*RO] <= res_all[16*RO-1:0];
        end
        if (rst) ro_pend_reg <= 1'b0;
        else if (g_valid && g_op == OP_RO) ro_pend_reg <= 1'b1;
        else if (ev_ro) ro_pend_reg <= 1'b0;
        if (rst) begin
            push_busy_reg <= 1'b0; pcnt_reg <= 0;
        end else if (ev_ro) begin
            push_busy_reg <= 1'b1; pcnt_reg <= 0;
        end else if (fifo_push) begin
            pcnt_reg <= pcnt_reg + 1;
            if (pcnt_reg == REC_BEATS - 1) push_busy_reg <= 1'b0;
        end
        if (rst) begin
            state_reg <= S_IDLE; status_reg <= 32'd0; cis_reg <= CI_IDLE;
        end else begin
            state_reg <= state_next; status_reg <= status_next; cis_reg <= cis_next;
        end
        cnt_reg <= cnt_next; bin_reg <= bin_next;
        cibin_reg <= cibin_next;
    end
endmodule
