#include "coordinator/plan_json.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/version.h"
#include "coordinator/json_text.h"

namespace mmresync::coordinator {

std::string RenderPlanJson(const PlanSummary& summary, const std::vector<Step>& steps,
                           const std::set<std::string>& skipped_on_resume) {
  std::vector<std::string> items;
  int index = 0;
  for (const Step& step : steps) {
    ++index;
    std::vector<std::string> nodes, actions;
    for (absl::string_view n : absl::StrSplit(step.node, " → ", absl::SkipEmpty())) {
      nodes.push_back(JsonQuote(n));
    }
    for (const std::string& a : step.actions) actions.push_back(JsonQuote(a));
    items.push_back(absl::StrCat(
        "{\"index\":", index, ",\"id\":", JsonQuote(step.id), ",\"title\":", JsonQuote(step.title),
        ",\"node\":", JsonQuote(step.node), ",\"nodes\":[", absl::StrJoin(nodes, ","),
        "],\"actions\":[", absl::StrJoin(actions, ","),
        "],\"skipped_on_resume\":", skipped_on_resume.count(step.id) ? "true" : "false", "}"));
  }
  return absl::StrCat(
      "{\"schema_version\":", kJsonSchemaVersion, ",\"version\":", JsonQuote(VersionText()),
      ",\"cluster\":", JsonQuote(summary.cluster), ",\"source\":", JsonQuote(summary.source),
      ",\"target\":", JsonQuote(summary.target), ",\"reason\":", JsonQuote(summary.reason),
      ",\"method\":", JsonQuote(summary.method), ",\"resume_run\":", JsonQuote(summary.resume_run),
      ",\"method_chosen\":", JsonQuote(summary.method_chosen),
      ",\"method_reason\":", JsonQuote(summary.method_reason), ",\"steps\":[",
      absl::StrJoin(items, ","), "]}\n");
}

}  // namespace mmresync::coordinator
