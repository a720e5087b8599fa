# Runs `hot bench --quick --only calls,latency --json -` and checks that the JSON report has
# every expected figure, each a positive number. Usage: cmake -DHOT=<hot binary> -P this.cmake
if(NOT HOT)
  message(FATAL_ERROR "pass -DHOT=<path of the hot binary>")
endif()

execute_process(COMMAND ${HOT} bench --quick --only calls,latency --json -
  OUTPUT_VARIABLE report ERROR_VARIABLE table RESULT_VARIABLE rc TIMEOUT 280)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "hot bench exited with '${rc}'\n--- stderr:\n${table}\n--- stdout:\n${report}")
endif()

# Fails unless the value at the JSON path (the arguments) is a number greater than zero.
function(expect_positive)
  string(JSON value ERROR_VARIABLE error GET "${report}" ${ARGN})
  if(error)
    message(FATAL_ERROR "missing ${ARGN}: ${error}\n${report}")
  endif()
  if(NOT value GREATER 0)
    message(FATAL_ERROR "${ARGN} is '${value}', expected a positive number")
  endif()
endfunction()

function(expect_no_error section)
  string(JSON message ERROR_VARIABLE missing GET "${report}" ${section} error)
  if(NOT missing)
    message(FATAL_ERROR "section ${section} failed: ${message}")
  endif()
endfunction()

expect_positive(cores)
expect_no_error(calls)
expect_no_error(latency)

expect_positive(calls calls_per_repetition)
expect_positive(calls repetitions)
foreach(variant direct function_pointer virtual std_function dlsym handle stub jit_body_pointer
                jit_to_jit)
  expect_positive(calls variants ${variant} ns_per_call)
  expect_positive(calls variants ${variant} ratio_to_direct)
endforeach()

expect_positive(latency edits)
foreach(case no_includes std_includes std_includes_body_edit regex_body_edit json_body_edit
             header_10_units)
  foreach(side hotengine out_of_process)
    expect_positive(latency cases ${case} ${side} median_ms)
    expect_positive(latency cases ${case} ${side} p90_ms)
    expect_positive(latency cases ${case} ${side} samples_ms 0)
  endforeach()
  expect_positive(latency cases ${case} hotengine compile_ms_sum_over_units median_ms)
  expect_positive(latency cases ${case} speedup_median)
endforeach()

string(JSON sections ERROR_VARIABLE ignored LENGTH "${report}")
message(STATUS "hot bench JSON report OK (${sections} top-level keys)")
