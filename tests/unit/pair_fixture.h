#pragma once

// A pair as discovery sees it, for the plan and step unit tests: db1 (10.0.0.1) holds the
// VIP and is the source, db2 (10.0.0.2) is the target.

#include <string>

#include "coordinator/recovery_plan.h"

namespace mmresync::coordinator::testing_util {

inline NodeEntry Entry(const std::string& name, const std::string& host) {
  NodeEntry e;
  e.name = name;
  e.agent = host + ":7443";
  e.mariadb_host = host;
  e.mariadb_port = 3306;
  return e;
}

inline v1::NodeStatus Status(const std::string& name, bool vip_local, const std::string& schema) {
  v1::NodeStatus s;
  s.set_node(name);
  s.set_log_bin(true);
  s.set_vip_configured(true);
  s.set_vip("10.0.0.100");
  s.set_vip_local(vip_local);
  auto* sc = s.add_schemas();
  sc->set_name(schema);
  sc->set_bytes(1 << 20);
  return s;
}

// PlanInputs for db1 → db2 over `config` (which must outlive them).
inline PlanInputs PairInputs(ClusterConfig& config) {
  config.name = "pair1";
  config.nodes = {Entry("db1", "10.0.0.1"), Entry("db2", "10.0.0.2")};
  PlanInputs in;
  in.config = &config;
  in.view.nodes[0].entry = config.nodes[0];
  in.view.nodes[1].entry = config.nodes[1];
  in.view.nodes[0].status = Status("db1", true, "shop");
  in.view.nodes[1].status = Status("db2", false, "shop_stale");
  in.roles = Roles{0, 1, "holds the VIP"};
  return in;
}

}  // namespace mmresync::coordinator::testing_util
