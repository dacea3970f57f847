#include "coordinator/vrrp_prediction.h"

#include "absl/strings/str_cat.h"

namespace mmresync::coordinator {
namespace {

std::string StateOf(const v1::VrrpInstanceConfig& i) {
  return i.state().empty() ? std::string("BACKUP (default)") : i.state();
}

std::string Where(const v1::NodeStatus& n) {
  const v1::VrrpInstanceConfig& i = n.keepalived().instance();
  return absl::StrCat(n.node(), "'s vrrp_instance ", i.name(), " (", i.origin(), ")");
}

}  // namespace

std::string DescribeVrrp(const v1::KeepalivedState& k, bool with_origin) {
  if (!k.has_instance()) {
    if (k.config_file().empty()) return "(no keepalived config_file)";
    return absl::StrCat("config: ", k.config_error().empty() ? "unknown" : k.config_error());
  }
  const v1::VrrpInstanceConfig& i = k.instance();
  return absl::StrCat(i.name(), ": ", StateOf(i), ", priority ", i.priority(),
                      i.nopreempt() ? ", nopreempt" : ", preempt",
                      i.preempt_delay_s() ? absl::StrCat(" after ", i.preempt_delay_s(), " s") : "",
                      i.tracked() ? ", tracked" : "",
                      i.unevaluated() ? ", $macros not expanded" : "",
                      with_origin ? absl::StrCat(" (", i.origin(), ")") : "");
}

TakeoverPrediction PredictTakeover(const v1::NodeStatus& holder, const v1::NodeStatus& starting) {
  using Outcome = TakeoverPrediction::Outcome;
  TakeoverPrediction p;
  const v1::KeepalivedState& sk = starting.keepalived();
  if (!sk.has_instance()) {
    p.reason = absl::StrCat("cannot tell whether ", starting.node(),
                            "'s keepalived will take the VIP: ", DescribeVrrp(sk));
    return p;
  }
  const v1::VrrpInstanceConfig& s = sk.instance();
  std::string caveat;
  if (s.unevaluated() || holder.keepalived().instance().unevaluated()) {
    caveat = " (the config uses $ macros, which were not expanded: check by hand)";
  } else if (s.tracked() || holder.keepalived().instance().tracked()) {
    caveat = " (configured priorities; track_* weights can change them at run time)";
  }
  if (s.priority() == 255) {
    p.outcome = Outcome::kTakes;
    p.reason = absl::StrCat(
        Where(starting), " has priority 255: it owns the address and always takes the VIP", caveat);
    return p;
  }
  bool preempts = !s.nopreempt() || s.state() == "MASTER";
  std::string why_preempts =
      !s.nopreempt() ? std::string("no nopreempt")
                     : std::string("nopreempt, which keepalived ignores with state MASTER");
  if (!preempts) {
    p.outcome = Outcome::kStays;
    p.reason = absl::StrCat(Where(starting),
                            " is BACKUP with nopreempt: it never takes the VIP "
                            "from a running master",
                            caveat);
    return p;
  }
  if (!holder.keepalived().has_instance()) {
    p.reason = absl::StrCat(Where(starting), " preempts (", why_preempts, ", priority ",
                            s.priority(), ") but ", holder.node(),
                            "'s priority is unknown: ", DescribeVrrp(holder.keepalived()));
    return p;
  }
  uint32_t mine = s.priority(), theirs = holder.keepalived().instance().priority();
  if (mine > theirs) {
    p.outcome = Outcome::kTakes;
    p.delay_s = s.preempt_delay_s();
    p.reason = absl::StrCat(Where(starting), " has priority ", mine, " > ", theirs, " on ",
                            holder.node(), " and ", why_preempts, ", so it preempts",
                            p.delay_s ? absl::StrCat(" after preempt_delay ", p.delay_s, " s") : "",
                            caveat);
    return p;
  }
  p.outcome = Outcome::kStays;
  p.reason =
      absl::StrCat(Where(starting), " has priority ", mine, mine == theirs ? " = " : " < ", theirs,
                   " on ", holder.node(), ": a running master keeps the VIP", caveat);
  return p;
}

}  // namespace mmresync::coordinator
