// Strict number parsing for the objective flags: the whole item must be a
// number (std::stod would accept "0.1abc"), so typos surface as ConfigErrors.
#pragma once

#include <cstdint>
#include <string>

namespace xlm::objectives {

// True and `out` set when `text` is exactly a finite decimal number.
bool parse_double(const std::string& text, double& out);
// True and `out` set when `text` is exactly a non-negative integer (digits only).
bool parse_count(const std::string& text, int64_t& out);

}  // namespace xlm::objectives
