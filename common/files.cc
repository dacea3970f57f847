#include "common/files.h"
#include "absl/strings/string_view.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace mmresync {
namespace {

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::Status WriteAll(int fd, absl::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("write", path);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path, absl::string_view content, int mode) {
  ASSIGN_OR_RETURN(AtomicFileWriter file, AtomicFileWriter::Open(path, mode));
  RETURN_IF_ERROR(file.Append(content));
  return file.Commit();
}

absl::StatusOr<AtomicFileWriter> AtomicFileWriter::Open(const std::string& path, int mode) {
  std::string tmp = absl::StrCat(path, ".tmp.", ::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Errno("create", tmp);
  return AtomicFileWriter(path, std::move(tmp), fd);
}

AtomicFileWriter::AtomicFileWriter(AtomicFileWriter&& other) noexcept
    : path_(std::move(other.path_)), tmp_(std::move(other.tmp_)), fd_(other.fd_) {
  other.fd_ = -1;
  other.tmp_.clear();
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!tmp_.empty()) ::unlink(tmp_.c_str());
}

absl::Status AtomicFileWriter::Append(absl::string_view data) {
  if (fd_ < 0) return absl::FailedPreconditionError(absl::StrCat(path_, " is already written"));
  return WriteAll(fd_, data, tmp_);
}

absl::Status AtomicFileWriter::Commit() {
  if (fd_ < 0) return absl::FailedPreconditionError(absl::StrCat(path_, " is already written"));
  absl::Status s;
  if (::fsync(fd_) != 0) s = Errno("fsync", tmp_);
  ::close(fd_);
  fd_ = -1;
  if (s.ok() && ::rename(tmp_.c_str(), path_.c_str()) != 0) s = Errno("rename to", path_);
  if (!s.ok()) return s;  // the destructor removes the temporary file
  tmp_.clear();
  int dfd = ::open(DirName(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return absl::OkStatus();
}

absl::Status AppendLineDurably(const std::string& path, absl::string_view line) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("open", path);
  std::string data = absl::StrCat(line, "\n");
  absl::Status s = WriteAll(fd, data, path);
  if (s.ok() && ::fsync(fd) != 0) s = Errno("fsync", path);
  ::close(fd);
  return s;
}

absl::StatusOr<std::string> ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

absl::StatusOr<std::vector<std::string>> ListDirectory(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return names;
    return absl::InternalError(absl::StrCat("cannot list ", dir, ": ", strerror(errno)));
  }
  while (struct dirent* e = ::readdir(d)) names.emplace_back(e->d_name);
  ::closedir(d);
  return names;
}

absl::Status MakeDirs(const std::string& path, int mode) {
  if (path.empty()) return absl::InvalidArgumentError("empty directory path");
  std::string partial;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    partial = path.substr(0, pos);
    if (partial.empty()) continue;
    if (::mkdir(partial.c_str(), mode) != 0 && errno != EEXIST) return Errno("mkdir", partial);
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, " is not a directory"));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> FreeBytes(const std::string& path) {
  struct statvfs st;
  if (::statvfs(path.c_str(), &st) != 0) return Errno("statvfs", path);
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

absl::StatusOr<PrivateFile> PrivateFile::Create(const std::string& dir, absl::string_view prefix,
                                                absl::string_view content) {
  std::string templ = absl::StrCat(dir, "/", prefix, "XXXXXX");
  int fd = ::mkostemp(templ.data(), O_CLOEXEC);  // created 0600
  if (fd < 0) return Errno("mkostemp", templ);
  absl::Status s = WriteAll(fd, content, templ);
  ::close(fd);
  if (!s.ok()) {
    ::unlink(templ.c_str());
    return s;
  }
  return PrivateFile(templ);
}

PrivateFile& PrivateFile::operator=(PrivateFile&& other) noexcept {
  if (this != &other) {
    if (!path_.empty()) ::unlink(path_.c_str());
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

PrivateFile::~PrivateFile() {
  if (!path_.empty()) ::unlink(path_.c_str());
}

}  // namespace mmresync
