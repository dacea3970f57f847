#pragma once

// Connection settings for mariadb-dump and the mariadb client, passed as a 0600
// --defaults-file so the password never appears in a child's argv or environment.

#include <string>

#include "absl/status/statusor.h"
#include "agent/db_session.h"
#include "common/files.h"

namespace mmresync::agent {

// The option file text ([client] group) for `params`.
std::string ClientDefaultsText(const DbConnectParams& params);

// Writes it to a private file in `dir`; the file is removed when the result goes away.
absl::StatusOr<PrivateFile> WriteClientDefaults(const std::string& dir,
                                                const DbConnectParams& params);

// Removes the client-defaults files a previous agent process left in `dir` (it was
// killed while a child ran: the files hold the admin password). Run at start, before
// anything writes a new one. Returns how many were removed; other files are left alone.
absl::StatusOr<int> RemoveStaleClientDefaults(const std::string& dir);

}  // namespace mmresync::agent
