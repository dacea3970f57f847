#pragma once

// Parsing the command line of both binaries with CLI11, with errors an operator can act
// on: an unknown command or flag is named together with the closest valid one ("did you
// mean --json?"), a missing command lists the commands, and --help/--version print and
// exit 0. CLI11's own messages ("The following argument was not expected") name neither.

#include <cstdio>
#include <optional>
#include <string>
#include <vector>
#include "absl/strings/string_view.h"

#include "CLI/CLI.hpp"

namespace mmresync {

// Levenshtein distance (insert, delete, substitute; each costs 1).
size_t EditDistance(absl::string_view a, absl::string_view b);

// The candidate closest to `word` by edit distance, if it is close enough to be a typo
// (at most 2 edits, or a third of the longer word). Ties go to the first candidate.
std::optional<std::string> Nearest(absl::string_view word, const std::vector<std::string>& names);

// The error text for a parse failure of `app` (already parsed with the failing argv):
// "unknown command \"statsu\" (did you mean \"status\"?); commands: status, plan, ...".
// Never empty. `program` is what the user typed as argv[0]'s name.
std::string ExplainParseError(const CLI::App& app, const CLI::ParseError& error,
                              const std::string& program);

// Parses; returns nullopt when the program should go on, else the exit code to return
// (0 after --help/--version, `usage_exit` after an error, which is printed to `err`).
std::optional<int> ParseCommandLine(CLI::App& app, int argc, const char* const* argv,
                                    int usage_exit, FILE* out = stdout, FILE* err = stderr);

// `help [COMMAND...]`: the help text of the named (sub)command of `app`, or an error
// naming the closest command when there is no such command.
std::optional<std::string> HelpFor(const CLI::App& app, const std::vector<std::string>& path,
                                   std::string* error);

}  // namespace mmresync
