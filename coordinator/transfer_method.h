#pragma once

// Which transfer method a re-seed uses, decided before the run from what the source
// reported, and the lines `plan` prints for it (the same values the import request
// carries).
//   logical  parallel tables from one consistent snapshot (MariaDB >= 10.5, all InnoDB)
//   dump     one mariadb-dump stream into the mariadb client (any server; global read
//            lock for the whole dump when there are non-transactional tables)
//   auto     delta where the logical method applies and the target's data is there
//            to compare (JudgeDeltaFit), else logical where it applies, else dump (the
//            agent also falls back, before anything is dropped, when the source finds
//            tables it cannot snapshot)
//   delta    the logical method's snapshot session, but only the key ranges whose
//            digests differ are replaced on the target (tables it cannot compare are
//            copied whole)
//   physical mariadb-backup streamed into a new datadir beside the target's, swapped in
//            with the target's mariadbd stopped through [mariadb.service]; never chosen
//            by auto (it restarts the target's server)

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::coordinator {

struct MethodChoice {
  std::string requested;  // as given: auto | delta | logical | dump | physical
  std::string method;  // what the import request asks for: auto | delta | logical | dump | physical
  std::string expected;  // what is expected to run: delta | logical | dump | physical
  std::string reason;    // why `expected`, for plan and the terminal
};

// InvalidArgument for names this version knows nothing of; FailedPrecondition when
// `logical` or `delta` is asked of a source that cannot take it, or
// `physical` of a pair that cannot (no [mariadb.service] control on the target,
// different MariaDB major.minor, encryption on the source, too little disk).
// `auto_delta` false ([cluster] auto_delta = false) keeps auto off the delta method.
absl::StatusOr<MethodChoice> ChooseMethod(const std::string& requested,
                                          const v1::NodeStatus& source,
                                          const v1::NodeStatus& target = v1::NodeStatus(),
                                          bool auto_delta = true);

// "method delta (auto: <reason>)": the choice and why, for plan and recover.
std::string MethodLine(const MethodChoice& choice);

// Whether `--method auto` repairs in place: the target holds user tables, the same
// user schemas as the source, and at least half of the source's data (by size, each
// table counting at least 1 byte) is in tables the target has with the same column
// definitions and a key. `reason` says why, or why not, with the figures.
struct DeltaFit {
  bool fits = false;
  std::string reason;
};
DeltaFit JudgeDeltaFit(const v1::NodeStatus& source, const v1::NodeStatus& target);

// The snapshot rule for the source's non-transactional (non-InnoDB) tables, for plan when
// the dump method runs: no consistent snapshot covers them without a lock, so the source
// holds a global read lock (--lock-all-tables) for the whole dump and its writers wait
// that long. Names the tables' count, their engines and the data to dump; empty when all
// user tables are InnoDB.
std::string NonTransactionalLockLine(const v1::NodeStatus& source, uint64_t source_bytes);

// Why the physical method cannot re-seed `target` from `source`; empty when it can.
std::string PhysicalBlocker(const v1::NodeStatus& source, const v1::NodeStatus& target);

}  // namespace mmresync::coordinator
