# `fedge pki`, included by cli/CMakeLists.txt. Paths are relative to this
# file so it can be included from any directory.
fedge_library(fedge_cli_pki
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/flags.cc
          ${CMAKE_CURRENT_LIST_DIR}/pki_command.cc
  DEPS fedge_common_pki fedge_common_util absl::status absl::statusor
       absl::strings absl::str_format)

fedge_test(fedge_cli_pki_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/pki_command_test.cc
  DEPS fedge_cli_pki fedge_common_pki fedge_common_util)
