#!/usr/bin/env bash
# A master-master sandbox on one machine: two real mariadbd instances configured like a
# production pair, a test CA and certificates, and two mmresync agents. Used by
# deploy/demo.sh; handy on its own to try mmresync by hand.
#
#   deploy/sandbox.sh up    DIR [ROWS] [--netns]  create and start everything under DIR
#   deploy/sandbox.sh break DIR [KIND]   break replication: dup (1062) | missing (1032) | extra
#   deploy/sandbox.sh down  DIR          stop what `up` started (by PID) and keep DIR
#   DIR/mmresync ARGS...                 the CLI against this sandbox (status, plan, ...)
#
# Loopback (the default): both hosts listen on 127.0.0.1 only; no keepalived, no VIP, so
# `recover` needs --source.
# --netns (root, `ip netns`, keepalived): each DB host is a network namespace joined to a
# bridge in a third namespace, on a 10.213.X.0/24 that exists only inside them. Each host
# runs its mariadbd (bound to its namespace address), a real keepalived (VRRP, BACKUP +
# nopreempt, unicast peers) and its agent (keepalived control = "command"); db1 holds the
# VIP 10.213.X.100 when `up` returns, so `recover` finds its source without --source. The
# coordinator runs in the bridge namespace (DIR/mmresync puts it there).
#
# Processes are stopped by the PIDs recorded in DIR; with --netns `down` then kills what is
# left inside the namespaces `up` created (and only those) and deletes them. A failed `up`
# stops what it had started. Binaries: $MMRESYNC_BIN, else build/bin. Each mariadbd gets
# MYCNF_BUFFER_POOL (innodb_buffer_pool_size), MYCNF_LOG_FILE (innodb_log_file_size) and
# MYCNF_MAX_PACKET (max_allowed_packet) from the environment, 256M each by default.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=SCRIPTDIR/lib/pair-hosts.sh
source "$HERE/lib/pair-hosts.sh"

