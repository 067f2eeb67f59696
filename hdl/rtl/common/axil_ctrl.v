`default_nettype none
// AXI4-Lite control slave of a Vitis RTL kernel (ap_ctrl_hs).
//   0x00 control: bit0 ap_start (RW, cleared by ap_ready), bit1 ap_done (RO, clear on read),
//                 bit2 ap_idle (RO), bit3 ap_ready (RO, clear on read), bit7 auto_restart (RW)
//   0x04 GIE (bit0), 0x08 IER (bit0 done, bit1 ready), 0x0C ISR (toggle on write)
//   argument k: 64-bit register at 0x10 + 12*k (low word), +4 (high word), as Vitis lays them out.
//   status: read-only 32-bit word at 0x10 + 12*N_ARGS (kernel status of the last run).
module axil_ctrl #(
    parameter integer ADDR_W = 12,   // address bits of the control port (bytes, at most 32)
    parameter integer N_ARGS = 5     // number of 64-bit argument registers (count)
) (
    input  wire                 clk,
    input  wire                 rst,
    // AXI4-Lite slave
    input  wire [ADDR_W-1:0]    awaddr,
    input  wire                 awvalid,
    output wire                 awready,
    input  wire [31:0]          wdata,
    input  wire [3:0]           wstrb,
    input  wire                 wvalid,
    output wire                 wready,
    output wire [1:0]           bresp,
    output wire                 bvalid,
    input  wire                 bready,
    // lint waiver: the registers are 32-bit words; the byte offset within a word (araddr[1:0]) is ignored
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [ADDR_W-1:0]    araddr,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire                 arvalid,
    output wire                 arready,
    output wire [31:0]          rdata,
    output wire [1:0]           rresp,
    output wire                 rvalid,
    input  wire                 rready,
    // kernel side
    output wire                 ap_start,
    input  wire                 ap_done,     // one-cycle pulse at the end of a run
    input  wire                 ap_ready,    // one-cycle pulse when the arguments were consumed
    input  wire                 ap_idle,
    input  wire [31:0]          status,
    output wire [N_ARGS*64-1:0] args,
    output wire                 irq          // the kernel's interrupt: gie && isr != 0
);
    initial begin
        if (ADDR_W > 32 || N_ARGS < 1 || (ADDR_W < 31 && 16 + 12 * N_ARGS + 4 > (1 << ADDR_W))) begin
            $display("axil_ctrl: N_ARGS=%0d does not fit ADDR_W=%0d", N_ARGS, ADDR_W);
            $finish;
        end
    end
    // stops elaboration in every tool (simulators, Yosys, Vivado): the module below does not exist
    generate
        if (ADDR_W > 32 || N_ARGS < 1 || (ADDR_W < 31 && 16 + 12 * N_ARGS + 4 > (1 << ADDR_W))) begin : g_illegal_parameters
            illegal_parameter_combination u_stop ();
        end
    endgenerate

    localparam integer ARG_BASE = 16;
    localparam integer STATUS_ADDR = ARG_BASE + 12 * N_ARGS;

    // write channel
    reg                 aw_have_reg, aw_have_next;
    reg [ADDR_W-1:0]    aw_addr_reg, aw_addr_next;
    reg                 w_have_reg, w_have_next;
    reg [31:0]          w_data_reg, w_data_next;
    reg [3:0]           w_strb_reg, w_strb_next;
    reg                 bvalid_reg, bvalid_next;
    // read channel
    reg                 rvalid_reg, rvalid_next;
    reg [31:0]          rdata_reg, rdata_next;
    // registers
    reg                 start_reg, start_next;
    reg                 done_reg, done_next;
    reg                 ready_reg, ready_next;
    reg                 auto_reg, auto_next;
    reg                 gie_reg, gie_next;
    reg [1:0]           ier_reg, ier_next;
    reg [1:0]           isr_reg, isr_next;
    reg [N_ARGS*64-1:0] args_reg, args_next;

    // word addresses of the write and the read, zero-extended to 32 bits for the compares with the offsets
    wire [31:0] aw_word = {{(32 - ADDR_W){1'b0}}, aw_addr_reg[ADDR_W-1:2], 2'b00};
    wire [31:0] ar_word = {{(32 - ADDR_W){1'b0}}, araddr[ADDR_W-1:2], 2'b00};
    wire do_write = aw_have_reg && w_have_reg && !bvalid_reg;
    wire do_read  = arvalid && !rvalid_reg;

    assign awready   = !aw_have_reg;
    assign wready    = !w_have_reg;
    assign bvalid    = bvalid_reg;
    assign bresp     = 2'b00;
    assign arready   = !rvalid_reg;
    assign rvalid    = rvalid_reg;
    assign rdata     = rdata_reg;
    assign rresp     = 2'b00;
    assign ap_start  = start_reg;
    assign args      = args_reg;
    assign irq       = gie_reg && (isr_reg != 2'b00);

    function [31:0] merge;   // byte-enable merge of a write into a 32-bit register
        input [31:0] old;
        input [31:0] data;
        input [3:0]  strb;
        integer b;
        begin
            for (b = 0; b < 4; b = b + 1)
                merge[8*b +: 8] = strb[b] ? data[8*b +: 8] : old[8*b +: 8];
        end
    endfunction

    integer k;
    always @* begin
        aw_have_next = aw_have_reg;
        aw_addr_next = aw_addr_reg;
        w_have_next  = w_have_reg;
        w_data_next  = w_data_reg;
        w_strb_next  = w_strb_reg;
        bvalid_next  = bvalid_reg;
        rvalid_next  = rvalid_reg;
        rdata_next   = rdata_reg;
        start_next   = start_reg;
        done_next    = done_reg;
        ready_next   = ready_reg;
        auto_next    = auto_reg;
        gie_next     = gie_reg;
        ier_next     = ier_reg;
        isr_next     = isr_reg;
        args_next    = args_reg;

        if (awvalid && !aw_have_reg) begin aw_have_next = 1'b1; aw_addr_next = awaddr; end
        if (wvalid && !w_have_reg) begin w_have_next = 1'b1; w_data_next = wdata; w_strb_next = wstrb; end
        if (bvalid_reg && bready) bvalid_next = 1'b0;
        if (rvalid_reg && rready) rvalid_next = 1'b0;

        // kernel events (a host write in the same cycle wins for ap_start)
        if (ap_ready) begin
            ready_next = 1'b1;
            if (!auto_reg) start_next = 1'b0;
            if (ier_reg[1]) isr_next[1] = 1'b1;
        end
        if (ap_done) begin
            done_next = 1'b1;
            if (ier_reg[0]) isr_next[0] = 1'b1;
        end

        if (do_write) begin
            aw_have_next = 1'b0;
            w_have_next  = 1'b0;
            bvalid_next  = 1'b1;
            case (aw_word)
                0:  begin
                        if (w_strb_reg[0]) begin
                            if (w_data_reg[0]) start_next = 1'b1;
                            auto_next = w_data_reg[7];
                        end
                    end
                4:  if (w_strb_reg[0]) gie_next = w_data_reg[0];
                8:  if (w_strb_reg[0]) ier_next = w_data_reg[1:0];
                12: if (w_strb_reg[0]) isr_next = isr_next ^ w_data_reg[1:0];
                default: ;
            endcase
            for (k = 0; k < N_ARGS; k = k + 1) begin
                if (aw_word == ARG_BASE + 12 * k)
                    args_next[64*k +: 32] = merge(args_reg[64*k +: 32], w_data_reg, w_strb_reg);
                if (aw_word == ARG_BASE + 12 * k + 4)
                    args_next[64*k+32 +: 32] = merge(args_reg[64*k+32 +: 32], w_data_reg, w_strb_reg);
            end
        end

        if (do_read) begin
            rvalid_next = 1'b1;
            rdata_next  = 32'd0;
            case (ar_word)
                0:  begin
                        rdata_next = {24'd0, auto_reg, 3'd0, ready_reg, ap_idle, done_reg, start_reg};
                        done_next  = ap_done;   // clear on read, unless a new completion arrives now
                        ready_next = ap_ready;
                    end
                4:  rdata_next = {31'd0, gie_reg};
                8:  rdata_next = {30'd0, ier_reg};
                12: rdata_next = {30'd0, isr_reg};
                STATUS_ADDR: rdata_next = status;
                default: ;
            endcase
            for (k = 0; k < N_ARGS; k = k + 1) begin
                if (ar_word == ARG_BASE + 12 * k) rdata_next = args_reg[64*k +: 32];
                if (ar_word == ARG_BASE + 12 * k + 4) rdata_next = args_reg[64*k+32 +: 32];
            end
        end
    end

    always @(posedge clk) begin
        if (rst) begin
            aw_have_reg <= 1'b0;
            w_have_reg  <= 1'b0;
            bvalid_reg  <= 1'b0;
            rvalid_reg  <= 1'b0;
            start_reg   <= 1'b0;
            done_reg    <= 1'b0;
            ready_reg   <= 1'b0;
            auto_reg    <= 1'b0;
            gie_reg     <= 1'b0;
            ier_reg     <= 2'b00;
            isr_reg     <= 2'b00;
        end else begin
            aw_have_reg <= aw_have_next;
            w_have_reg  <= w_have_next;
            bvalid_reg  <= bvalid_next;
            rvalid_reg  <= rvalid_next;
            start_reg   <= start_next;
            done_reg    <= done_next;
            ready_reg   <= ready_next;
            auto_reg    <= auto_next;
            gie_reg     <= gie_next;
            ier_reg     <= ier_next;
            isr_reg     <= isr_next;
        end
        aw_addr_reg <= aw_addr_next;
        w_data_reg  <= w_data_next;
        w_strb_reg  <= w_strb_next;
        rdata_reg   <= rdata_next;
        args_reg    <= args_next;
    end
endmodule
