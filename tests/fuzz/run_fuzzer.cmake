# Runs one libFuzzer binary for SECONDS on a copy of its seed corpus; fails on any crash, leak or timeout.
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/corpus" "${WORK}/artifacts")
file(COPY "${SEEDS}/" DESTINATION "${WORK}/corpus")
execute_process(COMMAND "${FUZZER}" "${WORK}/corpus" -max_total_time=${SECONDS} -timeout=10 -rss_limit_mb=2048
                        -dict=${DICT} -artifact_prefix=${WORK}/artifacts/ -print_final_stats=1
                RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(REGEX MATCH "stat::number_of_executed_units: *[0-9]+" execs "${err}")
string(REGEX MATCH "cov: [0-9]+ ft: [0-9]+" coverage "${err}")
message(STATUS "${FUZZER}: ${execs}, last ${coverage}")
if(NOT result EQUAL 0)
    message(FATAL_ERROR "fuzzer failed (${result}); artifacts in ${WORK}/artifacts\n${err}")
endif()
