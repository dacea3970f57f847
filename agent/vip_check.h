#pragma once

// `mmresync-agent check`: whether this node may hold the VIP, for keepalived's
// vrrp_script (exit 0 yes, non-zero no). No: the local mariadbd does not answer, a run
// fenced this node (keepalived was stopped by it, perhaps started again by hand), an
// import began replacing the user data and did not finish, or a replication thread
// stopped on an error (the data is behind or diverged). A replica still "Connecting" to
// its peer is fine: the peer being down is exactly when the VIP must be able to move here.
// Runs as its own process; asks the database and the markers (node_markers.h), not the
// agent daemon.

#include <string>
#include <vector>

#include "agent/db_session.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::agent {

struct VipCheck {
  std::vector<std::string> reasons;  // why not; empty: this node may hold the VIP
  std::string facts;                 // what was seen, for the "ok" line
  bool ok() const { return reasons.empty(); }
};

// Why replication makes this node unfit, none when it is fine or not configured.
std::vector<std::string> ReplicationProblems(const v1::ReplicaStatus& replica);

VipCheck CheckVipFitness(DbSessionFactory& db, const std::string& state_dir);

}  // namespace mmresync::agent
