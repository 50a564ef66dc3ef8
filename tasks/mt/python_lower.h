// Python's str.lower(), because sacreBLEU's -lc is exactly that: the Unicode full
// lowercase mapping ("İ" -> "i̇", two code points) plus the context rule that turns
// a word-final capital sigma into "ς". Generated tables (tasks/mt/lowercase_tables.cpp)
// rather than ICU or towlower, whose results depend on the locale and the C library.
#pragma once

#include <string>
#include <string_view>

namespace xlm::tasks {

std::u32string python_lower(std::u32string_view text);

}  // namespace xlm::tasks
