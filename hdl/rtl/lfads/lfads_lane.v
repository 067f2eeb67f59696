`default_nettype none
// One row lane of the LFADS MAC array (decoders/FIXED_POINT.md sections 3-5): P 16x16 multipliers (DSP48E2),
// a two-stage adder tree whose second stage is also the 48-bit accumulator (initialised with the row's int32
// bias plus the requantisation's rounding constant), requant16 with a per-job shift, and the lane's activation
// table (sigmoid for z/r rows, tanh for n rows) addressed straight from the requantised sum.
// Timing from the issue cycle c of a chunk: the weight and bias RAMs are read one cycle earlier (pre_*), so
// weights and the v-bus are at c, products c+1, group sums (G = min(8, P) products) c+2, accumulator c+3; the
// requantised result of a job is valid at c_last+4 and, for tag H, the gate (table value at index(ax + ah),
// the index computed in front of the table's address register) at c_last+6.
// Tags: 0 M (plain matvec), 1 X (input projection: result kept as ax of thread thr), 2 H (hidden: gate).
// With AXB = 1 every thread has two ax banks selected by iss_axb (X writes, H reads), so the next step's input
// projection can run while the current step still reads its own; with AXB = 0 iss_axb is ignored (one bank).
module lfads_lane #(
    parameter integer P   = 16,  // columns per cycle (multipliers)
    parameter integer WD  = 64,  // weight words (P columns each) per lane
    parameter integer NB  = 16,  // bias slots per lane
    parameter integer AXB = 0    // 1: two ax banks per thread, selected by iss_axb (0: one bank, iss_axb unused)
) (
    input  wire                    clk,
    // loading
    input  wire                    w_we,
    input  wire [$clog2(WD)-1:0]   w_wa,
    input  wire [16*P-1:0]         w_wd,
    input  wire                    b_we,
    input  wire [$clog2(NB)-1:0]   b_wa,
    input  wire [31:0]             b_wd,
    input  wire                    l_we,
    input  wire [11:0]             l_wa,
    input  wire [15:0]             l_wd,
    // weight / bias read for the chunk issued next cycle
    input  wire                    pre_valid,
    input  wire                    pre_first,
    input  wire [$clog2(WD)-1:0]   pre_waddr,
    input  wire [$clog2(NB)-1:0]   pre_baddr,
    // issue (cycle c)
    input  wire                    iss_valid,
    input  wire                    iss_first,
    input  wire                    iss_last,
    input  wire [1:0]              iss_tag,
    input  wire                    iss_thr,
    input  wire                    iss_axb,   // ax bank of the job (AXB = 1 only)
    input  wire signed [5:0]       iss_shift,
    // operand vector, aligned at c
    input  wire [16*P-1:0]         vbus,
    // results
    output reg  signed [15:0]      resq,     // valid at c_last+4
    output wire                    resq_v,   // resq holds a new job result (one cycle, c_last+4)
    output reg  signed [15:0]      gate,     // valid at c_last+6 (tag H)
    output reg                     gate_v    // gate holds a new gate (one cycle, c_last+6)
);
    initial begin
        if (P < 4 || (P & (P - 1)) != 0 || P > 32 || AXB < 0 || AXB > 1) begin
            $display("lfads_lane: P=%0d must be a power of two in [4, 32], AXB=%0d 0 or 1", P, AXB);
            $finish;
        end
    end
    // stops elaboration in every tool (simulators, Yosys, Vivado): the module below does not exist
    generate
        if (P < 4 || (P & (P - 1)) != 0 || P > 32 || AXB < 0 || AXB > 1) begin : g_illegal_parameters
            illegal_parameter_combination u_stop ();
        end
    endgenerate
    localparam integer G = P < 8 ? P : 8;   // products per first-stage group
    localparam integer NG = P / G;          // group sums added into the accumulator

    wire [16*P-1:0] w_q;
    wire [31:0]     b_q;
    wire [15:0]     l_q;
    ram_sdp #(.WIDTH(16 * P), .DEPTH(WD), .LUTRAM(WD <= 64 ? 1 : 0)) u_w (.clk(clk), .we(w_we), .waddr(w_wa), .wdata(w_wd),
        .re(pre_valid), .raddr(pre_waddr), .rdata(w_q));
    ram_sdp #(.WIDTH(32), .DEPTH(NB), .LUTRAM(1)) u_b (.clk(clk), .we(b_we), .waddr(b_wa), .wdata(b_wd),
        .re(pre_valid && pre_first), .raddr(pre_baddr), .rdata(b_q));

    // control pipeline c+1 .. c+4
    reg        v1, f1, l1, v2, f2, l2, r3, v4;
    reg [1:0]  t1, t2, t3, t4;
    reg        h1, h2, h3, h4, x1, x2, x3, x4;
    reg signed [5:0] s1, s2, s3;
    reg signed [48:0] b1, b2;                // bias + rounding constant of requant16
    reg signed [31:0] prod [0:P-1];
    reg signed [34:0] part [0:NG-1];
    reg signed [48:0] acc;
    integer k, g, m;
    reg signed [34:0] gsum [0:NG-1];
    reg signed [48:0] tsum;
    always @* begin
        for (g = 0; g < NG; g = g + 1) begin
            gsum[g] = 35'sd0;
            for (m = 0; m < G; m = m + 1) gsum[g] = gsum[g] + $signed({{3{prod[G*g+m][31]}}, prod[G*g+m]});
        end
        tsum = f2 ? b2 : acc;
        for (g = 0; g < NG; g = g + 1) tsum = tsum + $signed({{14{part[g][34]}}, part[g]});
    end
    // 2^(s-1) for s > 0 (round half up), 0 otherwise: added once, with the bias, instead of after the sum
    function signed [48:0] rnd;
        input signed [5:0] s;
        begin
            rnd = s > 0 ? (49'sd1 <<< (s - 1)) : 49'sd0;
        end
    endfunction
    always @(posedge clk) begin
        v1 <= iss_valid; f1 <= iss_first; l1 <= iss_last; t1 <= iss_tag; h1 <= iss_thr; s1 <= iss_shift;
        x1 <= AXB != 0 && iss_axb;
        b1 <= $signed({{17{b_q[31]}}, b_q}) + rnd(iss_shift);
        v2 <= v1; f2 <= f1; l2 <= l1; t2 <= t1; h2 <= h1; s2 <= s1; x2 <= x1; b2 <= b1;
        r3 <= v2 && l2; t3 <= t2; h3 <= h2; s3 <= s2; x3 <= x2;
        // c+1: products
        for (k = 0; k < P; k = k + 1)
            prod[k] <= $signed(w_q[16*k +: 16]) * $signed(vbus[16*k +: 16]);
        // c+2: groups of G products
        for (g = 0; g < NG; g = g + 1) part[g] <= gsum[g];
        // c+3: accumulate the NG group sums of the chunk (the first chunk starts from bias + rounding)
        if (v2) acc <= tsum;
    end

    // c+4: requant16(acc, shift) (FIXED_POINT.md section 1) with the rounding constant already in acc
    function signed [15:0] requant16;
        input signed [48:0] a;
        input signed [5:0]  s;
        reg signed [63:0] x;
        begin
            if (s > 0) x = $signed({{15{a[48]}}, a}) >>> s;
            else x = $signed({{15{a[48]}}, a}) <<< (-s);
            if (x > 64'sd32767) requant16 = 16'sh7FFF;
            else if (x < -64'sd32768) requant16 = 16'sh8000;
            else requant16 = x[15:0];
        end
    endfunction

    reg signed [17:0] ax8 [0:3];             // input projection + 8192 (the index offset), index {thread, bank}
    reg               v5;
    wire [1:0]        axi4 = {h4, x4};
    wire signed [17:0] resq18 = {{2{resq[15]}}, resq};
    wire signed [17:0] q4 = (ax8[axi4] + resq18) >>> 2;
    wire [11:0]       idx4 = q4 < 0 ? 12'd0 : (q4 > 18'sd4095 ? 12'd4095 : q4[11:0]);
    assign resq_v = v4;
    always @(posedge clk) begin
        v4 <= r3; t4 <= t3; h4 <= h3; x4 <= x3;
        if (r3) resq <= requant16(acc, s3);
        if (v4 && t4 == 2'd1) ax8[axi4] <= resq18 + 18'sd8192;
        // c+5: table entry at index(p) = clamp((p + 8192) >> 2, 0, 4095), p = ax + ah (the int32 sum of two Q10,
        // FIXED_POINT.md section 4): one 18-bit add and a clamp in front of the table's address register; c+6: gate
        v5 <= v4 && t4 == 2'd2;
        gate <= l_q;
        gate_v <= v5;
    end

    ram_sdp #(.WIDTH(16), .DEPTH(4096)) u_lut (.clk(clk), .we(l_we), .waddr(l_wa), .wdata(l_wd),
        .re(1'b1), .raddr(idx4), .rdata(l_q));
endmodule
