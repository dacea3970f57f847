#pragma once

// File helpers with the guarantees the journal, backups and secrets need.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"

namespace mmresync {

// Writes `content` to `path` crash-safely: a temporary file in the same directory,
// fsync, rename over `path`, fsync of the directory. `mode` applies to the new file.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view content,
                                 int mode = 0644);

// WriteFileAtomically for content produced piece by piece (never whole in memory): the
// pieces go to a temporary file beside `path`, which Commit() fsyncs and renames over
// `path`. Destroyed without a Commit(), it removes the temporary file.
class AtomicFileWriter {
 public:
  static absl::StatusOr<AtomicFileWriter> Open(const std::string& path, int mode = 0644);
  AtomicFileWriter(AtomicFileWriter&& other) noexcept;
  AtomicFileWriter& operator=(AtomicFileWriter&&) = delete;
  ~AtomicFileWriter();

  absl::Status Append(absl::string_view data);
  absl::Status Commit();

 private:
  AtomicFileWriter(std::string path, std::string tmp, int fd)
      : path_(std::move(path)), tmp_(std::move(tmp)), fd_(fd) {}
  std::string path_;
  std::string tmp_;
  int fd_ = -1;
};

// Appends one line (a '\n' is added) and fsyncs, for journals.
absl::Status AppendLineDurably(const std::string& path, absl::string_view line);

absl::StatusOr<std::string> ReadFileToString(const std::string& path);

// Creates `path` and its parents with `mode` (existing directories are fine).
absl::Status MakeDirs(const std::string& path, int mode = 0700);

// The names in `dir`, "." and ".." included, unsorted; empty when `dir` does not exist.
absl::StatusOr<std::vector<std::string>> ListDirectory(const std::string& dir);

// Free bytes for an unprivileged user on the filesystem holding `path`.
absl::StatusOr<uint64_t> FreeBytes(const std::string& path);

// A file only its owner can read (0600), removed when this object goes away. Used for
// the MariaDB client defaults files that carry passwords, so a password never appears
// in the argv of a child process.
class PrivateFile {
 public:
  static absl::StatusOr<PrivateFile> Create(const std::string& dir, absl::string_view prefix,
                                            absl::string_view content);
  PrivateFile(PrivateFile&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  PrivateFile& operator=(PrivateFile&& other) noexcept;
  ~PrivateFile();
  const std::string& path() const { return path_; }

 private:
  explicit PrivateFile(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace mmresync
