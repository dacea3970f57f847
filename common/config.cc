#include "common/config.h"
#include "absl/strings/string_view.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <exception>
#include <initializer_list>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <toml++/toml.h>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

// Loading rules shared by both files:
//
//  * Every error is an absl::Status whose message starts with the file name and, when
//    toml++ knows it, the line: `/etc/mmresync/cluster.toml:12: unknown key "node[1].agnet"`.
//    Keys are named by their full path; the [[node]] tables are numbered from 0 in file
//    order, as toml++ does ("node[0]" is the first [[node]]).
//  * Unknown tables or keys anywhere, missing required keys, values of the wrong TOML
//    type and values out of range are all errors. Only the first error is reported.
//  * Relative filesystem paths in the file (the [tls] files, the password files, the
//    state_dir, the MariaDB socket) are resolved against the directory that contains the
//    config file (the directory part of `path_for_errors` for the Parse* functions, made
//    absolute with the current directory when it is relative). This keeps a sandbox or
//    a test self-contained: its config can say `ca = "ca.pem"`. Commands (hooks,
//    dump_command, client_command, keepalived start/stop/status) are not paths and are
//    kept as written.
//  * toml++ reports syntax errors by throwing toml::parse_error; it is caught here, as is
//    anything else thrown, so no exception leaves these functions.

namespace mmresync {
namespace {

constexpr size_t kMaxSecretLine = 64 * 1024;

// ---------- small helpers ----------

// Debian's Abseil is built with its own std::string_view (ABSL_OPTION_USE_STD_STRING_VIEW
// is 0), which does not convert from std::string_view; StrCat and friends need this.
absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }

std::string Quote(std::string_view s) { return absl::StrCat("\"", absl::CHexEscape(AV(s)), "\""); }

std::string JoinKey(std::string_view prefix, std::string_view key) {
  if (prefix.empty()) return std::string(key);
  return absl::StrCat(AV(prefix), ".", AV(key));
}

const char* TypeName(toml::node_type type) {
  switch (type) {
    case toml::node_type::none:
      return "nothing";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
  }
  return "an unknown type";
}

absl::Status ErrnoStatus(int err, std::string_view message) {
  std::string text = absl::StrCat(AV(message), ": ", std::generic_category().message(err));
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(text);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(text);
    default:
      return absl::FailedPreconditionError(text);
  }
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Reads `path` until EOF, or (when stop_at_newline) until the first '\n'. At most
// `limit` bytes are kept; more is an error. Messages never include the content.
absl::StatusOr<std::string> ReadFileImpl(const std::string& path, std::string_view what,
                                         bool stop_at_newline, size_t limit) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoStatus(errno, absl::StrCat(AV(what), " ", path, ": cannot open"));
  std::string content;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, absl::StrCat(AV(what), " ", path, ": cannot read"));
    }
    if (n == 0) break;
    std::string_view chunk(buf, static_cast<size_t>(n));
    bool done = false;
    if (stop_at_newline) {
      size_t nl = chunk.find('\n');
      if (nl != std::string_view::npos) {
        chunk = chunk.substr(0, nl);
        done = true;
      }
    }
    if (content.size() + chunk.size() > limit) {
      return absl::InvalidArgumentError(
          absl::StrCat(AV(what), " ", path, ": longer than ", limit, " bytes"));
    }
    content.append(chunk);
    if (done) break;
  }
  return content;
}

std::string CurrentDir() {
  char buf[4096];
  if (::getcwd(buf, sizeof(buf)) == nullptr) return ".";
  return buf;
}

// The directory relative paths in a config file are resolved against: the directory part
// of the file's path, made absolute.
std::string BaseDirOf(const std::string& config_path) {
  std::string dir;
  size_t slash = config_path.rfind('/');
  if (slash == std::string::npos) {
    dir = "";
  } else if (slash == 0) {
    return "/";
  } else {
    dir = config_path.substr(0, slash);
  }
  if (!dir.empty() && dir[0] == '/') return dir;
  std::string cwd = CurrentDir();
  if (dir.empty() || dir == ".") return cwd;
  if (cwd == "/") return absl::StrCat("/", dir);
  return absl::StrCat(cwd, "/", dir);
}

std::string ResolvePath(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  std::string_view rel = path;
  while (rel.size() > 2 && rel.substr(0, 2) == "./") rel.remove_prefix(2);
  if (base_dir == "/") return absl::StrCat("/", AV(rel));
  return absl::StrCat(base_dir, "/", AV(rel));
}

