// Secrets and processes (issue 11, item 4): children inherit only their pipes, and no
// client-defaults file (it holds the admin password) survives into a new agent process.

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "agent/client_defaults.h"
#include "common/subprocess.h"
#include "gtest/gtest.h"
#include "tests/unit/temp_dir.h"

namespace mmresync {
namespace {

using testing_util::TempDir;

// The descriptors `ls` finds open in itself: what it inherited plus the directory it reads.
std::set<int> ChildDescriptors() {
  auto r = RunCommand({"ls", "/proc/self/fd"}, absl::Seconds(20));
  EXPECT_TRUE(r.ok()) << r.status();
  std::set<int> fds;
  if (!r.ok()) return fds;
  for (absl::string_view word :
       absl::StrSplit(r->stdout_text, absl::ByAnyChar(" \n"), absl::SkipEmpty())) {
    int fd;
    if (absl::SimpleAtoi(word, &fd)) fds.insert(fd);
  }
  return fds;
}

TEST(SubprocessTest, ChildInheritsOnlyItsStandardDescriptors) {
  // Opened the way a library might: without O_CLOEXEC.
  int file = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(file, 0);
  ASSERT_EQ(::dup2(file, 57), 57);
  int sock = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(sock, 0);
  std::set<int> fds = ChildDescriptors();
  ::close(file);
  ::close(57);
  ::close(sock);
  EXPECT_EQ(fds.count(57), 0u);
  EXPECT_EQ(fds.count(file), file <= 3 ? fds.count(file) : 0u);
  EXPECT_EQ(fds.count(sock), sock <= 3 ? fds.count(sock) : 0u);
  // 0, 1, 2 and the one `ls` opened for /proc/self/fd.
  EXPECT_LE(fds.size(), 4u);
  for (int fd : fds) EXPECT_LE(fd, 3) << "inherited descriptor " << fd;
}

TEST(ClientDefaultsTest, StaleFilesAreRemovedAndNothingElse) {
  TempDir dir;
  dir.Write("client-defaults-Ab12Xy", "[client]\npassword=\"old\"\n", 0600);
  dir.Write("client-defaults-zz99QQ", "[client]\n", 0600);
  dir.Write("client-defaults-notes.txt", "operator's file\n");
  dir.Write("journal.jsonl", "{}\n");
  ASSERT_EQ(::mkdir(dir.File("client-defaults-dirXYZ").c_str(), 0700), 0);
  auto removed = agent::RemoveStaleClientDefaults(dir.path());
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 2);
  EXPECT_FALSE(dir.Exists("client-defaults-Ab12Xy"));
  EXPECT_FALSE(dir.Exists("client-defaults-zz99QQ"));
  EXPECT_TRUE(dir.Exists("client-defaults-notes.txt"));
  EXPECT_TRUE(dir.Exists("journal.jsonl"));
  EXPECT_TRUE(dir.Exists("client-defaults-dirXYZ"));

  // What WriteClientDefaults makes is recognised as such.
  agent::DbConnectParams params;
  params.user = "root";
  params.password = "pw";
  params.socket = "/run/mysqld/mysqld.sock";
  auto file = agent::WriteClientDefaults(dir.path(), params);
  ASSERT_TRUE(file.ok()) << file.status();
  auto again = agent::RemoveStaleClientDefaults(dir.path());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 1);
  EXPECT_EQ(::access(file->path().c_str(), F_OK), -1);

  EXPECT_FALSE(agent::RemoveStaleClientDefaults(dir.File("absent")).ok());
}

}  // namespace
}  // namespace mmresync
