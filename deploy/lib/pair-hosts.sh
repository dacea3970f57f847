# shellcheck shell=bash
# The pieces of a MariaDB master-master pair on one machine, shared by deploy/sandbox.sh
# (the demo) and tests/netns/vip_test.sh, so that the demo runs exactly the setup the
# VIP tests exercise. Sourced, not executed: it defines functions and nothing else.
#
# A DB host is either the caller's own network namespace (loopback sandbox) or a network
# namespace of its own (NS[N] set). The caller sets these globals before using them:
#   DIR         absolute path; node N lives in $DIR/nodeN; $DIR/repl-password is shared
#   BIN         directory holding mmresync and mmresync-agent
#   NS[N]       node N's network namespace, or empty for none
#   IP[N]       the address node N's mariadbd and agent bind to, and the peer dials
#   DB_PORT[N], AGENT_PORT[N]   node N's mariadbd and agent ports
#   REPL_HOST   host part of the replication account ('127.0.0.1', '10.213.7.%')
# Namespace hosts only:
#   NS_BR, COORD_IP   the namespace holding the bridge (the coordinator runs there) and
#                     its address on the bridge
#   VIP, VRID         the keepalived virtual IP (on eth0, /24) and virtual_router_id;
#                     VIP empty means no keepalived: agents get `control = "none"`
#   PAIR_TAG          names keepalived's router_id (default "pair")
#   VIP_WAIT_SECONDS  cluster.toml's vip_wait_seconds (default 30)
# Optional: MYCNF_BUFFER_POOL, MYCNF_LOG_FILE, MYCNF_MAX_PACKET (mariadbd sizes).
#
# Background processes close fds 3 and 4: vip_test.sh keeps its real stdout/stderr there
# for its cleanup, and a daemon holding them would keep a caller's pipe (ctest, tee) open.

# Where wait_for reports a timeout; the test redefines it to timestamp its lines.
pair_log() { echo "$*" >&2; }