// ---------- value checks: each returns "" when fine, else what is wrong ----------

bool IsNameChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

std::string NameProblem(std::string_view v) {
  if (v.empty() || v.size() > 64) {
    return absl::StrCat(Quote(v), " must be 1 to 64 characters from [A-Za-z0-9_.-]");
  }
  for (char c : v) {
    if (!IsNameChar(c)) {
      return absl::StrCat(Quote(v), " must be 1 to 64 characters from [A-Za-z0-9_.-]");
    }
  }
  return "";
}

// Host names and IP literals: [A-Za-z0-9.:_-]{1,253}.
std::string HostProblem(std::string_view v) {
  if (v.empty()) return "must not be empty";
  if (v.size() > 253) return "host name longer than 253 characters";
  for (char c : v) {
    if (!IsNameChar(c) && c != ':') {
      return absl::StrCat(Quote(v), " is not a host name or IP address");
    }
  }
  return "";
}

std::string IpProblem(std::string_view v) {
  std::string s(v);
  unsigned char buf[sizeof(struct in6_addr)];
  if (::inet_pton(AF_INET, s.c_str(), buf) == 1) return "";
  if (::inet_pton(AF_INET6, s.c_str(), buf) == 1) return "";
  return absl::StrCat(Quote(v), " is not an IPv4 or IPv6 address");
}

std::string PortRangeProblem(int64_t port) {
  if (port < 1 || port > 65535) return absl::StrCat("port ", port, " is out of range 1..65535");
  return "";
}

// "host:port" or "[v6]:port".
std::string HostPortProblem(std::string_view v) {
  const std::string bad =
      absl::StrCat(Quote(v), " must be host:port (an IPv6 address in brackets: [::1]:7443)");
  size_t colon = v.rfind(':');
  if (colon == std::string_view::npos) return bad;
  std::string_view host = v.substr(0, colon);
  std::string_view port = v.substr(colon + 1);
  if (host.empty()) return absl::StrCat(Quote(v), ": empty host");
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return bad;
    std::string inner(host.substr(1, host.size() - 2));
    unsigned char buf[sizeof(struct in6_addr)];
    if (::inet_pton(AF_INET6, inner.c_str(), buf) != 1) {
      return absl::StrCat(Quote(v), ": ", Quote(inner), " is not an IPv6 address");
    }
  } else {
    if (host.find(':') != std::string_view::npos) return bad;
    if (std::string p = HostProblem(host); !p.empty()) return absl::StrCat(Quote(v), ": ", p);
  }
  if (port.empty() || port.size() > 5) return absl::StrCat(Quote(v), ": bad port");
  int64_t n = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return absl::StrCat(Quote(v), ": bad port");
    n = n * 10 + (c - '0');
  }
  if (std::string p = PortRangeProblem(n); !p.empty()) return absl::StrCat(Quote(v), ": ", p);
  return "";
}

// ---------- reading tables ----------

struct Ctx {
  std::string file;      // named in messages
  std::string base_dir;  // relative paths are resolved against this
};

std::string Where(const Ctx& ctx, const toml::source_region& src) {
  if (src.begin.line == 0) return ctx.file;
  return absl::StrCat(ctx.file, ":", src.begin.line);
}

absl::Status Invalid(const Ctx& ctx, const toml::source_region& src, std::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat(Where(ctx, src), ": ", AV(msg)));
}

enum class Need {
  kOptional,           // absent keeps the default; any string, even ""
  kNonEmptyIfPresent,  // absent keeps the default; present must be non-empty
  kRequired,           // must be present and non-empty
};

// One table of the file, or an absent one (table == nullptr), which reads as empty: its
// optional keys keep their defaults and a required key in it is reported as missing.
class Section {
 public:
  Section(const Ctx& ctx, const toml::table* table, std::string prefix)
      : ctx_(&ctx), table_(table), prefix_(std::move(prefix)) {}

  bool present() const { return table_ != nullptr; }
  const toml::table* table() const { return table_; }
  std::string KeyPath(std::string_view key) const { return JoinKey(prefix_, key); }

  const toml::node* Find(std::string_view key) const {
    return table_ == nullptr ? nullptr : table_->get(key);
  }
  bool Has(std::string_view key) const { return Find(key) != nullptr; }

