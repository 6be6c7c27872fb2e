# jot_target_warnings(<target>)
#
# Turns on jot's warning set for one of jot's own targets (tests, examples, benchmarks), and -Werror when
# JOT_WARNINGS_AS_ERRORS is ON. Never applied to the jot interface targets, so users' flags stay their own.
include_guard(GLOBAL)

function(jot_target_warnings target)
    if(NOT TARGET ${target})
        message(FATAL_ERROR "jot_target_warnings: '${target}' is not a target")
    endif()
    if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
        target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wconversion -Wshadow)
        if(JOT_WARNINGS_AS_ERRORS)
            target_compile_options(${target} PRIVATE -Werror)
        endif()
    elseif(MSVC)
        target_compile_options(${target} PRIVATE /W4 /permissive-)
        if(JOT_WARNINGS_AS_ERRORS)
            target_compile_options(${target} PRIVATE /WX)
        endif()
    endif()
endfunction()
