#include "agent/keepalived_config.h"

#include <glob.h>
#include <signal.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/ip_address.h"
#include "common/status_macros.h"

namespace mmresync::agent {
namespace {

constexpr size_t kMaxFiles = 64;
constexpr int kMaxDepth = 8;
constexpr size_t kMaxFileBytes = 1 << 20;

struct Token {
  std::string text;
  std::string origin;  // file:line
  bool line_start = false;
};

struct Statement {
  std::string key;
  std::vector<std::string> args;
  std::vector<Statement> block;
  std::string origin;
};

std::string DirOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

// Textual inclusion, as keepalived does it: the tokens of included files take the place
// of the include line.
class Tokenizer {
 public:
  Tokenizer(ConfigFiles& files, std::string config_id, KeepalivedConfigFacts* facts)
      : files_(files), config_id_(std::move(config_id)), facts_(facts) {}

  absl::Status AddFile(const std::string& path, int depth) {
    if (depth > kMaxDepth) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, ": includes nested deeper than ", kMaxDepth, " (a loop?)"));
    }
    if (facts_->files.size() >= kMaxFiles) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, ": more than ", kMaxFiles, " files included (a loop?)"));
    }
    facts_->files.push_back(path);
    ASSIGN_OR_RETURN(std::string text, files_.Read(path));
    int line_no = 0;
    for (absl::string_view line : absl::StrSplit(text, '\n')) {
      ++line_no;
      size_t comment = line.find_first_of("#!");
      if (comment != absl::string_view::npos) line = line.substr(0, comment);
      std::vector<std::string> words = Words(line);
      if (words.empty()) continue;
      if (words[0][0] == '@') {
        if (!ConditionHolds(words[0])) continue;
        words.erase(words.begin());
        if (words.empty()) continue;
      }
      if (line.find('$') != absl::string_view::npos) facts_->unevaluated = true;
      if (words[0] == "include" && words.size() >= 2) {
        std::string pattern = words[1];
        if (pattern[0] != '/') pattern = absl::StrCat(DirOf(path), "/", pattern);
        ASSIGN_OR_RETURN(std::vector<std::string> matches, files_.Glob(pattern));
        for (const std::string& m : matches) RETURN_IF_ERROR(AddFile(m, depth + 1));
        continue;
      }
      std::string origin = absl::StrCat(path, ":", line_no);
      for (size_t i = 0; i < words.size(); ++i) {
        tokens_.push_back({std::move(words[i]), origin, i == 0});
      }
    }
    return absl::OkStatus();
  }

  std::vector<Token>& tokens() { return tokens_; }

 private:
  // Whitespace-separated words, with braces always words of their own.
  static std::vector<std::string> Words(absl::string_view line) {
    std::vector<std::string> out;
    std::string word;
    auto flush = [&] {
      if (!word.empty()) out.push_back(std::move(word));
      word.clear();
    };
    for (char c : line) {
      if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
        flush();
      } else if (c == '{' || c == '}') {
        flush();
        out.emplace_back(1, c);
      } else {
        word.push_back(c);
      }
    }
    flush();
    return out;
  }

  // "@id" keeps the line on the host whose config_id is id, "@^id" on every other host.
  bool ConditionHolds(const std::string& word) const {
    bool negate = word.size() > 1 && word[1] == '^';
    std::string id = word.substr(negate ? 2 : 1);
    return (id == config_id_) != negate;
  }

  ConfigFiles& files_;
  std::string config_id_;
  KeepalivedConfigFacts* facts_;
  std::vector<Token> tokens_;
};

class TreeBuilder {
 public:
  explicit TreeBuilder(std::vector<Token>& tokens) : tokens_(tokens) {}

  absl::StatusOr<std::vector<Statement>> Top() {
    ASSIGN_OR_RETURN(std::vector<Statement> top, Block(0));
    if (i_ < tokens_.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat(tokens_[i_].origin, ": '}' without a matching '{'"));
    }
    return top;
  }

 private:
  absl::StatusOr<std::vector<Statement>> Block(int depth) {
    std::vector<Statement> out;
    while (i_ < tokens_.size() && tokens_[i_].text != "}") {
      if (tokens_[i_].text == "{") {  // a block with no keyword: keepalived ignores it too
        ++i_;
        RETURN_IF_ERROR(Nested(depth).status());
        continue;
      }
      Statement s;
      s.key = tokens_[i_].text;
      s.origin = tokens_[i_].origin;
      ++i_;
      while (i_ < tokens_.size() && !tokens_[i_].line_start && tokens_[i_].text != "{" &&
             tokens_[i_].text != "}") {
        s.args.push_back(tokens_[i_++].text);
      }
      if (i_ < tokens_.size() && tokens_[i_].text == "{") {
        ++i_;
        ASSIGN_OR_RETURN(s.block, Nested(depth));
      }
      out.push_back(std::move(s));
    }
    return out;
  }

  absl::StatusOr<std::vector<Statement>> Nested(int depth) {
    std::string opened = tokens_[i_ - 1].origin;
    if (depth >= 32) return absl::InvalidArgumentError(absl::StrCat(opened, ": nested too deep"));
    ASSIGN_OR_RETURN(std::vector<Statement> inner, Block(depth + 1));
    if (i_ >= tokens_.size()) {
      return absl::InvalidArgumentError(absl::StrCat(opened, ": '{' is never closed"));
    }
    ++i_;  // the '}'
    return inner;
  }

  std::vector<Token>& tokens_;
  size_t i_ = 0;
};

