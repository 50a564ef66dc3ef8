# Runs COMMAND ('|'-separated words) and passes only if it exits non-zero
# within MAX_SECONDS and its output (stdout + stderr) matches the regular
# expression EXPECT. For the data-parallel failure tests: a rank that dies
# or hangs must make the job end with an error, never hang, and CTest's own
# WILL_FAIL would count a hang (timeout) as the expected failure.
string(REPLACE "|" ";" words "${COMMAND}")
string(TIMESTAMP start "%s")
execute_process(COMMAND ${words} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
                TIMEOUT ${MAX_SECONDS})
string(TIMESTAMP stop "%s")
math(EXPR seconds "${stop} - ${start}")
message("exit: ${rc} after ${seconds} s\n--- output ---\n${out}${err}")
if(NOT rc MATCHES "^[0-9]+$")
  message(FATAL_ERROR "did not exit within ${MAX_SECONDS} s: ${rc}")
endif()
if(rc EQUAL 0)
  message(FATAL_ERROR "exited 0; expected a failure")
endif()
if(NOT "${out}${err}" MATCHES "${EXPECT}")
  message(FATAL_ERROR "the output does not match '${EXPECT}'")
endif()
