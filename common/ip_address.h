#pragma once

#include <string_view>

namespace mmresync {

// Whether two numeric IPv4/IPv6 addresses are the same address, compared in binary form
// ("::1" equals "0:0::1"; a "%scope" suffix is ignored). Text that is not a numeric
// address (host names, "/24" suffixes) equals nothing, itself included.
bool SameIpAddress(std::string_view a, std::string_view b);

}  // namespace mmresync
