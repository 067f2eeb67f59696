# Packages one Reflex RTL kernel as a Vitis .xo (run by the Makefile; needs Vivado from a Vitis install):
#   vivado -mode batch -source package_kernel.tcl -tclargs <kernel> <rtl-dir> <kernel.xml> <out.xo> <build-dir>
# The RTL is the same Verilog the Verilator tests run (hdl/rtl); kernel.xml is generated from hdl/abi/<kernel>.json.
if {$argc != 5} {
    error "usage: package_kernel.tcl <kernel> <rtl-dir> <kernel.xml> <out.xo> <build-dir>"
}
lassign $argv kernel rtl_dir kernel_xml xo_path build_dir
set ip_dir   [file join $build_dir ip_$kernel]
set proj_dir [file join $build_dir proj_$kernel]

create_project -force kernel_pack $proj_dir -part xcu55c-fsvh2892-2L-e
set sub [string map {_kernel ""} $kernel]
add_files -norecurse [glob [file join $rtl_dir common *.v] [file join $rtl_dir $sub *.v]]
set_property top $kernel [current_fileset]
update_compile_order -fileset sources_1

ipx::package_project -root_dir $ip_dir -vendor io.reflex -library kernel -taxonomy /KernelIP -import_files -set_current false
ipx::unload_core [file join $ip_dir component.xml]
ipx::edit_ip_in_project -upgrade true -name tmp_edit_project -directory $ip_dir [file join $ip_dir component.xml]
set core [ipx::current_core]
set_property core_revision 1 $core
foreach up [ipx::get_user_parameters] { ipx::remove_user_parameter [get_property NAME $up] $core }
ipx::associate_bus_interfaces -busif s_axi_control -clock ap_clk $core
ipx::associate_bus_interfaces -busif m_axi_gmem    -clock ap_clk $core
ipx::infer_bus_interface ap_rst_n xilinx.com:signal:reset_rtl:1.0 $core
set_property value ACTIVE_LOW [ipx::add_bus_parameter POLARITY [ipx::get_bus_interfaces ap_rst_n -of_objects $core]]
ipx::infer_bus_interface interrupt xilinx.com:signal:interrupt_rtl:1.0 $core
# control registers: the argument offsets come from kernel.xml (hdl/abi); the memory map only needs its range
set mm [ipx::add_memory_map s_axi_control $core]
set_property slave_memory_map_ref s_axi_control [ipx::get_bus_interfaces s_axi_control -of_objects $core]
set_property range 0x1000 [ipx::add_address_block reg0 $mm]
set_property sdx_kernel true $core
set_property sdx_kernel_type rtl $core
set_property ipi_drc {ignore_freq_hz true} $core
ipx::create_xgui_files $core
ipx::update_checksums $core
ipx::check_integrity -kernel $core
ipx::save_core $core
close_project -delete

package_xo -force -xo_path $xo_path -kernel_name $kernel -ip_directory $ip_dir -kernel_xml $kernel_xml
