#pragma once

// The keepalived part of GetStatus that comes from files rather than from the
// controller: the PID and what keepalived.conf says about the VIP's vrrp_instance.

#include <string>

#include "agent/keepalived_config.h"
#include "common/config.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::agent {

// keepalived's default config_id: the host name without its domain.
std::string ShortHostName();

// Sets pid, config_file, config_error and instance of `out`. Never fails: what cannot be
// read becomes config_error ("cannot read ...: Permission denied", "no vrrp_instance
// lists the VIP ...", "2 vrrp_instances list the VIP ...: VI_1, VI_2").
void DescribeKeepalivedFiles(const KeepalivedSettings& settings, ConfigFiles& files,
                             const std::string& config_id, v1::KeepalivedState* out);

}  // namespace mmresync::agent