  // Where the table is (for "missing key" errors); no line when it is absent.
  toml::source_region TableSource() const {
    return table_ == nullptr ? toml::source_region{} : table_->source();
  }
  // Where the key's value is, falling back to the table.
  toml::source_region KeySource(std::string_view key) const {
    const toml::node* n = Find(key);
    if (n != nullptr && n->source().begin.line != 0) return n->source();
    return TableSource();
  }

  // Error about the value at `key`.
  absl::Status Fail(std::string_view key, std::string_view detail) const {
    return Invalid(*ctx_, KeySource(key),
                   absl::StrCat("key ", Quote(KeyPath(key)), ": ", AV(detail)));
  }
  absl::Status Check(std::string_view key, const std::string& problem) const {
    if (problem.empty()) return absl::OkStatus();
    return Fail(key, problem);
  }
  absl::Status Missing(std::string_view key) const {
    return Invalid(*ctx_, TableSource(),
                   absl::StrCat("missing required key ", Quote(KeyPath(key))));
  }

  // Every key must be one of `allowed`. The first unknown key in file order is named.
  absl::Status CheckKeys(std::initializer_list<std::string_view> allowed) const {
    if (table_ == nullptr) return absl::OkStatus();
    const toml::key* worst_key = nullptr;
    const toml::node* worst_node = nullptr;
    uint32_t worst_line = 0;
    for (const auto& [key, node] : *table_) {
      bool known = false;
      for (std::string_view a : allowed) {
        if (key.str() == a) {
          known = true;
          break;
        }
      }
      if (known) continue;
      uint32_t line = key.source().begin.line;
      if (line == 0) line = node.source().begin.line;
      if (worst_key == nullptr || (line != 0 && (worst_line == 0 || line < worst_line))) {
        worst_key = &key;
        worst_node = &node;
        worst_line = line;
      }
    }
    if (worst_key == nullptr) return absl::OkStatus();
    toml::source_region src = worst_key->source();
    if (src.begin.line == 0) src = worst_node->source();
    const char* what = worst_node->is_table() ? "unknown table " : "unknown key ";
    return Invalid(*ctx_, src, absl::StrCat(what, Quote(KeyPath(worst_key->str()))));
  }

  // A sub-table. Absent yields an absent Section; another type is an error.
  absl::StatusOr<Section> SubTable(std::string_view key) const {
    const toml::node* n = Find(key);
    if (n == nullptr) return Section(*ctx_, nullptr, KeyPath(key));
    if (!n->is_table()) {
      return Invalid(
          *ctx_, KeySource(key),
          absl::StrCat("key ", Quote(KeyPath(key)), " must be a table, not ", TypeName(n->type())));
    }
    return Section(*ctx_, n->as_table(), KeyPath(key));
  }

  absl::Status String(std::string_view key, Need need, std::string* out) const {
    const toml::node* n = Find(key);
    if (n == nullptr) {
      if (need == Need::kRequired) return Missing(key);
      return absl::OkStatus();
    }
    if (!n->is_string()) {
      return Fail(key, absl::StrCat("must be a string, not ", TypeName(n->type())));
    }
    std::string value = n->as_string()->get();
    if (value.empty() && need != Need::kOptional) return Fail(key, "must not be empty");
    *out = std::move(value);
    return absl::OkStatus();
  }

  // Like String, then resolves a relative path against the config file's directory.
  absl::Status Path(std::string_view key, Need need, std::string* out) const {
    const bool had = Has(key);
    RETURN_IF_ERROR(String(key, need, out));
    if (had) *out = ResolvePath(ctx_->base_dir, *out);
    return absl::OkStatus();
  }

  // An optional boolean.
  absl::Status Bool(std::string_view key, bool* out) const {
    const toml::node* n = Find(key);
    if (n == nullptr) return absl::OkStatus();
    if (!n->is_boolean()) {
      return Fail(key, absl::StrCat("must be true or false, not ", TypeName(n->type())));
    }
    *out = n->as_boolean()->get();
    return absl::OkStatus();
  }

  // An optional integer in [min, max].
  absl::Status Int(std::string_view key, int64_t min, int64_t max, uint32_t* out) const {
    const toml::node* n = Find(key);
    if (n == nullptr) return absl::OkStatus();
    if (!n->is_integer()) {
      return Fail(key, absl::StrCat("must be an integer, not ", TypeName(n->type())));
    }
    int64_t v = n->as_integer()->get();
    if (v < min || v > max) return Fail(key, absl::StrCat(v, " is not in ", min, "..", max));
    *out = static_cast<uint32_t>(v);
    return absl::OkStatus();
  }

