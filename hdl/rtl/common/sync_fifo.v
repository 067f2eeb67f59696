`default_nettype none
// Synchronous FIFO with first-word fall-through output (LUTRAM storage).
module sync_fifo #(
    parameter integer WIDTH = 32,   // word width (bits)
    parameter integer DEPTH = 16    // capacity (words, power of two, >= 2)
) (
    input  wire             clk,
    input  wire             rst,
    input  wire             in_valid,
    output wire             in_ready,
    input  wire [WIDTH-1:0] in_data,
    output wire             out_valid,
    input  wire             out_ready,
    output wire [WIDTH-1:0] out_data
);
    localparam integer AW = $clog2(DEPTH);
    initial begin
        if (DEPTH < 2 || (1 << AW) != DEPTH) begin
            $display("sync_fifo: DEPTH=%0d must be a power of two >= 2", DEPTH);
            $finish;
        end
    end
    // stops elaboration in every tool (simulators, Yosys, Vivado): the module below does not exist
    generate
        if (DEPTH < 2 || (1 << AW) != DEPTH) begin : g_illegal_parameters
            illegal_parameter_combination u_stop ();
        end
    endgenerate
    reg [WIDTH-1:0] mem [0:DEPTH-1];
    reg [AW:0] wp_reg, rp_reg;
    wire [AW:0] count = wp_reg - rp_reg;   // words held, 0..DEPTH
    wire push = in_valid && in_ready;
    wire pop  = out_valid && out_ready;
    assign in_ready  = !count[AW];          // count == DEPTH = 2^AW
    assign out_valid = count != 0;
    assign out_data  = mem[rp_reg[AW-1:0]];
    always @(posedge clk) begin
        if (push) mem[wp_reg[AW-1:0]] <= in_data;
        if (rst) begin
            wp_reg <= 0;
            rp_reg <= 0;
        end else begin
            if (push) wp_reg <= wp_reg + 1'b1;
            if (pop)  rp_reg <= rp_reg + 1'b1;
        end
    end
endmodule
