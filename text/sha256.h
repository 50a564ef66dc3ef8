// SHA-256 (FIPS 180-4) as a small pure function: the data manifests record the
// checksum of every downloaded package and every written file, and tests
// re-check them, without shelling out to sha256sum or pulling in a crypto
// library for one digest.
#pragma once

#include <string>
#include <string_view>

namespace xlm::text {

// Lower-case hex digest (64 characters) of `data`.
std::string sha256_hex(std::string_view data);

// Digest of a whole file; throws FormatError naming the file if it cannot be read.
std::string sha256_file_hex(const std::string& path);

}  // namespace xlm::text
