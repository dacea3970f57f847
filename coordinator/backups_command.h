#pragma once

// `mmresync backups list|restore|prune`: the backups earlier runs left on the nodes,
// through each node's agent (DESIGN.md, "Contract additions").

#include <string>

namespace mmresync::coordinator {

struct BackupsFlags {
  std::string config;
  std::string node;  // --node: one node ("" = both, for list and prune)
  std::string run;   // restore: the run whose backup comes back
  int keep = -1;     // prune --keep N
  bool yes = false;
  bool json = false;
};

// Every backup on the node(s): run, kind, age, size, parked schemas, restorable.
int RunBackupsList(const BackupsFlags& flags);
// Fences --node (keepalived stopped, read_only ON, its replication stopped) under the
// pair's lease and re-imports the backup there with sql_log_bin=0. Refused on the VIP
// holder (by the agent too). The node stays fenced: the next step is a recover.
int RunBackupsRestore(const BackupsFlags& flags);
// Keeps the newest --keep backups of each node (or of --node), under the pair's lease.
int RunBackupsPrune(const BackupsFlags& flags);

}  // namespace mmresync::coordinator
