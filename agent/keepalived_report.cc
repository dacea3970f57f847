#include "agent/keepalived_report.h"

#include <limits.h>
#include <unistd.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mmresync::agent {

std::string ShortHostName() {
  char name[HOST_NAME_MAX + 1] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "";
  std::string host(name);
  return host.substr(0, host.find('.'));
}

void DescribeKeepalivedFiles(const KeepalivedSettings& settings, ConfigFiles& files,
                             const std::string& config_id, v1::KeepalivedState* out) {
  out->set_pid(static_cast<uint32_t>(ReadLivePid(settings.pid_file)));
  out->set_config_file(settings.config_file);
  if (settings.config_file.empty()) return;
  absl::StatusOr<KeepalivedConfigFacts> facts =
      ReadKeepalivedConfig(settings.config_file, files, config_id);
  if (!facts.ok()) {
    out->set_config_error(std::string(facts.status().message()));
    return;
  }
  if (settings.vip.empty()) {
    out->set_config_error("no [keepalived] vip in the agent's config: instance not looked up");
    return;
  }
  std::vector<const VrrpInstance*> found = InstancesWithVip(*facts, settings.vip);
  if (found.empty()) {
    out->set_config_error(absl::StrCat("no vrrp_instance in ", settings.config_file,
                                       facts->files.size() > 1 ? " (and its includes)" : "",
                                       " lists the VIP ", settings.vip));
    return;
  }
  if (found.size() > 1) {
    std::vector<std::string> names;
    for (const VrrpInstance* v : found) names.push_back(v->name);
    out->set_config_error(absl::StrCat(found.size(), " vrrp_instances list the VIP ", settings.vip,
                                       ": ", absl::StrJoin(names, ", ")));
    return;
  }
  const VrrpInstance& v = *found[0];
  v1::VrrpInstanceConfig* i = out->mutable_instance();
  i->set_name(v.name);
  i->set_state(v.state);
  i->set_priority(v.priority);
  i->set_nopreempt(v.nopreempt);
  i->set_preempt_delay_s(v.preempt_delay_s);
  i->set_tracked(v.tracked);
  i->set_advert_int_ms(v.advert_int_ms);
  i->set_origin(v.origin);
  i->set_unevaluated(facts->unevaluated);
}

}  // namespace mmresync::agent
