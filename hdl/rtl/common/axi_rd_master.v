`default_nettype none
// AXI4 read master: reads LEN consecutive DATA_W-bit words from byte address ADDR as INCR bursts
// (at most MAX_BEATS beats, never across a 4 KiB boundary, one burst in flight) and streams them out.
// R is passed through to the stream, so every RVALID/RREADY stall pattern is honoured.
module axi_rd_master #(
    parameter integer ADDR_W    = 64,   // AXI address width (bits)
    parameter integer DATA_W    = 32,   // AXI data width (bits, 32..512, power of two)
    parameter integer MAX_BEATS = 64    // longest burst (beats, 1..256)
) (
    input  wire              clk,
    input  wire              rst,
    // command: read len words starting at addr (addr aligned to DATA_W/8)
    input  wire              cmd_valid,
    output wire              cmd_ready,
    input  wire [ADDR_W-1:0] cmd_addr,
    input  wire [31:0]       cmd_len,
    // data out
    output wire              out_valid,
    input  wire              out_ready,
    output wire [DATA_W-1:0] out_data,
    // AXI4 read channels
    output wire [ADDR_W-1:0] araddr,
    output wire [7:0]        arlen,
    output wire [2:0]        arsize,
    output wire [1:0]        arburst,
    output wire              arvalid,
    input  wire              arready,
    input  wire [DATA_W-1:0] rdata,
    // lint waiver: rresp is checked by the kernel top (an error response is latched into status 7), and the
    // beats of a burst are counted (rx_reg), so rlast is redundant
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [1:0]        rresp,
    input  wire              rlast,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire              rvalid,
    output wire              rready
);
    localparam integer BYTES = DATA_W / 8;
    localparam integer LG_BYTES = $clog2(BYTES);
    localparam integer PAGE_BEATS = 4096 / BYTES;

    initial begin
        if (DATA_W < 32 || DATA_W > 512 || (DATA_W & (DATA_W - 1)) != 0 || MAX_BEATS < 1 || MAX_BEATS > 256) begin
            $display("axi_rd_master: illegal DATA_W=%0d MAX_BEATS=%0d", DATA_W, MAX_BEATS);
            $finish;
        end
    end
    // stops elaboration in every tool (simulators, Yosys, Vivado): the module below does not exist
    generate
        if (DATA_W < 32 || DATA_W > 512 || (DATA_W & (DATA_W - 1)) != 0 || MAX_BEATS < 1 || MAX_BEATS > 256) begin : g_illegal_parameters
            illegal_parameter_combination u_stop ();
        end
    endgenerate

    reg [ADDR_W-1:0] addr_reg, addr_next;     // next burst address
    reg [31:0]       left_reg, left_next;     // words not yet requested
    reg              ar_reg, ar_next;         // AR valid
    reg [8:0]        beats_reg, beats_next;   // beats of the current burst
    reg [8:0]        rx_reg, rx_next;         // beats still to receive of the current burst
    reg              busy_reg, busy_next;     // a burst is requested or in flight

    // beats of the next burst: min(left, MAX_BEATS, beats to the 4 KiB boundary)
    wire [31:0] to_page = PAGE_BEATS - (({20'd0, addr_reg[11:0]} >> LG_BYTES) & (PAGE_BEATS - 1));
    wire [31:0] cap     = (to_page < MAX_BEATS) ? to_page : MAX_BEATS;
    wire [31:0] nbeats  = (left_reg < cap) ? left_reg : cap;

    assign cmd_ready = !busy_reg && left_reg == 0;   // also: idle, nothing requested or in flight
    assign araddr    = addr_reg;
    assign arlen     = beats_reg[7:0] - 8'd1;
    assign arsize    = LG_BYTES[2:0];
    assign arburst   = 2'b01;
    assign arvalid   = ar_reg;
    assign out_valid = rvalid && busy_reg && !ar_reg;
    assign out_data  = rdata;
    assign rready    = out_ready && busy_reg && !ar_reg;

    always @* begin
        addr_next  = addr_reg;
        left_next  = left_reg;
        ar_next    = ar_reg;
        beats_next = beats_reg;
        rx_next    = rx_reg;
        busy_next  = busy_reg;
        if (cmd_valid && cmd_ready) begin
            addr_next = cmd_addr;
            left_next = cmd_len;
        end else if (!busy_reg && left_reg != 0) begin
            busy_next  = 1'b1;
            ar_next    = 1'b1;
            beats_next = nbeats[8:0];
            rx_next    = nbeats[8:0];
            left_next  = left_reg - nbeats;
        end
        if (ar_reg && arready) begin
            ar_next   = 1'b0;
            addr_next = addr_reg + ({{(ADDR_W-9){1'b0}}, beats_reg} << LG_BYTES);
        end
        if (rvalid && rready) begin
            rx_next = rx_reg - 9'd1;
            if (rx_reg == 9'd1) busy_next = 1'b0;
        end
    end

    always @(posedge clk) begin
        if (rst) begin
            left_reg <= 32'd0;
            ar_reg   <= 1'b0;
            busy_reg <= 1'b0;
        end else begin
            left_reg <= left_next;
            ar_reg   <= ar_next;
            busy_reg <= busy_next;
        end
        addr_reg  <= addr_next;
        beats_reg <= beats_next;
        rx_reg    <= rx_next;
    end
endmodule
