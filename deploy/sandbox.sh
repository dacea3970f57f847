#!/usr/bin/env bash
# A local master-master sandbox: two real mariadbd instances on 127.0.0.1 configured like
# a production pair, a test CA and certificates, and two mmresync agents. Used by
# deploy/demo.sh; handy on its own to try mmresync by hand.
#
#   deploy/sandbox.sh up    DIR [ROWS]   create and start everything under DIR
#   deploy/sandbox.sh break DIR [KIND]   break replication: dup (1062) | missing (1032) | extra
#   deploy/sandbox.sh down  DIR          stop what `up` started (by PID) and keep DIR
#
# Everything listens on 127.0.0.1 only. Processes are stopped by the PIDs recorded in DIR.
set -euo pipefail

BIN=${MMRESYNC_BIN:-$(cd "$(dirname "$0")/.." && pwd)/build/bin}
cmd=${1:?usage: sandbox.sh up|break|down DIR}
DIR=${2:?usage: sandbox.sh up|break|down DIR}

say() { printf '\033[1m== %s\033[0m\n' "$*"; }
sql() { # node, statement...
  local n=$1; shift
  mariadb --no-defaults --default-character-set=utf8mb4 -S "$DIR/node$n/mysqld.sock" -uroot --batch --skip-column-names -e "$*"
}

slave_status() { # node: vertical SHOW SLAVE STATUS (labels need the non-batch mode)
  mariadb --no-defaults -S "$DIR/node$1/mysqld.sock" -uroot -e "SHOW SLAVE STATUS\G"
}

free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 20000))
    if ! ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then echo "$p"; return; fi
  done
  echo "no free port found" >&2; return 1
}