  absl::Status Port(std::string_view key, uint32_t* out) const {
    const toml::node* n = Find(key);
    if (n == nullptr) return absl::OkStatus();
    if (!n->is_integer()) {
      return Fail(key, absl::StrCat("must be an integer, not ", TypeName(n->type())));
    }
    int64_t v = n->as_integer()->get();
    RETURN_IF_ERROR(Check(key, PortRangeProblem(v)));
    *out = static_cast<uint32_t>(v);
    return absl::OkStatus();
  }

 private:
  const Ctx* ctx_;
  const toml::table* table_;
  std::string prefix_;
};

absl::StatusOr<toml::table> ParseToml(const Ctx& ctx, std::string_view text) {
  try {
    return toml::parse(text, std::string_view(ctx.file));
  } catch (const toml::parse_error& e) {
    const toml::source_region& src = e.source();
    std::string where = ctx.file;
    if (src.begin.line != 0) {
      absl::StrAppend(&where, ":", src.begin.line);
      if (src.begin.column != 0) absl::StrAppend(&where, ":", src.begin.column);
    }
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": TOML syntax error: ", AV(e.description())));
  }
}

absl::Status ReadTls(const Section& root, TlsFiles* tls) {
  ASSIGN_OR_RETURN(Section s, root.SubTable("tls"));
  RETURN_IF_ERROR(s.CheckKeys({"ca", "cert", "key"}));
  RETURN_IF_ERROR(s.Path("ca", Need::kRequired, &tls->ca));
  RETURN_IF_ERROR(s.Path("cert", Need::kRequired, &tls->cert));
  RETURN_IF_ERROR(s.Path("key", Need::kRequired, &tls->key));
  return absl::OkStatus();
}

absl::Status CheckVip(const Section& s, const std::string& vip) {
  if (vip.empty()) return absl::OkStatus();
  return s.Check("vip", IpProblem(vip));
}

// ---------- cluster.toml ----------

absl::StatusOr<ClusterConfig> ParseClusterImpl(std::string_view text, const std::string& path) {
  const Ctx ctx{path, BaseDirOf(path)};
  ASSIGN_OR_RETURN(toml::table doc, ParseToml(ctx, text));
  const Section root(ctx, &doc, "");
  ClusterConfig cfg;
  cfg.path = path;
  cfg.state_dir = kDefaultCoordinatorStateDir;

  RETURN_IF_ERROR(root.CheckKeys({"cluster", "tls", "node", "hooks"}));

  ASSIGN_OR_RETURN(Section cluster, root.SubTable("cluster"));
  RETURN_IF_ERROR(cluster.CheckKeys(
      {"name", "vip", "state_dir", "vip_wait_seconds", "replica_wait_seconds", "auto_delta"}));
  RETURN_IF_ERROR(cluster.String("name", Need::kRequired, &cfg.name));
  RETURN_IF_ERROR(cluster.Check("name", NameProblem(cfg.name)));
  RETURN_IF_ERROR(cluster.String("vip", Need::kOptional, &cfg.vip));
  RETURN_IF_ERROR(CheckVip(cluster, cfg.vip));
  RETURN_IF_ERROR(cluster.Path("state_dir", Need::kNonEmptyIfPresent, &cfg.state_dir));
  RETURN_IF_ERROR(cluster.Int("vip_wait_seconds", 1, 600, &cfg.vip_wait_seconds));
  RETURN_IF_ERROR(cluster.Int("replica_wait_seconds", 5, 3600, &cfg.replica_wait_seconds));
  RETURN_IF_ERROR(cluster.Bool("auto_delta", &cfg.auto_delta));

  RETURN_IF_ERROR(ReadTls(root, &cfg.tls));

  const toml::node* nodes = root.Find("node");
  if (nodes == nullptr) return root.Missing("node");
  const toml::array* arr = nodes->as_array();
  if (arr == nullptr || !arr->is_array_of_tables()) {
    return root.Fail("node", "must be an array of tables: write each node as [[node]]");
  }
  if (arr->size() != 2) {
    return root.Fail(
        "node", absl::StrCat("there must be exactly two [[node]] tables, found ", arr->size()));
  }
  for (size_t i = 0; i < arr->size(); ++i) {
    const Section s(ctx, (*arr)[i].as_table(), absl::StrCat("node[", i, "]"));
    NodeEntry node;
    RETURN_IF_ERROR(s.CheckKeys({"name", "agent", "mariadb_host", "mariadb_port"}));
    RETURN_IF_ERROR(s.String("name", Need::kRequired, &node.name));
    RETURN_IF_ERROR(s.Check("name", NameProblem(node.name)));
    if (cfg.FindNode(node.name) != nullptr) {
      return s.Fail("name", absl::StrCat("duplicate node name ", Quote(node.name)));
    }
    RETURN_IF_ERROR(s.String("agent", Need::kRequired, &node.agent));
    RETURN_IF_ERROR(s.Check("agent", HostPortProblem(node.agent)));
    RETURN_IF_ERROR(s.String("mariadb_host", Need::kRequired, &node.mariadb_host));
    RETURN_IF_ERROR(s.Check("mariadb_host", HostProblem(node.mariadb_host)));
    RETURN_IF_ERROR(s.Port("mariadb_port", &node.mariadb_port));
    cfg.nodes.push_back(std::move(node));
  }

  ASSIGN_OR_RETURN(Section hooks, root.SubTable("hooks"));
  RETURN_IF_ERROR(hooks.CheckKeys({"pause", "resume"}));
  RETURN_IF_ERROR(hooks.String("pause", Need::kOptional, &cfg.pause_hook));
  RETURN_IF_ERROR(hooks.String("resume", Need::kOptional, &cfg.resume_hook));
  return cfg;
}

