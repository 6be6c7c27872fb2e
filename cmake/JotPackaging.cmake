# pkg-config modules and CPack packages: included by the top-level CMakeLists.txt after the install rules.
#
# pkg-config: jot (the core), jot-sqlite and jot-redis (a store backend each, with the core). They lie in
# share/pkgconfig: jot is header-only, so nothing in them depends on the architecture.
#
# Packages (cmake --build B --target package): `jot` (headers, the CMake package, the pkg-config modules and
# the jot command-line tool) and, when the example servers are built, `jot-servers` (jot-auth-server,
# jot-resource-server and their systemd units). cmake --build B --target package_source makes the release
# tarball jot-<version>.tar.gz from the source tree.
set(JOT_INSTALL_PKGCONFIGDIR "${CMAKE_INSTALL_DATADIR}/pkgconfig" CACHE STRING
    "Where to install jot's pkg-config files, relative to the install prefix")
mark_as_advanced(JOT_INSTALL_PKGCONFIGDIR)
file(RELATIVE_PATH JOT_PC_TO_PREFIX "/prefix/${JOT_INSTALL_PKGCONFIGDIR}" "/prefix")

function(_jot_pkgconfig_module name description requires)
    set(JOT_PC_NAME "${name}")
    set(JOT_PC_DESCRIPTION "${description}")
    set(JOT_PC_REQUIRES "${requires}")
    configure_file("${PROJECT_SOURCE_DIR}/cmake/jot.pc.in" "${PROJECT_BINARY_DIR}/pkgconfig/${name}.pc" @ONLY)
    install(FILES "${PROJECT_BINARY_DIR}/pkgconfig/${name}.pc" DESTINATION "${JOT_INSTALL_PKGCONFIGDIR}"
            COMPONENT jot)
endfunction()

_jot_pkgconfig_module(jot "${PROJECT_DESCRIPTION}" "libcrypto >= 3, nlohmann_json >= 3.10")
if(TARGET jot_sqlite)
    _jot_pkgconfig_module(jot-sqlite "jot's SQLite refresh-token store" "jot = ${PROJECT_VERSION}, sqlite3")
endif()
if(TARGET jot_redis)
    _jot_pkgconfig_module(jot-redis "jot's Redis refresh-token store" "jot = ${PROJECT_VERSION}, hiredis")
endif()

# Packages only for jot's own build: as a subproject, jot must not add package targets to its user's.
if(NOT PROJECT_IS_TOP_LEVEL)
    return()
endif()

set(CPACK_PACKAGE_NAME jot)
set(CPACK_PACKAGE_VENDOR "the jot authors")
set(CPACK_PACKAGE_CONTACT "the jot authors <dev@jot.invalid>")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_RESOURCE_FILE_LICENSE "${PROJECT_SOURCE_DIR}/LICENSE")
set(CPACK_RESOURCE_FILE_README "${PROJECT_SOURCE_DIR}/README.md")
set(CPACK_GENERATOR DEB)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEB_COMPONENT_INSTALL ON)
# Each package's description below starts with its own synopsis; CPack prepends the package summary to
# it unless the summary is CPack's default.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_NAME} built using CMake")
set(CPACK_COMPONENTS_ALL jot)
if(TARGET auth_server AND TARGET resource_server)
    list(APPEND CPACK_COMPONENTS_ALL servers)
endif()
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
# Run-time libraries of the programs come from dpkg-shlibdeps; what a user's build needs is declared.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_JOT_PACKAGE_NAME jot)
set(CPACK_DEBIAN_JOT_PACKAGE_DEPENDS "libssl-dev (>= 3), nlohmann-json3-dev (>= 3.10)")
set(CPACK_DEBIAN_JOT_PACKAGE_SUGGESTS "libsqlite3-dev, libhiredis-dev, pkg-config")
# Debian's athena-jot also installs /usr/bin/jot.
set(CPACK_DEBIAN_JOT_PACKAGE_CONFLICTS "athena-jot")
set(CPACK_DEBIAN_JOT_DESCRIPTION "header-only C++20 JWT library with the access/refresh token lifecycle
Headers, the CMake package (find_package(jot)), the pkg-config modules jot, jot-sqlite and jot-redis, and
the jot command-line tool (keygen, pub, jwks, thumbprint, sign, verify, decode).")
set(CPACK_DEBIAN_SERVERS_PACKAGE_NAME jot-servers)
set(CPACK_DEBIAN_SERVERS_PACKAGE_SECTION net)
set(CPACK_DEBIAN_SERVERS_DESCRIPTION "jot's example auth and resource servers
jot-auth-server (login, refresh rotation with reuse detection, revocation, JWKS) and jot-resource-server
(verifies access tokens with the auth server's JWKS), with their systemd units.")

set(CPACK_SOURCE_GENERATOR TGZ)
set(CPACK_SOURCE_PACKAGE_FILE_NAME "jot-${PROJECT_VERSION}")
# Regular expressions, escaped once more for CPackSourceConfig.cmake; anchored at the source tree.
set(_jot_source "${PROJECT_SOURCE_DIR}")
string(REGEX REPLACE "([][+.*()^$?|\\\\])" "\\\\\\1" _jot_source "${_jot_source}")
set(CPACK_SOURCE_IGNORE_FILES "^${_jot_source}/\\\\.git/" "^${_jot_source}/\\\\.git$" "^${_jot_source}/build/" "/node_modules/"
                              "/\\\\.cache/" "^${_jot_source}/CMakeUserPresets\\\\.json$")
include(CPack)
