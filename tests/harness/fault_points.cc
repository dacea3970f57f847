#include "tests/harness/fault_points.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/fault_point.h"
#include "common/files.h"
#include "common/status_macros.h"
#include "tests/harness/wait.h"

namespace mmresync::testing {

FaultPoints::FaultPoints(std::string dir) : dir_(std::move(dir)) { (void)MakeDirs(dir_, 0755); }

std::map<std::string, std::string> FaultPoints::Env(const std::string& spec) const {
  return {{fault::kPointsVariable, spec}, {fault::kDirVariable, dir_}};
}

absl::Status FaultPoints::ArmAgent(AgentProcess& agent, const std::string& spec) const {
  RETURN_IF_ERROR(agent.Stop());
  agent.mutable_options().env = Env(spec);
  absl::Status started = agent.Restart();
  agent.mutable_options().env.clear();
  return started;
}

bool FaultPoints::Hit(const std::string& point) const {
  struct stat st;
  return ::stat(absl::StrCat(dir_, "/", point, ".hit").c_str(), &st) == 0;
}

absl::Status FaultPoints::WaitHit(const std::string& point, absl::Duration timeout) const {
  return WaitUntil([&] { return Hit(point); }, timeout, absl::Milliseconds(10),
                   absl::StrCat("fault point ", point, " to fire"));
}

absl::Status FaultPoints::Release(const std::string& point) const {
  return WriteFileAtomically(absl::StrCat(dir_, "/", point, ".continue"), "go\n", 0644);
}

absl::Status WaitStopped(pid_t pid, absl::Duration timeout) {
  return WaitUntil(
      [&] {
        std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
        std::stringstream text;
        text << in.rdbuf();
        const std::string stat = text.str();
        const size_t close = stat.rfind(')');
        return close != std::string::npos && close + 2 < stat.size() &&
               (stat[close + 2] == 'T' || stat[close + 2] == 't');
      },
      timeout, absl::Milliseconds(10), absl::StrCat("process ", pid, " to be stopped"));
}

}  // namespace mmresync::testing
