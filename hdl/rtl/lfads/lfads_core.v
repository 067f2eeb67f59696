`default_nettype none
// LFADS trial inference (decoders/FIXED_POINT.md sections 5-6) for models without a controller (co_dim = 0):
// bidirectional IC encoder, ic_mean, g0, generator, factors and log-rates, bit-exact.
// Engine: L = 3H row lanes (lfads_lane), P columns per cycle each; lane l holds row l of every matrix.
// A GRU step issues the input projection (tag X), the z/r/n hidden rows on h (tag H; z and r gates are read),
// r.h (requant to Q12), the hidden rows again on r.h (n gate), then updates h in one cycle.
// Schedule: two GRU threads share the lanes job by job (thread 0: forward encoder, then generator; thread 1:
// backward encoder), so one thread's jobs fill the other's pipeline waits; a thread issues its next input
// projection right after its n-row job; an output thread issues the factor and read-out jobs of generator
// step t while the generator computes step t+1. Jobs are atomic (contiguous chunks); hidden-row jobs first.
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
    parameter integer P     = 16    // columns per cycle per lane (multipliers)
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
    input  wire [31:0]  flags,
    output reg          rd_cmd_valid,
    input  wire         rd_cmd_ready,
    output reg  [63:0]  rd_cmd_addr,
    output reg  [31:0]  rd_cmd_len,
    input  wire         rd_valid,
    output wire         rd_ready,
    input  wire [511:0] rd_data,
    output reg          wr_cmd_valid,
    input  wire         wr_cmd_ready,
    output reg  [63:0]  wr_cmd_addr,
    output reg  [31:0]  wr_cmd_len,
    output wire         wr_valid,
    input  wire         wr_ready,
    output wire [511:0] wr_data,
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
    reg                    ln_w_we_any, ln_b_we_any, ln_l_we_sig, ln_l_we_tanh;
    reg  [15:0]            ld_lane;        // lane addressed by the loader
    reg  [$clog2(WD)-1:0]  ld_wa;
    reg  [$clog2(NB)-1:0]  ld_ba;
    reg  [11:0]            ld_la;
    reg  [511:0]           lbuf_reg;       // table beat being written entry by entry
    reg                    lbusy_reg;
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
    wire [16*L-1:0]        res_all;
    wire [16*L-1:0]        gate_all;

    genvar gl;
    generate
        for (gl = 0; gl < L; gl = gl + 1) begin : lane
            lfads_lane #(.P(P), .WD(WD), .NB(NB)) u_lane (
                .clk(clk),
                .w_we(ln_w_we_any && ld_lane == gl), .w_wa(ld_wa), .w_wd(rd_data[16*P-1:0]),
                .b_we(ln_b_we_any && ld_lane == gl), .b_wa(ld_ba), .b_wd(rd_data[31:0]),
                .l_we(gl < 2 * H ? ln_l_we_sig : ln_l_we_tanh), .l_wa(ld_la), .l_wd(lbuf_reg[16*sub_reg[4:0] +: 16]),
                .iss_valid(iss_valid), .iss_first(iss_first), .iss_last(iss_last), .iss_tag(iss_tag),
                .iss_thr(iss_thr), .iss_shift(iss_shift),
                .pre_valid(jact_reg), .pre_first(jcnt_reg == 0), .pre_waddr(pre_waddr), .pre_baddr(pre_baddr),
                .vbus(vbus), .resq(res_all[16*gl +: 16]), .resq_v(), .gate(gate_all[16*gl +: 16]), .gate_v());
        end
    endgenerate
    wire [16*RESW-1:0] res_ext = {{(16*(RESW-L)){1'b0}}, res_all};

    // ------------------------------------------------------------------ X RAM (input counts)
    reg                  x_we;
    reg [$clog2(XW+1)-1:0] x_wa;
    wire                 x_re;
    wire [$clog2(XW+1)-1:0] x_ra;
    ram_sdp #(.WIDTH(512), .DEPTH(XW + 1)) u_x (.clk(clk), .we(x_we), .waddr(x_wa), .wdata(rd_data),
        .re(x_re), .raddr(x_ra), .rdata(x_q));

    // ------------------------------------------------------------------ vectors
    reg [16*H-1:0]     hf_reg, hb_reg, rh_reg, rh1_reg, g_reg, h0f_reg, h0b_reg;
    reg [16*KIC*P-1:0] ic_reg;
    reg [16*KF*P-1:0]  fv_reg;
    reg [16*H-1:0]     zg_reg, zg1_reg;                         // z gates of the running step, per thread
    wire [16*P*NCH-1:0] vf_all = {rh1_reg, fv_reg, g_reg, ic_reg, rh_reg, hb_reg, hf_reg, {(16*P){1'b0}}};
    reg [512*REC_BEATS-1:0] rec_reg;

    // ------------------------------------------------------------------ output FIFO
    reg          fifo_push;
    reg  [511:0] fifo_din;
    wire         fifo_in_ready;
    wire [$clog2(16):0] fifo_count;
    sync_fifo #(.WIDTH(512), .DEPTH(16)) u_fifo (.clk(clk), .rst(rst), .in_valid(fifo_push),
        .in_ready(fifo_in_ready), .in_data(fifo_din), .out_valid(wr_valid), .out_ready(wr_ready),
        .out_data(wr_data), .count(fifo_count));

    // ------------------------------------------------------------------ model registers
    reg [31:0] hdr_reg [0:9];
    reg signed [5:0] sh_reg [0:9];
    reg [31:0] extra_reg, clip_reg;
    reg        loaded_reg;

    // ------------------------------------------------------------------ main FSM
    localparam [4:0] S_IDLE = 0, S_HDR_CMD = 1, S_HDR0 = 2, S_HDR1 = 3, S_CHECK = 4, S_BODY_CMD = 5, S_BODY = 6,
                     S_RUN = 7, S_X_CMD = 8, S_X = 9, S_OUT_CMD = 10, S_ENC = 11, S_IC = 12, S_IC_W = 13,
                     S_G0 = 14, S_G0_W = 15, S_GEN = 16, S_FLUSH = 17, S_DONE = 18;
    // GRU thread states
    localparam [2:0] T_IDLE = 0, T_IN = 1, T_A = 2, T_WA = 3, T_B = 4, T_WB = 5;
    // output thread states
    localparam [2:0] O_IDLE = 0, O_FAC = 1, O_FAC_W = 2, O_RO = 3, O_RO_W = 4, O_PUSH = 5;

    reg [4:0]  state_reg, state_next;
    reg [31:0] status_reg, status_next;
    reg [63:0] wa_reg, ia_reg, oa_reg;
    reg [31:0] bins_reg, flags_reg;
    reg [31:0] cnt_reg, cnt_next;          // beat counter of the loaders
    reg [31:0] sec_reg, sec_next;          // body section
    reg [31:0] sub_reg, sub_next;          // lane within a body section
    reg [31:0] steps_reg;
    reg [31:0] tmod_reg;                   // the model's encod_seq_len

    // thread 0 (forward encoder, then generator), thread 1 (backward encoder)
    reg [2:0]  t0s_reg, t0s_next, t1s_reg, t1s_next, os_reg, os_next;
    reg [31:0] t0t_reg, t0t_next, t1t_reg, t1t_next;   // bin (encoder) / step (generator)
    reg        t0gen_reg, t0gen_next;                  // thread 0 runs the generator
    reg        t0in_reg, t0in_next, t1in_reg, t1in_next; // next step's input projection already issued
    reg [31:0] ot_reg, ot_next;                        // output thread: step being written
    reg [31:0] gdone_reg, gdone_next;                  // generator steps completed
    reg [31:0] ofac_reg, ofac_next;                    // factor jobs issued
    reg [31:0] ocnt_reg, ocnt_next;                    // record beat

    // job port: requests, arbiter, active job
    reg        jact_reg;  reg [31:0] jcnt_reg, jn_reg, jchunk_reg, jwbase_reg;
    reg [1:0]  jtag_reg;  reg jthr_reg, jx_reg;  reg [3:0] jop_reg;
    reg        g_valid;   reg [31:0] g_n, g_chunk, g_wbase; reg [1:0] g_tag; reg g_thr, g_x; reg [3:0] g_op;
    reg        gr_t0, gr_t1, gr_o, gr_m;                // grants this cycle
    reg        rq_t0, rq_t1, rq_o, rq_m;                // requests this cycle
    reg [31:0] r0_n, r0_chunk, r0_wbase, r1_n, r1_chunk, r1_wbase, ro_n, ro_chunk, ro_wbase, rm_n, rm_chunk, rm_wbase;
    reg [1:0]  r0_tag, r1_tag; reg r0_x, r1_x; reg [3:0] r0_op, r1_op, ro_op, rm_op;

    // events: the last chunk of a job was in the lanes' issue stage n cycles ago
    reg [9:0]  evm_reg, evh0_reg, evh1_reg;
    wire ev_res   = evm_reg[5];
    wire ev_gate0 = evh0_reg[8];
    wire ev_gate1 = evh1_reg[8];

    assign done     = state_reg == S_DONE;
    assign idle     = state_reg == S_IDLE;
    assign status   = status_reg;
    assign rd_ready = state_reg == S_HDR0 || state_reg == S_HDR1 || state_reg == S_X
                      || (state_reg == S_BODY && !lbusy_reg);
    wire rd_fire = rd_valid && rd_ready;

    // body sections: 0 h0, 1 weights, 2 biases, 3 lut_sigmoid, 4 lut_tanh
    wire [31:0] body_beats = NH0 + WD * L + NB * L + 256;

    // GRU arithmetic of the thread whose gate event is now (FIXED_POINT.md section 5); events never coincide
    wire            ev_thr = ev_gate1;
    wire [16*H-1:0] h_cur  = ev_thr ? hb_reg : (t0gen_reg ? g_reg : hf_reg);
    wire [16*H-1:0] zg_cur = ev_thr ? zg1_reg : zg_reg;
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
            bias_slot = op == 4'd8 ? 4'd0 : (op == 4'd9 ? 4'd9 : op + 4'd1);
        end
    endfunction

    wire port_free = !jact_reg || jcnt_reg == jn_reg - 1;   // a new job may be granted this cycle
    wire enc_last0 = t0t_reg == bins_reg - 1;                // forward encoder: last bin
    wire enc_last1 = t1t_reg == 0;                           // backward encoder: last bin (t runs down)

    always @* begin
        state_next = state_reg; status_next = status_reg; cnt_next = cnt_reg; sec_next = sec_reg;
        sub_next = sub_reg;
        t0s_next = t0s_reg; t1s_next = t1s_reg; os_next = os_reg; t0t_next = t0t_reg; t1t_next = t1t_reg;
        t0gen_next = t0gen_reg; t0in_next = t0in_reg; t1in_next = t1in_reg; ot_next = ot_reg;
        gdone_next = gdone_reg; ofac_next = ofac_reg; ocnt_next = ocnt_reg;
        rd_cmd_valid = 1'b0; rd_cmd_addr = 64'd0; rd_cmd_len = 32'd0;
        wr_cmd_valid = 1'b0; wr_cmd_addr = 64'd0; wr_cmd_len = 32'd0;
        ln_w_we_any = 1'b0; ln_b_we_any = 1'b0; ln_l_we_sig = 1'b0; ln_l_we_tanh = 1'b0;
        ld_lane = sub_reg[15:0]; ld_wa = cnt_reg[$clog2(WD)-1:0]; ld_ba = cnt_reg[$clog2(NB)-1:0];
        ld_la = {cnt_reg[6:0], sub_reg[4:0]};
        x_we = 1'b0; x_wa = cnt_reg[$clog2(XW+1)-1:0];
        fifo_push = 1'b0; fifo_din = rec_reg[512*ocnt_reg +: 512];

        // ---- requests
        // thread 0: forward encoder (X, then H on hf / rh0) or generator (H on g / rh0)
        rq_t0 = 1'b0; r0_n = K; r0_chunk = 0; r0_wbase = 0; r0_tag = 2'd2; r0_x = 1'b0; r0_op = 0;
        case (t0s_reg)
            T_IN: begin rq_t0 = 1'b1; r0_n = KX; r0_chunk = t0t_reg * KX; r0_wbase = WA_IHF; r0_tag = 2'd1;
                        r0_x = 1'b1; r0_op = 4'd0; end
            T_A:  begin rq_t0 = 1'b1; r0_chunk = t0gen_reg ? C_G : C_HF; r0_wbase = t0gen_reg ? WA_HHG : WA_HHF;
                        r0_op = t0gen_reg ? 4'd7 : 4'd1; end
            T_WA: begin rq_t0 = ev_gate0 && (!t0gen_reg || ofac_reg == t0t_reg); // B as soon as r.h is written
                        r0_chunk = C_RH; r0_wbase = t0gen_reg ? WA_HHG : WA_HHF; r0_op = t0gen_reg ? 4'd7 : 4'd1; end
            T_B:  begin rq_t0 = !t0gen_reg || ofac_reg == t0t_reg; // fac(t-1) read g before g changes
                        r0_chunk = C_RH; r0_wbase = t0gen_reg ? WA_HHG : WA_HHF; r0_op = t0gen_reg ? 4'd7 : 4'd1; end
            T_WB: if (ev_gate0) begin // h updates now: the next step's z/r job may start at once
                        rq_t0 = t0gen_reg ? t0t_reg != steps_reg - 1 : (!enc_last0 && t0in_reg);
                        r0_chunk = t0gen_reg ? C_G : C_HF; r0_wbase = t0gen_reg ? WA_HHG : WA_HHF;
                        r0_op = t0gen_reg ? 4'd7 : 4'd1;
                  end else begin // the next bin's input projection goes right after the n rows
                        rq_t0 = !t0gen_reg && !t0in_reg && !enc_last0; r0_n = KX; r0_chunk = (t0t_reg + 1) * KX;
                        r0_wbase = WA_IHF; r0_tag = 2'd1; r0_x = 1'b1; r0_op = 4'd0; end
            default: ;
        endcase
        // thread 1: backward encoder
        rq_t1 = 1'b0; r1_n = K; r1_chunk = 0; r1_wbase = 0; r1_tag = 2'd2; r1_x = 1'b0; r1_op = 0;
        case (t1s_reg)
            T_IN: begin rq_t1 = 1'b1; r1_n = KX; r1_chunk = t1t_reg * KX; r1_wbase = WA_IHB; r1_tag = 2'd1;
                        r1_x = 1'b1; r1_op = 4'd2; end
            T_A:  begin rq_t1 = 1'b1; r1_chunk = C_HB; r1_wbase = WA_HHB; r1_op = 4'd3; end
            T_WA: begin rq_t1 = ev_gate1; r1_chunk = C_RH1; r1_wbase = WA_HHB; r1_op = 4'd3; end
            T_B:  begin rq_t1 = 1'b1; r1_chunk = C_RH1; r1_wbase = WA_HHB; r1_op = 4'd3; end
            T_WB: if (ev_gate1) begin
                        rq_t1 = !enc_last1 && t1in_reg; r1_chunk = C_HB; r1_wbase = WA_HHB; r1_op = 4'd3;
                  end else begin
                        rq_t1 = !t1in_reg && !enc_last1; r1_n = KX; r1_chunk = (t1t_reg - 1) * KX;
                        r1_wbase = WA_IHB; r1_tag = 2'd1; r1_x = 1'b1; r1_op = 4'd2; end
            default: ;
        endcase
        // output thread: factors of step ot from g, then read-out from the factors
        rq_o = 1'b0; ro_n = K; ro_chunk = C_G; ro_wbase = WA_FAC; ro_op = 4'd8;
        if (os_reg == O_FAC) rq_o = 1'b1;
        if (os_reg == O_RO) begin rq_o = 1'b1; ro_n = KF; ro_chunk = C_FV; ro_wbase = WA_RO; ro_op = 4'd9; end
        // main FSM jobs: ic_mean, g0, the generator's constant input projection
        rq_m = 1'b0; rm_n = 2 * K; rm_chunk = C_HF; rm_wbase = WA_IC; rm_op = 4'd4;
        if (state_reg == S_IC) rq_m = 1'b1;
        if (state_reg == S_G0) begin rq_m = 1'b1; rm_n = KIC; rm_chunk = C_IC; rm_wbase = WA_G0; rm_op = 4'd5; end

        // ---- arbiter: hidden-row jobs first (they carry the recurrences), then inputs, outputs, the rest
        gr_t0 = 1'b0; gr_t1 = 1'b0; gr_o = 1'b0; gr_m = 1'b0;
        g_valid = 1'b0; g_n = 1; g_chunk = 0; g_wbase = 0; g_tag = 2'd0; g_thr = 1'b0; g_x = 1'b0; g_op = 0;
        if (port_free) begin
            if (rq_t0 && r0_tag == 2'd2) gr_t0 = 1'b1;
            else if (rq_t1 && r1_tag == 2'd2) gr_t1 = 1'b1;
            else if (rq_t0) gr_t0 = 1'b1;
            else if (rq_t1) gr_t1 = 1'b1;
            else if (rq_o) gr_o = 1'b1;
            else if (rq_m) gr_m = 1'b1;
        end
        if (gr_t0) begin g_valid = 1'b1; g_n = r0_n; g_chunk = r0_chunk; g_wbase = r0_wbase; g_tag = r0_tag;
                         g_thr = 1'b0; g_x = r0_x; g_op = r0_op; end
        if (gr_t1) begin g_valid = 1'b1; g_n = r1_n; g_chunk = r1_chunk; g_wbase = r1_wbase; g_tag = r1_tag;
                         g_thr = 1'b1; g_x = r1_x; g_op = r1_op; end
        if (gr_o)  begin g_valid = 1'b1; g_n = ro_n; g_chunk = ro_chunk; g_wbase = ro_wbase; g_tag = 2'd0;
                         g_op = ro_op; end
        if (gr_m)  begin g_valid = 1'b1; g_n = rm_n; g_chunk = rm_chunk; g_wbase = rm_wbase; g_tag = 2'd0;
                         g_op = rm_op; end

        // ---- thread 0
        case (t0s_reg)
            T_IN: if (gr_t0) t0s_next = T_A;
            T_A:  if (gr_t0) t0s_next = T_WA;
            T_WA: if (ev_gate0) begin
                if (gr_t0) begin t0s_next = T_WB; t0in_next = 1'b0; end else t0s_next = T_B;
            end
            T_B:  if (gr_t0) begin t0s_next = T_WB; t0in_next = 1'b0; end
            T_WB: begin
                if (gr_t0 && !ev_gate0) t0in_next = 1'b1;
                if (ev_gate0) begin
                    if (t0gen_reg) begin
                        gdone_next = gdone_reg + 1;
                        if (t0t_reg == steps_reg - 1) t0s_next = T_IDLE;
                        else begin t0t_next = t0t_reg + 1; t0s_next = gr_t0 ? T_WA : T_A; end
                    end else if (enc_last0) t0s_next = T_IDLE;
                    else begin
                        t0t_next = t0t_reg + 1;
                        t0s_next = gr_t0 ? T_WA : (t0in_reg ? T_A : T_IN);
                    end
                end
            end
            default: ;
        endcase
        // ---- thread 1
        case (t1s_reg)
            T_IN: if (gr_t1) t1s_next = T_A;
            T_A:  if (gr_t1) t1s_next = T_WA;
            T_WA: if (ev_gate1) begin
                if (gr_t1) begin t1s_next = T_WB; t1in_next = 1'b0; end else t1s_next = T_B;
            end
            T_B:  if (gr_t1) begin t1s_next = T_WB; t1in_next = 1'b0; end
            T_WB: begin
                if (gr_t1 && !ev_gate1) t1in_next = 1'b1;
                if (ev_gate1) begin
                    if (enc_last1) t1s_next = T_IDLE;
                    else begin
                        t1t_next = t1t_reg - 1;
                        t1s_next = gr_t1 ? T_WA : (t1in_reg ? T_A : T_IN);
                    end
                end
            end
            default: ;
        endcase
        // ---- output thread
        case (os_reg)
            O_IDLE: if (state_reg == S_GEN && gdone_reg > ot_reg) os_next = O_FAC;
            O_FAC:  if (gr_o) begin os_next = O_FAC_W; ofac_next = ofac_reg + 1; end
            O_FAC_W: if (ev_res) os_next = O_RO;
            O_RO:   if (gr_o) os_next = O_RO_W;
            O_RO_W: if (ev_res) begin os_next = O_PUSH; ocnt_next = 0; end
            O_PUSH: if (fifo_in_ready) begin
                fifo_push = 1'b1;
                ocnt_next = ocnt_reg + 1;
                if (ocnt_reg == REC_BEATS - 1) begin os_next = O_IDLE; ot_next = ot_reg + 1; end
            end
            default: os_next = O_IDLE;
        endcase

        // ---- main FSM
        case (state_reg)
            S_IDLE: if (start) begin
                status_next = 32'd0;
                if (flags[0]) state_next = S_HDR_CMD;
                else if (flags[1]) state_next = S_RUN;
                else state_next = S_DONE;
            end
            S_HDR_CMD: begin
                rd_cmd_valid = 1'b1; rd_cmd_addr = wa_reg; rd_cmd_len = 32'd2;
                if (rd_cmd_ready) state_next = S_HDR0;
            end
            S_HDR0: if (rd_fire) state_next = S_HDR1;
            S_HDR1: if (rd_fire) state_next = S_CHECK;
            S_CHECK: begin
                if (hdr_reg[0] != MAGIC) begin status_next = 32'd1; state_next = S_DONE; end
                else if (hdr_reg[1] != D || hdr_reg[2] == 0 || hdr_reg[2] > T_MAX || hdr_reg[3] != H
                         || hdr_reg[4] != ICD || hdr_reg[5] != F || hdr_reg[6] != RO || hdr_reg[7] != P
                         || hdr_reg[9] > 32767) begin
                    status_next = 32'd2; state_next = S_DONE;
                end else state_next = S_BODY_CMD;
            end
            S_BODY_CMD: begin
                rd_cmd_valid = 1'b1; rd_cmd_addr = wa_reg + 64'd128; rd_cmd_len = body_beats;
                if (rd_cmd_ready) begin state_next = S_BODY; sec_next = 32'd0; cnt_next = 32'd0; sub_next = 32'd0; end
            end
            S_BODY: if (rd_fire) begin
                case (sec_reg)
                    0: begin
                        cnt_next = cnt_reg + 1;
                        if (cnt_reg == NH0 - 1) begin sec_next = 1; cnt_next = 0; end
                    end
                    1: begin
                        ln_w_we_any = 1'b1;
                        sub_next = sub_reg + 1;
                        if (sub_reg == L - 1) begin
                            sub_next = 0; cnt_next = cnt_reg + 1;
                            if (cnt_reg == WD - 1) begin sec_next = 2; cnt_next = 0; end
                        end
                    end
                    2: begin
                        ln_b_we_any = 1'b1;
                        sub_next = sub_reg + 1;
                        if (sub_reg == L - 1) begin
                            sub_next = 0; cnt_next = cnt_reg + 1;
                            if (cnt_reg == NB - 1) begin sec_next = 3; cnt_next = 0; end
                        end
                    end
                    default: sub_next = 0;   // tables: the beat is written entry by entry below
                endcase
            end else if (state_reg == S_BODY && lbusy_reg) begin
                // 32 table entries per beat, one per cycle, into every lane's table (4096 x 16)
                if (sec_reg == 3) ln_l_we_sig = 1'b1; else ln_l_we_tanh = 1'b1;
                sub_next = sub_reg + 1;
                if (sub_reg == 31) begin
                    sub_next = 0; cnt_next = cnt_reg + 1;
                    if (cnt_reg == 127) begin
                        if (sec_reg == 3) begin sec_next = 4; cnt_next = 0; end
                        else state_next = flags_reg[1] ? S_RUN : S_DONE;
                    end
                end
            end
            S_RUN: begin
                if (!loaded_reg) begin status_next = 32'd3; state_next = S_DONE; end
                else if (bins_reg == 0 || bins_reg > tmod_reg) begin status_next = 32'd4; state_next = S_DONE; end
                else begin state_next = S_X_CMD; cnt_next = 0; end
            end
            S_X_CMD: begin
                rd_cmd_valid = 1'b1; rd_cmd_addr = ia_reg; rd_cmd_len = (bins_reg * KX + CPB - 1) / CPB;
                if (rd_cmd_ready) state_next = S_X;
            end
            S_X: if (rd_fire) begin
                x_we = 1'b1; cnt_next = cnt_reg + 1;
                if (cnt_reg == (bins_reg * KX + CPB - 1) / CPB - 1) state_next = S_OUT_CMD;
            end
            S_OUT_CMD: begin
                wr_cmd_valid = 1'b1; wr_cmd_addr = oa_reg; wr_cmd_len = steps_reg * REC_BEATS;
                if (wr_cmd_ready) begin
                    state_next = S_ENC;
                    t0s_next = T_IN; t0t_next = 0; t0gen_next = 1'b0; t0in_next = 1'b0;
                    t1s_next = T_IN; t1t_next = bins_reg - 1; t1in_next = 1'b0;
                end
            end
            S_ENC: if (t0s_reg == T_IDLE && t1s_reg == T_IDLE) state_next = S_IC;
            S_IC: if (gr_m) state_next = S_IC_W;
            S_IC_W: if (ev_res) state_next = S_G0;
            S_G0: if (gr_m) state_next = S_G0_W;
            S_G0_W: if (ev_res) begin
                // the generator's input projection has width 0: one X job on the zero chunk gives ax = b_ih
                state_next = S_GEN;
                t0s_next = T_IN; t0gen_next = 1'b1; t0t_next = 0;
                ot_next = 0; gdone_next = 0; ofac_next = 0;
            end
            S_GEN: if (t0s_reg == T_IDLE && os_reg == O_IDLE && ot_reg == steps_reg) state_next = S_FLUSH;
            S_FLUSH: if (wr_idle && !wr_valid) state_next = S_DONE;
            S_DONE: state_next = S_IDLE;
            default: state_next = S_IDLE;
        endcase
        // the generator's T_IN is the zero-chunk projection of bias b_ih (op 6), not a data bin
        if (t0gen_reg && t0s_reg == T_IN) begin
            r0_n = 1; r0_chunk = 0; r0_wbase = 0; r0_op = 4'd6; r0_x = 1'b0;
            if (gr_t0) begin g_n = 1; g_chunk = 0; g_wbase = 0; g_op = 4'd6; g_x = 1'b0; end
        end
    end

    // ------------------------------------------------------------------ job port
    wire        j_issue = jact_reg;
    wire        j_last  = jcnt_reg == jn_reg - 1;
    always @(posedge clk) begin
        if (g_valid) begin
            jact_reg <= 1'b1; jcnt_reg <= 0; jn_reg <= g_n; jchunk_reg <= g_chunk; jwbase_reg <= g_wbase;
            jtag_reg <= g_tag; jthr_reg <= g_thr; jx_reg <= g_x; jop_reg <= g_op;
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
        vbus_vf   <= vf_all[16*P*(jchunk_reg[$clog2(NCH+1)-1:0] + jcnt_reg[$clog2(NCH+1)-1:0]) +: 16*P];
        xsel_reg  <= (jchunk_reg + jcnt_reg) % CPB;
        evm_reg  <= {evm_reg[8:0], j_issue && j_last && jtag_reg == 2'd0};
        evh0_reg <= {evh0_reg[8:0], j_issue && j_last && jtag_reg == 2'd2 && !jthr_reg};
        evh1_reg <= {evh1_reg[8:0], j_issue && j_last && jtag_reg == 2'd2 && jthr_reg};
        if (rst) begin
            jact_reg <= 1'b0; iss_valid <= 1'b0; evm_reg <= 10'd0; evh0_reg <= 10'd0; evh1_reg <= 10'd0;
        end
    end
    assign pre_waddr = jwbase_reg + jcnt_reg;
    assign pre_baddr = bias_slot(jop_reg);
    assign x_re = j_issue && jx_reg;
    assign x_ra = (jchunk_reg + jcnt_reg) / CPB;
    always @(posedge clk) vsrc_x_reg <= x_re;

    // ------------------------------------------------------------------ state registers and data
    integer h;
    always @(posedge clk) begin
        if (state_reg == S_IDLE && start) begin
            wa_reg <= w_addr; ia_reg <= in_addr; oa_reg <= out_addr; bins_reg <= n_bins; flags_reg <= flags;
        end
        if (state_reg == S_HDR0 && rd_fire)
            for (h = 0; h < 10; h = h + 1) hdr_reg[h] <= rd_data[32*h +: 32];
        if (state_reg == S_HDR1 && rd_fire)
            for (h = 0; h < 10; h = h + 1) sh_reg[h] <= rd_data[32*h +: 6];
        if (state_reg == S_CHECK) begin extra_reg <= hdr_reg[8]; clip_reg <= hdr_reg[9]; tmod_reg <= hdr_reg[2]; end
        if (state_reg == S_BODY && rd_fire && sec_reg == 0)
            for (h = 0; h < 32; h = h + 1)
                if (32 * cnt_reg + h < H) h0f_reg[16*(32*cnt_reg+h) +: 16] <= rd_data[16*h +: 16];
                else if (32 * cnt_reg + h < 2 * H) h0b_reg[16*(32*cnt_reg+h-H) +: 16] <= rd_data[16*h +: 16];
        if (state_reg == S_BODY && rd_fire && sec_reg >= 3) lbuf_reg <= rd_data;
        if (rst) lbusy_reg <= 1'b0;
        else if (state_reg == S_BODY && rd_fire && sec_reg >= 3) lbusy_reg <= 1'b1;
        else if (state_reg == S_BODY && lbusy_reg && sub_reg == 31) lbusy_reg <= 1'b0;
        if (state_reg == S_RUN) begin
            steps_reg <= bins_reg + extra_reg;
            hf_reg <= h0f_reg; hb_reg <= h0b_reg;
        end
        // gate events: after a thread's z/r job its z gates are kept and r.h written; after its n job, h updates
        if (ev_gate0 && t0s_reg == T_WA) begin zg_reg <= gate_all[16*H-1:0]; rh_reg <= rh_new; end
        if (ev_gate1 && t1s_reg == T_WA) begin zg1_reg <= gate_all[16*H-1:0]; rh1_reg <= rh_new; end
        if (ev_gate0 && t0s_reg == T_WB) begin
            if (t0gen_reg) g_reg <= h_new; else hf_reg <= h_new;
        end
        if (ev_gate1 && t1s_reg == T_WB) hb_reg <= h_new;
        if (state_reg == S_IC_W && ev_res) ic_reg <= res_ext[16*KIC*P-1:0];
        if (state_reg == S_G0_W && ev_res) g_reg <= res_all[16*H-1:0];
        if (os_reg == O_FAC_W && ev_res) begin
            fv_reg <= res_ext[16*KF*P-1:0];
            rec_reg <= {(512*REC_BEATS){1'b0}};
            rec_reg[16*F-1:0] <= res_all[16*F-1:0];
        end
        if (os_reg == O_RO_W && ev_res) rec_reg[16*F +: 16*RO] <= res_all[16*RO-1:0];
        if (rst) begin
            state_reg <= S_IDLE; status_reg <= 32'd0; loaded_reg <= 1'b0;
            t0s_reg <= T_IDLE; t1s_reg <= T_IDLE; os_reg <= O_IDLE;
        end else begin
            state_reg <= state_next; status_reg <= status_next;
            t0s_reg <= t0s_next; t1s_reg <= t1s_next; os_reg <= os_next;
            if (state_reg == S_CHECK) loaded_reg <= 1'b0;
            if (state_reg == S_BODY && lbusy_reg && sec_reg == 4 && cnt_reg == 127 && sub_reg == 31) loaded_reg <= 1'b1;
        end
        cnt_reg <= cnt_next; sec_reg <= sec_next; sub_reg <= sub_next;
        t0t_reg <= t0t_next; t1t_reg <= t1t_next; t0gen_reg <= t0gen_next; t0in_reg <= t0in_next;
        t1in_reg <= t1in_next; ot_reg <= ot_next; gdone_reg <= gdone_next; ofac_reg <= ofac_next;
        ocnt_reg <= ocnt_next;
    end
endmodule
