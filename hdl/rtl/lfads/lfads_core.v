`default_nettype none
// LFADS trial inference (decoders/FIXED_POINT.md sections 5-6) for models without a controller (co_dim = 0):
// bidirectional IC encoder, ic_mean, g0, generator, factors and log-rates, bit-exact.
// Engine: L = 3H row lanes (lfads_lane), P columns per cycle each; lane l holds row l of every matrix.
// A GRU step issues the input projection (tag X), the z/r/n hidden rows on h (tag H; z and r gates are read),
// r.h (requant to Q12), the hidden rows again on r.h (n gate), then updates h in one cycle.
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
    localparam integer C_FV = 1 + 4 * K + KIC, NCH = 1 + 4 * K + KIC + KF;
    localparam integer RESW = (L > KIC * P ? L : KIC * P) > KF * P ? (L > KIC * P ? L : KIC * P) : KF * P;
    localparam [31:0] MAGIC = 32'h3144464C;

    initial begin
        if (H % P != 0 || ICD > L || F > L || RO > L || H < P || D < 1 || T_MAX < 1 || F < 1 || RO < 1
            || ICD < 1 || F + RO > 32 * 16) begin
            $display("lfads_core: illegal D=%0d T_MAX=%0d H=%0d ICD=%0d F=%0d RO=%0d P=%0d", D, T_MAX, H, ICD, F, RO, P);
            $finish;
        end
    end

    // ------------------------------------------------------------------ lanes
    reg                    ln_w_we_any, ln_b_we_any, ln_l_we_sig, ln_l_we_tanh;
    reg  [15:0]            ld_lane;        // lane addressed by the loader
    reg  [$clog2(WD)-1:0]  ld_wa;
    reg  [$clog2(NB)-1:0]  ld_ba;
    reg  [6:0]             ld_la;
    reg                    iss_valid, iss_first, iss_last, iss_thr;
    reg  [1:0]             iss_tag;
    reg  signed [5:0]      iss_shift;
    reg  [$clog2(WD)-1:0]  iss_waddr;
    reg  [$clog2(NB)-1:0]  iss_baddr;
    reg  [16*P-1:0]        vbus_vf, vbus_vf1;
    reg                    vsrc_x_reg;     // operand of the chunk in the lanes' RAM stage comes from the X RAM
    reg  [$clog2(CPB+1)-1:0] xsel_reg, xsel_d;
    wire [511:0]           x_q;
    wire [16*P-1:0]        vbus = vsrc_x_reg ? x_q[16*P*xsel_d +: 16*P] : vbus_vf1;
    wire [16*L-1:0]        res_all;
    wire [16*L-1:0]        gate_all;

    genvar gl;
    generate
        for (gl = 0; gl < L; gl = gl + 1) begin : lane
            lfads_lane #(.P(P), .WD(WD), .NB(NB)) u_lane (
                .clk(clk),
                .w_we(ln_w_we_any && ld_lane == gl), .w_wa(ld_wa), .w_wd(rd_data[16*P-1:0]),
                .b_we(ln_b_we_any && ld_lane == gl), .b_wa(ld_ba), .b_wd(rd_data[31:0]),
                .l_we(gl < 2 * H ? ln_l_we_sig : ln_l_we_tanh), .l_wa(ld_la), .l_wd(rd_data),
                .iss_valid(iss_valid), .iss_first(iss_first), .iss_last(iss_last), .iss_tag(iss_tag),
                .iss_thr(iss_thr), .iss_shift(iss_shift), .iss_waddr(iss_waddr), .iss_baddr(iss_baddr),
                .vbus(vbus), .resq(res_all[16*gl +: 16]), .gate(gate_all[16*gl +: 16]));
        end
    endgenerate
    wire [16*RESW-1:0] res_ext = {{(16*(RESW-L)){1'b0}}, res_all};

    // ------------------------------------------------------------------ X RAM (input counts)
    reg                  x_we;
    reg [$clog2(XW+1)-1:0] x_wa;
    reg                  x_re;
    reg [$clog2(XW+1)-1:0] x_ra;
    ram_sdp #(.WIDTH(512), .DEPTH(XW + 1)) u_x (.clk(clk), .we(x_we), .waddr(x_wa), .wdata(rd_data),
        .re(x_re), .raddr(x_ra), .rdata(x_q));

    // ------------------------------------------------------------------ vectors
    reg [16*H-1:0]     hf_reg, hb_reg, rh_reg, g_reg, h0f_reg, h0b_reg;
    reg [16*KIC*P-1:0] ic_reg;
    reg [16*KF*P-1:0]  fv_reg;
    reg [16*H-1:0]     zg_reg;                                  // z gates of the running step
    wire [16*P*NCH-1:0] vf_all = {fv_reg, g_reg, ic_reg, rh_reg, hb_reg, hf_reg, {(16*P){1'b0}}};
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

    // ------------------------------------------------------------------ FSM
    localparam [5:0] S_IDLE = 0, S_HDR_CMD = 1, S_HDR0 = 2, S_HDR1 = 3, S_CHECK = 4, S_BODY_CMD = 5, S_BODY = 6,
                     S_RUN = 7, S_X_CMD = 8, S_X = 9, S_OUT_CMD = 10, S_STEP_IN = 11, S_STEP_A = 12,
                     S_WAIT_A = 13, S_STEP_B = 14, S_WAIT_B = 15, S_IC = 16, S_IC_W = 17, S_G0 = 18,
                     S_G0_W = 19, S_GAX = 20, S_FAC = 21, S_FAC_W = 22, S_RO = 23, S_RO_W = 24, S_PUSH = 25,
                     S_FLUSH = 26, S_DONE = 27;
    reg [5:0]  state_reg, state_next;
    reg [31:0] status_reg, status_next;
    reg [63:0] wa_reg, ia_reg, oa_reg;
    reg [31:0] bins_reg, flags_reg;
    reg [31:0] cnt_reg, cnt_next;          // beat counter / chunk counter
    reg [31:0] sec_reg, sec_next;          // body section, or step counter
    reg [31:0] sub_reg, sub_next;          // counter within a section
    reg [31:0] t_reg, t_next;              // bin / step
    reg [1:0]  dir_reg, dir_next;          // 0 fwd encoder, 1 bwd encoder, 2 generator
    reg [31:0] steps_reg;
    reg [31:0] tmod_reg;                   // the model's encod_seq_len
    // evm_reg[n] / evh_reg[n]: the last chunk of an M / H job was in the lanes' issue stage n cycles ago
    reg [9:0]  evm_reg, evh_reg;
    wire ev_res  = evm_reg[6];
    wire ev_gate = evh_reg[9];

    assign done     = state_reg == S_DONE;
    assign idle     = state_reg == S_IDLE;
    assign status   = status_reg;
    assign rd_ready = state_reg == S_HDR0 || state_reg == S_HDR1 || state_reg == S_BODY || state_reg == S_X;
    wire rd_fire = rd_valid && rd_ready;

    // body sections: 0 h0, 1 weights, 2 biases, 3 lut_sigmoid, 4 lut_tanh
    wire [31:0] body_beats = NH0 + WD * L + NB * L + 256;

    // GRU arithmetic of the running step (FIXED_POINT.md section 5)
    wire [16*H-1:0] h_cur = dir_reg == 2'd0 ? hf_reg : dir_reg == 2'd1 ? hb_reg : g_reg;
    reg  [16*H-1:0] rh_new, h_new;
    integer i;
    reg signed [31:0] prod_rh;
    reg signed [39:0] acc_u;
    reg signed [39:0] hv;
    always @* begin
        for (i = 0; i < H; i = i + 1) begin
            prod_rh = $signed(gate_all[16*(H+i) +: 16]) * $signed(h_cur[16*i +: 16]);
            rh_new[16*i +: 16] = sat16(($signed({{8{prod_rh[31]}}, prod_rh}) + 40'sd8192) >>> 14);
            acc_u = ($signed({{24{zg_reg[16*i+15]}}, zg_reg[16*i +: 16]}) * $signed({{24{h_cur[16*i+15]}}, h_cur[16*i +: 16]})) * 4
                  + ($signed(40'sd16384) - $signed({{24{zg_reg[16*i+15]}}, zg_reg[16*i +: 16]}))
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

    // job issue helper values
    reg        job_issue;          // issue a chunk this cycle
    reg        job_x;              // operand from the X RAM
    reg [31:0] job_chunk;          // vf chunk index, or X chunk index
    reg [31:0] job_n;              // chunks in the job
    reg [1:0]  job_tag;
    reg        job_thr;            // input-projection register of the lanes (1: backward encoder)
    reg [3:0]  job_op;             // shift / bias index
    reg [31:0] job_wbase;

    function [3:0] bias_slot;      // bias slot of an op (0 = no bias)
        input [3:0] op;
        begin
            bias_slot = op == 4'd8 ? 4'd0 : (op == 4'd9 ? 4'd9 : op + 4'd1);
        end
    endfunction

    always @* begin
        state_next = state_reg; status_next = status_reg; cnt_next = cnt_reg; sec_next = sec_reg;
        sub_next = sub_reg; t_next = t_reg; dir_next = dir_reg;
        rd_cmd_valid = 1'b0; rd_cmd_addr = 64'd0; rd_cmd_len = 32'd0;
        wr_cmd_valid = 1'b0; wr_cmd_addr = 64'd0; wr_cmd_len = 32'd0;
        ln_w_we_any = 1'b0; ln_b_we_any = 1'b0; ln_l_we_sig = 1'b0; ln_l_we_tanh = 1'b0;
        ld_lane = sub_reg[15:0]; ld_wa = cnt_reg[$clog2(WD)-1:0]; ld_ba = cnt_reg[$clog2(NB)-1:0];
        ld_la = cnt_reg[6:0];
        x_we = 1'b0; x_wa = cnt_reg[$clog2(XW+1)-1:0];
        fifo_push = 1'b0; fifo_din = rec_reg[511:0];
        job_issue = 1'b0; job_x = 1'b0; job_chunk = 32'd0; job_n = 32'd1; job_tag = 2'd0; job_op = 4'd0;
        job_wbase = 32'd0; job_thr = dir_reg == 2'd1;

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
                else if (hdr_reg[1] != D || hdr_reg[2] == 0 || hdr_reg[2] > T_MAX || hdr_reg[3] != H || hdr_reg[4] != ICD
                         || hdr_reg[5] != F || hdr_reg[6] != RO || hdr_reg[7] != P || hdr_reg[9] > 32767) begin
                    status_next = 32'd2; state_next = S_DONE;
                end else state_next = S_BODY_CMD;
            end
            S_BODY_CMD: begin
                rd_cmd_valid = 1'b1; rd_cmd_addr = wa_reg + 64'd128; rd_cmd_len = body_beats;
                if (rd_cmd_ready) begin state_next = S_BODY; sec_next = 32'd0; cnt_next = 32'd0; sub_next = 32'd0; end
            end
            S_BODY: if (rd_fire) begin
                // cnt: word / slot / table beat; sub: lane
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
                    3: begin
                        ln_l_we_sig = 1'b1; cnt_next = cnt_reg + 1;
                        if (cnt_reg == 127) begin sec_next = 4; cnt_next = 0; end
                    end
                    default: begin
                        ln_l_we_tanh = 1'b1; cnt_next = cnt_reg + 1;
                        if (cnt_reg == 127) state_next = flags_reg[1] ? S_RUN : S_DONE;
                    end
                endcase
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
                    state_next = S_STEP_IN; dir_next = 2'd0; t_next = 32'd0; cnt_next = 0;
                end
            end
            // ---- one GRU step of dir on bin t
            S_STEP_IN: begin
                job_issue = 1'b1; job_x = 1'b1; job_chunk = t_reg * KX + cnt_reg; job_n = KX; job_tag = 2'd1;
                job_op = dir_reg == 2'd0 ? 4'd0 : 4'd2; job_wbase = dir_reg == 2'd0 ? WA_IHF : WA_IHB;
                cnt_next = cnt_reg + 1;
                if (cnt_reg == KX - 1) begin state_next = S_STEP_A; cnt_next = 0; end
            end
            S_STEP_A: begin
                job_issue = 1'b1; job_n = K; job_tag = 2'd2;
                job_chunk = (dir_reg == 2'd0 ? C_HF : dir_reg == 2'd1 ? C_HB : C_G) + cnt_reg;
                job_op = dir_reg == 2'd0 ? 4'd1 : dir_reg == 2'd1 ? 4'd3 : 4'd7;
                job_wbase = dir_reg == 2'd0 ? WA_HHF : dir_reg == 2'd1 ? WA_HHB : WA_HHG;
                cnt_next = cnt_reg + 1;
                if (cnt_reg == K - 1) begin state_next = S_WAIT_A; cnt_next = 0; end
            end
            S_WAIT_A: if (ev_gate) state_next = S_STEP_B;    // z, r gates now; r.h registered
            S_STEP_B: begin
                job_issue = 1'b1; job_n = K; job_tag = 2'd2; job_chunk = C_RH + cnt_reg;
                job_op = dir_reg == 2'd0 ? 4'd1 : dir_reg == 2'd1 ? 4'd3 : 4'd7;
                job_wbase = dir_reg == 2'd0 ? WA_HHF : dir_reg == 2'd1 ? WA_HHB : WA_HHG;
                cnt_next = cnt_reg + 1;
                if (cnt_reg == K - 1) begin state_next = S_WAIT_B; cnt_next = 0; end
            end
            S_WAIT_B: if (ev_gate) begin                      // n gates now; h updated
                if (dir_reg == 2'd0) begin
                    if (t_reg == bins_reg - 1) begin dir_next = 2'd1; state_next = S_STEP_IN; end
                    else begin t_next = t_reg + 1; state_next = S_STEP_IN; end
                end else if (dir_reg == 2'd1) begin
                    if (t_reg == 0) state_next = S_IC;
                    else begin t_next = t_reg - 1; state_next = S_STEP_IN; end
                end else state_next = S_FAC;
            end
            // ---- ic_mean, g0, generator input projection (constant: width 0)
            S_IC: begin
                job_issue = 1'b1; job_n = 2 * K; job_chunk = C_HF + cnt_reg; job_op = 4'd4; job_wbase = WA_IC;
                cnt_next = cnt_reg + 1;
                if (cnt_reg == 2 * K - 1) begin state_next = S_IC_W; cnt_next = 0; end
            end
            S_IC_W: if (ev_res) state_next = S_G0;
            S_G0: begin
                job_issue = 1'b1; job_n = KIC; job_chunk = C_IC + cnt_reg; job_op = 4'd5; job_wbase = WA_G0;
                cnt_next = cnt_reg + 1;
                if (cnt_reg == KIC - 1) begin state_next = S_G0_W; cnt_next = 0; end
            end
            S_G0_W: if (ev_res) state_next = S_GAX;
            S_GAX: begin
                job_issue = 1'b1; job_n = 1; job_chunk = 0; job_tag = 2'd1; job_op = 4'd6; job_wbase = 0; job_thr = 1'b0;
                state_next = S_STEP_A; dir_next = 2'd2; t_next = 0; cnt_next = 0;
            end
            S_FAC: begin
                job_issue = 1'b1; job_n = K; job_chunk = C_G + cnt_reg; job_op = 4'd8; job_wbase = WA_FAC;
                cnt_next = cnt_reg + 1;
                if (cnt_reg == K - 1) begin state_next = S_FAC_W; cnt_next = 0; end
            end
            S_FAC_W: if (ev_res) state_next = S_RO;
            S_RO: begin
                job_issue = 1'b1; job_n = KF; job_chunk = C_FV + cnt_reg; job_op = 4'd9; job_wbase = WA_RO;
                cnt_next = cnt_reg + 1;
                if (cnt_reg == KF - 1) begin state_next = S_RO_W; cnt_next = 0; end
            end
            S_RO_W: if (ev_res) state_next = S_PUSH;
            S_PUSH: if (fifo_in_ready) begin
                fifo_push = 1'b1; fifo_din = rec_reg[512*cnt_reg +: 512];
                cnt_next = cnt_reg + 1;
                if (cnt_reg == REC_BEATS - 1) begin
                    cnt_next = 0;
                    if (t_reg == steps_reg - 1) state_next = S_FLUSH;
                    else begin t_next = t_reg + 1; state_next = S_STEP_A; end
                end
            end
            S_FLUSH: if (wr_idle && !wr_valid) state_next = S_DONE;
            S_DONE: state_next = S_IDLE;
            default: state_next = S_IDLE;
        endcase
    end

    always @(posedge clk) begin
        // chunk issue (registered into the lanes)
        iss_valid <= job_issue;
        iss_first <= cnt_reg == 0;
        iss_last  <= cnt_reg == job_n - 1;
        iss_tag   <= job_tag;
        iss_thr   <= job_thr;
        iss_shift <= sh_reg[job_op];
        iss_waddr <= job_wbase + cnt_reg;
        iss_baddr <= bias_slot(job_op);
        // operand: the VF chunk is registered here and the X word is read now, both ready next cycle
        vbus_vf   <= vf_all[16*P*job_chunk[$clog2(NCH+1)-1:0] +: 16*P];
        vbus_vf1  <= vbus_vf;
        x_re <= 1'b0;
        if (job_issue && job_x) begin
            x_re <= 1'b1;
            x_ra <= job_chunk / CPB;
            xsel_reg <= job_chunk % CPB;
        end
        evm_reg <= {evm_reg[8:0], job_issue && cnt_reg == job_n - 1 && job_tag == 2'd0};
        evh_reg <= {evh_reg[8:0], job_issue && cnt_reg == job_n - 1 && job_tag == 2'd2};
        if (rst) begin iss_valid <= 1'b0; evm_reg <= 10'd0; evh_reg <= 10'd0; end
    end
    // the X RAM is read one cycle after the issue decision: delay the operand select to match
    always @(posedge clk) begin
        vsrc_x_reg <= x_re;
        xsel_d <= xsel_reg;
    end

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
        if (state_reg == S_RUN) begin
            steps_reg <= bins_reg + extra_reg;
            hf_reg <= h0f_reg; hb_reg <= h0b_reg;
        end
        // gates: after the first hidden job the z gates are kept and r.h written; after the second, h updates
        if (state_reg == S_WAIT_A && ev_gate) begin
            zg_reg <= gate_all[16*H-1:0];
            rh_reg <= rh_new;
        end
        if (state_reg == S_WAIT_B && ev_gate) begin
            if (dir_reg == 2'd0) hf_reg <= h_new;
            else if (dir_reg == 2'd1) hb_reg <= h_new;
            else g_reg <= h_new;
        end
        if (state_reg == S_IC_W && ev_res) ic_reg <= res_ext[16*KIC*P-1:0];
        if (state_reg == S_G0_W && ev_res) g_reg <= res_all[16*H-1:0];
        if (state_reg == S_FAC_W && ev_res) begin
            fv_reg <= res_ext[16*KF*P-1:0];
            rec_reg <= {(512*REC_BEATS){1'b0}};
            rec_reg[16*F-1:0] <= res_all[16*F-1:0];
        end
        if (state_reg == S_RO_W && ev_res) rec_reg[16*F +: 16*RO] <= res_all[16*RO-1:0];
        if (rst) begin
            state_reg <= S_IDLE; status_reg <= 32'd0; loaded_reg <= 1'b0;
        end else begin
            state_reg <= state_next; status_reg <= status_next;
            if (state_reg == S_CHECK) loaded_reg <= 1'b0;
            if (state_reg == S_BODY && rd_fire && sec_reg == 4 && cnt_reg == 127) loaded_reg <= 1'b1;
        end
        cnt_reg <= cnt_next; sec_reg <= sec_next; sub_reg <= sub_next; t_reg <= t_next; dir_reg <= dir_next;
    end
endmodule
