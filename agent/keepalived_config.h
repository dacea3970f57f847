#pragma once

// What the local keepalived is configured to do with the VIP. Read-only, for humans and
// for one prediction: when the target's keepalived is started again at the end of a
// recovery, will it take the VIP from the source? (issue 3: "say so loudly with the
// reason read from the config"). keepalived's own parser is the authority; this reader
// understands the subset that decides VRRP mastership: `vrrp_instance` blocks with
// state, priority, nopreempt/preempt, preempt_delay, virtual_ipaddress[_excluded] and
// track_* blocks, plus `include` (globs, relative to the including file) and `@id`/`@^id`
// line conditions (against keepalived's config_id, which defaults to the host name).
// `$` macros are not expanded; their presence is reported so nobody mistakes a guess for
// a fact.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace mmresync::agent {

struct VrrpInstance {
  std::string name;
  std::string state;        // "MASTER" | "BACKUP" | "" (not set: keepalived uses BACKUP)
  uint32_t priority = 100;  // keepalived's default when not set
  bool priority_set = false;
  bool nopreempt = false;  // `preempt` after `nopreempt` clears it again
  uint32_t preempt_delay_s = 0;
  uint32_t advert_int_ms = 1000;  // keepalived's default advert_int 1
  bool tracked = false;  // track_script/track_interface/...: priority can change at run time
  std::vector<std::string> addresses;  // virtual_ipaddress and _excluded, without /prefix
  std::string origin;                  // "file:line" of the vrrp_instance keyword
};

struct KeepalivedConfigFacts {
  std::vector<VrrpInstance> instances;
  std::vector<std::string> files;  // every file read, the main one first
  bool unevaluated = false;        // `$` macros were seen and not expanded
};

// Text of one file, for tests; Parse... resolves includes through it.
class ConfigFiles {
 public:
  virtual ~ConfigFiles() = default;
  // Paths matching `pattern` (a glob; a plain path matches itself if it exists), sorted.
  virtual absl::StatusOr<std::vector<std::string>> Glob(const std::string& pattern) = 0;
  virtual absl::StatusOr<std::string> Read(const std::string& path) = 0;
};

// The real file system: glob(3) and bounded reads (1 MiB per file).
class RealConfigFiles : public ConfigFiles {
 public:
  absl::StatusOr<std::vector<std::string>> Glob(const std::string& pattern) override;
  absl::StatusOr<std::string> Read(const std::string& path) override;
};

// Reads `path` and its includes (at most 64 files, nesting depth 8) as keepalived on the
// host with `config_id` would. Errors name the file (and line for unbalanced braces):
// an unreadable file, includes beyond the bounds (a loop), a `}` without `{` or a block
// never closed. An include pattern matching nothing is ignored, as keepalived does.
absl::StatusOr<KeepalivedConfigFacts> ReadKeepalivedConfig(const std::string& path,
                                                           ConfigFiles& files,
                                                           const std::string& config_id);

// The instances whose addresses contain `vip` (compared as IP addresses, so
// "10.0.0.100/24" matches "10.0.0.100").
std::vector<const VrrpInstance*> InstancesWithVip(const KeepalivedConfigFacts& facts,
                                                  std::string_view vip);

// The PID in `pid_file` if that process exists, else 0 (no file, garbage, stale PID).
int ReadLivePid(const std::string& pid_file);

}  // namespace mmresync::agent