// ---------- agent.toml ----------

// [mariadb.service]: the same rules as [keepalived]'s control keys.
absl::Status ReadMariadbService(const Ctx& ctx, const Section& db, MariadbServiceSettings* out) {
  ASSIGN_OR_RETURN(Section svc, db.SubTable("service"));
  RETURN_IF_ERROR(svc.CheckKeys({"control", "service", "start", "stop", "status"}));
  RETURN_IF_ERROR(svc.String("control", Need::kNonEmptyIfPresent, &out->control));
  if (out->control != "systemd" && out->control != "command" && out->control != "none") {
    return svc.Fail("control", absl::StrCat(Quote(out->control),
                                            " must be one of \"systemd\", \"command\", \"none\""));
  }
  RETURN_IF_ERROR(svc.String("service", Need::kNonEmptyIfPresent, &out->service));
  RETURN_IF_ERROR(svc.String("start", Need::kOptional, &out->start));
  RETURN_IF_ERROR(svc.String("stop", Need::kOptional, &out->stop));
  RETURN_IF_ERROR(svc.String("status", Need::kOptional, &out->status));
  if (out->control != "command") return absl::OkStatus();
  for (auto [key, value] : {std::pair<std::string_view, const std::string*>{"start", &out->start},
                            {"stop", &out->stop},
                            {"status", &out->status}}) {
    if (!value->empty()) continue;
    if (!svc.Has(key)) {
      return Invalid(ctx, svc.TableSource(),
                     absl::StrCat("missing required key ", Quote(svc.KeyPath(key)),
                                  " (needed when control = \"command\")"));
    }
    return svc.Fail(key, "must not be empty when control = \"command\"");
  }
  return absl::OkStatus();
}