BIN=${MMRESYNC_BIN:-$HERE/../build/bin}
usage() {
  echo "usage: sandbox.sh up DIR [ROWS] [--netns] | break DIR [dup|missing|extra] | down DIR" >&2
  exit 2
}
[ $# -ge 2 ] || usage
cmd=$1 DIR=$2
shift 2

say() { printf '\033[1m== %s\033[0m\n' "$*"; }

# What `break`, `down` and the wrapper need to know about the sandbox `up` made.
MODE=loopback NS_BR="" NS1="" NS2="" VIP=""
load_env() {
  # shellcheck source=/dev/null
  [ ! -f "$DIR/sandbox.env" ] || source "$DIR/sandbox.env"
  NS=("" "$NS1" "$NS2")
}

choose_netns_names() {
  local p
  for _ in $(seq 1 20); do
    NET=$(pick_subnet)
    p="mmsb${NET##*.}"   # the names tell which subnet they carry
    if ! netns_exists "$p-br" && ! netns_exists "$p-a" && ! netns_exists "$p-b"; then
      NS_BR="$p-br" NS1="$p-a" NS2="$p-b"
      return 0
    fi
  done
  echo "no free namespace names mmsbX-br/-a/-b found" >&2
  return 1
}

write_wrapper() {
  local in_ns=""
  [ "$MODE" = loopback ] || in_ns="ip netns exec $(printf '%q' "$NS_BR") "
  cat >"$DIR/mmresync" <<EOF
#!/usr/bin/env bash
# mmresync against the sandbox in this directory, e.g. $DIR/mmresync status
exec ${in_ns}$(printf '%q' "$BIN/mmresync") --config $(printf '%q' "$DIR/cluster.toml") "\$@"
EOF
  chmod 755 "$DIR/mmresync"
}

up_failed() { # exit status of `up`
  [ "$1" -ne 0 ] || return 0
  echo "sandbox up failed (exit $1): stopping what it started; the logs stay in $DIR" >&2
  cmd_down >/dev/null 2>&1 || true
}

cmd_up() {
  local rows=20000 arg n
  for arg in "$@"; do
    case "$arg" in
      --netns) MODE=netns ;;
      --loopback) MODE=loopback ;;
      '' | *[!0-9]*) usage ;;
      *) rows=$arg ;;
    esac
  done
  if [ "$MODE" = netns ]; then
    local why
    why=$(netns_usable) || { echo "sandbox.sh up --netns: $why" >&2; exit 2; }
  fi
  if [ ! -x "$BIN/mmresync" ] || [ ! -x "$BIN/mmresync-agent" ]; then
    echo "no mmresync binaries in $BIN: build them or set MMRESYNC_BIN" >&2; exit 2
  fi
  BIN=$(cd "$BIN" && pwd)
  if [ -e "$DIR/node1" ] || [ -e "$DIR/sandbox.env" ]; then
    echo "$DIR already holds a sandbox: use another directory" >&2; exit 2
  fi
  mkdir -p "$DIR"
  DIR=$(cd "$DIR" && pwd)
  trap 'up_failed $?' EXIT
  trap 'exit 130' INT TERM

  if [ "$MODE" = netns ]; then
    choose_netns_names
    NS=("" "$NS1" "$NS2")
    IP=("" "$NET.1" "$NET.2")
    COORD_IP="$NET.254" VIP="$NET.100" VRID=$((RANDOM % 200 + 20))
    DB_PORT=("" 3306 3306) AGENT_PORT=("" 7443 7443)
    REPL_HOST="$NET.%" PAIR_TAG="sandbox"
  else
    local list ports
    list=$(free_ports 4)
    read -r -a ports <<<"$list"
    NS=("" "" "") IP=("" 127.0.0.1 127.0.0.1)
    DB_PORT=("" "${ports[0]}" "${ports[1]}") AGENT_PORT=("" "${ports[2]}" "${ports[3]}")
    REPL_HOST=127.0.0.1
  fi
  # Written before anything starts, so that `down` (and up_failed) can always stop it.
  printf 'MODE=%q\nNS_BR=%q\nNS1=%q\nNS2=%q\nVIP=%q\n' "$MODE" "$NS_BR" "$NS1" "$NS2" "$VIP" \
    >"$DIR/sandbox.env"
  # Bigger than the test's defaults: the demo loads 300k orders. Set in the environment,
  # they are kept (the benchmark sizes the buffer pools this way).
  MYCNF_BUFFER_POOL=${MYCNF_BUFFER_POOL:-256M} MYCNF_LOG_FILE=${MYCNF_LOG_FILE:-256M}
  MYCNF_MAX_PACKET=${MYCNF_MAX_PACKET:-256M}
  openssl rand -hex 16 >"$DIR/repl-password"
  chmod 600 "$DIR/repl-password"

  if [ "$MODE" = netns ]; then
    say "network namespaces $NS_BR (bridge, coordinator $COORD_IP), $NS1 (db1 ${IP[1]}), $NS2 (db2 ${IP[2]})"
    # Only the namespaces really created are recorded: `down` deletes exactly those.
    setup_network "$DIR/netns.created"
  fi
  say "starting two mariadbd instances (server-id 1/2, log-bin, ROW, auto_increment 2 with offsets 1/2)"
  start_mariadb 1
  start_mariadb 2
  for n in 1 2; do
    wait_for "mariadbd on db$n" 90 sql "$n" "SELECT 1"
    setup_accounts "$n"
  done
  say "setting up replication both ways"
  setup_replication

  if [ "$MODE" = netns ]; then
    say "keepalived (VRRP id $VRID, VIP $VIP): db1 first, so that it takes the VIP; then db2 as its backup"
    write_keepalived 1
    write_keepalived 2
    ka 1 start >/dev/null
    wait_for "the VIP on db1" 30 vip_on 1
    ka 2 start >/dev/null
    # db2 comes up as BACKUP and, hearing db1's adverts, stays so (nopreempt, equal
    # priority); the VIP test sleeps out the master-down interval to prove that.
    wait_for "db2's keepalived to settle as BACKUP" 20 grep -q "Entering BACKUP STATE" "$DIR/node2/keepalived.log"
  fi

  say "certificates (mmresync certs)"
  if [ "$MODE" = netns ]; then make_certs; else make_certs localhost; fi
  say "starting the agents"
  for n in 1 2; do
    write_agent_config "$n" "$DIR/node$n/agent.toml"
    start_agent "$n" "$DIR/node$n/agent.toml"
  done
  write_cluster_config sandbox
  write_wrapper
  wait_for "both agents (mmresync status exits 0)" 60 "$DIR/mmresync" status
  say "loading sample data on db1 ($rows orders)"
  load_sample 1 "$rows" extras
  wait_for "replication to settle" 120 in_sync
  # db2 got its rows by replication and InnoDB refreshes its statistics only later: until
  # then `status` shows db2's user data as a fraction of db1's, which reads like data loss.
  for n in 1 2; do
    sql "$n" "ANALYZE NO_WRITE_TO_BINLOG TABLE shop.customers, shop.orders, shop.audit, crm.contacts" >/dev/null
  done
  if [ "$MODE" = netns ] && { ! vip_on 1 || vip_on 2; }; then
    echo "the VIP is not on db1 only after setup (see $DIR/node*/keepalived.log)" >&2
    exit 1
  fi
  trap - EXIT INT TERM
}

