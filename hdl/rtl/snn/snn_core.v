`default_nettype none
// LIF core of decoders/FIXED_POINT.md section 7: time-multiplexed neurons, CSR synapses in on-chip RAM,
// one synapse per cycle through a 7-stage pipeline (issue, synapse read, spike read + accumulate,
// three LIF arithmetic stages, threshold/reset + write-back).
//
// Network buffer (32-bit little-endian words at `net`):
//   [0] magic 0x314E4E53 ("SNN1")  [1] N  [2] n_in  [3] nnz  [4] k_syn  [5] k_mem  [6] theta  [7] v_rest
//   [8] v_reset  [9] t_ref  [10] mode (0 subtract, 1 zero)  [11..15] 0
//   then row_ptr[N+1], synapse[nnz] = (col << 16) | (w & 0xFFFF), bias[N] (int32).
// Input spikes: per tick ceil(n_in/32) words, bit k%32 of word k/32 is u_k.  Output: per tick ceil(N/32)
// words of spikes.  State buffer (SAVE writes it, RESTORE reads it): V[N], I[N], ref[N] (int32; RESTORE takes the
// low 16 bits of ref), then ceil(N/32) words of the last tick's spikes (bit i%32 of word i/32: neuron i spiked,
// the recurrent input of the next tick; zero after RESET).
// flags: bit0 LOAD the network, bit1 RESET the state (I=0, V=v_rest, ref=0, no previous spikes), bit3 RESTORE
// the state from the state buffer, then n_ticks ticks, bit2 SAVE the state into the state buffer; in that order.
// Without RESET or RESTORE the state carries over from the previous run (streaming per tick).
// status: 0 ok, 1 bad magic, 2 dimensions exceed the build parameters, 3 no network loaded.
module snn_core #(
    parameter integer MAX_N   = 1024,   // neurons (count)
    parameter integer MAX_IN  = 256,    // input channels (count)
    parameter integer MAX_NNZ = 32768   // synapses (count)
) (
    input  wire        clk,
    input  wire        rst,
    input  wire        start,
    output wire        done,          // one-cycle pulse
    output wire        idle,
    output wire [31:0] status,
    input  wire [63:0] net_addr,
    input  wire [63:0] in_addr,
    input  wire [63:0] out_addr,
    input  wire [63:0] st_addr,
    input  wire [31:0] n_ticks,
    input  wire [31:0] flags,
    // read master
    output reg         rd_cmd_valid,
    input  wire        rd_cmd_ready,
    output reg  [63:0] rd_cmd_addr,
    output reg  [31:0] rd_cmd_len,
    input  wire        rd_valid,
    output wire        rd_ready,
    input  wire [31:0] rd_data,
    // write master
    output reg         wr_cmd_valid,
    input  wire        wr_cmd_ready,
    output reg  [63:0] wr_cmd_addr,
    output reg  [31:0] wr_cmd_len,
    output wire        wr_valid,
    input  wire        wr_ready,
    output wire [31:0] wr_data,
    input  wire        wr_idle
);
    localparam integer WN     = (MAX_N + 31) / 32;            // spike words per tick (max)
    localparam integer WI     = (MAX_IN + 31) / 32 > 0 ? (MAX_IN + 31) / 32 : 1;
    localparam integer NA     = $clog2(MAX_N + 4);            // neuron / row-pointer address bits
    localparam integer SA     = $clog2(MAX_NNZ);              // synapse address bits
    localparam integer BA     = $clog2(WN + WI);              // spike-word offset bits within a bank
    localparam integer FDEPTH = (1 << $clog2(WN + 1)) < 4 ? 4 : (1 << $clog2(WN + 1));
    localparam [31:0] MAGIC   = 32'h314E4E53;

    initial begin
        if (MAX_N < 1 || MAX_IN < 0 || MAX_N + MAX_IN > 65536 || MAX_NNZ < 2) begin
            $display("snn_core: illegal MAX_N=%0d MAX_IN=%0d MAX_NNZ=%0d", MAX_N, MAX_IN, MAX_NNZ);
            $finish;
        end
    end
    // stops elaboration in every tool (simulators, Yosys, Vivado): the module below does not exist
    generate
        if (MAX_N < 1 || MAX_IN < 0 || MAX_N + MAX_IN > 65536 || MAX_NNZ < 2) begin : g_illegal_parameters
            illegal_parameter_combination u_stop ();
        end
    endgenerate

    localparam [4:0] S_IDLE = 5'd0, S_HDR_CMD = 5'd1, S_HDR = 5'd2, S_CHECK = 5'd3, S_BODY_CMD = 5'd4,
                     S_BODY = 5'd5, S_RESET = 5'd6, S_TICK = 5'd7, S_IN_CMD = 5'd8, S_IN = 5'd9,
                     S_OUT_CMD = 5'd10, S_PREP0 = 5'd11, S_PREP1 = 5'd12, S_PREP2 = 5'd13, S_RUN = 5'd14,
                     S_DRAIN = 5'd15, S_ST_CMD = 5'd16, S_ST_RD = 5'd17, S_ST_PUSH = 5'd18, S_FLUSH = 5'd19,
                     S_DONE = 5'd20, S_RS_CMD = 5'd21, S_RS = 5'd22;

    // ---------------------------------------------------------------- control state
    reg [4:0]  state_reg, state_next;
    reg [31:0] status_reg, status_next;
    reg        loaded_reg, loaded_next;
    reg        bank_reg, bank_next;          // spike bank read this tick (previous spikes + inputs)
    reg [63:0] net_reg, net_next, inp_reg, inp_next, outp_reg, outp_next, sta_reg, sta_next;
    reg [31:0] ticks_reg, ticks_next, flags_reg, flags_next;
    reg [31:0] cnt_reg, cnt_next;            // word counter (loading) / tick counter
    reg [31:0] idx_reg, idx_next;            // generic index
    // network header
    reg [31:0] hdr_reg [0:15];
    reg [31:0] n_reg, nin_reg, nnz_reg, theta_reg, vrest_reg, vreset_reg;
    reg [4:0]  ksyn_reg, kmem_reg;
    reg [15:0] tref_reg;
    reg        mode_reg;
    reg [31:0] wn_reg, wi_reg;               // spike words per tick: outputs, inputs

    // ---------------------------------------------------------------- memories
    reg            rp_we;   reg [NA-1:0] rp_wa;   reg [31:0] rp_wd;   reg rp_re;   reg [NA-1:0] rp_ra;
    wire [31:0]    rp_q;
    reg            syn_we;  reg [SA-1:0] syn_wa;  reg [31:0] syn_wd;  reg syn_re;  reg [SA-1:0] syn_ra;
    wire [31:0]    syn_q;
    reg            st_we_i, st_we_v, st_we_r;      // one per state RAM: RESTORE writes them one at a time
    reg  [NA-1:0]  st_wa;   reg [31:0] st_wi, st_wv; reg [15:0] st_wr;
    reg            b_we;    reg [NA-1:0] b_wa;    reg [31:0] b_wd;
    reg            st_re;   reg [NA-1:0] st_ra;
    wire [31:0]    i_q, v_q, b_q;
    wire [15:0]    ref_q;
    reg            spk_we;  reg [BA:0] spk_wa;    reg [31:0] spk_wd;  reg spk_re;  reg [BA:0] spk_ra;
    wire [31:0]    spk_q;

    ram_sdp #(.WIDTH(32), .DEPTH(MAX_N + 4))  u_rp  (.clk(clk), .we(rp_we), .waddr(rp_wa), .wdata(rp_wd),
        .re(rp_re), .raddr(rp_ra), .rdata(rp_q));
    ram_sdp #(.WIDTH(32), .DEPTH(MAX_NNZ))    u_syn (.clk(clk), .we(syn_we), .waddr(syn_wa), .wdata(syn_wd),
        .re(syn_re), .raddr(syn_ra), .rdata(syn_q));
    ram_sdp #(.WIDTH(32), .DEPTH(MAX_N + 4))  u_b   (.clk(clk), .we(b_we), .waddr(b_wa), .wdata(b_wd),
        .re(st_re), .raddr(st_ra), .rdata(b_q));
    ram_sdp #(.WIDTH(32), .DEPTH(MAX_N + 4))  u_i   (.clk(clk), .we(st_we_i), .waddr(st_wa), .wdata(st_wi),
        .re(st_re), .raddr(st_ra), .rdata(i_q));
    ram_sdp #(.WIDTH(32), .DEPTH(MAX_N + 4))  u_v   (.clk(clk), .we(st_we_v), .waddr(st_wa), .wdata(st_wv),
        .re(st_re), .raddr(st_ra), .rdata(v_q));
    ram_sdp #(.WIDTH(16), .DEPTH(MAX_N + 4))  u_ref (.clk(clk), .we(st_we_r), .waddr(st_wa), .wdata(st_wr),
        .re(st_re), .raddr(st_ra), .rdata(ref_q));
    ram_sdp #(.WIDTH(32), .DEPTH(2 << BA))    u_spk (.clk(clk), .we(spk_we), .waddr(spk_wa), .wdata(spk_wd),
        .re(spk_re), .raddr(spk_ra), .rdata(spk_q));

    // ---------------------------------------------------------------- output FIFO
    reg         fifo_push;
    reg  [31:0] fifo_din;
    wire        fifo_in_ready;
    sync_fifo #(.WIDTH(32), .DEPTH(FDEPTH)) u_fifo (.clk(clk), .rst(rst), .in_valid(fifo_push),
        .in_ready(fifo_in_ready), .in_data(fifo_din), .out_valid(wr_valid), .out_ready(wr_ready),
        .out_data(wr_data));

    // ---------------------------------------------------------------- pipeline registers
    // S0: issue
    reg [NA-1:0] iss_i_reg, iss_i_next;      // row being issued
    reg [31:0]   p_reg, p_next, end_reg, end_next;
    reg          iss_on_reg, iss_on_next;
    // S1
    reg          v1_reg, e1_reg, l1_reg;   reg [NA-1:0] i1_reg;
    // S2
    reg          v2_reg, e2_reg, l2_reg;   reg [NA-1:0] i2_reg;   reg [15:0] w2_reg; reg [4:0] bit2_reg;
    reg [31:0]   ii2_reg, vv2_reg, bb2_reg; reg [15:0] rr2_reg;
    reg signed [47:0] acc_reg;
    // S3
    reg          v3_reg; reg [NA-1:0] i3_reg; reg signed [47:0] in3_reg;
    reg [31:0]   ii3_reg, vv3_reg, bb3_reg; reg [15:0] rr3_reg;
    // S4
    reg          v4_reg; reg [NA-1:0] i4_reg; reg signed [47:0] in4_reg;
    reg signed [32:0] idec4_reg, vd4_reg; reg [31:0] vv4_reg, bb4_reg; reg [15:0] rr4_reg;
    // S5
    reg          v5_reg; reg [NA-1:0] i5_reg; reg signed [31:0] inew5_reg; reg signed [34:0] vt5_reg;
    reg [31:0]   bb5_reg; reg [15:0] rr5_reg;
    // S6
    reg          v6_reg; reg [NA-1:0] i6_reg; reg signed [31:0] inew6_reg, vn6_reg; reg [15:0] rr6_reg;
    // S7 (write-back)
    reg          v7_reg; reg [NA-1:0] i7_reg; reg [31:0] inew7_reg, vf7_reg; reg [15:0] rf7_reg; reg s7_reg;
    reg [31:0]   pack_reg, pack_next;

    function signed [31:0] sat32;
        input signed [49:0] x;
        begin
            if (x > 50'sd2147483647) sat32 = 32'sh7FFFFFFF;
            else if (x < -50'sd2147483648) sat32 = 32'sh80000000;
            else sat32 = x[31:0];
        end
    endfunction

    // ---------------------------------------------------------------- datapath (pipeline, free running)
    wire [15:0] col1 = syn_q[31:16];
    wire        rec1 = {16'd0, col1} < n_reg;
    wire [15:0] icol1 = col1 - n_reg[15:0];
    // spike word of the column within the bank: previous spikes at 0..WN-1, inputs at WN..WN+WI-1
    // lint waiver: word1 < WN + WI <= 2^BA, the bits above BA-1 are zero
    /* verilator lint_off UNUSEDSIGNAL */
    wire [31:0]   word1 = rec1 ? {21'd0, col1[15:5]} : WN + {21'd0, icol1[15:5]};
    /* verilator lint_on UNUSEDSIGNAL */
    wire [BA-1:0] off1 = word1[BA-1:0];
    wire [4:0]  bitsel1 = rec1 ? col1[4:0] : icol1[4:0];
    wire        spike2 = spk_q[bit2_reg];
    wire signed [47:0] add2 = (!e2_reg && spike2) ? {{32{w2_reg[15]}}, w2_reg} : 48'sd0;
    wire signed [47:0] sum2 = acc_reg + add2;
    // S6 combinational threshold / reset
    wire        fire6   = (rr6_reg == 16'd0) && (vn6_reg >= $signed(theta_reg));
    wire signed [32:0] vsub6 = {vn6_reg[31], vn6_reg} - {theta_reg[31], theta_reg};
    wire [31:0] vsat6   = sat32({{17{vsub6[32]}}, vsub6});
    wire [31:0] vf6     = (rr6_reg != 16'd0) ? vreset_reg : (fire6 ? (mode_reg ? vreset_reg : vsat6) : vn6_reg);
    wire [15:0] rf6     = (rr6_reg != 16'd0) ? rr6_reg - 16'd1 : (fire6 ? tref_reg : 16'd0);

    always @(posedge clk) begin
        // S1
        v1_reg <= iss_on_reg && state_reg == S_RUN;
        i1_reg <= iss_i_reg;
        e1_reg <= p_reg == end_reg;
        l1_reg <= (p_reg == end_reg) || (p_reg + 32'd1 == end_reg);
        // S2
        v2_reg <= v1_reg; e2_reg <= e1_reg; l2_reg <= l1_reg; i2_reg <= i1_reg;
        w2_reg <= syn_q[15:0]; bit2_reg <= bitsel1;
        if (v1_reg && l1_reg) begin ii2_reg <= i_q; vv2_reg <= v_q; bb2_reg <= b_q; rr2_reg <= ref_q; end
        // accumulate
        if (rst) acc_reg <= 48'sd0;
        else if (v2_reg) acc_reg <= l2_reg ? 48'sd0 : sum2;
        // S3
        v3_reg <= v2_reg && l2_reg; i3_reg <= i2_reg; in3_reg <= sum2;
        ii3_reg <= ii2_reg; vv3_reg <= vv2_reg; bb3_reg <= bb2_reg; rr3_reg <= rr2_reg;
        // S4: I - (I >> k_syn), V - V_rest
        v4_reg <= v3_reg; i4_reg <= i3_reg; in4_reg <= in3_reg;
        idec4_reg <= $signed({ii3_reg[31], ii3_reg}) - ($signed({ii3_reg[31], ii3_reg}) >>> ksyn_reg);
        vd4_reg   <= $signed({vv3_reg[31], vv3_reg}) - $signed({vrest_reg[31], vrest_reg});
        vv4_reg <= vv3_reg; bb4_reg <= bb3_reg; rr4_reg <= rr3_reg;
        // S5: I' = sat32(.. + in), V - ((V - V_rest) >> k_mem)
        v5_reg <= v4_reg; i5_reg <= i4_reg;
        inew5_reg <= sat32({{17{idec4_reg[32]}}, idec4_reg} + {{2{in4_reg[47]}}, in4_reg});
        vt5_reg   <= $signed({{3{vv4_reg[31]}}, vv4_reg}) - $signed({{2{vd4_reg[32]}}, (vd4_reg >>> kmem_reg)});
        bb5_reg <= bb4_reg; rr5_reg <= rr4_reg;
        // S6: V' = sat32(.. + I' + b)
        v6_reg <= v5_reg; i6_reg <= i5_reg; inew6_reg <= inew5_reg; rr6_reg <= rr5_reg;
        vn6_reg <= sat32({{15{vt5_reg[34]}}, vt5_reg} + {{18{inew5_reg[31]}}, inew5_reg}
                         + {{18{bb5_reg[31]}}, bb5_reg});
        // S7: threshold, refractory, reset
        v7_reg <= v6_reg; i7_reg <= i6_reg; inew7_reg <= inew6_reg; vf7_reg <= vf6; rf7_reg <= rf6;
        s7_reg <= fire6;
        if (rst) begin v1_reg <= 1'b0; v2_reg <= 1'b0; v3_reg <= 1'b0; v4_reg <= 1'b0; v5_reg <= 1'b0;
                       v6_reg <= 1'b0; v7_reg <= 1'b0; end
    end

    // i7 as bit i7x[4:0] of spike word i7x[BA+4:5] (BA + 5 >= NA: 32 (WN + WI) > MAX_N + 4; the word offset
    // within a bank has BA bits, which can be more than the NA - 5 word bits of the neuron index, e.g. MAX_N 100,
    // MAX_IN 256: 4 and 2)
    wire [BA+4:0] i7x     = {{(BA + 5 - NA){1'b0}}, i7_reg};
    wire [31:0]   packed7 = pack_reg | ({31'd0, s7_reg} << i7x[4:0]);
    wire          word7   = v7_reg && (i7x[4:0] == 5'd31 || {{(32-NA){1'b0}}, i7_reg} == n_reg - 32'd1);

    // ---------------------------------------------------------------- control FSM
    assign done     = state_reg == S_DONE;
    assign idle     = state_reg == S_IDLE;
    assign status   = status_reg;
    assign rd_ready = state_reg == S_HDR || state_reg == S_BODY || state_reg == S_IN || state_reg == S_RS;

    wire [31:0] body_len = n_reg + 32'd1 + nnz_reg + n_reg;
    wire [31:0] st_len   = 32'd3 * n_reg + wn_reg;     // words of the state buffer
    wire        rd_fire  = rd_valid && rd_ready;

    integer h;
    always @* begin
        state_next  = state_reg;  status_next = status_reg; loaded_next = loaded_reg; bank_next = bank_reg;
        net_next = net_reg; inp_next = inp_reg; outp_next = outp_reg; sta_next = sta_reg; ticks_next = ticks_reg;
        flags_next = flags_reg; cnt_next = cnt_reg; idx_next = idx_reg;
        iss_i_next = iss_i_reg; p_next = p_reg; end_next = end_reg; iss_on_next = iss_on_reg;
        pack_next = pack_reg;
        rd_cmd_valid = 1'b0; rd_cmd_addr = 64'd0; rd_cmd_len = 32'd0;
        wr_cmd_valid = 1'b0; wr_cmd_addr = 64'd0; wr_cmd_len = 32'd0;
        rp_we = 1'b0;  rp_wa = idx_reg[NA-1:0];  rp_wd = rd_data;  rp_re = 1'b0; rp_ra = {NA{1'b0}};
        syn_we = 1'b0; syn_wa = idx_reg[SA-1:0]; syn_wd = rd_data; syn_re = 1'b0; syn_ra = p_reg[SA-1:0];
        b_we = 1'b0;   b_wa = idx_reg[NA-1:0];   b_wd = rd_data;
        st_we_i = 1'b0; st_we_v = 1'b0; st_we_r = 1'b0;
        st_wa = i7_reg; st_wi = inew7_reg; st_wv = vf7_reg; st_wr = rf7_reg;
        st_re = 1'b0;  st_ra = iss_i_reg;
        spk_we = 1'b0; spk_wa = {~bank_reg, i7x[BA+4:5]}; spk_wd = packed7;
        spk_re = v1_reg; spk_ra = {bank_reg, off1};
        fifo_push = 1'b0; fifo_din = packed7;

        // write-back of the pipeline (S7)
        if (v7_reg) begin
            st_we_i = 1'b1; st_we_v = 1'b1; st_we_r = 1'b1;
            pack_next = word7 ? 32'd0 : packed7;
            if (word7) begin
                spk_we = 1'b1;
                fifo_push = 1'b1;
            end
           
        end

        case (state_reg)
            S_IDLE: if (start) begin
                net_next = net_addr; inp_next = in_addr; outp_next = out_addr; sta_next = st_addr;
                ticks_next = n_ticks; flags_next = flags;
                status_next = 32'd0;
                if (flags[0]) state_next = S_HDR_CMD;
                else if (!loaded_reg) begin status_next = 32'd3; state_next = S_DONE; end
                else state_next = flags[1] ? S_RESET : flags[3] ? S_RS_CMD : S_TICK;
                idx_next = 32'd0; cnt_next = 32'd0;
            end
            S_HDR_CMD: begin
                rd_cmd_valid = 1'b1; rd_cmd_addr = net_reg; rd_cmd_len = 32'd16;
                if (rd_cmd_ready) begin state_next = S_HDR; idx_next = 32'd0; end
            end
            S_HDR: if (rd_fire) begin
                idx_next = idx_reg + 32'd1;
                if (idx_reg == 32'd15) state_next = S_CHECK;
            end
            S_CHECK: begin
                loaded_next = 1'b0;
                if (hdr_reg[0] != MAGIC) begin status_next = 32'd1; state_next = S_DONE; end
                else if (hdr_reg[1] == 32'd0 || hdr_reg[1] > MAX_N || hdr_reg[2] > MAX_IN
                         || hdr_reg[3] > MAX_NNZ || hdr_reg[4] > 31 || hdr_reg[5] > 31
                         || hdr_reg[9] > 65535 || hdr_reg[10] > 1) begin
                    status_next = 32'd2; state_next = S_DONE;
                end else state_next = S_BODY_CMD;
            end
            S_BODY_CMD: begin
                rd_cmd_valid = 1'b1; rd_cmd_addr = net_reg + 64'd64; rd_cmd_len = body_len;
                if (rd_cmd_ready) begin state_next = S_BODY; idx_next = 32'd0; end
            end
            S_BODY: if (rd_fire) begin
                // words 0..N: row_ptr, N+1..N+nnz: synapses, then N biases
                if (idx_reg <= n_reg) begin rp_we = 1'b1; rp_wa = idx_reg[NA-1:0]; end
                else if (idx_reg <= n_reg + nnz_reg) begin
                    syn_we = 1'b1; syn_wa = idx_reg[SA-1:0] - n_reg[SA-1:0] - 1'b1;
                end else begin
                    b_we = 1'b1; b_wa = idx_reg[NA-1:0] - n_reg[NA-1:0] - nnz_reg[NA-1:0] - 1'b1;
                end
                idx_next = idx_reg + 32'd1;
                if (idx_reg == body_len - 32'd1) begin
                    loaded_next = 1'b1;
                    state_next = flags_reg[1] ? S_RESET : flags_reg[3] ? S_RS_CMD : S_TICK;
                    idx_next = 32'd0;
                end
            end
            S_RESET: begin
                st_we_i = 1'b1; st_we_v = 1'b1; st_we_r = 1'b1;
                st_wa = idx_reg[NA-1:0]; st_wi = 32'd0; st_wv = vrest_reg; st_wr = 16'd0;
                if (idx_reg < wn_reg) begin
                    spk_we = 1'b1; spk_wa = {bank_reg, idx_reg[BA-1:0]}; spk_wd = 32'd0;
                end
                idx_next = idx_reg + 32'd1;
                if (idx_reg == n_reg - 32'd1) begin
                    state_next = flags_reg[3] ? S_RS_CMD : S_TICK; idx_next = 32'd0;
                end
            end
            // RESTORE: V, I, ref into their RAMs one word at a time, then the spike words of the bank the next
            // tick reads
            S_RS_CMD: begin
                rd_cmd_valid = 1'b1; rd_cmd_addr = sta_reg; rd_cmd_len = st_len;
                if (rd_cmd_ready) begin state_next = S_RS; idx_next = 32'd0; end
            end
            S_RS: if (rd_fire) begin
                st_wv = rd_data; st_wi = rd_data; st_wr = rd_data[15:0];
                if (idx_reg < n_reg) begin
                    st_we_v = 1'b1; st_wa = idx_reg[NA-1:0];
                end else if (idx_reg < 2 * n_reg) begin
                    st_we_i = 1'b1; st_wa = idx_reg[NA-1:0] - n_reg[NA-1:0];
                end else if (idx_reg < 3 * n_reg) begin
                    st_we_r = 1'b1; st_wa = idx_reg[NA-1:0] - n_reg[NA-1:0] - n_reg[NA-1:0];
                end else begin
                    spk_we = 1'b1; spk_wa = {bank_reg, idx_reg[BA-1:0] - n_reg[BA-1:0] - n_reg[BA-1:0] - n_reg[BA-1:0]};
                    spk_wd = rd_data;
                end
                idx_next = idx_reg + 32'd1;
                if (idx_reg == st_len - 32'd1) begin state_next = S_TICK; idx_next = 32'd0; end
            end
            S_TICK: begin
                if (cnt_reg == ticks_reg) state_next = flags_reg[2] ? S_ST_CMD : S_FLUSH;
                else state_next = (nin_reg != 0) ? S_IN_CMD : S_OUT_CMD;
                idx_next = 32'd0;
            end
            S_IN_CMD: begin
                rd_cmd_valid = 1'b1; rd_cmd_addr = inp_reg; rd_cmd_len = wi_reg;
                if (rd_cmd_ready) begin state_next = S_IN; inp_next = inp_reg + {30'd0, wi_reg, 2'b00}; end
            end
            S_IN: if (rd_fire) begin
                spk_we = 1'b1; spk_wa = {bank_reg, WN[BA-1:0] + idx_reg[BA-1:0]}; spk_wd = rd_data;
                idx_next = idx_reg + 32'd1;
                if (idx_reg == wi_reg - 32'd1) state_next = S_OUT_CMD;
            end
            S_OUT_CMD: begin
                wr_cmd_valid = 1'b1; wr_cmd_addr = outp_reg; wr_cmd_len = wn_reg;
                if (wr_cmd_ready) begin
                    state_next = S_PREP0; outp_next = outp_reg + {30'd0, wn_reg, 2'b00};
                end
            end
            S_PREP0: begin rp_re = 1'b1; rp_ra = {NA{1'b0}}; state_next = S_PREP1; end
            S_PREP1: begin
                p_next = rp_q; rp_re = 1'b1; rp_ra = {{(NA-1){1'b0}}, 1'b1}; state_next = S_PREP2;
            end
            S_PREP2: begin
                end_next = rp_q; rp_re = 1'b1; rp_ra = 2; state_next = S_RUN;
                iss_i_next = {NA{1'b0}}; iss_on_next = 1'b1; pack_next = 32'd0;
            end
            S_RUN: begin
                // issue one token of row iss_i: synapse p (or an empty-row token)
                syn_re = p_reg != end_reg;
                syn_ra = p_reg[SA-1:0];
                if (p_reg != end_reg) p_next = p_reg + 32'd1;
                if (p_reg == end_reg || p_reg + 32'd1 == end_reg) begin
                    st_re = 1'b1; st_ra = iss_i_reg;
                    iss_i_next = iss_i_reg + 1'b1;
                    end_next = rp_q;
                    rp_re = 1'b1; rp_ra = iss_i_reg + 3;
                    if ({{(32-NA){1'b0}}, iss_i_reg} == n_reg - 32'd1) begin
                        iss_on_next = 1'b0; state_next = S_DRAIN;
                    end
                end
            end
            S_DRAIN: if (v7_reg && {{(32-NA){1'b0}}, i7_reg} == n_reg - 32'd1) begin
                bank_next = ~bank_reg;
                cnt_next = cnt_reg + 32'd1;
                state_next = S_TICK;
            end
            // SAVE: V, I, ref, then the spike words the next tick would read, one word per two cycles
            S_ST_CMD: begin
                wr_cmd_valid = 1'b1; wr_cmd_addr = sta_reg; wr_cmd_len = st_len;
                if (wr_cmd_ready) begin state_next = S_ST_RD; idx_next = 32'd0; end
            end
            S_ST_RD: if (fifo_in_ready) begin
                st_re = 1'b1; st_ra = (idx_reg < n_reg) ? idx_reg[NA-1:0]
                                     : (idx_reg < 2 * n_reg) ? idx_reg[NA-1:0] - n_reg[NA-1:0]
                                     : idx_reg[NA-1:0] - n_reg[NA-1:0] - n_reg[NA-1:0];
                spk_re = 1'b1;
                spk_ra = {bank_reg, idx_reg[BA-1:0] - n_reg[BA-1:0] - n_reg[BA-1:0] - n_reg[BA-1:0]};
                state_next = S_ST_PUSH;
            end
            S_ST_PUSH: begin
                fifo_push = 1'b1;
                fifo_din = (idx_reg < n_reg) ? v_q : (idx_reg < 2 * n_reg) ? i_q
                         : (idx_reg < 3 * n_reg) ? {16'd0, ref_q} : spk_q;
                idx_next = idx_reg + 32'd1;
                state_next = (idx_reg == st_len - 32'd1) ? S_FLUSH : S_ST_RD;
            end
            S_FLUSH: if (wr_idle && !wr_valid) state_next = S_DONE;
            S_DONE: state_next = S_IDLE;
            default: state_next = S_IDLE;
        endcase
    end

    always @(posedge clk) begin
        if (state_reg == S_HDR && rd_fire) begin
            for (h = 0; h < 16; h = h + 1) if (idx_reg[3:0] == h[3:0]) hdr_reg[h] <= rd_data;
        end
        if (state_reg == S_CHECK) begin
            n_reg <= hdr_reg[1]; nin_reg <= hdr_reg[2]; nnz_reg <= hdr_reg[3];
            ksyn_reg <= hdr_reg[4][4:0]; kmem_reg <= hdr_reg[5][4:0];
            theta_reg <= hdr_reg[6]; vrest_reg <= hdr_reg[7]; vreset_reg <= hdr_reg[8];
            tref_reg <= hdr_reg[9][15:0]; mode_reg <= hdr_reg[10][0];
            wn_reg <= (hdr_reg[1] + 32'd31) >> 5; wi_reg <= (hdr_reg[2] + 32'd31) >> 5;
        end
        if (rst) begin
            state_reg <= S_IDLE; status_reg <= 32'd0; loaded_reg <= 1'b0; bank_reg <= 1'b0;
            iss_on_reg <= 1'b0;
        end else begin
            state_reg <= state_next; status_reg <= status_next; loaded_reg <= loaded_next;
            bank_reg <= bank_next; iss_on_reg <= iss_on_next;
        end
        net_reg <= net_next; inp_reg <= inp_next; outp_reg <= outp_next; sta_reg <= sta_next; ticks_reg <= ticks_next;
        flags_reg <= flags_next; cnt_reg <= cnt_next; idx_reg <= idx_next;
        iss_i_reg <= iss_i_next; p_reg <= p_next; end_reg <= end_next; pack_reg <= pack_next;
    end
endmodule
