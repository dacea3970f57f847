#pragma once

// Before anything on the target is dropped, its user data (and accounts) are dumped to
// a file in state_dir. The file is complete or absent: written as .partial, checked for
// the dump footer, fsynced and renamed.

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "agent/accounts.h"
#include "agent/db_session.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::agent {

struct BackupParams {
  DbSessionFactory* db = nullptr;
  DbConnectParams connect;
  std::string state_dir;
  std::string dump_command;
  AccountFilter accounts;
  std::string run_id;
  std::function<void(const v1::Progress&)> progress = [](const v1::Progress&) {};
  std::function<bool()> cancelled = [] { return false; };
};

// state_dir/backups/<run_id>.sql
std::string BackupPath(const std::string& state_dir, const std::string& run_id);

absl::StatusOr<v1::BackupReply> BackupUserData(const BackupParams& params);

}  // namespace mmresync::agent
