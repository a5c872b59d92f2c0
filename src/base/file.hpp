// Files the node owns (keys, address book, bans): written atomically (temp file, fsync, rename,
// fsync of the directory) and read whole with a size bound; a file that fails to parse is moved
// aside, never deleted, so nothing is lost silently.
#pragma once
#include <filesystem>
#include <string>

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace peerlink::base {

/// Replaces `path` with `contents` atomically: readers see the old file or the new one, never a
/// mix, even across a crash. `mode` is applied to the new file (e.g. 0600 for keys).
Result<void> write_file_atomic(const std::filesystem::path& path, ByteView contents, unsigned mode = 0644);

/// Reads a whole file; fails with std::errc::file_too_large above `max_size` (checked before reading).
Result<std::string> read_file(const std::filesystem::path& path, std::size_t max_size);

/// Renames `path` to `path.corrupt-<unix seconds>` (or with a counter if that exists) and returns
/// the new name, for a caller that found the file unparseable and will start fresh.
Result<std::filesystem::path> set_aside(const std::filesystem::path& path);

}  // namespace peerlink::base
