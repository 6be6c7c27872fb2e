// SPDX-License-Identifier: MIT
// The one doctest main() shared by every jot test executable.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