# Breaks the standby (the node without the VIP; db2 on loopback) with a change the master
# then replicates into it. Fresh keys every time, so a repaired sandbox can be broken again.
cmd_break() {
  local kind=${1:-dup} m=1 s=2 id
  if [ "$MODE" = netns ] && vip_on 2; then m=2 s=1; fi
  case "$kind" in
    dup) # a row written on the standby only, then the same key on the master: error 1062
      id=$(sql "$m" "SELECT COALESCE(MAX(id), 0) + 1001 FROM shop.customers")
      sql "$s" "SET sql_log_bin=0; INSERT INTO shop.customers (id, name) VALUES ($id, 'standby only');"
      sql "$m" "INSERT INTO shop.customers (id, name) VALUES ($id, 'master');" ;;
    missing) # a row gone on the standby only, then the master changes it: error 1032
      id=$(sql "$m" "SELECT MIN(id) FROM shop.customers")
      sql "$s" "SET sql_log_bin=0; DELETE FROM shop.customers WHERE id = $id;"
      sql "$m" "UPDATE shop.customers SET name = CONCAT(name, ' (renamed)') WHERE id = $id;" ;;
    extra) # rows nobody asked for on the standby; replication keeps running
      sql "$s" "SET sql_log_bin=0; INSERT INTO crm.contacts (name) VALUES ('stray 1'), ('stray 2');" ;;
    *) echo "unknown kind $kind (dup | missing | extra)" >&2; return 2 ;;
  esac
  if [ "$kind" != extra ]; then
    wait_for "db$s replication to stop" 60 sql_thread_stopped "$s"
  fi
}

sql_thread_stopped() { [[ "$(slave_status "$1")" == *"Slave_SQL_Running: No"* ]]; }

# Runs `function nodeN/FILE ARGS` (or `function N` without FILE) for both nodes at once:
# each agent, keepalived and mariadbd takes seconds to go. Waits for these two jobs only:
# after a failed `up` this shell's own children include the mariadbd it started.
both_nodes() { # function [file args...]
  local fn=$1 n pids=()
  shift
  for n in 1 2; do
    if [ $# -gt 0 ]; then "$fn" "$DIR/node$n/$1" "${@:2}" & else "$fn" "$n" & fi
    pids+=($!)
  done
  wait "${pids[@]}"
}

cmd_down() {
  [ -d "$DIR" ] || return 0
  both_nodes stop_pidfile agent.pid 30
  [ "$MODE" = loopback ] || both_nodes stop_keepalived_pidfiles
  both_nodes stop_pidfile mariadbd.pid 60
  if [ -f "$DIR/netns.created" ]; then
    # shellcheck disable=SC2046 # one namespace name per line, no spaces
    delete_netns $(cat "$DIR/netns.created")
    rm -f "$DIR/netns.created"
  fi
}

load_env
case "$cmd" in
  up) cmd_up "$@" ;;
  break) [ $# -le 1 ] || usage; cmd_break "${1:-dup}" ;;
  down) [ $# -eq 0 ] || usage; cmd_down ;;
  *) usage ;;
esac