absl::StatusOr<AgentConfig> ParseAgentImpl(std::string_view text, const std::string& path) {
  const Ctx ctx{path, BaseDirOf(path)};
  ASSIGN_OR_RETURN(toml::table doc, ParseToml(ctx, text));
  const Section root(ctx, &doc, "");
  AgentConfig cfg;
  cfg.path = path;

  RETURN_IF_ERROR(root.CheckKeys({"agent", "tls", "mariadb", "keepalived", "peer"}));

  ASSIGN_OR_RETURN(Section agent, root.SubTable("agent"));
  RETURN_IF_ERROR(agent.CheckKeys({"name", "listen", "state_dir", "transfer_stall_seconds",
                                   "tls_reload_seconds", "backups_keep"}));
  RETURN_IF_ERROR(agent.String("name", Need::kRequired, &cfg.name));
  RETURN_IF_ERROR(agent.Check("name", NameProblem(cfg.name)));
  RETURN_IF_ERROR(agent.String("listen", Need::kRequired, &cfg.listen));
  RETURN_IF_ERROR(agent.Check("listen", HostPortProblem(cfg.listen)));
  RETURN_IF_ERROR(agent.Path("state_dir", Need::kRequired, &cfg.state_dir));
  RETURN_IF_ERROR(agent.Int("transfer_stall_seconds", 5, 600, &cfg.transfer_stall_seconds));
  RETURN_IF_ERROR(agent.Int("tls_reload_seconds", 1, 3600, &cfg.tls_reload_seconds));
  RETURN_IF_ERROR(agent.Int("backups_keep", 0, 1000, &cfg.backups_keep));

  RETURN_IF_ERROR(ReadTls(root, &cfg.tls));

  ASSIGN_OR_RETURN(Section db, root.SubTable("mariadb"));
  MariadbSettings& m = cfg.mariadb;
  RETURN_IF_ERROR(
      db.CheckKeys({"socket", "host", "port", "user", "password_file", "repl_user",
                    "repl_password_file", "dump_command", "client_command", "service"}));
  RETURN_IF_ERROR(db.Path("socket", Need::kOptional, &m.socket));
  RETURN_IF_ERROR(db.String("host", Need::kOptional, &m.host));
  RETURN_IF_ERROR(db.Port("port", &m.port));
  RETURN_IF_ERROR(db.String("user", Need::kNonEmptyIfPresent, &m.user));
  RETURN_IF_ERROR(db.Path("password_file", Need::kOptional, &m.password_file));
  RETURN_IF_ERROR(db.String("repl_user", Need::kNonEmptyIfPresent, &m.repl_user));
  RETURN_IF_ERROR(db.Path("repl_password_file", Need::kRequired, &m.repl_password_file));
  RETURN_IF_ERROR(db.String("dump_command", Need::kNonEmptyIfPresent, &m.dump_command));
  RETURN_IF_ERROR(db.String("client_command", Need::kNonEmptyIfPresent, &m.client_command));
  if (m.socket.empty() && m.host.empty()) {
    return Invalid(ctx, db.TableSource(),
                   absl::StrCat("exactly one of ", Quote(db.KeyPath("socket")), " and ",
                                Quote(db.KeyPath("host")), " must be set"));
  }
  if (!m.socket.empty() && !m.host.empty()) {
    return db.Fail("host", absl::StrCat("exactly one of ", Quote(db.KeyPath("socket")), " and ",
                                        Quote(db.KeyPath("host")), " may be set"));
  }
  if (!m.host.empty()) RETURN_IF_ERROR(db.Check("host", HostProblem(m.host)));
  if (!m.socket.empty() && db.Has("port")) {
    return db.Fail("port", absl::StrCat("only allowed with ", Quote(db.KeyPath("host"))));
  }

  RETURN_IF_ERROR(ReadMariadbService(ctx, db, &m.service));

  ASSIGN_OR_RETURN(Section ka, root.SubTable("keepalived"));
  KeepalivedSettings& k = cfg.keepalived;
  RETURN_IF_ERROR(ka.CheckKeys(
      {"control", "service", "start", "stop", "status", "vip", "config_file", "pid_file"}));
  RETURN_IF_ERROR(ka.String("control", Need::kNonEmptyIfPresent, &k.control));
  if (k.control != "systemd" && k.control != "command" && k.control != "none") {
    return ka.Fail("control", absl::StrCat(Quote(k.control),
                                           " must be one of \"systemd\", \"command\", \"none\""));
  }
  RETURN_IF_ERROR(ka.String("service", Need::kNonEmptyIfPresent, &k.service));
  RETURN_IF_ERROR(ka.String("start", Need::kOptional, &k.start));
  RETURN_IF_ERROR(ka.String("stop", Need::kOptional, &k.stop));
  RETURN_IF_ERROR(ka.String("status", Need::kOptional, &k.status));
  RETURN_IF_ERROR(ka.String("vip", Need::kOptional, &k.vip));
  RETURN_IF_ERROR(CheckVip(ka, k.vip));
  if (k.control != "none") {
    k.config_file = kDefaultKeepalivedConfig;
    k.pid_file = kDefaultKeepalivedPidFile;
  }
  RETURN_IF_ERROR(ka.Path("config_file", Need::kOptional, &k.config_file));
  RETURN_IF_ERROR(ka.Path("pid_file", Need::kOptional, &k.pid_file));
  if (k.control == "command") {
    for (auto [key, value] : {std::pair<std::string_view, const std::string*>{"start", &k.start},
                              {"stop", &k.stop},
                              {"status", &k.status}}) {
      if (!value->empty()) continue;
      if (!ka.Has(key)) {
        return Invalid(ctx, ka.TableSource(),
                       absl::StrCat("missing required key ", Quote(ka.KeyPath(key)),
                                    " (needed when control = \"command\")"));
      }
      return ka.Fail(key, "must not be empty when control = \"command\"");
    }
  }

  // Required: without it the agent could not tell its peer from any other server a
  // caller names in CHANGE MASTER (the master's data and replication password would
  // follow wherever it points).
  if (root.Find("peer") == nullptr) {
    return Invalid(ctx, toml::source_region{},
                   "missing required table [peer] (name, mariadb_host, mariadb_port, agent: "
                   "the other node of the pair, the only master this node replicates from)");
  }
  ASSIGN_OR_RETURN(Section peer, root.SubTable("peer"));
  PeerSettings& p = cfg.peer;
  RETURN_IF_ERROR(peer.CheckKeys({"name", "mariadb_host", "mariadb_port", "agent"}));
  RETURN_IF_ERROR(peer.String("name", Need::kRequired, &p.name));
  RETURN_IF_ERROR(peer.Check("name", NameProblem(p.name)));
  if (p.name == cfg.name) {
    return peer.Fail("name", absl::StrCat(Quote(p.name), " is this agent's own name (",
                                          Quote(agent.KeyPath("name")), "): name the other node"));
  }
  RETURN_IF_ERROR(peer.String("mariadb_host", Need::kRequired, &p.mariadb_host));
  RETURN_IF_ERROR(peer.Check("mariadb_host", HostProblem(p.mariadb_host)));
  RETURN_IF_ERROR(peer.Port("mariadb_port", &p.mariadb_port));
  RETURN_IF_ERROR(peer.String("agent", Need::kRequired, &p.agent));
  RETURN_IF_ERROR(peer.Check("agent", HostPortProblem(p.agent)));
  return cfg;
}