void AddAddresses(const std::vector<Statement>& block, std::vector<std::string>* out) {
  for (const Statement& a : block) {
    std::string address = a.key.substr(0, a.key.find('/'));
    out->push_back(address);
  }
}

VrrpInstance ToInstance(const Statement& s) {
  VrrpInstance v;
  v.name = s.args.empty() ? std::string("(unnamed)") : s.args[0];
  v.origin = s.origin;
  for (const Statement& c : s.block) {
    std::string arg = c.args.empty() ? std::string() : c.args[0];
    if (c.key == "state") {
      v.state = absl::AsciiStrToUpper(arg);
    } else if (c.key == "priority") {
      uint32_t p = 0;
      if (absl::SimpleAtoi(arg, &p) && p >= 1 && p <= 255) {
        v.priority = p;
        v.priority_set = true;
      }
    } else if (c.key == "nopreempt") {
      v.nopreempt = true;
    } else if (c.key == "preempt") {
      v.nopreempt = false;
    } else if (c.key == "preempt_delay") {
      double seconds = 0;
      if (absl::SimpleAtod(arg, &seconds) && seconds >= 0 && seconds < 1e6) {
        v.preempt_delay_s = static_cast<uint32_t>(seconds);
      }
    } else if (c.key == "advert_int") {
      double seconds = 0;
      if (absl::SimpleAtod(arg, &seconds) && seconds > 0 && seconds <= 255) {
        v.advert_int_ms = static_cast<uint32_t>(seconds * 1000);
      }
    } else if (c.key == "virtual_ipaddress" || c.key == "virtual_ipaddress_excluded") {
      AddAddresses(c.block, &v.addresses);
    } else if (absl::StartsWith(c.key, "track_")) {
      v.tracked = true;
    }
  }
  return v;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> RealConfigFiles::Glob(const std::string& pattern) {
  glob_t g{};
  int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
  std::vector<std::string> out;
  if (rc == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  }
  ::globfree(&g);
  if (rc != 0 && rc != GLOB_NOMATCH) {
    return absl::InternalError(absl::StrCat("glob ", pattern, " failed (", rc, ")"));
  }
  return out;
}

absl::StatusOr<std::string> RealConfigFiles::Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  std::string text(kMaxFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxFileBytes) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": larger than 1 MiB"));
  }
  return text;
}

absl::StatusOr<KeepalivedConfigFacts> ReadKeepalivedConfig(const std::string& path,
                                                           ConfigFiles& files,
                                                           const std::string& config_id) {
  KeepalivedConfigFacts facts;
  Tokenizer tokenizer(files, config_id, &facts);
  RETURN_IF_ERROR(tokenizer.AddFile(path, 0));
  TreeBuilder builder(tokenizer.tokens());
  ASSIGN_OR_RETURN(std::vector<Statement> top, builder.Top());
  for (const Statement& s : top) {
    if (s.key == "vrrp_instance") facts.instances.push_back(ToInstance(s));
  }
  return facts;
}

std::vector<const VrrpInstance*> InstancesWithVip(const KeepalivedConfigFacts& facts,
                                                  std::string_view vip) {
  std::vector<const VrrpInstance*> out;
  for (const VrrpInstance& v : facts.instances) {
    for (const std::string& a : v.addresses) {
      if (SameIpAddress(a, vip)) {
        out.push_back(&v);
        break;
      }
    }
  }
  return out;
}

int ReadLivePid(const std::string& pid_file) {
  if (pid_file.empty()) return 0;
  std::ifstream in(pid_file);
  std::string text;
  if (!in || !std::getline(in, text)) return 0;
  int pid = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &pid) || pid <= 0) return 0;
  // A zombie has exited; only its parent has not reaped it yet.
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (stat && std::getline(stat, line)) {
    size_t paren = line.rfind(')');
    if (paren != std::string::npos && paren + 2 < line.size()) {
      return line[paren + 2] == 'Z' ? 0 : pid;
    }
  }
  return (::kill(pid, 0) == 0 || errno == EPERM) ? pid : 0;
}

}  // namespace mmresync::agent