wait_for() { # description, seconds, command...
  local what=$1 secs=$2; shift 2
  for _ in $(seq 1 $((secs * 5))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "timed out after ${secs}s waiting for $what" >&2
  return 1
}

start_mariadb() { # node number
  local n=$1 d="$DIR/node$1" port
  port=$(free_port)
  mkdir -p "$d"
  local user_line=""
  [ "$(id -u)" -eq 0 ] && user_line="user=root"
  cat >"$d/my.cnf" <<EOF
[mysqld]
datadir=$d/data
socket=$d/mysqld.sock
port=$port
bind-address=127.0.0.1
pid-file=$d/mysqld.pid
log-error=$d/error.log
$user_line
server-id=$n
log-bin=mysql-bin
log-slave-updates=ON
binlog_format=ROW
gtid_domain_id=$n
auto_increment_increment=2
auto_increment_offset=$n
relay-log=relay-bin
skip-name-resolve
character-set-server=utf8mb4
collation-server=utf8mb4_unicode_ci
innodb_buffer_pool_size=256M
innodb_log_file_size=256M
innodb_flush_log_at_trx_commit=2
max_allowed_packet=256M
event_scheduler=ON
EOF
  mariadb-install-db --defaults-file="$d/my.cnf" --auth-root-authentication-method=normal \
    --skip-test-db >"$d/install.log" 2>&1 || { cat "$d/install.log"; return 1; }
  mariadbd --defaults-file="$d/my.cnf" >>"$d/mariadbd.out" 2>&1 &
  echo $! >"$d/mariadbd.pid"
  echo "$port" >"$d/port"
  wait_for "mariadb node$n" 60 sql "$n" "SELECT 1"
  local agent_pw repl_pw
  agent_pw=$(openssl rand -hex 16)
  repl_pw=$(openssl rand -hex 16)
  printf '%s\n' "$agent_pw" >"$d/agent-password"
  printf '%s\n' "$repl_pw" >"$d/repl-password"
  chmod 600 "$d/agent-password" "$d/repl-password"
  # The same replication password on both nodes: each node's agent uses its own copy.
  sql "$n" "SET sql_log_bin=0;
    CREATE USER 'mmresync_agent'@'localhost' IDENTIFIED BY '$agent_pw';
    GRANT ALL PRIVILEGES ON *.* TO 'mmresync_agent'@'localhost' WITH GRANT OPTION;
    CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY '$(cat "$DIR/repl-password")';
    GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'repl'@'127.0.0.1';"
  cp "$DIR/repl-password" "$d/repl-password"
}

start_agent() { # node number
  local n=$1 d="$DIR/node$1" port
  port=$(free_port)
  echo "$port" >"$d/agent-port"
  cat >"$d/agent.toml" <<EOF
[agent]
name = "db$n"
listen = "127.0.0.1:$port"
state_dir = "state"

[tls]
ca = "../certs/ca.pem"
cert = "../certs/db$n.pem"
key = "../certs/db$n.key"

[mariadb]
socket = "mysqld.sock"
user = "mmresync_agent"
password_file = "agent-password"
repl_user = "repl"
repl_password_file = "repl-password"

[keepalived]
control = "none"
EOF
  "$BIN/mmresync-agent" --config "$d/agent.toml" >>"$d/agent.log" 2>&1 &
  echo $! >"$d/agent.pid"
}

cmd_up() {
  local rows=${1:-20000}
  mkdir -p "$DIR"
  openssl rand -hex 16 >"$DIR/repl-password"
  say "starting two mariadbd instances (server-id 1/2, log-bin, ROW, auto_increment 2 with offsets 1/2)"
  start_mariadb 1
  start_mariadb 2
  say "setting up replication both ways"
  local p1 p2
  p1=$(cat "$DIR/node1/port"); p2=$(cat "$DIR/node2/port")
  for pair in "1 2 $p2" "2 1 $p1"; do
    set -- $pair
    local file pos
    read -r file pos _ < <(sql "$2" "SHOW MASTER STATUS")
    sql "$1" "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$3, MASTER_USER='repl',
      MASTER_PASSWORD='$(cat "$DIR/repl-password")', MASTER_LOG_FILE='$file', MASTER_LOG_POS=$pos;
      START SLAVE;"
  done
  say "certificates (mmresync certs)"
  "$BIN/mmresync" certs init --dir "$DIR/certs" >/dev/null
  "$BIN/mmresync" certs issue --dir "$DIR/certs" --role coordinator >/dev/null
  for n in 1 2; do
    "$BIN/mmresync" certs issue --dir "$DIR/certs" --role agent --name "db$n" \
      --san 127.0.0.1 --san localhost >/dev/null
  done
  say "starting the agents"
  start_agent 1
  start_agent 2
  cat >"$DIR/cluster.toml" <<EOF
[cluster]
name = "sandbox"
state_dir = "coordinator-state"

[tls]
ca = "certs/ca.pem"
cert = "certs/coordinator.pem"
key = "certs/coordinator.key"

[[node]]
name = "db1"
agent = "127.0.0.1:$(cat "$DIR/node1/agent-port")"
mariadb_host = "127.0.0.1"
mariadb_port = $p1

[[node]]
name = "db2"
agent = "127.0.0.1:$(cat "$DIR/node2/agent-port")"
mariadb_host = "127.0.0.1"
mariadb_port = $p2
EOF
  wait_for "both agents" 30 "$BIN/mmresync" --config "$DIR/cluster.toml" status
  say "loading sample data on db1 ($rows orders)"
  load_sample "$rows"
  wait_for "replication to settle" 120 in_sync
}

in_sync() {
  local f1 p1 f2 p2
  read -r f1 p1 _ < <(sql 1 "SHOW MASTER STATUS")
  read -r f2 p2 _ < <(sql 2 "SHOW MASTER STATUS")
  slave_status 2 | grep -q "Exec_Master_Log_Pos: $p1\$" &&
    slave_status 1 | grep -q "Exec_Master_Log_Pos: $p2\$"
}

load_sample() {
  local rows=$1
  sql 1 "
  CREATE DATABASE shop CHARACTER SET utf8mb4;
  USE shop;
  CREATE TABLE shop.customers (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL,
    email VARCHAR(200), note TEXT) ENGINE=InnoDB;
  CREATE TABLE shop.orders (id BIGINT AUTO_INCREMENT PRIMARY KEY, customer_id INT NOT NULL,
    amount DECIMAL(12,2), status ENUM('new','paid','shipped'), created DATETIME(6),
    payload BLOB, KEY (customer_id)) ENGINE=InnoDB;
  CREATE TABLE shop.audit (id BIGINT AUTO_INCREMENT PRIMARY KEY, order_id BIGINT, at TIMESTAMP
    DEFAULT CURRENT_TIMESTAMP) ENGINE=InnoDB;
  CREATE TRIGGER shop.orders_audit AFTER INSERT ON shop.orders FOR EACH ROW
    INSERT INTO shop.audit (order_id) VALUES (NEW.id);
  CREATE VIEW shop.paid AS SELECT id, amount FROM shop.orders WHERE status = 'paid';
  CREATE PROCEDURE shop.count_orders() SELECT COUNT(*) FROM shop.orders;
  CREATE EVENT shop.nightly ON SCHEDULE EVERY 1 DAY DO DELETE FROM shop.audit WHERE at < NOW() - INTERVAL 90 DAY;
  INSERT INTO shop.customers (name, email, note)
    SELECT CONCAT('Kunde ', seq, ' — Zoë 東京 🚀'), CONCAT('c', seq, '@example.com'), REPEAT('x', seq % 200)
    FROM seq_1_to_1000;
  INSERT INTO shop.orders (customer_id, amount, status, created, payload)
    SELECT 1 + seq % 1000, seq * 1.25, ELT(1 + seq % 3, 'new', 'paid', 'shipped'),
      NOW(6) - INTERVAL seq SECOND, UNHEX(SHA2(seq, 512))
    FROM seq_1_to_$rows;
  CREATE DATABASE crm;
  CREATE TABLE crm.contacts (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(64), phone VARBINARY(32)) ENGINE=InnoDB;
  INSERT INTO crm.contacts (name, phone) SELECT CONCAT('contact ', seq), UNHEX(HEX(seq)) FROM seq_1_to_500;
  CREATE USER 'app'@'%' IDENTIFIED BY 'app-secret';
  GRANT SELECT, INSERT, UPDATE, DELETE ON shop.* TO 'app'@'%';
  GRANT SELECT ON crm.contacts TO 'app'@'%';"
}

cmd_break() {
  local kind=${1:-dup}
  case "$kind" in
    dup) # a row written on the standby only, then the same key on the master: error 1062
      sql 2 "SET sql_log_bin=0; INSERT INTO shop.customers (id, name) VALUES (99999, 'standby only');"
      sql 1 "INSERT INTO shop.customers (id, name) VALUES (99999, 'master');" ;;
    missing) # a row gone on the standby only, then the master updates it: error 1032
      sql 2 "SET sql_log_bin=0; DELETE FROM shop.customers WHERE id = 3;"
      sql 1 "UPDATE shop.customers SET name = 'renamed' WHERE id = 3;" ;;
    extra) # rows nobody asked for on the standby; replication keeps running
      sql 2 "SET sql_log_bin=0; INSERT INTO crm.contacts (name) VALUES ('stray 1'), ('stray 2');" ;;
    *) echo "unknown kind $kind (dup | missing | extra)" >&2; return 2 ;;
  esac
  if [ "$kind" != extra ]; then
    wait_for "db2 replication to stop" 60 sql_thread_stopped 2
  fi
}

sql_thread_stopped() { slave_status "$1" | grep -q "Slave_SQL_Running: No"; }

stop_pid() { # pidfile
  local f=$1 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

cmd_down() {
  for n in 1 2; do
    stop_pid "$DIR/node$n/agent.pid"
    stop_pid "$DIR/node$n/mariadbd.pid"
  done
}

case "$cmd" in
  up) cmd_up "${3:-20000}" ;;
  break) cmd_break "${3:-dup}" ;;
  down) cmd_down ;;
  *) echo "usage: sandbox.sh up|break|down DIR" >&2; exit 2 ;;
esac
