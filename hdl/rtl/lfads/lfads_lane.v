`default_nettype none
// One row lane of the LFADS MAC array (decoders/FIXED_POINT.md sections 3-5): P 16x16 multipliers (DSP48E2),
// a two-stage adder tree, a 48-bit accumulator initialised with the row's int32 bias, requant16 with a
// per-job shift, and the lane's activation table (sigmoid for z/r rows, tanh for n rows).
// Timing from the issue cycle c of a chunk: the weight and bias RAMs are read one cycle earlier (pre_*), so
// weights and the v-bus are at c, products c+1, partial sums c+2, chunk sum c+3, accumulator c+4; the
// requantised result of a job is valid at c_last+5 and, for tag H, the gate (table value at index(ax + ah))
// at c_last+8.
// Tags: 0 M (plain matvec), 1 X (input projection: result kept as ax of thread thr), 2 H (hidden: gate).
module lfads_lane #(
    parameter integer P  = 16,   // columns per cycle (multipliers)
    parameter integer WD = 64,   // weight words (P columns each) per lane
    parameter integer NB = 16    // bias slots per lane
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
    input  wire signed [5:0]       iss_shift,
    // operand vector, aligned at c
    input  wire [16*P-1:0]         vbus,
    // results
    output reg  signed [15:0]      resq,     // valid at c_last+5
    output wire                    resq_v,   // resq holds a new job result (one cycle, c_last+5)
    output reg  signed [15:0]      gate,     // valid at c_last+8 (tag H)
    output reg                     gate_v    // gate holds a new gate (one cycle, c_last+8)
);
    initial begin
        if (P < 4 || (P & (P - 1)) != 0 || P > 32) begin
            $display("lfads_lane: P=%0d must be a power of two in [4, 32]", P);
            $finish;
        end
    end
    // stops elaboration in every tool (simulators, Yosys, Vivado): the module below does not exist
    generate
        if (P < 4 || (P & (P - 1)) != 0 || P > 32) begin : g_illegal_parameters
            illegal_parameter_combination u_stop ();
        end
    endgenerate
    localparam integer G = 4;          // products per first-stage group
    localparam integer NG = P / G;

    wire [16*P-1:0] w_q;
    wire [31:0]     b_q;
    wire [15:0]     l_q;
    ram_sdp #(.WIDTH(16 * P), .DEPTH(WD), .LUTRAM(WD <= 64 ? 1 : 0)) u_w (.clk(clk), .we(w_we), .waddr(w_wa), .wdata(w_wd),
        .re(pre_valid), .raddr(pre_waddr), .rdata(w_q));
    ram_sdp #(.WIDTH(32), .DEPTH(NB), .LUTRAM(1)) u_b (.clk(clk), .we(b_we), .waddr(b_wa), .wdata(b_wd),
        .re(pre_valid && pre_first), .raddr(pre_baddr), .rdata(b_q));

    // control pipeline c+1 .. c+4
    reg        v1, f1, l1, v2, f2, l2, v3, f3, l3, v4, l4;
    reg [1:0]  t1, t2, t3, t4;
    reg        h1, h2, h3, h4;
    reg signed [5:0] s1, s2, s3, s4;
    reg signed [31:0] b1, b2, b3;
    reg signed [31:0] prod [0:P-1];
    reg signed [35:0] part [0:NG-1];
    reg signed [40:0] csum;
    reg signed [47:0] acc;
    integer k, g;
    reg signed [40:0] tmp;
    always @* begin
        tmp = 41'sd0;
        for (g = 0; g < NG; g = g + 1) tmp = tmp + part[g];
    end
    always @(posedge clk) begin
        v1 <= iss_valid; f1 <= iss_first; l1 <= iss_last; t1 <= iss_tag; h1 <= iss_thr; s1 <= iss_shift; b1 <= b_q;
        v2 <= v1; f2 <= f1; l2 <= l1; t2 <= t1; h2 <= h1; s2 <= s1; b2 <= b1;
        v3 <= v2; f3 <= f2; l3 <= l2; t3 <= t2; h3 <= h2; s3 <= s2; b3 <= b2;
        v4 <= v3 && l3; l4 <= l3; t4 <= t3; h4 <= h3; s4 <= s3;
        // c+1: products
        for (k = 0; k < P; k = k + 1)
            prod[k] <= $signed(w_q[16*k +: 16]) * $signed(vbus[16*k +: 16]);
        // c+2: groups of four
        for (g = 0; g < NG; g = g + 1)
            part[g] <= prod[G*g] + prod[G*g+1] + prod[G*g+2] + prod[G*g+3];
        // c+3: chunk sum
        csum <= tmp;
        // c+4: accumulate
        if (v3) acc <= (f3 ? {{16{b3[31]}}, b3} : acc) + {{7{csum[40]}}, csum};
    end

    // c+5: requant16(acc, shift) (FIXED_POINT.md section 1)
    function signed [15:0] requant16;
        input signed [47:0] a;
        input signed [5:0]  s;
        reg signed [63:0] x;
        begin
            if (s > 0) x = ($signed({{16{a[47]}}, a}) + (64'sd1 <<< (s - 1))) >>> s;
            else x = $signed({{16{a[47]}}, a}) <<< (-s);
            if (x > 64'sd32767) requant16 = 16'sh7FFF;
            else if (x < -64'sd32768) requant16 = 16'sh8000;
            else requant16 = x[15:0];
        end
    endfunction

    reg        v5, h5; reg [1:0] t5;
    reg signed [15:0] ax0, ax1;              // input projections of threads 0 and 1
    reg        v7, v8; reg [11:0] idx7;
    assign resq_v = v5;
    always @(posedge clk) begin
        v5 <= v4; t5 <= t4; h5 <= h4;
        if (v4) resq <= requant16(acc, s4);
        if (v5 && t5 == 2'd1) begin
            if (h5) ax1 <= resq; else ax0 <= resq;
        end
        // c+6: LUT index of p = ax + ah (int32 sum of two Q10), FIXED_POINT.md section 4
        v7 <= v5 && t5 == 2'd2;
        idx7 <= lut_index((h5 ? ax1 : ax0) + resq);
        // c+7: table entry (BRAM), c+8: registered
        gate <= l_q;
        v8 <= v7;
        gate_v <= v8;
    end

    function [11:0] lut_index;
        input signed [16:0] p;
        reg signed [17:0] q;
        begin
            q = ($signed({p[16], p}) + 18'sd8192) >>> 2;
            if (q < 0) lut_index = 12'd0;
            else if (q > 18'sd4095) lut_index = 12'd4095;
            else lut_index = q[11:0];
        end
    endfunction

    ram_sdp #(.WIDTH(16), .DEPTH(4096)) u_lut (.clk(clk), .we(l_we), .waddr(l_wa), .wdata(l_wd),
        .re(1'b1), .raddr(idx7), .rdata(l_q));
endmodule