template <typename Config>
absl::StatusOr<Config> Guarded(absl::StatusOr<Config> (*fn)(std::string_view, const std::string&),
                               std::string_view text, const std::string& path) {
  try {
    return fn(text, path);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat(path, ": ", e.what()));
  } catch (...) {
    return absl::InternalError(absl::StrCat(path, ": unexpected exception"));
  }
}

absl::StatusOr<std::string> ReadConfigFile(const std::string& path) {
  try {
    return ReadFileImpl(path, "config file", /*stop_at_newline=*/false, 16 * 1024 * 1024);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("config file ", path, ": ", e.what()));
  }
}

}  // namespace

const NodeEntry* ClusterConfig::FindNode(std::string_view name) const {
  for (const NodeEntry& node : nodes) {
    if (node.name == name) return &node;
  }
  return nullptr;
}

absl::StatusOr<ClusterConfig> ParseClusterConfig(std::string_view toml_text,
                                                 const std::string& path_for_errors) {
  return Guarded<ClusterConfig>(&ParseClusterImpl, toml_text, path_for_errors);
}

absl::StatusOr<ClusterConfig> LoadClusterConfig(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadConfigFile(path));
  return ParseClusterConfig(text, path);
}

absl::StatusOr<AgentConfig> ParseAgentConfig(std::string_view toml_text,
                                             const std::string& path_for_errors) {
  return Guarded<AgentConfig>(&ParseAgentImpl, toml_text, path_for_errors);
}

absl::StatusOr<AgentConfig> LoadAgentConfig(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadConfigFile(path));
  return ParseAgentConfig(text, path);
}

absl::StatusOr<std::string> ReadSecretFile(const std::string& path) {
  try {
    ASSIGN_OR_RETURN(std::string line,
                     ReadFileImpl(path, "secret file", /*stop_at_newline=*/true, kMaxSecretLine));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("secret file ", path, ": ", e.what()));
  }
}

std::string ConfigPathFromEnv(const std::string& flag_value, const char* fallback) {
  if (!flag_value.empty()) return flag_value;
  const char* env = std::getenv("MMRESYNC_CONFIG");
  if (env != nullptr && env[0] != '\0') return env;
  return fallback == nullptr ? std::string() : std::string(fallback);
}

}  // namespace mmresync
