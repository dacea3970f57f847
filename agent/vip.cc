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
#include "common/ip_address.h"

namespace mmresync::agent {

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
  if (vip.find('%') != std::string::npos || !SameIpAddress(vip, vip)) {
    return absl::InvalidArgumentError(
        absl::StrCat("vip \"", vip, "\" is not a numeric IPv4 or IPv6 address"));
  }
  absl::StatusOr<std::vector<std::string>> listed = addrs.List();
  if (!listed.ok()) return listed.status();
  for (const std::string& entry : *listed) {
    if (SameIpAddress(entry, vip)) return true;
  }
  return false;
}

}  // namespace mmresync::agent
