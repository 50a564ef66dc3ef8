# Runs COMMAND ('|'-separated words) and passes only if it exits 0 within
# MAX_SECONDS and its output (stdout + stderr) matches every regular
# expression of EXPECT ('|'-separated would clash with regex alternation, so
# EXPECT_1, EXPECT_2, ... each name one). For commands run under mpirun
# whose printed lines are the test (the benchmarks: `xlm bench allreduce`).
string(REPLACE "|" ";" words "${COMMAND}")
execute_process(COMMAND ${words} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
                TIMEOUT ${MAX_SECONDS})
message("exit: ${rc}\n--- output ---\n${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "exit status ${rc}; expected 0 within ${MAX_SECONDS} s")
endif()
foreach(k RANGE 1 9)
  if(DEFINED EXPECT_${k} AND NOT "${out}${err}" MATCHES "${EXPECT_${k}}")
    message(FATAL_ERROR "the output does not match '${EXPECT_${k}}'")
  endif()
endforeach()
