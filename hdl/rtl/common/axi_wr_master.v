`default_nettype none
// AXI4 write master: writes LEN consecutive DATA_W-bit words from the input stream to byte address ADDR
// as INCR bursts (at most MAX_BEATS beats, never across a 4 KiB boundary, one burst in flight; the next
// burst is issued after the previous response). idle is high once every response has arrived.
module axi_wr_master #(
    parameter integer ADDR_W    = 64,   // AXI address width (bits)
    parameter integer DATA_W    = 32,   // AXI data width (bits, 32..512, power of two)
    parameter integer MAX_BEATS = 64    // longest burst (beats, 1..256)
) (
    input  wire              clk,
    input  wire              rst,
    input  wire              cmd_valid,
    output wire              cmd_ready,
    input  wire [ADDR_W-1:0] cmd_addr,
    input  wire [31:0]       cmd_len,
    input  wire              in_valid,
    output wire              in_ready,
    input  wire [DATA_W-1:0] in_data,
    output wire              idle,
    // AXI4 write channels
    output wire [ADDR_W-1:0] awaddr,
    output wire [7:0]        awlen,
    output wire [2:0]        awsize,
    output wire [1:0]        awburst,
    output wire              awvalid,
    input  wire              awready,
    output wire [DATA_W-1:0] wdata,
    output wire [DATA_W/8-1:0] wstrb,
    output wire              wlast,
    output wire              wvalid,
    input  wire              wready,
    // lint waiver: bresp is checked by the kernel top (an error response is latched into status 7)
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [1:0]        bresp,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire              bvalid,
    output wire              bready
);
    localparam integer BYTES = DATA_W / 8;
    localparam integer LG_BYTES = $clog2(BYTES);
    localparam integer PAGE_BEATS = 4096 / BYTES;

    initial begin
        if (DATA_W < 32 || DATA_W > 512 || (DATA_W & (DATA_W - 1)) != 0 || MAX_BEATS < 1 || MAX_BEATS > 256) begin
            $display("axi_wr_master: illegal DATA_W=%0d MAX_BEATS=%0d", DATA_W, MAX_BEATS);
            $finish;
        end
    end
    // stops elaboration in every tool (simulators, Yosys, Vivado): the module below does not exist
    generate
        if (DATA_W < 32 || DATA_W > 512 || (DATA_W & (DATA_W - 1)) != 0 || MAX_BEATS < 1 || MAX_BEATS > 256) begin : g_illegal_parameters
            illegal_parameter_combination u_stop ();
        end
    endgenerate

    reg [ADDR_W-1:0] addr_reg, addr_next;
    reg [31:0]       left_reg, left_next;     // words not yet put into a burst
    reg              aw_reg, aw_next;
    reg [8:0]        beats_reg, beats_next;
    reg [8:0]        tx_reg, tx_next;         // W beats still to send in this burst
    reg              busy_reg, busy_next;     // burst in flight (until B)

    wire [31:0] to_page = PAGE_BEATS - (({20'd0, addr_reg[11:0]} >> LG_BYTES) & (PAGE_BEATS - 1));
    wire [31:0] cap     = (to_page < MAX_BEATS) ? to_page : MAX_BEATS;
    wire [31:0] nbeats  = (left_reg < cap) ? left_reg : cap;

    assign cmd_ready = !busy_reg && left_reg == 0;
    assign idle      = cmd_ready;
    assign awaddr    = addr_reg;
    assign awlen     = beats_reg[7:0] - 8'd1;
    assign awsize    = LG_BYTES[2:0];
    assign awburst   = 2'b01;
    assign awvalid   = aw_reg;
    assign wdata     = in_data;
    assign wstrb     = {BYTES{1'b1}};
    assign wlast     = tx_reg == 9'd1;
    assign wvalid    = in_valid && tx_reg != 9'd0;
    assign in_ready  = wready && tx_reg != 9'd0;
    assign bready    = busy_reg && !aw_reg && tx_reg == 9'd0;

    always @* begin
        addr_next  = addr_reg;
        left_next  = left_reg;
        aw_next    = aw_reg;
        beats_next = beats_reg;
        tx_next    = tx_reg;
        busy_next  = busy_reg;
        if (cmd_valid && cmd_ready) begin
            addr_next = cmd_addr;
            left_next = cmd_len;
        end else if (!busy_reg && left_reg != 0) begin
            busy_next  = 1'b1;
            aw_next    = 1'b1;
            beats_next = nbeats[8:0];
            tx_next    = nbeats[8:0];
            left_next  = left_reg - nbeats;
        end
        if (aw_reg && awready) begin
            aw_next   = 1'b0;
            addr_next = addr_reg + ({{(ADDR_W-9){1'b0}}, beats_reg} << LG_BYTES);
        end
        if (wvalid && wready) tx_next = tx_reg - 9'd1;
        if (bvalid && bready) busy_next = 1'b0;
    end

    always @(posedge clk) begin
        if (rst) begin
            left_reg <= 32'd0;
            aw_reg   <= 1'b0;
            busy_reg <= 1'b0;
            tx_reg   <= 9'd0;
        end else begin
            left_reg <= left_next;
            aw_reg   <= aw_next;
            busy_reg <= busy_next;
            tx_reg   <= tx_next;
        end
        addr_reg  <= addr_next;
        beats_reg <= beats_next;
    end
endmodule
