#include "coordinator/fence_steps.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "coordinator/agent_requests.h"
#include "coordinator/vip_watch.h"
#include "coordinator/vrrp_prediction.h"

namespace mmresync::coordinator {

Step FenceTargetStep(const PairFacts& f) {
  const std::string& S = f.source.name;
  const std::string& T = f.target.name;
  Step step;
  step.id = "fence-target";
  step.effect = StepEffect::kFencesTarget;
  step.title = "fence target";
  step.node = T;
  step.actions = {absl::StrCat(T, ": stop keepalived"),
                  f.vip ? absl::StrCat("check: VIP absent on ", T, ", present on ", S)
                        : std::string("(no VIP configured: no VIP check)"),
                  absl::StrCat(T, ": ", RequestText(SetReadOnlyRequestFor("", true)))};
  step.rerun_on_resume = true;
  step.run = [](RunContext& ctx) -> absl::Status {
    // The original read_only is restored at the end; keep the first value seen.
    if (!ctx.records.count("target_read_only")) {
      ctx.records["target_read_only"] = std::string(ctx.target_status().read_only() ? "1" : "0");
    }
    ASSIGN_OR_RETURN(v1::ActionReply stopped,
                     ctx.target->Send(KeepalivedRequestFor(ctx.run_id, /*start=*/false)));
    ctx.Note(stopped.detail());
    RETURN_IF_ERROR(WaitVip(ctx, true, ctx.options.vip_wait));
    ASSIGN_OR_RETURN(v1::ActionReply ro, ctx.target->Send(SetReadOnlyRequestFor(ctx.run_id, true)));
    ctx.Note(absl::StrCat(stopped.detail(), "; ", ro.detail()));
    return absl::OkStatus();
  };
  return step;
}

Step UnfenceStep(const PlanInputs& in, const PairFacts& f) {
  const std::string& S = f.source.name;
  const std::string& T = f.target.name;
  std::string vip_check = std::string("(no VIP configured: no VIP check)");
  if (f.vip) {
    TakeoverPrediction p = PredictTakeover(*in.view.nodes[in.roles.source].status,
                                           *in.view.nodes[in.roles.target].status);
    vip_check = absl::StrCat("check: VIP still on ", S,
                             p.outcome == TakeoverPrediction::Outcome::kStays
                                 ? absl::StrCat(" (", p.reason, ")")
                                 : absl::StrCat(", watched for a VRRP takeover: ", p.reason));
  }
  Step step;
  step.id = "unfence";
  step.effect = StepEffect::kUnfencesTarget;
  step.title = "unfence target";
  step.node = T;
  step.actions = {absl::StrCat(T, ": ", RequestText(SetReadOnlyRequestFor("", f.target_read_only)),
                               "  (read_only as before the run)"),
                  absl::StrCat(T, ": start keepalived (unless it was stopped before the run)"),
                  vip_check};
  step.rerun_on_resume = true;
  step.run = [](RunContext& ctx) -> absl::Status {
    const std::string& S = ctx.source->node().name;
    const std::string& T = ctx.target->node().name;
    bool was_read_only = ctx.records["target_read_only"] == "1";
    ASSIGN_OR_RETURN(v1::ActionReply ro_reply,
                     ctx.target->Send(SetReadOnlyRequestFor(ctx.run_id, was_read_only)));
    const std::string& ro = ro_reply.detail();
    ctx.Note(ro);
    if (ctx.records["target_keepalived"] == "stopped") {
      // As before the run (recorded with its start): someone had stopped it there,
      // and starting it could hand the target the VIP.
      ctx.Note(absl::StrCat(ro, "; keepalived left stopped on ", T, ", as it was before the run"));
      return absl::OkStatus();
    }
    absl::StatusOr<std::string> started = ctx.target->Keepalived(ctx.run_id, true);
    if (!started.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("the pair replicates both ways again and ", T,
                       "'s read_only is restored, but keepalived on ", T,
                       " did not start: ", started.status().message(), ". ", S, " keeps the VIP; ",
                       T, " cannot take it over until keepalived runs there again"));
    }
    ctx.Note(*started);
    if (!ctx.source_status().vip_configured()) return absl::OkStatus();
    RETURN_IF_ERROR(ConfirmVipStays(ctx));
    ctx.Note(absl::StrCat(ro, "; ", *started, "; VIP on ", S));
    return absl::OkStatus();
  };
  return step;
}

}  // namespace mmresync::coordinator
