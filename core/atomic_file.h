// Writes that never leave a half-written file behind: data goes to a
// temporary file in the same directory, is fsync'ed, then renamed over the
// target (and the directory fsync'ed), so readers see the old file or the new
// one, never a mix. Used for checkpoints, binarized data, codes and vocabs.
#pragma once

#include <functional>
#include <ostream>
#include <string>

namespace xlm {

// Calls `write` with a stream on the temporary file; on success replaces `path`.
// On any failure (exception from `write`, I/O error) the temporary is removed,
// `path` is untouched, and FormatError names the file.
void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write);

}  // namespace xlm
