#include "agent/vip.h"
#include "absl/strings/string_view.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace mmresync::agent {
namespace {

// An address in binary form: family plus 4 or 16 bytes.
struct BinaryAddress {
  int family = AF_UNSPEC;
  unsigned char bytes[16] = {};

  bool operator==(const BinaryAddress& other) const {
    size_t size = family == AF_INET ? 4 : 16;
    return family == other.family && std::memcmp(bytes, other.bytes, size) == 0;
  }
};

std::optional<BinaryAddress> Parse(std::string_view text) {
  std::string s(text);
  BinaryAddress address;
  if (::inet_pton(AF_INET, s.c_str(), address.bytes) == 1) {
    address.family = AF_INET;
    return address;
  }
  if (::inet_pton(AF_INET6, s.c_str(), address.bytes) == 1) {
    address.family = AF_INET6;
    return address;
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> KernelInterfaceAddresses::List() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) {
    return absl::InternalError(absl::StrCat("getifaddrs: ", std::strerror(errno)));
  }
  std::vector<std::string> addresses;
  for (const ifaddrs* ifa = list; ifa != nullptr; ifa = ifa->ifa_next) {
    if (ifa->ifa_addr == nullptr) continue;
    char text[INET6_ADDRSTRLEN] = {};
    const char* ok = nullptr;
    if (ifa->ifa_addr->sa_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(ifa->ifa_addr);
      ok = ::inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text);
    } else if (ifa->ifa_addr->sa_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(ifa->ifa_addr);
      ok = ::inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof text);
    }
    if (ok == nullptr) continue;
    std::string address(text);
    if (std::find(addresses.begin(), addresses.end(), address) == addresses.end()) {
      addresses.push_back(std::move(address));
    }
  }
  ::freeifaddrs(list);
  return addresses;
}

absl::StatusOr<bool> VipIsLocal(const std::string& vip, InterfaceAddresses& addrs) {
  if (vip.empty()) return false;
  std::optional<BinaryAddress> wanted = Parse(vip);
  if (!wanted.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("vip \"", vip, "\" is not a numeric IPv4 or IPv6 address"));
  }
  absl::StatusOr<std::vector<std::string>> listed = addrs.List();
  if (!listed.ok()) return listed.status();
  for (const std::string& entry : *listed) {
    std::string_view text = entry;
    text = text.substr(0, text.find('%'));
    std::optional<BinaryAddress> address = Parse(text);
    if (address.has_value() && *address == *wanted) return true;
  }
  return false;
}

}  // namespace mmresync::agent
