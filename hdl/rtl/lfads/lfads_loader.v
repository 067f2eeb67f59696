`default_nettype none
// Model-load FSM shared by the LFADS cores (lfads_core, lfads_step_core): reads a model buffer (512-bit beats,
// hdl/README.md) and writes the lanes. Two read commands: the 2 header beats at the buffer's address, then the
// body (NH0 beats of initial states, WD*L beats of lane weights, NB*L beats of biases, 128 beats of lut_sigmoid
// and 128 of lut_tanh) at address + 128.
// The header beats go to the core (m_hdr0_valid / m_hdr1_valid, data on the read bus) and so do the initial-state
// beats (m_h0_valid, beat m_h0_beat); in the cycle after the second header beat the core checks the header
// (m_check_valid) and answers at once on s_check_ok (0: the load ends, nothing more is read). Weights and biases
// are written lane by lane as their beats arrive (weight data: the read bus' low 16 P bits, bias data: bits 31:0,
// both taken by the core from the bus); a table beat is held and written one 16-bit entry per cycle into every
// lane's table (sigmoid or tanh) while the read bus is held off. m_done: the last table entry is written this
// cycle; m_loaded: a model is loaded (cleared when a header is checked, set after the last table entry).
// A load starts on s_load_valid while s_load_ready (idle); the core issues no other read command meanwhile.
module lfads_loader #(
    parameter integer L   = 192,   // lanes (count)
    parameter integer WD  = 30,    // weight words per lane (words)
    parameter integer NB  = 16,    // bias slots per lane (slots)
    parameter integer NH0 = 4      // beats of initial states (beats)
) (
    input  wire                  clk,
    input  wire                  rst,
    // load request: the model buffer's address
    input  wire                  s_load_valid,
    output wire                  s_load_ready,
    input  wire [63:0]           s_load_addr,
    // read commands (to the core's read master)
    output reg                   m_rd_cmd_valid,
    input  wire                  m_rd_cmd_ready,
    output reg  [63:0]           m_rd_cmd_addr,
    output reg  [31:0]           m_rd_cmd_len,
    // read data
    input  wire                  s_rd_valid,
    output wire                  s_rd_ready,
    input  wire [511:0]          s_rd_data,
    // header beats and the core's verdict
    output wire                  m_hdr0_valid,
    output wire                  m_hdr1_valid,
    output wire                  m_check_valid,
    input  wire                  s_check_ok,
    // initial-state beats
    output wire                  m_h0_valid,
    output wire [31:0]           m_h0_beat,
    // lane writes: weights (lane m_lane, word m_wa), biases (slot m_ba), table entries (entry m_la, data m_lut_wd)
    output reg                   m_w_we,
    output reg                   m_b_we,
    output reg                   m_lut_we_sig,
    output reg                   m_lut_we_tanh,
    output wire [15:0]           m_lane,
    output wire [$clog2(WD)-1:0] m_wa,
    output wire [$clog2(NB)-1:0] m_ba,
    output wire [11:0]           m_la,
    output wire [15:0]           m_lut_wd,
    output wire                  m_done,
    output wire                  m_loaded
);
    initial begin
        if (L < 1 || L > 65536 || WD < 2 || NB < 2 || NH0 < 1) begin
            $display("lfads_loader: illegal L=%0d WD=%0d NB=%0d NH0=%0d", L, WD, NB, NH0);
            $finish;
        end
    end
    // stops elaboration in every tool (simulators, Yosys, Vivado): the module below does not exist
    generate
        if (L < 1 || L > 65536 || WD < 2 || NB < 2 || NH0 < 1) begin : g_illegal_parameters
            illegal_parameter_combination u_stop ();
        end
    endgenerate

    localparam [2:0] L_IDLE = 0, L_HDR_CMD = 1, L_HDR0 = 2, L_HDR1 = 3, L_CHECK = 4, L_BODY_CMD = 5, L_BODY = 6;
    // body sections: 0 initial states, 1 weights, 2 biases, 3 lut_sigmoid, 4 lut_tanh
    wire [31:0] body_beats = NH0 + WD * L + NB * L + 256;

    reg [2:0]   state_reg, state_next;
    reg [63:0]  addr_reg;
    reg [31:0]  cnt_reg, cnt_next;        // beat (or table beat) within a section
    reg [31:0]  sec_reg, sec_next;        // body section
    reg [31:0]  sub_reg, sub_next;        // lane within a weight / bias beat group, entry within a table beat
    reg [511:0] lbuf_reg;                 // table beat being written entry by entry
    reg         lbusy_reg;
    reg         loaded_reg;

    assign s_load_ready  = state_reg == L_IDLE;
    assign s_rd_ready    = state_reg == L_HDR0 || state_reg == L_HDR1 || (state_reg == L_BODY && !lbusy_reg);
    wire   rd_fire       = s_rd_valid && s_rd_ready;
    assign m_hdr0_valid  = state_reg == L_HDR0 && rd_fire;
    assign m_hdr1_valid  = state_reg == L_HDR1 && rd_fire;
    assign m_check_valid = state_reg == L_CHECK;
    assign m_h0_valid    = state_reg == L_BODY && rd_fire && sec_reg == 0;
    assign m_h0_beat     = cnt_reg;
    assign m_lane        = sub_reg[15:0];
    assign m_wa          = cnt_reg[$clog2(WD)-1:0];
    assign m_ba          = cnt_reg[$clog2(NB)-1:0];
    assign m_la          = {cnt_reg[6:0], sub_reg[4:0]};
    assign m_lut_wd      = lbuf_reg[16*sub_reg[4:0] +: 16];
    wire   last_entry    = state_reg == L_BODY && lbusy_reg && sec_reg == 4 && cnt_reg == 127 && sub_reg == 31;
    assign m_done        = last_entry;
    assign m_loaded      = loaded_reg;

    always @* begin
        state_next = state_reg; cnt_next = cnt_reg; sec_next = sec_reg; sub_next = sub_reg;
        m_rd_cmd_valid = 1'b0; m_rd_cmd_addr = 64'd0; m_rd_cmd_len = 32'd0;
        m_w_we = 1'b0; m_b_we = 1'b0; m_lut_we_sig = 1'b0; m_lut_we_tanh = 1'b0;
        case (state_reg)
            L_IDLE: if (s_load_valid) state_next = L_HDR_CMD;
            L_HDR_CMD: begin
                m_rd_cmd_valid = 1'b1; m_rd_cmd_addr = addr_reg; m_rd_cmd_len = 32'd2;
                if (m_rd_cmd_ready) state_next = L_HDR0;
            end
            L_HDR0: if (rd_fire) state_next = L_HDR1;
            L_HDR1: if (rd_fire) state_next = L_CHECK;
            L_CHECK: state_next = s_check_ok ? L_BODY_CMD : L_IDLE;
            L_BODY_CMD: begin
                m_rd_cmd_valid = 1'b1; m_rd_cmd_addr = addr_reg + 64'd128; m_rd_cmd_len = body_beats;
                if (m_rd_cmd_ready) begin state_next = L_BODY; sec_next = 32'd0; cnt_next = 32'd0; sub_next = 32'd0; end
            end
            L_BODY: if (rd_fire) begin
                case (sec_reg)
                    0: begin
                        cnt_next = cnt_reg + 1;
                        if (cnt_reg == NH0 - 1) begin sec_next = 1; cnt_next = 0; end
                    end
                    1: begin
                        m_w_we = 1'b1;
                        sub_next = sub_reg + 1;
                        if (sub_reg == L - 1) begin
                            sub_next = 0; cnt_next = cnt_reg + 1;
                            if (cnt_reg == WD - 1) begin sec_next = 2; cnt_next = 0; end
                        end
                    end
                    2: begin
                        m_b_we = 1'b1;
                        sub_next = sub_reg + 1;
                        if (sub_reg == L - 1) begin
                            sub_next = 0; cnt_next = cnt_reg + 1;
                            if (cnt_reg == NB - 1) begin sec_next = 3; cnt_next = 0; end
                        end
                    end
                    default: sub_next = 0;   // tables: the beat is written entry by entry below
                endcase
            end else if (lbusy_reg) begin
                // 32 table entries per beat, one per cycle, into every lane's table (4096 x 16)
                if (sec_reg == 3) m_lut_we_sig = 1'b1; else m_lut_we_tanh = 1'b1;
                sub_next = sub_reg + 1;
                if (sub_reg == 31) begin
                    sub_next = 0; cnt_next = cnt_reg + 1;
                    if (cnt_reg == 127) begin
                        if (sec_reg == 3) begin sec_next = 4; cnt_next = 0; end
                        else state_next = L_IDLE;
                    end
                end
            end
            default: state_next = L_IDLE;
        endcase
    end

    always @(posedge clk) begin
        if (state_reg == L_IDLE && s_load_valid) addr_reg <= s_load_addr;
        if (state_reg == L_BODY && rd_fire && sec_reg >= 3) lbuf_reg <= s_rd_data;
        if (rst) lbusy_reg <= 1'b0;
        else if (state_reg == L_BODY && rd_fire && sec_reg >= 3) lbusy_reg <= 1'b1;
        else if (state_reg == L_BODY && lbusy_reg && sub_reg == 31) lbusy_reg <= 1'b0;
        if (rst) begin
            state_reg <= L_IDLE; loaded_reg <= 1'b0;
        end else begin
            state_reg <= state_next;
            if (state_reg == L_CHECK) loaded_reg <= 1'b0;
            if (last_entry) loaded_reg <= 1'b1;
        end
        cnt_reg <= cnt_next; sec_reg <= sec_next; sub_reg <= sub_next;
    end
endmodule
