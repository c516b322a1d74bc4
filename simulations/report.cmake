# The simulation report: report.html (inline SVG charts) and metrics.csv.
# Included from simulations/CMakeLists.txt.

fedge_library(fedge_sim_report
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/sim_report.cc
          ${CMAKE_CURRENT_LIST_DIR}/svg_chart.cc
  DEPS fedge_common_data absl::strings absl::str_format absl::span)

fedge_test(fedge_sim_report_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/sim_report_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/svg_chart_test.cc
  DEPS fedge_sim_report)
