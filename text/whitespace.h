// ASCII whitespace folding shared by the corpus readers (Debian indexes, man
// pages): markup and index formats wrap text freely, so a segment's text is
// its words joined by single spaces.
#pragma once

#include <string>
#include <string_view>

namespace xlm::text {

// Runs of ' ', '\t', '\r', '\n' become one space; leading and trailing ones are dropped.
std::string collapse_whitespace(std::string_view s);

}  // namespace xlm::text
