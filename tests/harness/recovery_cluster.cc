#include "tests/harness/recovery_cluster.h"

#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/files.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "mmresync/v1/journal.pb.h"
#include "tests/harness/ports.h"
#include "tests/harness/wait.h"

namespace mmresync::testing {
namespace {

std::string TomlString(const std::string& value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// Shell-quotes a path for the fake keepalived's commands.
std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Written on node1 with binary logging on, so node2 gets it by replication.
const char* const kSampleData[] = {
    "CREATE DATABASE shop CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
    "CREATE TABLE shop.customers (id INT AUTO_INCREMENT PRIMARY KEY,"
    " name VARCHAR(100) NOT NULL, email VARCHAR(200), note TEXT, profile JSON,"
    " tier ENUM('basic','gold','platinum') NOT NULL DEFAULT 'basic') ENGINE=InnoDB",
    "CREATE TABLE shop.orders (id BIGINT AUTO_INCREMENT PRIMARY KEY, customer_id INT NOT NULL,"
    " amount DECIMAL(12,2), status ENUM('new','paid','shipped'), created DATETIME(6),"
    " payload BLOB, KEY (customer_id)) ENGINE=InnoDB",
    "CREATE TABLE shop.audit (id BIGINT AUTO_INCREMENT PRIMARY KEY, order_id BIGINT,"
    " at DATETIME(6)) ENGINE=InnoDB",
    "CREATE TRIGGER shop.orders_audit AFTER INSERT ON shop.orders FOR EACH ROW"
    " INSERT INTO shop.audit (order_id, at) VALUES (NEW.id, NEW.created)",
    "CREATE VIEW shop.paid AS SELECT id, amount FROM shop.orders WHERE status = 'paid'",
    "CREATE PROCEDURE shop.count_orders() SELECT COUNT(*) FROM shop.orders",
    "CREATE FUNCTION shop.customer_total(c INT) RETURNS DECIMAL(14,2) READS SQL DATA"
    " RETURN (SELECT COALESCE(SUM(amount), 0) FROM shop.orders WHERE customer_id = c)",
    "CREATE EVENT shop.nightly ON SCHEDULE EVERY 1 DAY"
    " DO DELETE FROM shop.audit WHERE at < NOW() - INTERVAL 90 DAY",
    "INSERT INTO shop.customers (name, email, note, profile, tier)"
    " SELECT CONCAT('Kunde ', seq, ' \xE2\x80\x94 Zo\xC3\xAB \xE6\x9D\xB1\xE4\xBA\xAC "
    "\xF0\x9F\x9A\x80'),"
    " CONCAT('c', seq, '@example.com'), REPEAT('x', seq % 200),"
    " JSON_OBJECT('seq', seq, 'tags', JSON_ARRAY('a', '\xE6\xBC\xA2\xE5\xAD\x97',"
    " '\xF0\x9F\x98\x80')), ELT(1 + seq % 3, 'basic', 'gold', 'platinum')"
    " FROM shop.seq_1_to_500",
    "INSERT INTO shop.orders (customer_id, amount, status, created, payload)"
    " SELECT 1 + seq % 500, seq * 1.25, ELT(1 + seq % 3, 'new', 'paid', 'shipped'),"
    " TIMESTAMP'2024-01-01 00:00:00' + INTERVAL seq SECOND + INTERVAL seq MICROSECOND,"
    " UNHEX(SHA2(seq, 512)) FROM shop.seq_1_to_3000",
    "CREATE DATABASE crm",
    "CREATE TABLE crm.contacts (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(64),"
    " phone VARBINARY(32), balance BIGINT) ENGINE=InnoDB",
    "INSERT INTO crm.contacts (name, phone, balance) SELECT CONCAT('contact ', seq),"
    " UNHEX(HEX(seq * 7919)), seq * 1000000007 FROM shop.seq_1_to_500",
    "CREATE DATABASE `inventory-eu` CHARACTER SET utf8mb4",
    "CREATE TABLE `inventory-eu`.`stock items` (sku VARCHAR(32) PRIMARY KEY,"
    " label VARCHAR(100) CHARACTER SET utf8mb4, qty INT NOT NULL,"
    " updated DATETIME(6) NOT NULL) ENGINE=InnoDB",
    "INSERT INTO `inventory-eu`.`stock items` SELECT CONCAT('SKU-', seq),"
    " CONCAT('\xE5\x95\x86\xE5\x93\x81 ', seq, ' \xF0\x9F\x93\xA6 caf\xC3\xA9'), seq % 97,"
    " TIMESTAMP'2024-06-01 12:00:00.123456' + INTERVAL seq MINUTE FROM `inventory-eu`.seq_1_to_200",
    "CREATE DATABASE IF NOT EXISTS mmr_health",
    "CREATE TABLE IF NOT EXISTS mmr_health.pings (id BIGINT AUTO_INCREMENT PRIMARY KEY,"
    " origin VARCHAR(16) NOT NULL, token VARCHAR(64) NOT NULL, UNIQUE KEY (token))"
    " ENGINE=InnoDB",
    "CREATE USER 'app'@'%' IDENTIFIED BY 'app-Secret.9'",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON shop.* TO 'app'@'%'",
    "GRANT SELECT (id, name), UPDATE (name) ON crm.contacts TO 'app'@'%'",
    "GRANT SELECT ON `inventory-eu`.`stock items` TO 'app'@'%'",
};

}  // namespace

absl::StatusOr<std::unique_ptr<RecoveryCluster>> RecoveryCluster::Start(
    const RecoveryClusterOptions& options) {
  std::unique_ptr<RecoveryCluster> c(new RecoveryCluster());
  c->options_ = options;
  ASSIGN_OR_RETURN(TempDir dir, TempDir::Create("mmr"));
  c->temp_dir_.emplace(std::move(dir));
  c->base_dir_ = c->temp_dir_->path();

  ASSIGN_OR_RETURN(TestCerts certs, TestCerts::Create(c->base_dir_ + "/certs"));
  c->certs_.emplace(std::move(certs));

  MasterMasterOptions pair_options;
  pair_options.base_dir = c->base_dir_;
  pair_options.extra_cnf_lines = options.extra_cnf_lines;
  pair_options.use_gtid = options.use_gtid;
  ASSIGN_OR_RETURN(c->pair_, MasterMasterPair::Start(pair_options));
  RETURN_IF_ERROR(c->pair_->ConfigureReplication());

  // Each agent's [peer] names the other one's address: both ports are chosen first.
  int ports[2] = {FreeLoopbackPort(), 0};
  for (int attempt = 0; attempt < 10 && (ports[1] <= 0 || ports[1] == ports[0]); ++attempt) {
    ports[1] = FreeLoopbackPort();
  }
  if (ports[0] <= 0 || ports[1] <= 0 || ports[0] == ports[1]) {
    return absl::UnavailableError("RecoveryCluster: no two free loopback ports");
  }
  for (int i = 0; i < 2; ++i) {
    AgentOptions a;
    a.name = node_name(i);
    a.port = ports[i];
    a.peer_name = node_name(1 - i);
    a.peer_mariadb_host = c->pair_->node(1 - i).host();
    a.peer_mariadb_port = c->pair_->node(1 - i).port();
    a.peer_agent = absl::StrCat("127.0.0.1:", ports[1 - i]);
    a.dir = absl::StrCat(c->base_dir_, "/agent", i + 1);
    a.db = &c->pair_->node(i);
    a.tls = c->certs_->Agent(a.name);
    a.probe_tls = c->certs_->Coordinator();
    a.transfer_stall_seconds = options.transfer_stall_seconds;
    a.backups_keep = options.backups_keep;
    if (options.fake_keepalived) {
      RETURN_IF_ERROR(MakeDirs(a.dir, 0700));
      const std::string marker = ShellQuote(a.dir + "/keepalived.running");
      a.keepalived_control = "command";
      a.keepalived_start = "touch " + marker;
      a.keepalived_stop = "rm -f " + marker;
      a.keepalived_status = "test -f " + marker;
      RETURN_IF_ERROR(WriteFileAtomically(a.dir + "/keepalived.running", "", 0600));
    }
    if (options.mariadb_service) {
      MariadbInstance& db = c->pair_->node(i);
      RETURN_IF_ERROR(db.WriteServiceScripts());
      a.mariadb_service_control = "command";
      a.mariadb_service_start = db.service_command("start");
      a.mariadb_service_stop = db.service_command("stop");
      a.mariadb_service_status = db.service_command("status");
    }
    ASSIGN_OR_RETURN(c->agents_[i], AgentProcess::Start(a));
  }
  RETURN_IF_ERROR(c->WriteClusterConfig());
  log::Info("recovery cluster ready in ", c->base_dir_);
  return c;
}

RecoveryCluster::~RecoveryCluster() {
  for (auto& agent : agents_) agent.reset();
  pair_.reset();
}

std::string RecoveryCluster::LastJournalRunId() const {
  auto text = ReadFileToString(journal_path());
  if (!text.ok()) return "";
  std::string id;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    v1::JournalEntry e;
    if (google::protobuf::util::JsonStringToMessage(std::string(line), &e).ok()) id = e.run_id();
  }
  return id;
}

std::string RecoveryCluster::journal_path() const {
  return absl::StrCat(coordinator_state_dir(), "/journal/", kClusterName, ".jsonl");
}

std::string RecoveryCluster::keepalived_marker(int node) const {
  return agents_[node]->dir() + "/keepalived.running";
}

bool RecoveryCluster::keepalived_running(int node) const {
  return access(keepalived_marker(node).c_str(), F_OK) == 0;
}

absl::Status RecoveryCluster::WriteClusterConfig() {
  const TlsFiles tls = certs_->Coordinator();
  std::vector<std::string> lines = {
      "# Written by the mmresync test harness.",
      "[cluster]",
      absl::StrCat("name = ", TomlString(kClusterName)),
      absl::StrCat("state_dir = ", TomlString(coordinator_state_dir())),
      absl::StrCat("auto_delta = ", options_.auto_delta ? "true" : "false"),
      "",
      "[tls]",
      absl::StrCat("ca = ", TomlString(tls.ca)),
      absl::StrCat("cert = ", TomlString(tls.cert)),
      absl::StrCat("key = ", TomlString(tls.key)),
  };
  for (int i = 0; i < 2; ++i) {
    lines.insert(lines.end(), {"", "[[node]]", absl::StrCat("name = ", TomlString(node_name(i))),
                               absl::StrCat("agent = ", TomlString(agents_[i]->address())),
                               absl::StrCat("mariadb_host = ", TomlString(pair_->node(i).host())),
                               absl::StrCat("mariadb_port = ", pair_->node(i).port())});
  }
  lines.emplace_back("");
  cluster_toml_ = absl::StrJoin(lines, "\n");
  config_path_ = base_dir_ + "/cluster.toml";
  return WriteFileAtomically(config_path_, cluster_toml_, 0600);
}

absl::StatusOr<CliResult> RecoveryCluster::Cli(const std::vector<std::string>& args,
                                               absl::Duration timeout) {
  std::vector<std::string> argv = {"--config", config_path_};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCli(argv, timeout);
}

absl::Status RecoveryCluster::LoadSampleData() {
  for (const char* statement : kSampleData) {
    RETURN_IF_ERROR(Annotate(pair_->Exec(0, statement), "sample data"));
  }
  return pair_->WaitInSync(absl::Seconds(120));
}

absl::Status RecoveryCluster::RoundTrip(absl::Duration timeout) {
  // The table exists on both nodes once the sample data is there; make sure of it.
  RETURN_IF_ERROR(pair_->Exec(0, "CREATE DATABASE IF NOT EXISTS mmr_health"));
  RETURN_IF_ERROR(pair_->Exec(0,
                              "CREATE TABLE IF NOT EXISTS mmr_health.pings (id BIGINT "
                              "AUTO_INCREMENT PRIMARY KEY, origin VARCHAR(16) NOT NULL, token "
                              "VARCHAR(64) NOT NULL, UNIQUE KEY (token)) ENGINE=InnoDB"));
  RETURN_IF_ERROR(pair_->WaitInSync(timeout));
  const int n = ++ping_counter_;
  std::string tokens[2];
  for (int i = 0; i < 2; ++i) {
    tokens[i] = absl::StrCat("ping-", getpid(), "-", n, "-from-", node_name(i));
    RETURN_IF_ERROR(Annotate(pair_->Exec(i, absl::StrCat("INSERT INTO mmr_health.pings (origin, "
                                                         "token) VALUES ('",
                                                         node_name(i), "', '", tokens[i], "')")),
                             absl::StrCat("health row on ", pair_->node(i).describe())));
  }
  for (int i = 0; i < 2; ++i) {
    const int other = 1 - i;
    RETURN_IF_ERROR(WaitForOk(
        [&]() -> absl::Status {
          auto count = pair_->QueryValue(
              other, absl::StrCat("SELECT COUNT(*) FROM mmr_health.pings WHERE token = '",
                                  tokens[i], "'"));
          if (!count.ok()) return count.status();
          if (*count != "1") return absl::NotFoundError("not there yet");
          return absl::OkStatus();
        },
        timeout, absl::Milliseconds(100),
        absl::StrCat("a row written on ", pair_->node(i).describe(), " to reach ",
                     pair_->node(other).describe())));
  }
  return absl::OkStatus();
}

absl::Status RecoveryCluster::CheckHealthy(absl::Duration timeout) {
  RETURN_IF_ERROR(WaitForOk(
      [&]() -> absl::Status {
        for (int i = 0; i < 2; ++i) {
          ASSIGN_OR_RETURN(auto status, pair_->SlaveStatus(i));
          auto value = [&](const char* key) {
            auto it = status.find(key);
            return it == status.end() ? std::string("<none>") : it->second;
          };
          if (value("Slave_IO_Running") != "Yes" || value("Slave_SQL_Running") != "Yes") {
            return absl::FailedPreconditionError(absl::StrCat(
                pair_->node(i).describe(), ": Slave_IO_Running=", value("Slave_IO_Running"),
                " Slave_SQL_Running=", value("Slave_SQL_Running"), " Last_SQL_Error=",
                value("Last_SQL_Error"), " Last_IO_Error=", value("Last_IO_Error")));
          }
          const MariadbInstance& peer = pair_->node(1 - i);
          if (value("Master_Port") != absl::StrCat(peer.port())) {
            return absl::FailedPreconditionError(
                absl::StrCat(pair_->node(i).describe(), " replicates from port ",
                             value("Master_Port"), ", not from ", peer.describe()));
          }
        }
        return absl::OkStatus();
      },
      timeout, absl::Milliseconds(100), "both replication threads running on both nodes"));
  RETURN_IF_ERROR(RoundTrip(timeout));
  RETURN_IF_ERROR(pair_->WaitInSync(timeout));
  ASSIGN_OR_RETURN(auto sums0, pair_->TableChecksums(0));
  ASSIGN_OR_RETURN(auto sums1, pair_->TableChecksums(1));
  if (sums0 != sums1) {
    std::vector<std::string> diffs;
    for (const auto& [table, sum] : sums0) {
      auto it = sums1.find(table);
      if (it == sums1.end()) {
        diffs.push_back(absl::StrCat(table, " missing on node2"));
      } else if (it->second != sum) {
        diffs.push_back(absl::StrCat(table, " node1 ", sum, " node2 ", it->second));
      }
    }
    for (const auto& [table, sum] : sums1) {
      if (!sums0.count(table)) diffs.push_back(absl::StrCat(table, " missing on node1"));
    }
    return absl::DataLossError(
        absl::StrCat("table checksums differ: ", absl::StrJoin(diffs, "; ")));
  }
  return absl::OkStatus();
}

std::vector<std::string> RecoveryCluster::secrets() const {
  std::vector<std::string> out;
  for (int i = 0; i < 2; ++i) {
    out.push_back(pair_->node(i).agent_password());
    out.push_back(pair_->node(i).repl_password());
  }
  return out;
}

absl::Status RecoveryCluster::RestartAgentWithVip(int node, const std::string& vip) {
  AgentProcess& a = agent(node);
  RETURN_IF_ERROR(a.Stop());
  a.mutable_options().vip = vip;
  return a.Restart();
}

}  // namespace mmresync::testing
