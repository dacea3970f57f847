#pragma once

// The source side of a re-seed: a consistent dump of every user schema, streamed in
// chunks with a running SHA-256, followed by the accounts and a trailer (bytes,
// checksum, footer seen, exit status, the snapshot's binlog coordinates).

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "agent/accounts.h"
#include "agent/db_session.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::agent {

struct SourceDumpParams {
  DbSessionFactory* db = nullptr;
  DbConnectParams connect;  // for the defaults file of mariadb-dump
  std::string state_dir;    // where the private defaults file lives during the dump
  std::string dump_command;
  AccountFilter accounts;
  size_t chunk_bytes = 1 << 20;
  // Called between chunks; true stops the dump (the peer went away or was cancelled).
  std::function<bool()> cancelled = [] { return false; };
};

// `send` returns false when the chunk could not be delivered (peer gone).
absl::Status StreamSourceDump(const SourceDumpParams& params,
                              const std::function<bool(const v1::DumpChunk&)>& send);

}  // namespace mmresync::agent
