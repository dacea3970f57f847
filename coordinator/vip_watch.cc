#include "coordinator/vip_watch.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/poll_backoff.h"
#include "coordinator/vrrp_prediction.h"

namespace mmresync::coordinator {

absl::Status WaitVip(RunContext& ctx, bool want_on_source, absl::Duration timeout) {
  if (!ctx.source_status().vip_configured()) return absl::OkStatus();
  absl::Time deadline = absl::Now() + timeout;
  std::string last;
  // keepalived drops or takes the address within moments of its stop or start.
  PollBackoff backoff(absl::Milliseconds(500));
  while (true) {
    auto s = ctx.source->GetStatus(/*brief=*/true);
    auto t = ctx.target->GetStatus(/*brief=*/true);
    if (s.ok() && t.ok()) {
      bool ok = !t->vip_local() && (s->vip_local() || !want_on_source);
      if (ok) return absl::OkStatus();
      last = absl::StrCat(ctx.source->node().name, " VIP ", s->vip_local() ? "present" : "absent",
                          ", ", ctx.target->node().name, " VIP ",
                          t->vip_local() ? "present" : "absent");
    } else {
      last = std::string(!s.ok() ? s.status().message() : t.status().message());
    }
    if (absl::Now() >= deadline) {
      return absl::FailedPreconditionError(absl::StrCat("VIP not where it must be after ",
                                                        absl::FormatDuration(timeout), ": ", last));
    }
    ctx.Note(absl::StrCat("waiting for the VIP: ", last));
    absl::SleepFor(backoff.Next(deadline - absl::Now()));
  }
}

namespace {

// The loud error for a VIP that went to the freshly re-seeded target.
absl::Status VipMoved(RunContext& ctx, const TakeoverPrediction& p) {
  const std::string& S = ctx.source->node().name;
  const std::string& T = ctx.target->node().name;
  // The old master gives the VIP up when it hears the new one: allow it that moment.
  auto s = ctx.source->GetStatus(/*brief=*/true);
  for (int i = 0; i < 8 && s.ok() && s->vip_local(); ++i) {
    absl::SleepFor(absl::Milliseconds(250));
    s = ctx.source->GetStatus(/*brief=*/true);
  }
  std::string on_source = !s.ok() ? absl::StrCat(", ", S, " cannot say whether it too holds it")
                          : s->vip_local() ? absl::StrCat(" AND still on ", S, " (both hold it)")
                                           : absl::StrCat(", no longer on ", S);
  return absl::FailedPreconditionError(absl::StrCat(
      "VIP MOVED: after keepalived started on ", T, " the VIP ", ctx.source_status().vip(),
      " is on ", T, " (the re-seeded node)", on_source, ". Why: ",
      p.outcome == TakeoverPrediction::Outcome::kTakes
          ? p.reason
          : absl::StrCat("not explained by the keepalived configs (", p.reason,
                         "); check keepalived's log on both nodes"),
      ". The data is safe: both nodes replicate from each other and ", T, " has all of ", S,
      "'s data, so writes now go to ", T, ". To keep ", S, " the master after a recovery, give ", T,
      " nopreempt (with state BACKUP) or a lower priority"));
}

}  // namespace

absl::Status ConfirmVipStays(RunContext& ctx) {
  absl::StatusOr<v1::NodeStatus> s_now = ctx.source->GetStatus(/*brief=*/true);
  absl::StatusOr<v1::NodeStatus> t_now = ctx.target->GetStatus(/*brief=*/true);
  TakeoverPrediction p = PredictTakeover(s_now.ok() ? *s_now : ctx.source_status(),
                                         t_now.ok() ? *t_now : ctx.target_status());
  absl::Status where = WaitVip(ctx, true, ctx.options.vip_wait);
  auto target_has_vip = [&] {
    auto t = ctx.target->GetStatus(/*brief=*/true);
    return t.ok() && t->vip_local();
  };
  if (!where.ok()) {
    if (target_has_vip()) return VipMoved(ctx, p);
    return absl::FailedPreconditionError(
        absl::StrCat("the pair replicates both ways again, but after starting keepalived on ",
                     ctx.target->node().name, ": ", where.message()));
  }
  if (p.outcome == TakeoverPrediction::Outcome::kStays) {
    ctx.Note(absl::StrCat("VIP stays on ", ctx.source->node().name, ": ", p.reason));
    return absl::OkStatus();
  }
  uint32_t advert_ms = 1000;
  for (const auto* n : {&s_now, &t_now}) {
    if (n->ok()) advert_ms = std::max(advert_ms, (*n)->keepalived().instance().advert_int_ms());
  }
  absl::Duration watch = absl::Milliseconds(3 * advert_ms + 2000);
  ctx.Note(absl::StrCat("watching the VIP for ", absl::FormatDuration(watch), ": ", p.reason));
  absl::Time until = absl::Now() + watch;
  while (absl::Now() < until) {
    if (target_has_vip()) return VipMoved(ctx, p);
    absl::SleepFor(absl::Milliseconds(250));
  }
  if (target_has_vip()) return VipMoved(ctx, p);
  if (p.outcome == TakeoverPrediction::Outcome::kTakes && p.delay_s > 0) {
    std::string warning =
        absl::StrCat("the VIP is still on ", ctx.source->node().name, ", but will move to ",
                     ctx.target->node().name, " in about ", p.delay_s, " s: ", p.reason);
    ctx.Note(absl::StrCat("WARNING: ", warning));
    ctx.warnings.push_back(warning);
  }
  return absl::OkStatus();
}

}  // namespace mmresync::coordinator
