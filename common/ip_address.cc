#include "common/ip_address.h"

#include <arpa/inet.h>

#include <cstring>
#include <optional>
#include <string>

namespace mmresync {
namespace {

struct Binary {
  int family = AF_UNSPEC;
  unsigned char bytes[16] = {};
};

std::optional<Binary> Parse(std::string_view text) {
  std::string s(text.substr(0, text.find('%')));
  Binary b;
  if (::inet_pton(AF_INET, s.c_str(), b.bytes) == 1) {
    b.family = AF_INET;
    return b;
  }
  if (::inet_pton(AF_INET6, s.c_str(), b.bytes) == 1) {
    b.family = AF_INET6;
    return b;
  }
  return std::nullopt;
}

}  // namespace

bool SameIpAddress(std::string_view a, std::string_view b) {
  std::optional<Binary> x = Parse(a), y = Parse(b);
  return x && y && x->family == y->family &&
         std::memcmp(x->bytes, y->bytes, x->family == AF_INET ? 4 : 16) == 0;
}

}  // namespace mmresync
