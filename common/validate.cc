#include "common/validate.h"
#include "absl/strings/string_view.h"

#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/gtid_list.h"

namespace mmresync {
namespace {

bool AllOf(absl::string_view value, absl::string_view extra) {
  for (char c : value) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) &&
        extra.find(c) == absl::string_view::npos) {
      return false;
    }
  }
  return true;
}

absl::Status Bad(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("invalid ", field, ": ", why));
}

}  // namespace

absl::Status ValidateNodeName(absl::string_view field, absl::string_view value) {
  if (value.empty() || value.size() > 64 || !AllOf(value, "_.-")) {
    return Bad(field, "must be 1-64 characters of A-Z a-z 0-9 _ . -");
  }
  return absl::OkStatus();
}

absl::Status ValidateRunId(absl::string_view value) {
  if (value.empty() || value.size() > 64 || !AllOf(value, "_-")) {
    return Bad("run_id", "must be 1-64 characters of A-Z a-z 0-9 _ -");
  }
  return absl::OkStatus();
}

namespace {

absl::Status ValidateHex(absl::string_view field, absl::string_view value, size_t size) {
  if (value.size() != size) return Bad(field, absl::StrCat("must be ", size, " hex characters"));
  for (char c : value) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return Bad(field, absl::StrCat("must be ", size, " lowercase hex characters"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateToken(absl::string_view value) { return ValidateHex("token", value, 64); }

absl::Status ValidateSessionId(absl::string_view value) {
  return ValidateHex("session_id", value, 32);
}

absl::Status ValidateBinlogFile(absl::string_view field, absl::string_view value) {
  if (value.empty() || value.size() > 255 || !AllOf(value, "_.-") || value == "." ||
      value == "..") {
    return Bad(field, "not a binlog file name");
  }
  return absl::OkStatus();
}

absl::Status ValidateBinlogPosition(absl::string_view field, uint64_t value) {
  if (value < 4 || value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return Bad(field, absl::StrCat(value, " is out of range"));
  }
  return absl::OkStatus();
}

absl::Status ValidateHost(absl::string_view field, absl::string_view value) {
  if (value.empty() || value.size() > 253 || !AllOf(value, ".:_-")) {
    return Bad(field, "not a host name or IP address");
  }
  return absl::OkStatus();
}

absl::Status ValidatePort(absl::string_view field, uint64_t value) {
  if (value == 0 || value > 65535) return Bad(field, "port must be 1-65535");
  return absl::OkStatus();
}

absl::Status ValidateHostPort(absl::string_view field, absl::string_view value) {
  size_t colon = value.rfind(':');
  if (colon == absl::string_view::npos) return Bad(field, "expected host:port");
  absl::string_view host = value.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  uint32_t port = 0;
  if (!absl::SimpleAtoi(value.substr(colon + 1), &port)) return Bad(field, "bad port");
  if (absl::Status s = ValidateHost(field, host); !s.ok()) return s;
  return ValidatePort(field, port);
}

absl::Status ValidateGtidList(absl::string_view field, absl::string_view value) {
  if (value.empty()) return absl::OkStatus();
  if (value.size() > 4096) return Bad(field, "too long");
  if (absl::StatusOr<std::vector<Gtid>> list = ParseGtidList(value); !list.ok()) {
    return Bad(field, list.status().message());
  }
  return absl::OkStatus();
}

}  // namespace mmresync
