# Helpers shared by every folder's CMakeLists.txt.

# Sanitizer builds (the asan and tsan presets set FEDGE_TEST_TIMEOUT_SCALE)
# run the code several times slower, so every test's timeout is multiplied
# by this factor there; other builds keep the timeouts as written.
set(FEDGE_TEST_TIMEOUT_SCALE 1 CACHE STRING
    "Factor applied to every test's TIMEOUT (sanitizer presets raise it)")

# Multiplies the TIMEOUT of the add_test() tests of the current directory by
# FEDGE_TEST_TIMEOUT_SCALE once the directory is processed (CMake 3.25 cannot
# set a test's properties from another directory). fedge_test() does the same
# for the GoogleTest cases it registers.
function(fedge_scale_add_test_timeouts)
  get_property(tests DIRECTORY PROPERTY TESTS)
  foreach(test IN LISTS tests)
    get_test_property(${test} TIMEOUT timeout)
    if(timeout)
      math(EXPR timeout "${timeout} * ${FEDGE_TEST_TIMEOUT_SCALE}")
      set_tests_properties(${test} PROPERTIES TIMEOUT ${timeout})
    endif()
  endforeach()
endfunction()

function(fedge_defer_timeout_scaling)
  if(FEDGE_TEST_TIMEOUT_SCALE EQUAL 1)
    return()
  endif()
  get_property(deferred DIRECTORY PROPERTY FEDGE_TIMEOUTS_SCALED)
  if(NOT deferred)
    set_property(DIRECTORY PROPERTY FEDGE_TIMEOUTS_SCALED TRUE)
    cmake_language(DEFER CALL fedge_scale_add_test_timeouts)
  endif()
endfunction()

# fedge_library(NAME SOURCES ... DEPS ...)
# A static library of fedge's own code, built with fedge's warning flags.
function(fedge_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(${name} PRIVATE ${FEDGE_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  fedge_defer_timeout_scaling()
endfunction()

# fedge_test(NAME SOURCES ... DEPS ...)
# A GoogleTest binary registered with ctest; test cases are discovered at
# build time so ctest can run them in parallel.
function(fedge_test name)
  if(NOT FEDGE_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${FEDGE_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  math(EXPR ARG_TIMEOUT "${ARG_TIMEOUT} * ${FEDGE_TEST_TIMEOUT_SCALE}")
  fedge_defer_timeout_scaling()
  gtest_discover_tests(${name}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}"
    DISCOVERY_TIMEOUT 60)
endfunction()

# ThreadSanitizer builds (the tsan preset): Debian's Abseil is not
# instrumented, so every executable gets tests/sanitizers/tsan_absl_sync.cc,
# which tells TSan when an absl::Mutex, CondVar or Notification synchronises,
# and exports those definitions so libabsl's and libgrpc's own calls use them.
option(FEDGE_TSAN_ABSL_SYNC
       "Link the absl::Mutex TSan annotations into every executable (tsan)" OFF)
if(FEDGE_TSAN_ABSL_SYNC)
  add_library(fedge_tsan_absl_sync OBJECT
    ${PROJECT_SOURCE_DIR}/tests/sanitizers/tsan_absl_sync.cc)
  target_compile_options(fedge_tsan_absl_sync PRIVATE ${FEDGE_WARNINGS})
  target_link_libraries(fedge_tsan_absl_sync PUBLIC absl::synchronization
    absl::time ${CMAKE_DL_LIBS})

  function(fedge_link_tsan_absl_sync dir)
    get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
    foreach(target IN LISTS targets)
      get_target_property(type ${target} TYPE)
      if(type STREQUAL "EXECUTABLE")
        target_link_libraries(${target} PRIVATE fedge_tsan_absl_sync)
        target_link_options(${target} PRIVATE
          "LINKER:--export-dynamic-symbol=_ZN4absl7debian3*"
          "LINKER:--export-dynamic-symbol=_ZNK4absl7debian3*")
      endif()
    endforeach()
    get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
    foreach(subdir IN LISTS subdirs)
      fedge_link_tsan_absl_sync(${subdir})
    endforeach()
  endfunction()
  # Once every folder has declared its executables.
  cmake_language(DEFER DIRECTORY ${PROJECT_SOURCE_DIR}
    CALL fedge_link_tsan_absl_sync ${PROJECT_SOURCE_DIR})
endif()
