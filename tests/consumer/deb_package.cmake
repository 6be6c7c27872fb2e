# MODE=deb of run_consumer.cmake: the packages of a built tree, what they hold, extracted into a root.
# Sets _deb_root (the extracted root) and defines _jot_deb_pkgconfig_consumer().
foreach(_var IN ITEMS CPACK_CONFIG CPACK_COMMAND JOT_EXPECTED_VERSION)
    if(NOT DEFINED ${_var} OR "${${_var}}" STREQUAL "")
        message(FATAL_ERROR "run_consumer.cmake (deb): -D${_var}=... is required")
    endif()
endforeach()
foreach(_tool IN ITEMS dpkg dpkg-deb pkg-config)
    find_program(_found_${_tool} ${_tool} REQUIRED)
endforeach()

# What `cmake --build B --target package` does, with the packages written here instead of into B.
_run(${CPACK_COMMAND} --config "${CPACK_CONFIG}" -B "${WORK_DIR}/packages")

function(_jot_deb_expect package)  # _jot_deb_expect <package> <path>...: the .deb holds each path
    file(GLOB _deb "${WORK_DIR}/packages/${package}_${JOT_EXPECTED_VERSION}_*.deb")
    list(LENGTH _deb _count)
    if(NOT _count EQUAL 1)
        file(GLOB _all "${WORK_DIR}/packages/*.deb")
        message(FATAL_ERROR "run_consumer.cmake (deb): expected one ${package}_${JOT_EXPECTED_VERSION}_*.deb, "
                            "cpack wrote: ${_all}")
    endif()
    execute_process(COMMAND dpkg-deb --contents "${_deb}" OUTPUT_VARIABLE _listing COMMAND_ERROR_IS_FATAL ANY)
    foreach(_path IN LISTS ARGN)
        string(FIND "${_listing}" " ./${_path}\n" _at)
        if(_at EQUAL -1)
            message(FATAL_ERROR "run_consumer.cmake (deb): ${package} lacks /${_path}; it holds:\n${_listing}")
        endif()
    endforeach()
    execute_process(COMMAND dpkg-deb --field "${_deb}" Depends OUTPUT_VARIABLE _depends
                    COMMAND_ERROR_IS_FATAL ANY)
    message(STATUS "${package} Depends: ${_depends}")
    set(_deb "${_deb}" PARENT_SCOPE)
    set(_depends "${_depends}" PARENT_SCOPE)
endfunction()

set(_pc_modules jot)
if(WITH_SQLITE)
    list(APPEND _pc_modules jot-sqlite)
endif()
if(WITH_REDIS)
    list(APPEND _pc_modules jot-redis)
endif()
list(TRANSFORM _pc_modules PREPEND usr/share/pkgconfig/ OUTPUT_VARIABLE _pc_files)
list(TRANSFORM _pc_files APPEND .pc)

set(_deb_root "${WORK_DIR}/root")
_jot_deb_expect(jot usr/include/jot/jot.hpp usr/include/jot/version.hpp usr/share/cmake/jot/jotConfig.cmake
                usr/share/cmake/jot/jotConfigVersion.cmake usr/share/cmake/jot/jotTargets.cmake ${_pc_files}
                usr/bin/jot)
foreach(_needed IN ITEMS "libssl-dev (>= 3)" "nlohmann-json3-dev (>= 3.10)" libssl3)
    string(FIND "${_depends}" "${_needed}" _at)
    if(_at EQUAL -1)
        message(FATAL_ERROR "run_consumer.cmake (deb): jot does not depend on ${_needed}: ${_depends}")
    endif()
endforeach()
_run(dpkg -x "${_deb}" "${_deb_root}")
execute_process(COMMAND "${_deb_root}/usr/bin/jot" --version OUTPUT_VARIABLE _cli_version
                COMMAND_ERROR_IS_FATAL ANY)
if(NOT _cli_version MATCHES "${JOT_EXPECTED_VERSION}")
    message(FATAL_ERROR "run_consumer.cmake (deb): jot --version says '${_cli_version}'")
endif()


if(WITH_SERVERS)
    _jot_deb_expect(jot-servers usr/bin/jot-auth-server usr/bin/jot-resource-server
                    usr/lib/systemd/system/jot-auth-server.service usr/lib/systemd/system/jot-resource-server.service
                    usr/share/doc/jot-servers/examples/auth-server.env.example
                    usr/share/doc/jot-servers/examples/resource-server.env.example)
    _run(dpkg -x "${_deb}" "${_deb_root}")
    foreach(_server IN ITEMS jot-auth-server jot-resource-server)
        _run("${_deb_root}/usr/bin/${_server}" --help)
    endforeach()
endif()

# pkg-config from the extracted root only: its flags must name the root, and the consumer builds with them.
function(_jot_deb_pkgconfig_consumer)
    set(ENV{PKG_CONFIG_PATH} "${_deb_root}/usr/share/pkgconfig")
    execute_process(COMMAND pkg-config --modversion jot OUTPUT_VARIABLE _version OUTPUT_STRIP_TRAILING_WHITESPACE
                    COMMAND_ERROR_IS_FATAL ANY)
    if(NOT _version STREQUAL JOT_EXPECTED_VERSION)
        message(FATAL_ERROR "run_consumer.cmake (deb): pkg-config --modversion jot says '${_version}'")
    endif()
    execute_process(COMMAND pkg-config --cflags ${_pc_modules} OUTPUT_VARIABLE _cflags
                    OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
    execute_process(COMMAND pkg-config --libs ${_pc_modules} OUTPUT_VARIABLE _libs OUTPUT_STRIP_TRAILING_WHITESPACE
                    COMMAND_ERROR_IS_FATAL ANY)
    message(STATUS "pkg-config --cflags ${_pc_modules}: ${_cflags}")
    message(STATUS "pkg-config --libs ${_pc_modules}: ${_libs}")
    string(FIND "${_cflags}" "-I${_deb_root}/usr/share/pkgconfig/../../include" _at)
    if(_at EQUAL -1)
        message(FATAL_ERROR "run_consumer.cmake (deb): pkg-config --cflags jot does not name the extracted "
                            "root's include directory: ${_cflags}")
    endif()
    separate_arguments(_cflags UNIX_COMMAND "${_cflags}")
    separate_arguments(_libs UNIX_COMMAND "${_libs}")
    set(_defines -DJOT_EXPECTED_VERSION="${JOT_EXPECTED_VERSION}")
    if(WITH_SQLITE)
        list(APPEND _defines -DJOT_CONSUMER_WITH_SQLITE=1)
    endif()
    if(WITH_REDIS)
        list(APPEND _defines -DJOT_CONSUMER_WITH_REDIS=1)
    endif()
    set(_compiler c++)
    if(CXX_COMPILER)
        set(_compiler "${CXX_COMPILER}")
    endif()
    set(_program "${WORK_DIR}/jot_consumer_pkgconfig")
    _run(${_compiler} -std=c++20 -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Werror ${_defines} ${_cflags}
         "${CONSUMER_SOURCE_DIR}/main.cpp" -o "${_program}" ${_libs})
    execute_process(COMMAND "${_program}" RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
    message(STATUS "jot_consumer (pkg-config): ${_out}${_err}")
    if(NOT _rc EQUAL 0 OR NOT _out MATCHES "^jot ${JOT_EXPECTED_VERSION}\n")
        message(FATAL_ERROR "run_consumer.cmake (deb): the pkg-config consumer failed (${_rc}): ${_out}${_err}")
    endif()
endfunction()
