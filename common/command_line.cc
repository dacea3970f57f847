#include "common/command_line.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mmresync {
namespace {

// The deepest subcommand the parse entered, and the chain above it (root first).
std::vector<const CLI::App*> ParsedChain(const CLI::App& app) {
  std::vector<const CLI::App*> chain{&app};
  for (;;) {
    std::vector<const CLI::App*> parsed = chain.back()->get_subcommands(
        [](const CLI::App* sub) { return sub->parsed() && !sub->get_name().empty(); });
    if (parsed.empty()) return chain;
    chain.push_back(parsed.front());
  }
}

std::vector<std::string> CommandNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (!sub->get_name().empty()) names.push_back(sub->get_name());
  }
  return names;
}

// Options valid at the end of `chain`: its own and, with fallthrough, its parents'.
std::vector<std::string> FlagNames(const std::vector<const CLI::App*>& chain) {
  std::vector<std::string> names;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    for (const CLI::Option* opt : (*it)->get_options()) {
      for (const std::string& l : opt->get_lnames()) names.push_back("--" + l);
      for (const std::string& s : opt->get_snames()) names.push_back("-" + s);
    }
    if (!(*it)->get_fallthrough()) break;
  }
  return names;
}

std::string CommandPath(const std::vector<const CLI::App*>& chain, const std::string& program) {
  std::string path = program;
  for (size_t i = 1; i < chain.size(); ++i) absl::StrAppend(&path, " ", chain[i]->get_name());
  return path;
}

std::string DidYouMean(absl::string_view word, const std::vector<std::string>& names) {
  std::optional<std::string> near = Nearest(word, names);
  return near ? absl::StrCat(" (did you mean ", *near, "?)") : std::string();
}

}  // namespace

size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::optional<std::string> Nearest(absl::string_view word, const std::vector<std::string>& names) {
  std::optional<std::string> best;
  size_t best_distance = 0;
  for (const std::string& name : names) {
    size_t d = EditDistance(word, name);
    if (!best || d < best_distance) {
      best = name;
      best_distance = d;
    }
  }
  if (!best) return std::nullopt;
  size_t limit = std::max<size_t>(2, std::max(word.size(), best->size()) / 3);
  if (best_distance > limit) return std::nullopt;
  return best;
}

std::string ExplainParseError(const CLI::App& app, const CLI::ParseError& error,
                              const std::string& program) {
  std::vector<const CLI::App*> chain = ParsedChain(app);
  const CLI::App& last = *chain.back();
  const std::string path = CommandPath(chain, program);
  const std::string see = absl::StrCat("; see ", path, " --help");
  std::vector<std::string> unexpected = app.remaining(/*recurse=*/true);
  std::vector<std::string> commands = CommandNames(last);
  if (!unexpected.empty()) {
    const std::string& word = unexpected.front();
    if (absl::StartsWith(word, "-")) {
      std::string flag = word.substr(0, word.find('='));
      return absl::StrCat(path, ": unknown flag ", flag, DidYouMean(flag, FlagNames(chain)), see);
    }
    bool expects_command = !commands.empty() && last.get_require_subcommand_min() > 0;
    if (expects_command) {
      return absl::StrCat(path, ": unknown command \"", word, "\"", DidYouMean(word, commands),
                          "; commands: ", absl::StrJoin(commands, ", "), see);
    }
    return absl::StrCat(path, ": unexpected argument \"", word, "\"", see);
  }
  if (error.get_name() == "RequiredError" && !commands.empty() &&
      absl::StrContains(error.what(), "subcommand")) {
    return absl::StrCat(path, ": a command is required: ", absl::StrJoin(commands, ", "), see);
  }
  return absl::StrCat(path, ": ", error.what(), see);
}

std::optional<int> ParseCommandLine(CLI::App& app, int argc, const char* const* argv,
                                    int usage_exit, FILE* out, FILE* err) {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, std::cout, std::cerr);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e, std::cout, std::cerr);
  } catch (const CLI::CallForVersion& e) {
    std::fprintf(out, "%s\n", e.what());
    return 0;
  } catch (const CLI::ParseError& e) {
    std::string program = app.get_name().empty() ? "mmresync" : app.get_name();
    std::fprintf(err, "%s\n", ExplainParseError(app, e, program).c_str());
    return usage_exit;
  }
}

std::optional<std::string> HelpFor(const CLI::App& app, const std::vector<std::string>& path,
                                   std::string* error) {
  const CLI::App* at = &app;
  std::string typed = app.get_name();
  for (const std::string& word : path) {
    std::vector<std::string> commands = CommandNames(*at);
    auto it = std::find(commands.begin(), commands.end(), word);
    if (it == commands.end()) {
      *error = absl::StrCat(typed, ": unknown command \"", word, "\"", DidYouMean(word, commands),
                            commands.empty() ? "" : "; commands: ", absl::StrJoin(commands, ", "));
      return std::nullopt;
    }
    at = at->get_subcommand(word);
    absl::StrAppend(&typed, " ", word);
  }
  // Not at->help(): after a parse, CLI11 hands that to the parsed subcommand (`help`).
  return at->get_formatter()->make_help(at, typed, CLI::AppFormatMode::Normal);
}

}  // namespace mmresync