wait_for() { # description, seconds, command...
  local what=$1 secs=$2; shift 2
  for _ in $(seq 1 $((secs * 5))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  pair_log "timed out after ${secs}s waiting for $what"
  return 1
}

free_ports() { # count: distinct ports nothing listens on yet
  local want=$1 got=() p
  for _ in $(seq 1 400); do
    [ ${#got[@]} -lt "$want" ] || break
    p=$((20000 + RANDOM % 20000))
    [[ " ${got[*]} " != *" $p "* ]] || continue
    [ -n "$(ss -Hltn "sport = :$p" 2>/dev/null)" ] || got+=("$p")
  done
  [ ${#got[@]} -eq "$want" ] || { echo "no free ports found" >&2; return 1; }
  echo "${got[*]}"
}

# Kills the process in a PID file and waits for it (bounded), then SIGKILL.
stop_pidfile() { # pidfile [seconds]
  local f=$1 secs=${2:-30} pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 $((secs * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

sql() { # node, statement...
  local n=$1; shift
  mariadb --no-defaults --default-character-set=utf8mb4 -S "$DIR/node$n/mysqld.sock" -uroot \
    --batch --skip-column-names -e "$*"
}
# Vertical, because the labels only come in the non-batch mode.
slave_status() { mariadb --no-defaults -S "$DIR/node$1/mysqld.sock" -uroot -e "SHOW SLAVE STATUS\G"; }

# ---------- the namespace network ----------

# Namespace hosts need root, `ip netns`, keepalived and setsid; a throwaway namespace
# proves that this kernel (or container) lets us create namespaces at all.
netns_usable() { # fails, printing why, when namespace hosts cannot run here
  local t probe="mmprobe$$-$RANDOM"
  if [ "$(id -u)" -ne 0 ]; then echo "not running as root"; return 1; fi
  for t in ip keepalived setsid; do
    command -v "$t" >/dev/null 2>&1 || { echo "$t is not installed"; return 1; }
  done
  if ! ip netns add "$probe" 2>/dev/null; then
    echo "cannot create a network namespace (ip netns add failed)"; return 1
  fi
  ip netns del "$probe"
}

netns_exists() { ip netns list 2>/dev/null | awk -v n="$1" '$1 == n { f = 1 } END { exit !f }'; }

# A 10.213.X prefix that no namespace on this machine (nor the root namespace) has an
# address in. Namespaces are isolated, so a clash would not misroute anything, but two
# runs side by side (a kept sandbox and the tests) stay unambiguous in logs and `ip`.
pick_subnet() {
  local used ns x
  used=$(ip -o -4 addr show 2>/dev/null || true)
  for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
    used+=$'\n'$(ip -n "$ns" -o -4 addr show 2>/dev/null || true)
  done
  for _ in $(seq 1 500); do
    x=$((RANDOM % 250 + 1))
    if [[ "$used" != *" 10.213.$x."* ]]; then echo "10.213.$x"; return 0; fi
  done
  echo "no free 10.213.X.0/24 found" >&2
  return 1
}

# The bridge and the coordinator in NS_BR; each host namespace joined to it by a veth.
# shellcheck disable=SC2120 # the argument is optional
setup_network() { # [file]: each namespace is appended to it once created (for teardown)
  local rec=${1:-/dev/null} n
  ip netns add "$NS_BR"
  echo "$NS_BR" >>"$rec"
  ip -n "$NS_BR" link set lo up
  ip -n "$NS_BR" link add br0 type bridge
  ip -n "$NS_BR" link set br0 up
  ip -n "$NS_BR" addr add "$COORD_IP/24" dev br0
  for n in 1 2; do
    ip netns add "${NS[$n]}"
    echo "${NS[$n]}" >>"$rec"
    ip -n "${NS[$n]}" link set lo up
    # Created inside the bridge namespace, the peer moved straight into the host's: no
    # interface ever appears in the root namespace.
    ip -n "$NS_BR" link add "port$n" type veth peer name eth0 netns "${NS[$n]}"
    ip -n "$NS_BR" link set "port$n" master br0 up
    ip -n "${NS[$n]}" addr add "${IP[$n]}/24" dev eth0
    ip -n "${NS[$n]}" link set eth0 up
  done
}

# Whatever still runs inside these namespaces was started by their creator (the caller
# passes only namespaces it created), so it is killed before the namespace goes.
delete_netns() { # namespace...
  local ns pid
  for ns in "$@"; do
    if [ -z "$ns" ] || ! netns_exists "$ns"; then continue; fi
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
}

# ---------- mariadbd ----------

start_mariadb() { # node: returns once mariadbd is started, not once it answers
  local n=$1 d="$DIR/node$1" user_line="" ns=()
  [ -z "${NS[$n]:-}" ] || ns=(ip netns exec "${NS[$n]}")
  [ "$(id -u)" -ne 0 ] || user_line="user=root"
  mkdir -p "$d"
  cat >"$d/my.cnf" <<EOF
[mysqld]
datadir=$d/data
socket=$d/mysqld.sock
port=${DB_PORT[$n]}
bind-address=${IP[$n]}
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
innodb_buffer_pool_size=${MYCNF_BUFFER_POOL:-128M}
innodb_log_file_size=${MYCNF_LOG_FILE:-64M}
innodb_flush_log_at_trx_commit=2
max_allowed_packet=${MYCNF_MAX_PACKET:-64M}
event_scheduler=ON
EOF
  mariadb-install-db --defaults-file="$d/my.cnf" --auth-root-authentication-method=normal \
    --skip-test-db >"$d/install.log" 2>&1 || { cat "$d/install.log"; return 1; }
  # `ip netns exec` execs mariadbd, so $! is mariadbd's PID either way.
  "${ns[@]}" mariadbd --defaults-file="$d/my.cnf" >>"$d/mariadbd.out" 2>&1 3>&- 4>&- &
  echo $! >"$d/mariadbd.pid"
}

# The agent's account (socket only) and the replication account, neither binlogged. Both
# nodes use the same agent account and password, as `--method physical` needs (the copy
# brings the source's mysql schema); the password is made once per pair.
setup_accounts() { # node; $DIR/repl-password must exist
  local n=$1 d="$DIR/node$1" agent_pw
  [ -s "$DIR/agent-password" ] || (umask 077 && openssl rand -hex 16 >"$DIR/agent-password")
  agent_pw=$(cat "$DIR/agent-password")
  printf '%s\n' "$agent_pw" >"$d/agent-password"
  cp "$DIR/repl-password" "$d/repl-password"
  chmod 600 "$d/agent-password" "$d/repl-password"
  sql "$n" "SET sql_log_bin=0;
    CREATE USER 'mmresync_agent'@'localhost' IDENTIFIED BY '$agent_pw';
    GRANT ALL PRIVILEGES ON *.* TO 'mmresync_agent'@'localhost' WITH GRANT OPTION;
    CREATE USER 'repl'@'$REPL_HOST' IDENTIFIED BY '$(cat "$DIR/repl-password")';
    GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'repl'@'$REPL_HOST';"
}

setup_replication() {
  local pair file pos
  for pair in "1 2" "2 1"; do
    # shellcheck disable=SC2086 # split "replica master" on purpose
    set -- $pair
    read -r file pos _ < <(sql "$2" "SHOW MASTER STATUS")
    sql "$1" "CHANGE MASTER TO MASTER_HOST='${IP[$2]}', MASTER_PORT=${DB_PORT[$2]}, MASTER_USER='repl',
      MASTER_PASSWORD='$(cat "$DIR/repl-password")', MASTER_LOG_FILE='$file',
      MASTER_LOG_POS=$pos, MASTER_CONNECT_RETRY=1; START SLAVE;"
  done
}

# Both nodes have applied everything the other has written. The four reads are not one
# snapshot: with log_slave_updates a node's binlog still grows while it applies, so the
# masters are read again afterwards and must not have moved (else a transient match
# between a half-applied node and a stale position reads as "in sync").
in_sync() {
  local f1 p1 f2 p2 s1 s2 again
  read -r f1 p1 _ < <(sql 1 "SHOW MASTER STATUS")
  read -r f2 p2 _ < <(sql 2 "SHOW MASTER STATUS")
  s1=$(slave_status 1)
  s2=$(slave_status 2)
  again="$(sql 1 "SHOW MASTER STATUS" | cut -f1,2) $(sql 2 "SHOW MASTER STATUS" | cut -f1,2)"
  [[ $again == "$f1"$'\t'"$p1 $f2"$'\t'"$p2" &&
    $s2 == *"Relay_Master_Log_File: $f1"$'\n'* && $s2 == *"Exec_Master_Log_Pos: $p1"$'\n'* &&
    $s1 == *"Relay_Master_Log_File: $f2"$'\n'* && $s1 == *"Exec_Master_Log_Pos: $p2"$'\n'* &&
    $s1 == *"Slave_SQL_Running: Yes"* && $s2 == *"Slave_SQL_Running: Yes"* &&
    $s1 == *"Slave_IO_Running: Yes"* && $s2 == *"Slave_IO_Running: Yes"* ]]
}

# Two schemas with a trigger, a procedure, utf8mb4 text, blobs and an application account.
# `extras` adds what the demo shows off but the VIP test's before/after comparisons
# need not carry: a view, a scheduled event, 4-byte characters and a table-level grant.
load_sample() { # node, rows [extras]
  local emoji="" objects="" grant=""
  if [ "${3:-}" = extras ]; then
    emoji=' 🚀'
    objects="CREATE VIEW shop.paid AS SELECT id, amount FROM shop.orders WHERE status = 'paid';
  CREATE EVENT shop.nightly ON SCHEDULE EVERY 1 DAY DO DELETE FROM shop.audit WHERE at < NOW() - INTERVAL 90 DAY;"
    grant="GRANT SELECT ON crm.contacts TO 'app'@'%';"
  fi
  sql "$1" "
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
  $objects
  CREATE PROCEDURE shop.count_orders() SELECT COUNT(*) FROM shop.orders;
  INSERT INTO shop.customers (name, email, note)
    SELECT CONCAT('Kunde ', seq, ' — Zoë 東京$emoji'), CONCAT('c', seq, '@example.com'), REPEAT('x', seq % 200)
    FROM seq_1_to_1000;
  INSERT INTO shop.orders (customer_id, amount, status, created, payload)
    SELECT 1 + seq % 1000, seq * 1.25, ELT(1 + seq % 3, 'new', 'paid', 'shipped'),
      NOW(6) - INTERVAL seq SECOND, UNHEX(SHA2(seq, 512))
    FROM seq_1_to_$2;
  CREATE DATABASE crm;
  CREATE TABLE crm.contacts (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(64), phone VARBINARY(32)) ENGINE=InnoDB;
  INSERT INTO crm.contacts (name, phone) SELECT CONCAT('contact ', seq), UNHEX(HEX(seq)) FROM seq_1_to_500;
  CREATE USER 'app'@'%' IDENTIFIED BY 'app-secret';
  GRANT SELECT, INSERT, UPDATE, DELETE ON shop.* TO 'app'@'%';
  $grant"
}

# ---------- keepalived ----------

# Both nodes BACKUP + nopreempt at equal priority: whoever holds the VIP keeps it, so a
# node coming back (after a recovery's fence) never takes it over. Unicast peers, because
# the bridge is the only link and multicast would reach nothing else anyway.
# With an agent config, `mmresync-agent check` of that agent is the instance's
# vrrp_script (README, "keepalived health check"): a node that fails it goes to FAULT and
# never holds the VIP, however its keepalived was started.
write_keepalived() { # node [agent config for the vrrp_script]
  local n=$1 d="$DIR/node$1" peer=$((3 - $1)) script="" track="" user=""
  if [ -n "${2:-}" ]; then
    user="script_user root"
    script="vrrp_script mmresync_check {
  script \"$BIN/mmresync-agent --config $2 check\"
  interval 1
  timeout 5
  fall 1
  rise 2
}"
    track="track_script {
    mmresync_check
  }"
  fi
  cat >"$d/keepalived.conf" <<EOF
global_defs {
  router_id mmresync_${PAIR_TAG:-pair}_db$n
  $user
}
$script
vrrp_instance VI_mmr {
  state BACKUP
  nopreempt
  interface eth0
  virtual_router_id $VRID
  priority 100
  advert_int 1
  unicast_src_ip ${IP[$n]}
  unicast_peer {
    ${IP[$peer]}
  }
  virtual_ipaddress {
    $VIP/24 dev eth0
  }
  $track
}
EOF
  # The agent's start/stop/status commands (and the callers' own keepalived control). It
  # runs inside the host's namespace: the agent and `ip netns exec` put it there. PID
  # files rather than a service manager: several pairs can run on one machine.
  cat >"$d/ka.sh" <<EOF
#!/usr/bin/env bash
# keepalived of host db$n, managed by PID file: ka.sh start|stop|status
set -u
D='$d'
alive() { # pid: exists and is not a zombie
  local s
  [ -n "\$1" ] && s=\$(cat "/proc/\$1/stat" 2>/dev/null) || return 1
  s=\${s##*) }
  [ "\${s%% *}" != Z ]
}
pid_of() { cat "\$D/\$1" 2>/dev/null; }
case "\${1:-}" in
  start)
    if alive "\$(pid_of keepalived.pid)"; then echo "already running"; exit 0; fi
    setsid keepalived -n -l -D -G -P -f "\$D/keepalived.conf" -p "\$D/keepalived.pid" \\
      -r "\$D/keepalived-vrrp.pid" -c "\$D/keepalived-checkers.pid" \\
      </dev/null >>"\$D/keepalived.log" 2>&1 &
    for _ in \$(seq 1 100); do
      alive "\$(pid_of keepalived.pid)" && alive "\$(pid_of keepalived-vrrp.pid)" && exit 0
      sleep 0.1
    done
    echo "keepalived did not start within 10 s (see \$D/keepalived.log)" >&2
    exit 1 ;;
  stop)
    main=\$(pid_of keepalived.pid) vrrp=\$(pid_of keepalived-vrrp.pid)
    alive "\$main" || alive "\$vrrp" || { echo "not running"; exit 0; }
    alive "\$main" && kill -TERM "\$main"
    for _ in \$(seq 1 100); do
      alive "\$main" || alive "\$vrrp" || exit 0
      sleep 0.1
    done
    echo "keepalived (pid \$main) still running 10 s after SIGTERM" >&2
    exit 1 ;;
  status)
    if alive "\$(pid_of keepalived.pid)"; then echo running; exit 0; fi
    echo stopped; exit 3 ;;
  *) echo "usage: ka.sh start|stop|status" >&2; exit 2 ;;
esac
EOF
  chmod 755 "$d/ka.sh"
}

ka() { ip netns exec "${NS[$1]}" "$DIR/node$1/ka.sh" "$2" 3>&- 4>&-; }   # node, start|stop|status
vip_on() { [[ "$(ip -n "${NS[$1]}" -o addr show)" == *" inet $VIP/"* ]]; }   # node

# The main process first (it takes the VIP down on SIGTERM), then its VRRP and checker
# children in case they outlived it.
stop_keepalived_pidfiles() { # node
  stop_pidfile "$DIR/node$1/keepalived.pid" 10
  stop_pidfile "$DIR/node$1/keepalived-vrrp.pid" 5
  stop_pidfile "$DIR/node$1/keepalived-checkers.pid" 5
}

# ---------- agents, certificates, cluster ----------

# shellcheck disable=SC2120 # the argument is optional
make_certs() { # [extra --san value for every agent...]
  local n s sans
  "$BIN/mmresync" certs init --dir "$DIR/certs" >/dev/null
  "$BIN/mmresync" certs issue --dir "$DIR/certs" --role coordinator >/dev/null
  for n in 1 2; do
    sans=(--san "${IP[$n]}")
    for s in "$@"; do sans+=(--san "$s"); done
    "$BIN/mmresync" certs issue --dir "$DIR/certs" --role agent --name "db$n" "${sans[@]}" >/dev/null
  done
}

# With a VIP the agent controls keepalived through ka.sh; `stop` can be replaced (the
# test makes it fail on purpose).
write_agent_config() { # node, file [keepalived stop command]
  local n=$1 d="$DIR/node$1" keepalived='control = "none"' p=$((3 - $1))
  if [ -n "${VIP:-}" ]; then
    keepalived="control = \"command\"
start = \"$d/ka.sh start\"
stop = \"${3:-$d/ka.sh stop}\"
status = \"$d/ka.sh status\"
vip = \"$VIP\"
config_file = \"keepalived.conf\"
pid_file = \"keepalived.pid\""
  fi
  cat >"$2" <<EOF
[agent]
name = "db$n"
listen = "${IP[$n]}:${AGENT_PORT[$n]}"
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

[peer]
name = "db$p"
mariadb_host = "${IP[$p]}"
mariadb_port = ${DB_PORT[$p]}
agent = "${IP[$p]}:${AGENT_PORT[$p]}"

[keepalived]
$keepalived
EOF
}

start_agent() { # node, config file
  local n=$1 d="$DIR/node$1" ns=()
  [ -z "${NS[$n]:-}" ] || ns=(ip netns exec "${NS[$n]}")
  "${ns[@]}" "$BIN/mmresync-agent" --config "$2" >>"$d/agent.log" 2>&1 3>&- 4>&- &
  echo $! >"$d/agent.pid"
}

write_cluster_config() { # cluster name (names the journal file)
  local vip_line=""
  [ -z "${VIP:-}" ] || vip_line="vip = \"$VIP\"
vip_wait_seconds = ${VIP_WAIT_SECONDS:-30}"
  cat >"$DIR/cluster.toml" <<EOF
[cluster]
name = "$1"
$vip_line
state_dir = "coordinator-state"
auto_delta = ${AUTO_DELTA:-true}

[tls]
ca = "certs/ca.pem"
cert = "certs/coordinator.pem"
key = "certs/coordinator.key"

[[node]]
name = "db1"
agent = "${IP[1]}:${AGENT_PORT[1]}"
mariadb_host = "${IP[1]}"
mariadb_port = ${DB_PORT[1]}

[[node]]
name = "db2"
agent = "${IP[2]}:${AGENT_PORT[2]}"
mariadb_host = "${IP[2]}"
mariadb_port = ${DB_PORT[2]}
EOF
}
