// Writes that never leave a half-written file behind: data goes to a
// temporary file in the same directory, is fsync'ed, then renamed over the
// target (and the directory fsync'ed), so readers see the old file or the new
// one, never a mix. Used for checkpoints, binarized data, codes and vocabs.
// Running out of room (disk full, quota, the file-size limit) is a
// ResourceError that says what to change, not a format problem: it is the
// one write failure a user can fix without touching the data.
#pragma once

#include <functional>
#include <ostream>
#include <string>

namespace xlm {

// Calls `write` with a stream on the temporary file; on success replaces `path`.
// On any failure (exception from `write`, I/O error, failed fsync) the temporary
// is removed, `path` is untouched, and the error names the file: ResourceError
// when the system ran out of room (see throw_write_error), FormatError otherwise.
void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write);

// Throws for a failed `action` ("write", "fsync", ...) on `path` with errno `err`:
// ResourceError saying what to change for ENOSPC, EDQUOT and EFBIG, FormatError
// naming the file and the system's reason otherwise.
[[noreturn]] void throw_write_error(const std::string& path, const std::string& action, int err);

}  // namespace xlm
