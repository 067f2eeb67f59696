`default_nettype none
// Vitis RTL kernel `lfads_kernel` (ap_ctrl_hs): LFADS inference of decoders/FIXED_POINT.md sections 5-6.
// Arguments (hdl/abi/lfads_kernel.json): 0 model (gmem), 1 counts (gmem), 2 out (gmem), 3 n_bins, 4 flags,
// 5 state (gmem); status register at 0x58.
// Build parameter CAUSAL selects the core (one per bitstream; the register map is the same):
//   0: lfads_core, trial inference of models without a controller ("LFD1" model buffer; ICD used, CO and LAG_MAX not;
//      the state argument and the flags 4, 8, 16 are ignored: a trial keeps no state between invocations);
//   1: lfads_step_core, the causal step of causal models with a controller ("LFC1" model buffer; T_MAX is the
//      most bins per invocation, CO and LAG_MAX used, ICD not; flags 8 SAVE and 16 RESTORE the causal state).
// Status 7 (over any status of the core): an AXI read or write response of the run was SLVERR or DECERR.
module lfads_kernel #(
    parameter integer C_S_AXI_CONTROL_ADDR_WIDTH = 12,  // control port address bits (bytes)
    parameter integer C_M_AXI_GMEM_ADDR_WIDTH    = 64,  // memory address bits (bytes)
    parameter integer C_M_AXI_GMEM_DATA_WIDTH    = 512, // memory data bits (must be 512)
    parameter integer CAUSAL                     = 0,   // 0 trial core (lfads_core), 1 causal-step core
    parameter integer D                          = 70,  // input channels (count)
    parameter integer T_MAX                      = 73,  // longest trial / most causal steps per call (bins)
    parameter integer H                          = 64,  // encoder and generator size (units; CAUSAL 1: CI, controller, generator)
    parameter integer ICD                        = 64,  // ic_dim (units, CAUSAL 0)
    parameter integer CO                         = 4,   // co_dim (units, CAUSAL 1)
    parameter integer LAG_MAX                    = 4,   // largest ci_lag accepted (bins, CAUSAL 1)
    parameter integer F                          = 4,   // factors (count)
    parameter integer RO                         = 70,  // log-rate outputs (count)
    parameter integer P                          = 32,  // columns per cycle per lane (multipliers)
    parameter integer MAX_BEATS                  = 64   // longest AXI burst (beats)
) (
    input  wire        ap_clk,
    input  wire        ap_rst_n,
    // lint waiver: Vitis requires this name for the kernel's interrupt; Verilator renames it in C++ (the
    // harness reads __SYM__interrupt)
    /* verilator lint_off SYMRSVDWORD */
    output wire        interrupt,
    /* verilator lint_on SYMRSVDWORD */
    // s_axi_control
    input  wire [C_S_AXI_CONTROL_ADDR_WIDTH-1:0] s_axi_control_awaddr,
    input  wire        s_axi_control_awvalid,
    output wire        s_axi_control_awready,
    input  wire [31:0] s_axi_control_wdata,
    input  wire [3:0]  s_axi_control_wstrb,
    input  wire        s_axi_control_wvalid,
    output wire        s_axi_control_wready,
    output wire [1:0]  s_axi_control_bresp,
    output wire        s_axi_control_bvalid,
    input  wire        s_axi_control_bready,
    input  wire [C_S_AXI_CONTROL_ADDR_WIDTH-1:0] s_axi_control_araddr,
    input  wire        s_axi_control_arvalid,
    output wire        s_axi_control_arready,
    output wire [31:0] s_axi_control_rdata,
    output wire [1:0]  s_axi_control_rresp,
    output wire        s_axi_control_rvalid,
    input  wire        s_axi_control_rready,
    // m_axi_gmem
    output wire [C_M_AXI_GMEM_ADDR_WIDTH-1:0] m_axi_gmem_awaddr,
    output wire [7:0]  m_axi_gmem_awlen,
    output wire [2:0]  m_axi_gmem_awsize,
    output wire [1:0]  m_axi_gmem_awburst,
    output wire        m_axi_gmem_awvalid,
    input  wire        m_axi_gmem_awready,
    output wire [C_M_AXI_GMEM_DATA_WIDTH-1:0] m_axi_gmem_wdata,
    output wire [C_M_AXI_GMEM_DATA_WIDTH/8-1:0] m_axi_gmem_wstrb,
    output wire        m_axi_gmem_wlast,
    output wire        m_axi_gmem_wvalid,
    input  wire        m_axi_gmem_wready,
    input  wire [1:0]  m_axi_gmem_bresp,
    input  wire        m_axi_gmem_bvalid,
    output wire        m_axi_gmem_bready,
    output wire [C_M_AXI_GMEM_ADDR_WIDTH-1:0] m_axi_gmem_araddr,
    output wire [7:0]  m_axi_gmem_arlen,
    output wire [2:0]  m_axi_gmem_arsize,
    output wire [1:0]  m_axi_gmem_arburst,
    output wire        m_axi_gmem_arvalid,
    input  wire        m_axi_gmem_arready,
    input  wire [C_M_AXI_GMEM_DATA_WIDTH-1:0] m_axi_gmem_rdata,
    input  wire [1:0]  m_axi_gmem_rresp,
    input  wire        m_axi_gmem_rlast,
    input  wire        m_axi_gmem_rvalid,
    output wire        m_axi_gmem_rready
);
    initial begin
        if (C_M_AXI_GMEM_DATA_WIDTH != 512 || C_M_AXI_GMEM_ADDR_WIDTH != 64 || (CAUSAL != 0 && CAUSAL != 1)) begin
            $display("lfads_kernel: the memory port must be 512-bit data, 64-bit address; CAUSAL 0 or 1");
            $finish;
        end
    end
    // stops elaboration in every tool (simulators, Yosys, Vivado): the module below does not exist
    generate
        if (C_M_AXI_GMEM_DATA_WIDTH != 512 || C_M_AXI_GMEM_ADDR_WIDTH != 64 || (CAUSAL != 0 && CAUSAL != 1)) begin : g_illegal_parameters
            illegal_parameter_combination u_stop ();
        end
    endgenerate

    localparam integer N_ARGS = 6;
    reg rst;
    always @(posedge ap_clk) rst <= !ap_rst_n;

    wire                 ap_start, ap_done, ap_idle;
    wire [31:0]          status, core_status;
    // lint waiver: the scalar arguments (n_bins, flags) are 32-bit, the high words of their 64-bit slots unused;
    // the trial core (CAUSAL=0) keeps no state, so it ignores the state buffer argument (args[383:320])
    /* verilator lint_off UNUSEDSIGNAL */
    wire [N_ARGS*64-1:0] args;
    /* verilator lint_on UNUSEDSIGNAL */

    // bus responses: an error response (SLVERR, DECERR) anywhere in a run is latched and reported as status 7
    reg bus_err_reg;
    always @(posedge ap_clk) begin
        if (rst || (ap_start && ap_idle)) bus_err_reg <= 1'b0;
        else if ((m_axi_gmem_rvalid && m_axi_gmem_rready && m_axi_gmem_rresp[1])
                 || (m_axi_gmem_bvalid && m_axi_gmem_bready && m_axi_gmem_bresp[1])) bus_err_reg <= 1'b1;
    end
    assign status = bus_err_reg ? 32'd7 : core_status;

    axil_ctrl #(.ADDR_W(C_S_AXI_CONTROL_ADDR_WIDTH), .N_ARGS(N_ARGS)) u_ctrl (
        .clk(ap_clk), .rst(rst),
        .awaddr(s_axi_control_awaddr), .awvalid(s_axi_control_awvalid), .awready(s_axi_control_awready),
        .wdata(s_axi_control_wdata), .wstrb(s_axi_control_wstrb), .wvalid(s_axi_control_wvalid),
        .wready(s_axi_control_wready), .bresp(s_axi_control_bresp), .bvalid(s_axi_control_bvalid),
        .bready(s_axi_control_bready), .araddr(s_axi_control_araddr), .arvalid(s_axi_control_arvalid),
        .arready(s_axi_control_arready), .rdata(s_axi_control_rdata), .rresp(s_axi_control_rresp),
        .rvalid(s_axi_control_rvalid), .rready(s_axi_control_rready),
        .ap_start(ap_start), .ap_done(ap_done), .ap_ready(ap_done), .ap_idle(ap_idle), .status(status),
        .args(args), .irq(interrupt));

    wire        rd_cmd_valid, rd_cmd_ready, rd_valid, rd_ready;
    wire [63:0] rd_cmd_addr;
    wire [31:0] rd_cmd_len;
    wire [511:0] rd_data;
    wire        wr_cmd_valid, wr_cmd_ready, wr_valid, wr_ready, wr_idle;
    wire [63:0] wr_cmd_addr;
    wire [31:0] wr_cmd_len;
    wire [511:0] wr_data;

    axi_rd_master #(.ADDR_W(64), .DATA_W(512), .MAX_BEATS(MAX_BEATS)) u_rd (
        .clk(ap_clk), .rst(rst), .cmd_valid(rd_cmd_valid), .cmd_ready(rd_cmd_ready), .cmd_addr(rd_cmd_addr),
        .cmd_len(rd_cmd_len), .out_valid(rd_valid), .out_ready(rd_ready), .out_data(rd_data),
        .araddr(m_axi_gmem_araddr), .arlen(m_axi_gmem_arlen), .arsize(m_axi_gmem_arsize),
        .arburst(m_axi_gmem_arburst), .arvalid(m_axi_gmem_arvalid), .arready(m_axi_gmem_arready),
        .rdata(m_axi_gmem_rdata), .rresp(m_axi_gmem_rresp), .rlast(m_axi_gmem_rlast),
        .rvalid(m_axi_gmem_rvalid), .rready(m_axi_gmem_rready));

    axi_wr_master #(.ADDR_W(64), .DATA_W(512), .MAX_BEATS(MAX_BEATS)) u_wr (
        .clk(ap_clk), .rst(rst), .cmd_valid(wr_cmd_valid), .cmd_ready(wr_cmd_ready), .cmd_addr(wr_cmd_addr),
        .cmd_len(wr_cmd_len), .in_valid(wr_valid), .in_ready(wr_ready), .in_data(wr_data), .idle(wr_idle),
        .awaddr(m_axi_gmem_awaddr), .awlen(m_axi_gmem_awlen), .awsize(m_axi_gmem_awsize),
        .awburst(m_axi_gmem_awburst), .awvalid(m_axi_gmem_awvalid), .awready(m_axi_gmem_awready),
        .wdata(m_axi_gmem_wdata), .wstrb(m_axi_gmem_wstrb), .wlast(m_axi_gmem_wlast),
        .wvalid(m_axi_gmem_wvalid), .wready(m_axi_gmem_wready), .bresp(m_axi_gmem_bresp),
        .bvalid(m_axi_gmem_bvalid), .bready(m_axi_gmem_bready));

    generate
        if (CAUSAL == 0) begin : g_trial
            lfads_core #(.D(D), .T_MAX(T_MAX), .H(H), .ICD(ICD), .F(F), .RO(RO), .P(P)) u_core (
                .clk(ap_clk), .rst(rst), .start(ap_start), .done(ap_done), .idle(ap_idle), .status(core_status),
                .w_addr(args[63:0]), .in_addr(args[127:64]), .out_addr(args[191:128]),
                .n_bins(args[223:192]), .flags(args[287:256]),
                .m_rd_cmd_valid(rd_cmd_valid), .m_rd_cmd_ready(rd_cmd_ready), .m_rd_cmd_addr(rd_cmd_addr),
                .m_rd_cmd_len(rd_cmd_len), .s_rd_valid(rd_valid), .s_rd_ready(rd_ready), .s_rd_data(rd_data),
                .m_wr_cmd_valid(wr_cmd_valid), .m_wr_cmd_ready(wr_cmd_ready), .m_wr_cmd_addr(wr_cmd_addr),
                .m_wr_cmd_len(wr_cmd_len), .m_wr_valid(wr_valid), .m_wr_ready(wr_ready), .m_wr_data(wr_data),
                .wr_idle(wr_idle));
        end else begin : g_causal
            lfads_step_core #(.D(D), .T_MAX(T_MAX), .H(H), .CO(CO), .F(F), .RO(RO), .P(P), .LAG_MAX(LAG_MAX)) u_core (
                .clk(ap_clk), .rst(rst), .start(ap_start), .done(ap_done), .idle(ap_idle), .status(core_status),
                .w_addr(args[63:0]), .in_addr(args[127:64]), .out_addr(args[191:128]), .st_addr(args[383:320]),
                .n_bins(args[223:192]), .flags(args[287:256]),
                .m_rd_cmd_valid(rd_cmd_valid), .m_rd_cmd_ready(rd_cmd_ready), .m_rd_cmd_addr(rd_cmd_addr),
                .m_rd_cmd_len(rd_cmd_len), .s_rd_valid(rd_valid), .s_rd_ready(rd_ready), .s_rd_data(rd_data),
                .m_wr_cmd_valid(wr_cmd_valid), .m_wr_cmd_ready(wr_cmd_ready), .m_wr_cmd_addr(wr_cmd_addr),
                .m_wr_cmd_len(wr_cmd_len), .m_wr_valid(wr_valid), .m_wr_ready(wr_ready), .m_wr_data(wr_data),
                .wr_idle(wr_idle));
        end
    endgenerate
endmodule
