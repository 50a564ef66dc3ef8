// Catch2 v2 runner for the whole suite (ctest runs each test case separately).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
