#include "coordinator/coordinator_instance.h"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include <openssl/rand.h>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/instance_metadata.h"

namespace mmresync::coordinator {
namespace {

// Keeps `text` to the alphabet the agents accept (they log and show it).
std::string Restrict(const std::string& text, const std::string& extra, size_t max) {
  std::string out;
  for (char c : text) {
    if (out.size() == max) break;
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    out += alnum || extra.find(c) != std::string::npos ? c : '_';
  }
  return out;
}

std::string UserName() {
  if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr && pw->pw_name != nullptr) {
    return pw->pw_name;
  }
  const char* env = std::getenv("USER");
  return env != nullptr ? env : "";
}

v1::CoordinatorInstance MakeInstance() {
  v1::CoordinatorInstance in;
  unsigned char bytes[12];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    // Unique enough without the RNG: pid and the time, which the lease shows anyway.
    in.set_id(absl::StrCat("p", ::getpid(), "-", absl::ToUnixNanos(absl::Now())));
  } else {
    in.set_id(absl::BytesToHexString(
        absl::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes)));
  }
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') {
    std::snprintf(host, sizeof host, "unknown-host");
  }
  in.set_host(Restrict(host, "_.-", 253));
  in.set_user(Restrict(UserName(), "_.@-", 64));
  in.set_pid(static_cast<uint32_t>(::getpid()));
  // The process's own start (not this call's): a later pid reuse must look later.
  std::optional<absl::Time> started = RealProcessProbe().started(in.pid());
  in.set_started_unix_ms(absl::ToUnixMillis(started.value_or(absl::Now())));
  return in;
}

// Adds one metadata entry to every call of a channel.
class HeaderInterceptor : public grpc::experimental::Interceptor {
 public:
  HeaderInterceptor(const char* key, std::string value) : key_(key), value_(std::move(value)) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->insert({key_, value_});
    }
    methods->Proceed();
  }

 private:
  const char* key_;
  std::string value_;
};

class HeaderInterceptorFactory : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  // `value` is read per call: ThisInstance() is made on first use.
  HeaderInterceptorFactory(const char* key, std::function<std::string()> value)
      : key_(key), value_(std::move(value)) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new HeaderInterceptor(key_, value_());
  }

 private:
  const char* key_;
  std::function<std::string()> value_;
};

// Seconds since boot at which `pid` started (/proc/<pid>/stat field 22, in clock ticks),
// plus the boot time (/proc/stat btime).
std::optional<absl::Time> ProcStartTime(uint32_t pid) {
  std::ifstream stat_file(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (!std::getline(stat_file, line)) return std::nullopt;
  // The command name (field 2) is in parentheses and may contain spaces.
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::vector<std::string> fields = absl::StrSplit(line.substr(close + 2), ' ');
  // fields[0] is field 3 (state); starttime is field 22.
  if (fields.size() < 20) return std::nullopt;
  unsigned long long ticks = 0;
  if (!absl::SimpleAtoi(fields[19], &ticks)) return std::nullopt;
  std::ifstream proc_stat("/proc/stat");
  long long btime = -1;
  while (std::getline(proc_stat, line)) {
    if (line.rfind("btime ", 0) == 0) {
      if (!absl::SimpleAtoi(line.substr(6), &btime)) return std::nullopt;
      break;
    }
  }
  const long hz = ::sysconf(_SC_CLK_TCK);
  if (btime < 0 || hz <= 0) return std::nullopt;
  return absl::FromUnixSeconds(btime) + absl::Milliseconds(ticks * 1000 / hz);
}

}  // namespace

const v1::CoordinatorInstance& ThisInstance() {
  static const v1::CoordinatorInstance* instance = new v1::CoordinatorInstance(MakeInstance());
  return *instance;
}

std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface> InstanceMetadata() {
  return std::make_unique<HeaderInterceptorFactory>(kInstanceMetadataKey,
                                                    [] { return ThisInstance().id(); });
}

std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface> ExpectedNodeMetadata(
    const std::string& node) {
  return std::make_unique<HeaderInterceptorFactory>(kExpectedNodeMetadataKey,
                                                    [node] { return node; });
}

ProcessProbe RealProcessProbe() {
  ProcessProbe probe;
  probe.alive = [](uint32_t pid) {
    if (pid == 0) return true;  // unknown: not provably gone
    return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH;
  };
  probe.started = ProcStartTime;
  return probe;
}

bool HolderProvablyGone(const v1::CoordinatorInstance& holder, const v1::CoordinatorInstance& me,
                        const ProcessProbe& probe) {
  if (holder.host().empty() || holder.host() != me.host() || holder.pid() == 0) return false;
  if (holder.id() == me.id()) return false;
  if (!probe.alive(holder.pid())) return true;
  // The pid runs, but maybe another process that got it later. /proc's boot time has a
  // one-second resolution: only a start clearly after the holder's counts.
  std::optional<absl::Time> started = probe.started(holder.pid());
  return started.has_value() &&
         *started > absl::FromUnixMillis(holder.started_unix_ms()) + absl::Seconds(2);
}

absl::StatusOr<std::string> TakeOverFrom(const v1::NodeStatus& status, const std::string& run_id,
                                         const v1::CoordinatorInstance& me,
                                         const ProcessProbe& probe) {
  if (status.lease_holder() != run_id) return std::string();  // free, or another run's
  const v1::CoordinatorInstance& holder = status.lease_instance();
  if (holder.id() == me.id()) return std::string();
  if (HolderProvablyGone(holder, me, probe)) return holder.id();
  const std::string when = absl::FormatDuration(
      absl::Trunc(absl::Milliseconds(status.lease_expires_in_ms()), absl::Seconds(1)));
  return absl::FailedPreconditionError(absl::StrCat(
      status.node(), ": run ", run_id, " is being run by coordinator ", holder.id(), " (",
      holder.user().empty() ? "?" : holder.user(), "@", holder.host(), ", pid ", holder.pid(),
      ", started ",
      absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", absl::FromUnixMillis(holder.started_unix_ms()),
                       absl::UTCTimeZone()),
      "); its lease expires in ", when, " unless renewed. ",
      holder.host() == me.host()
          ? "That process still runs here: let it finish, or stop it, then resume."
          : absl::StrCat("It runs on another host (", holder.host(),
                         "): let it finish there, or resume once its lease has expired.")));
}

}  // namespace mmresync::coordinator
