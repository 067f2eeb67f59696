`default_nettype none
// Simple dual-port RAM: one synchronous write port, one synchronous read port (one cycle of latency).
// Maps onto BRAM/URAM (or LUTRAM when small). A read of the address written in the same cycle returns the old word.
module ram_sdp #(
    parameter integer WIDTH = 32,    // word width (bits)
    parameter integer DEPTH = 1024,  // words
    parameter integer LUTRAM = 0     // 1: ask synthesis for distributed (LUT) RAM, for shallow wide memories
) (
    input  wire                     clk,
    input  wire                     we,
    input  wire [$clog2(DEPTH)-1:0] waddr,
    input  wire [WIDTH-1:0]         wdata,
    input  wire                     re,
    input  wire [$clog2(DEPTH)-1:0] raddr,
    output reg  [WIDTH-1:0]         rdata
);
    initial begin
        if (WIDTH < 1 || DEPTH < 2) begin
            $display("ram_sdp: illegal WIDTH=%0d DEPTH=%0d", WIDTH, DEPTH);
            $finish;
        end
    end
    // stops elaboration in every tool (simulators, Yosys, Vivado): the module below does not exist
    generate
        if (WIDTH < 1 || DEPTH < 2) begin : g_illegal_parameters
            illegal_parameter_combination u_stop ();
        end
    endgenerate
    generate
        if (LUTRAM != 0) begin : g_lutram
            (* ram_style = "distributed" *) reg [WIDTH-1:0] mem [0:DEPTH-1];
            always @(posedge clk) begin
                if (we) mem[waddr] <= wdata;
                if (re) rdata <= mem[raddr];
            end
        end else begin : g_bram
            reg [WIDTH-1:0] mem [0:DEPTH-1];
            always @(posedge clk) begin
                if (we) mem[waddr] <= wdata;
                if (re) rdata <= mem[raddr];
            end
        end
    endgenerate
endmodule
