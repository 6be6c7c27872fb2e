# Builds and runs the consumer project against jot, offline. Fails (FATAL_ERROR) on any error.
#
#   cmake -DMODE=install|find_package|subdirectory|fetchcontent|deb
#         -DJOT_SOURCE_DIR=<jot tree> -DCONSUMER_SOURCE_DIR=<tests/consumer/project>
#         -DWORK_DIR=<scratch dir, wiped> -DSTAGE_DIR=<install prefix shared by install and find_package>
#         [-DJOT_EXPECTED_VERSION=x.y.z] [-DCXX_COMPILER=<c++>] [-DWITH_SQLITE=ON] [-DWITH_REDIS=ON]
#         [-DCPACK_CONFIG=<build tree>/CPackConfig.cmake -DCPACK_COMMAND=<cpack> -DWITH_SERVERS=ON]
#         -P run_consumer.cmake
#
# MODE=deb makes the .deb packages of a built tree with cpack, checks what they hold, extracts them with
# `dpkg -x` into a scratch root and builds the consumer from there twice: with find_package and with
# pkg-config.
cmake_minimum_required(VERSION 3.25)

foreach(_var IN ITEMS MODE JOT_SOURCE_DIR CONSUMER_SOURCE_DIR WORK_DIR STAGE_DIR)
    if(NOT DEFINED ${_var} OR "${${_var}}" STREQUAL "")
        message(FATAL_ERROR "run_consumer.cmake: -D${_var}=... is required")
    endif()
endforeach()

set(_generator_args "")
find_program(_ninja NAMES ninja ninja-build)
if(_ninja)
    set(_generator_args -G Ninja)
endif()
set(_compiler_args "")
if(CXX_COMPILER)
    set(_compiler_args -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
endif()

function(_run)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE _rc COMMAND_ECHO STDOUT)
    if(NOT _rc EQUAL 0)
        list(JOIN ARGN " " _command)
        message(FATAL_ERROR "run_consumer.cmake (${MODE}): command failed (${_rc}): ${_command}")
    endif()
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

if(MODE STREQUAL "install")
    file(REMOVE_RECURSE "${STAGE_DIR}")
    _run(${CMAKE_COMMAND} -S "${JOT_SOURCE_DIR}" -B "${WORK_DIR}/build" ${_generator_args} ${_compiler_args}
         -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=${STAGE_DIR}
         -DJOT_BUILD_TESTS=OFF -DJOT_BUILD_EXAMPLES=OFF -DJOT_BUILD_BENCHMARKS=OFF)
    _run(${CMAKE_COMMAND} --build "${WORK_DIR}/build" --parallel 1)
    _run(${CMAKE_COMMAND} --install "${WORK_DIR}/build" --prefix "${STAGE_DIR}")
    foreach(_file IN ITEMS include/jot/version.hpp share/cmake/jot/jotConfig.cmake
                           share/cmake/jot/jotConfigVersion.cmake share/cmake/jot/jotTargets.cmake)
        if(NOT EXISTS "${STAGE_DIR}/${_file}")
            message(FATAL_ERROR "run_consumer.cmake (install): ${_file} was not installed")
        endif()
    endforeach()
    message(STATUS "jot staged in ${STAGE_DIR}")
    return()
endif()

set(_consume "${MODE}")
if(MODE STREQUAL "deb")
    include("${CMAKE_CURRENT_LIST_DIR}/deb_package.cmake")
    set(_consume find_package)
endif()

set(_consumer_args
    -DJOT_CONSUME=${_consume}
    -DJOT_CONSUMER_WITH_SQLITE=${WITH_SQLITE}
    -DJOT_CONSUMER_WITH_REDIS=${WITH_REDIS}
    -DJOT_EXPECTED_VERSION=${JOT_EXPECTED_VERSION})

if(MODE STREQUAL "deb")
    list(APPEND _consumer_args -DCMAKE_PREFIX_PATH=${_deb_root}/usr
                               -DJOT_EXPECTED_DIR=${_deb_root}/usr/share/cmake/jot)
elseif(MODE STREQUAL "find_package")
    if(NOT EXISTS "${STAGE_DIR}/share/cmake/jot/jotConfig.cmake")
        message(FATAL_ERROR "run_consumer.cmake (find_package): nothing staged in ${STAGE_DIR}; "
                            "run the consumer.install test first")
    endif()
    list(APPEND _consumer_args -DCMAKE_PREFIX_PATH=${STAGE_DIR}
                               -DJOT_EXPECTED_DIR=${STAGE_DIR}/share/cmake/jot)
elseif(MODE STREQUAL "subdirectory")
    list(APPEND _consumer_args -DJOT_SOURCE_DIR=${JOT_SOURCE_DIR})
elseif(MODE STREQUAL "fetchcontent")
    # A release-style tarball with one top-level directory, built from the files a plain clone has.
    set(_dist "${WORK_DIR}/dist/jot-${JOT_EXPECTED_VERSION}")
    file(MAKE_DIRECTORY "${_dist}")
    foreach(_item IN ITEMS CMakeLists.txt cmake include LICENSE README.md)
        if(EXISTS "${JOT_SOURCE_DIR}/${_item}")
            file(COPY "${JOT_SOURCE_DIR}/${_item}" DESTINATION "${_dist}")
        endif()
    endforeach()
    set(_tarball "${WORK_DIR}/jot-${JOT_EXPECTED_VERSION}.tar.gz")
    execute_process(COMMAND ${CMAKE_COMMAND} -E tar czf "${_tarball}" "jot-${JOT_EXPECTED_VERSION}"
                    WORKING_DIRECTORY "${WORK_DIR}/dist" RESULT_VARIABLE _rc)
    if(NOT _rc EQUAL 0)
        message(FATAL_ERROR "run_consumer.cmake (fetchcontent): could not create ${_tarball}")
    endif()
    list(APPEND _consumer_args -DJOT_URL=file://${_tarball})
else()
    message(FATAL_ERROR "run_consumer.cmake: unknown MODE '${MODE}'")
endif()

_run(${CMAKE_COMMAND} -S "${CONSUMER_SOURCE_DIR}" -B "${WORK_DIR}/build" ${_generator_args} ${_compiler_args}
     -DCMAKE_BUILD_TYPE=Release ${_consumer_args})
_run(${CMAKE_COMMAND} --build "${WORK_DIR}/build" --parallel 1)

execute_process(COMMAND "${WORK_DIR}/build/jot_consumer"
                RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
message(STATUS "jot_consumer: ${_out}${_err}")
if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "run_consumer.cmake (${MODE}): jot_consumer exited with ${_rc}")
endif()
if(JOT_EXPECTED_VERSION AND NOT _out MATCHES "^jot ${JOT_EXPECTED_VERSION}\n")
    message(FATAL_ERROR "run_consumer.cmake (${MODE}): expected 'jot ${JOT_EXPECTED_VERSION}', got '${_out}'")
endif()

if(MODE STREQUAL "deb")
    _jot_deb_pkgconfig_consumer()
endif()
