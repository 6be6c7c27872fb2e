// SPDX-License-Identifier: MIT
// The jot version: the single source of truth for the library, its CMake package and its documentation.
#pragma once

#define JOT_VERSION_MAJOR 0
#define JOT_VERSION_MINOR 1
#define JOT_VERSION_PATCH 0

/// The version as one comparable number: MAJOR * 10000 + MINOR * 100 + PATCH.
#define JOT_VERSION (JOT_VERSION_MAJOR * 10000 + JOT_VERSION_MINOR * 100 + JOT_VERSION_PATCH)

/// The version as "MAJOR.MINOR.PATCH".
#define JOT_VERSION_STRING "0.1.0"
