#pragma once

// The version both binaries report: CMake's project() VERSION, plus `git describe` of the
// source tree when it was a git checkout at configure time.

#include <string>

namespace mmresync {

// "0.1.0".
const char* ReleaseVersion();
// `git describe --always --dirty` at configure time; empty outside a git checkout.
const char* GitDescribe();
// "0.1.0 (git bd8835a-dirty)", or "0.1.0" without git: what --version prints, what
// NodeStatus.agent_version carries and what the versions are compared by.
std::string VersionText();

}  // namespace mmresync
