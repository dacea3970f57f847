#!/usr/bin/env bash
# Re-seed benchmark: one command builds a loopback master-master pair (deploy/sandbox.sh)
# holding SIZE of InnoDB data, then re-seeds the standby (db2) from the master (db1) with
# each of these, side by side in one run on the same data:
#
#   manual       the operators' seed runbook (the procedure DESIGN.md says mmresync
#                automates) scripted faithfully, with its lock done right: STOP SLAVE + RESET SLAVE on the master, FLUSH TABLES
#                WITH READ LOCK held by a live session for the whole dump to a file, SHOW
#                MASTER STATUS, UNLOCK; on the standby STOP SLAVE, DROP DATABASE, import
#                (binlogged, as the runbook does; RESET MASTER afterwards). The runbook's
#                RESET MASTER on the master is left out (it deletes the master's binlogs).
#   pipe         mariadb-dump --single-transaction --master-data=2 | mariadb (drop first)
#   mydumper     mydumper --threads 2 to a directory, myloader --threads 2 --overwrite-tables
#   mariabackup  mariadb-backup --backup --stream=mbstream --parallel=2 | mbstream -x into a
#                new directory, --prepare, stop db2's mariadbd, swap datadirs, start it
#   mmresync     mmresync recover --force --yes --source db1 --method M, for each M in
#                ${METHODS:-dump logical}, then once more (default method) with --skip-backup
#
# The wall time of a row runs from its first command until db2 holds the data (for
# mariabackup: until the restarted mariadbd answers); for mmresync until `recover`
# returns, so it includes fencing, the standby backup, both replication phases and
# unfencing, which the bare tools do not do. After each bare-tool row the bench points
# replication both ways at the coordinates that tool recorded (untimed); then, before the
# next row, both nodes must be in sync, `CHECKSUM TABLE` must agree on every user table
# and `mmresync status` must say healthy. Each row starts from the same breakage
# (`sandbox.sh break dup`: a duplicate key stops db2's SQL thread).
#
# Throughout each row a writer (its own client session) inserts into db1 every 20 ms and
# notes when it sent each statement and when the answer came back: the worst gap is the
# source's worst write stall, measured from outside. After each mmresync row the peak RSS
# (VmHWM, reset before the row through /proc/PID/clear_refs) of both agents is read.
# Each mmresync row also notes the CPU seconds both mariadbd and both agents used during
# it and how busy the host was (/proc): whether a row computed or waited. With a delta and
# a logical row, the run ends with their ratio (the delta repair's target: <= 0.25x).
# Data is generated inside mariadbd (INSERT ... SELECT from the sequence engine),
# deterministically and unlogged on both nodes at once: four tables of different shapes
# (wide rows with text and blobs, some stored off-page; narrow rows; rows with three
# secondary indexes; utf8mb4 rows with a unique key) beside the sandbox's sample schemas
# (triggers, a view, an event, a procedure, an account).
#
#   tests/bench/recover_bench.sh [--quick] [--size N[M|G]] [--keep]
#
#   --size N   InnoDB data (data + indexes) to generate, in MiB or with an M/G suffix
#              (default 1G); --quick is --size 100M
#   --keep     leave the pair running and its directory in place at the end
#   METHODS="dump logical physical delta"   mmresync methods to run (default "dump logical");
#              the delta row starts from the same breakage plus 3 divergent rows on db2
#              (one changed, one missing, one extra) and notes the bytes it moved;
#              a binary without --method runs the first one without it ("n/a"); for
#              physical the agents get [mariadb.service] commands (DIR/nodeN/svc.sh)
#   PEERS="manual pipe mydumper mariabackup"   the other tools' rows to run (default all;
#              for quick iterations on one method, e.g. PEERS=mariabackup METHODS=physical)
#   SKIP_BACKUP_ROW=0   leave out the --skip-backup row
#   MMRESYNC_BIN=DIR   use built binaries (default build/bin; built when missing)
#   ROW_TIMEOUT=S      bound for each tool run (default 1800 s); every wait is bounded
#   MYCNF_BUFFER_POOL=SIZE   both mariadbd's innodb_buffer_pool_size (default 256M, less
#              than the data: every row is read from disk; e.g. 2G holds a 1 GiB pair)
#   PIN_NODES=1        each node's mariadbd and agent (and the children they start) on a
#              CPU of its own, set again at each row's start (db1 on CPU 0, db2 on CPU 1):
#              two one-CPU hosts, as near as one host comes to a real pair, where each
#              side reads and writes on its own machine. Unpinned, both sides share every
#              core (a delta repair's two reads compete; a re-seed's load mostly runs on
#              one side). The writer, the coordinator and the peers' tools stay unpinned.
#   MYDUMPER_OPTS, MYLOADER_OPTS   extra options (e.g. "--rows 100000", "-q 50")
#   MARIABACKUP_OPTS   extra options of the bare mariadb-backup --backup (e.g.
#              "--log-copy-interval=100", what mmresync's physical method passes)
#   MBSTREAM_OPTS      extra options of the bare mbstream -x (e.g. "--parallel=2", what
#              mmresync's physical method passes)
#
# Loopback only. Everything it starts is stopped by PID, and its directory removed, on
# every exit (Ctrl-C included). Prints a markdown table to paste into the README.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/../.."
ROOT=$PWD

usage() {
  echo "usage: tests/bench/recover_bench.sh [--quick] [--size N[M|G]] [--keep]" >&2
  exit 2
}
SIZE_MB=1024 KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) SIZE_MB=100 ;;
    --size)
      [ $# -ge 2 ] || usage
      n=${2%[gGmM]}
      case "$n" in '' | *[!0-9]*) usage ;; esac
      SIZE_MB=$n
      case "$2" in *[gG]) SIZE_MB=$((n * 1024)) ;; esac
      shift ;;
    --keep) KEEP=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) usage ;;
  esac
  shift
done
case "$SIZE_MB" in '' | *[!0-9]* | 0) usage ;; esac
METHODS=${METHODS:-dump logical}
ROW_TIMEOUT=${ROW_TIMEOUT:-1800}
WAIT_SECS=300   # bound of each wait for replication, a server or an agent

log() { printf '%s bench: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# ---------- tools and binaries ----------

bench_tools=(mariadb mariadb-dump mariadbd mariadb-install-db mariadb-admin mariadb-backup mbstream
  mydumper myloader timeout tee mkfifo setsid openssl ss)
missing_tools() { local t; for t in "${bench_tools[@]}"; do command -v "$t" >/dev/null || echo "$t"; done; }
if [ -n "$(missing_tools)" ]; then
  # The bench's own packages, on top of the project's (deploy/install-deps.sh).
  log "installing the benchmark's tools (missing: $(missing_tools | tr '\n' ' '))"
  bash deploy/install-deps.sh
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    mariadb-backup mydumper util-linux iproute2 >/dev/null
  [ -z "$(missing_tools)" ] || { echo "still missing: $(missing_tools)" >&2; exit 2; }
fi
if [ -n "${MMRESYNC_BIN:-}" ]; then
  BIN=$(cd "$MMRESYNC_BIN" && pwd)
elif [ -x build/bin/mmresync ] && [ -x build/bin/mmresync-agent ]; then
  BIN=$ROOT/build/bin
else
  log "no binaries in build/bin: installing dependencies and building"
  bash deploy/install-deps.sh
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  ninja -C build mmresync mmresync-agent
  BIN=$ROOT/build/bin
fi
export MMRESYNC_BIN=$BIN

# ---------- the run's directory, its processes, cleanup ----------

# The rows compare re-seeds: the default-method row must not turn into a delta repair.
export AUTO_DELTA=${AUTO_DELTA:-false}
DIR=$(mktemp -d /tmp/mmresync-bench.XXXXXX)
mkdir "$DIR/pids"
# Every background process this script starts is registered in $DIR/pids (a file per
# PID; files, because rows run in subshells) and removed once reaped.
track() { : >"$DIR/pids/$1"; }
untrack() { rm -f "$DIR/pids/$1"; }
alive() { # pid: exists and is not a zombie
  local s
  [ -n "$1" ] && s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  s=${s##*) }
  [ "${s%% *}" != Z ]
}
cleanup() {
  local rc=$? f p
  trap - EXIT
  trap '' INT TERM
  for f in "$DIR"/pids/*; do
    [ -e "$f" ] || continue
    p=${f##*/}
    kill -TERM "$p" 2>/dev/null || true
  done
  for _ in $(seq 1 50); do
    local left=0
    for f in "$DIR"/pids/*; do [ -e "$f" ] && alive "${f##*/}" && left=1; done
    [ $left -eq 1 ] || break
    sleep 0.2
  done
  for f in "$DIR"/pids/*; do [ -e "$f" ] && kill -KILL "${f##*/}" 2>/dev/null; done
  if [ $KEEP -eq 1 ] && [ $rc -eq 0 ]; then
    echo "The pair keeps running in $DIR: $DIR/mmresync status; stop it with"
    echo "  bash deploy/sandbox.sh down $DIR && rm -rf $DIR"
  else
    bash deploy/sandbox.sh down "$DIR" >/dev/null 2>&1 || true
    rm -rf "$DIR"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'trap - ERR; exit 130' INT TERM
set -E   # the ERR trap in functions and subshells too: a failure names its line
on_err() { local rc=$? cmd=$BASH_COMMAND; log "failed (exit $rc) at line $1: ${cmd%%$'\n'*}"; }
trap 'on_err $LINENO' ERR

# Waits (bounded) for a child of this shell; on timeout kills it. Returns its status.
wait_pid() { # pid seconds
  local p=$1 s=$2 rc=0
  for _ in $(seq 1 $((s * 10))); do alive "$p" || break; sleep 0.1; done
  if alive "$p"; then
    log "process $p still running after ${s}s: killing it"
    kill -TERM "$p" 2>/dev/null || true
    sleep 1
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
    untrack "$p"
    return 124
  fi
  wait "$p" || rc=$?
  untrack "$p"
  return $rc
}

# Runs a command under timeout(1) (its own process group, which timeout kills as a whole
# on expiry) and waits for it; `--in FILE` feeds it FILE on stdin.
bounded() { # [--in FILE] command...
  local in=/dev/null p rc=0
  if [ "$1" = --in ]; then in=$2; shift 2; fi
  timeout -k 15 "$ROW_TIMEOUT" "$@" <"$in" &
  p=$!
  track "$p"
  wait "$p" || rc=$?
  untrack "$p"
  [ $rc -ne 124 ] || log "timed out after ${ROW_TIMEOUT}s: $*"
  return $rc
}

# ---------- the pair ----------

log "starting a loopback pair in $DIR"
bash deploy/sandbox.sh up "$DIR" 2000 >"$DIR/sandbox-up.log" 2>&1 ||
  { grep -v "^\s*$" "$DIR/sandbox-up.log" | grep -i -m5 "error\|fail\|timed out" >&2; tail -5 "$DIR/sandbox-up.log" >&2; exit 1; }
# shellcheck source=SCRIPTDIR/../../deploy/lib/pair-hosts.sh
source deploy/lib/pair-hosts.sh   # sql, slave_status, in_sync, wait_for, stop_pidfile, start_agent
NS=("" "" "")
port_of() { sed -n 's/^port=//p' "$DIR/node$1/my.cnf"; }
DB_PORT=("" "$(port_of 1)" "$(port_of 2)")
sock() { echo "$DIR/node$1/mysqld.sock"; }
# Commands rather than functions: they run under timeout(1) or in the background.
CLIENT1=(mariadb --no-defaults --default-character-set=utf8mb4 -S "$DIR/node1/mysqld.sock" -uroot)
CLIENT2=(mariadb --no-defaults --default-character-set=utf8mb4 -S "$DIR/node2/mysqld.sock" -uroot)
MMR=("$BIN/mmresync" --config "$DIR/cluster.toml")
now() { echo "$EPOCHREALTIME"; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }
user_schemas() {
  sql 1 "SELECT GROUP_CONCAT(SCHEMA_NAME ORDER BY SCHEMA_NAME SEPARATOR ' ') FROM information_schema.SCHEMATA
    WHERE SCHEMA_NAME NOT IN ('mysql','information_schema','performance_schema','sys')"
}

# mariadbd of node N by PID file, for the mariabackup row's restart and, when the physical
# method runs, the agents' [mariadb.service] commands.
for n in 1 2; do
  cat >"$DIR/node$n/svc.sh" <<EOF
#!/usr/bin/env bash
# mariadbd of db$n by PID file: svc.sh start|stop|status
set -u
D='$DIR/node$n'
alive() { local s; [ -n "\$1" ] && s=\$(cat "/proc/\$1/stat" 2>/dev/null) || return 1; s=\${s##*) }; [ "\${s%% *}" != Z ]; }
pid() { cat "\$D/mariadbd.pid" 2>/dev/null; }
answers() { mariadb-admin --no-defaults -S "\$D/mysqld.sock" -uroot ping >/dev/null 2>&1; }
case "\${1:-}" in
  start)
    if ! alive "\$(pid)"; then
      setsid mariadbd --defaults-file="\$D/my.cnf" </dev/null >>"\$D/mariadbd.out" 2>&1 &
      echo \$! >"\$D/mariadbd.pid"
    fi
    for _ in \$(seq 1 1200); do
      answers && exit 0
      alive "\$(pid)" || { echo "mariadbd exited (see \$D/error.log)" >&2; exit 1; }
      sleep 0.1
    done
    echo "mariadbd does not answer after 120 s" >&2; exit 1 ;;
  stop)
    p=\$(pid)
    alive "\$p" || exit 0
    kill -TERM "\$p"
    for _ in \$(seq 1 1200); do alive "\$p" || exit 0; sleep 0.1; done
    echo "mariadbd (pid \$p) still running 120 s after SIGTERM" >&2; exit 1 ;;
  status)
    if alive "\$(pid)" && answers; then echo running; exit 0; fi
    echo stopped; exit 3 ;;
  *) echo "usage: svc.sh start|stop|status" >&2; exit 2 ;;
esac
EOF
  chmod 755 "$DIR/node$n/svc.sh"
done

# ---------- data ----------

# One chunk of each table; ids k*rows+1 .. (k+1)*rows. Functions of the id only, so both
# nodes generate the same rows. Per 1 MiB of data, roughly: 95 docs, 1600 orders,
# 3300 events, 500 customers (shares about 45/25/20/10 %).
chunk_sql() { # chunk-number, MiB-per-chunk
  local k=$1 mb=$2 d o e c
  d=$((mb * 95)) o=$((mb * 1600)) e=$((mb * 3300)) c=$((mb * 500))
  cat <<EOF
SET SESSION sql_log_bin = 0;
USE bench;
INSERT INTO bench.docs (id, title, body, attachment, created)
  SELECT seq, CONCAT('Document ', seq, ' ', MD5(seq)),
    REPEAT(CONCAT(SHA2(seq, 256), ' lorem ipsum dolor sit amet, ÄÖÜ ß '),
           IF(seq % 16 = 0, 200, 8 + seq % 32)),
    IF(seq % 5 = 0, NULL, REPEAT(UNHEX(SHA2(seq, 512)), 8 + seq % 24)),
    TIMESTAMP'2020-01-01 00:00:00' + INTERVAL seq MINUTE
  FROM seq_$((k * d + 1))_to_$(((k + 1) * d));
INSERT INTO bench.orders (id, customer_id, sku, status, amount, note, created)
  SELECT seq, 1 + (seq * 7919) % 500000, CONCAT('SKU', LPAD(seq % 65536, 9, '0')),
    ELT(1 + seq % 4, 'new', 'paid', 'shipped', 'returned'), (seq % 100000) / 100,
    IF(seq % 3 = 0, NULL, CONCAT('note ', MD5(seq), ' ', seq % 977)),
    TIMESTAMP'2021-01-01 00:00:00' + INTERVAL seq SECOND
  FROM seq_$((k * o + 1))_to_$(((k + 1) * o));
INSERT INTO bench.events (id, user_id, kind, at, value)
  SELECT seq, (seq * 31) % 200000, seq % 7, TIMESTAMP'2022-01-01 00:00:00' + INTERVAL seq SECOND,
    CRC32(seq)
  FROM seq_$((k * e + 1))_to_$(((k + 1) * e));
INSERT INTO bench.customers (id, name, email, country, created, profile)
  SELECT seq, CONCAT('Kundin ', seq, ' Zoë 東京 🚀'), CONCAT('user', seq, '@example.com'),
    ELT(1 + seq % 5, 'DE', 'FR', 'JP', 'US', 'BR'), TIMESTAMP'2019-01-01 00:00:00' + INTERVAL seq MINUTE,
    REPEAT(CONCAT(MD5(seq), ' '), 1 + seq % 4)
  FROM seq_$((k * c + 1))_to_$(((k + 1) * c));
EOF
}
SCHEMA_SQL="SET SESSION sql_log_bin = 0;
CREATE DATABASE bench CHARACTER SET utf8mb4;
CREATE TABLE bench.docs (id INT PRIMARY KEY, title VARCHAR(200) NOT NULL, body MEDIUMTEXT NOT NULL,
  attachment MEDIUMBLOB, created DATETIME NOT NULL, KEY (created)) ENGINE=InnoDB;
CREATE TABLE bench.orders (id BIGINT PRIMARY KEY, customer_id INT NOT NULL, sku CHAR(12) NOT NULL,
  status ENUM('new','paid','shipped','returned') NOT NULL, amount DECIMAL(12,2) NOT NULL,
  note VARCHAR(255), created DATETIME NOT NULL,
  KEY (customer_id), KEY (sku), KEY (status, created)) ENGINE=InnoDB;
CREATE TABLE bench.events (id BIGINT PRIMARY KEY, user_id INT NOT NULL, kind TINYINT UNSIGNED NOT NULL,
  at DATETIME NOT NULL, value INT UNSIGNED NOT NULL, KEY (user_id, at)) ENGINE=InnoDB;
CREATE TABLE bench.customers (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, email VARCHAR(190) NOT NULL,
  country CHAR(2) NOT NULL, created DATETIME NOT NULL, profile TEXT,
  UNIQUE KEY (email), KEY (country, created)) ENGINE=InnoDB;"

user_bytes() { # node: data + index bytes of every user table, after fresh InnoDB statistics
  local tables
  tables=$(sql "$1" "SELECT GROUP_CONCAT(CONCAT('\`', TABLE_SCHEMA, '\`.\`', TABLE_NAME, '\`')) FROM information_schema.TABLES
    WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA NOT IN ('mysql','information_schema','performance_schema','sys')")
  sql "$1" "ANALYZE NO_WRITE_TO_BINLOG TABLE $tables" >/dev/null
  sql "$1" "SELECT SUM(DATA_LENGTH + INDEX_LENGTH) FROM information_schema.TABLES
    WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA NOT IN ('mysql','information_schema','performance_schema','sys')"
}

both_sql() { # statements for both nodes at once, each bounded
  local p1 p2 rc=0
  timeout -k 5 "$ROW_TIMEOUT" mariadb --no-defaults --default-character-set=utf8mb4 -S "$(sock 1)" -uroot -e "$1" &
  p1=$!
  track $p1
  timeout -k 5 "$ROW_TIMEOUT" mariadb --no-defaults --default-character-set=utf8mb4 -S "$(sock 2)" -uroot -e "$1" &
  p2=$!
  track $p2
  wait_pid $p1 $((ROW_TIMEOUT + 30)) || rc=$?
  wait_pid $p2 $((ROW_TIMEOUT + 30)) || rc=$?
  return $rc
}

CHUNK_MB=$(((SIZE_MB + 9) / 10))
log "generating ~${SIZE_MB} MiB on both nodes (unlogged, same rows on each), ${CHUNK_MB} MiB per chunk"
gen_t0=$(now)
both_sql "$SCHEMA_SQL"
have=0 k=0
while [ "$have" -lt $((SIZE_MB * 1048576)) ]; do
  [ $k -lt 40 ] || { log "stopping generation after 40 chunks at $have bytes"; break; }
  both_sql "$(chunk_sql $k $CHUNK_MB)"
  k=$((k + 1))
  have=$(user_bytes 1)
  log "  chunk $k: $((have / 1048576)) MiB"
done
# The writer's table, created through replication like any table of the pair.
sql 1 "CREATE TABLE bench.heartbeat (id BIGINT AUTO_INCREMENT PRIMARY KEY, tag VARCHAR(40) NOT NULL,
  sent DECIMAL(20,6) NOT NULL) ENGINE=InnoDB"
DATA_BYTES=$(user_bytes 1)
DATA_MB=$(awk -v b="$DATA_BYTES" 'BEGIN { printf "%.0f", b / 1048576 }')
ROWS_TOTAL=$(sql 1 "SELECT (SELECT COUNT(*) FROM bench.docs) + (SELECT COUNT(*) FROM bench.orders)
  + (SELECT COUNT(*) FROM bench.events) + (SELECT COUNT(*) FROM bench.customers)")
TABLE_ROWS=$(sql 1 "SELECT CONCAT_WS(', ', CONCAT('docs ', (SELECT COUNT(*) FROM bench.docs)),
  CONCAT('orders ', (SELECT COUNT(*) FROM bench.orders)), CONCAT('events ', (SELECT COUNT(*) FROM bench.events)),
  CONCAT('customers ', (SELECT COUNT(*) FROM bench.customers)))")
log "data: $DATA_MB MiB of InnoDB data+indexes, $ROWS_TOTAL rows ($TABLE_ROWS), generated in $(sub "$(now)" "$gen_t0") s"

# ---------- health between rows ----------

user_tables() {
  sql 1 "SELECT GROUP_CONCAT(CONCAT('\`', TABLE_SCHEMA, '\`.\`', TABLE_NAME, '\`') ORDER BY TABLE_SCHEMA, TABLE_NAME)
    FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE'
    AND TABLE_SCHEMA NOT IN ('mysql','information_schema','performance_schema','sys')"
}
# What a table checksum does not see: views, triggers, routines, events, per schema.
objects() { # node
  sql "$1" "SELECT 'views', TABLE_SCHEMA, COUNT(*) FROM information_schema.VIEWS GROUP BY TABLE_SCHEMA
    UNION ALL SELECT 'triggers', TRIGGER_SCHEMA, COUNT(*) FROM information_schema.TRIGGERS
      WHERE TRIGGER_SCHEMA NOT IN ('mysql','sys') GROUP BY TRIGGER_SCHEMA
    UNION ALL SELECT 'routines', ROUTINE_SCHEMA, COUNT(*) FROM information_schema.ROUTINES
      WHERE ROUTINE_SCHEMA NOT IN ('mysql','sys') GROUP BY ROUTINE_SCHEMA
    UNION ALL SELECT 'events', EVENT_SCHEMA, COUNT(*) FROM information_schema.EVENTS GROUP BY EVENT_SCHEMA" |
    grep -v $'\tsys\t' | sort
}
# Objects db2 lacks (or has too many of) compared with db1, on one line; empty when equal.
objects_diff() {
  diff <(objects 1) <(objects 2) | sed -n 's/^</db1 has/p; s/^>/db2 has/p' | tr '\t\n' ' ;' || true
}
# Both nodes apply each other's position, the same CHECKSUM TABLE and objects on both,
# status healthy.
ensure_healthy() {
  local t c1 c2 od
  wait_for "both nodes in sync" $WAIT_SECS in_sync || { slave_status 1 >&2; slave_status 2 >&2; return 1; }
  od=$(objects_diff)
  [ -z "$od" ] || { log "views/triggers/routines/events differ: $od"; return 1; }
  t=$(user_tables)
  c1=$(sql 1 "CHECKSUM TABLE $t") c2=$(sql 2 "CHECKSUM TABLE $t")
  if [ "$c1" != "$c2" ]; then
    log "CHECKSUM TABLE differs between db1 and db2:"
    diff <(echo "$c1") <(echo "$c2") >&2 || true
    return 1
  fi
  wait_for "mmresync status to say healthy" 60 "${MMR[@]}" status || { "${MMR[@]}" status >&2 || true; return 1; }
}

# ---------- the writer ----------

# Three processes joined by FIFOs: a loop printing an INSERT (and a SELECT of its send time)
# every 20 ms, one mariadb session running them on db1 (--unbuffered: each answer leaves at
# once), and a reader stamping each answer with the time it arrived. A lock on db1 shows up
# as answers that arrive long after they were sent.
writer_loop() { # tag
  local end=$((SECONDS + ROW_TIMEOUT + 120)) t
  while [ $SECONDS -lt $end ] && [ ! -e "$DIR/stop-writer" ]; do
    t=$EPOCHREALTIME
    printf "INSERT INTO bench.heartbeat (tag, sent) VALUES ('%s', %s); SELECT %s;\n" "$1" "$t" "$t"
    sleep 0.02
  done
}
stamp_lines() { local s; while IFS= read -r s; do printf '%s %s\n' "$s" "$EPOCHREALTIME"; done; }
pin_nodes() { # PIN_NODES=1: node N's mariadbd and agent, all their threads, on CPU N-1
  [ "${PIN_NODES:-0}" = 1 ] || return 0
  local n pid
  for n in 1 2; do
    for pid in "$(cat "$DIR/node$n/mysqld.pid" 2>/dev/null)" "$(cat "$DIR/node$n/agent.pid" 2>/dev/null)"; do
      [ -z "$pid" ] || taskset -a -p -c $(((n - 1) % $(nproc))) "$pid" >/dev/null
    done
  done
}
start_writer() { # tag
  local tag=$1
  pin_nodes
  rm -f "$DIR/stop-writer" "$DIR/w.in" "$DIR/w.out"
  mkfifo "$DIR/w.in" "$DIR/w.out"
  stamp_lines <"$DIR/w.out" >"$DIR/writer-$tag.txt" &
  W_READER=$!
  track $W_READER
  "${CLIENT1[@]}" --unbuffered -N -B <"$DIR/w.in" >"$DIR/w.out" 2>"$DIR/writer-$tag.err" &
  W_CLIENT=$!
  track $W_CLIENT
  writer_loop "$tag" >"$DIR/w.in" &
  W_LOOP=$!
  track $W_LOOP
  wait_for "the writer's first answer" 30 test -s "$DIR/writer-$tag.txt"
}
stop_writer() { # tag: sets STALL to the worst stall in seconds (not in $(...): it waits for its children)
  local rc=0
  touch "$DIR/stop-writer"
  wait_pid "$W_LOOP" 10 || true
  wait_pid "$W_CLIENT" 120 || rc=$?
  wait_pid "$W_READER" 10 || true
  rm -f "$DIR/w.in" "$DIR/w.out"
  if [ $rc -ne 0 ]; then
    log "the writer's session failed ($rc): $(head -c 300 "$DIR/writer-$1.err")"
    STALL="writer failed"
    return 0
  fi
  STALL=$(awk '{ d = $2 - $1; if (d > m) m = d } END { printf "%.3f s", m }' "$DIR/writer-$1.txt")
}

# ---------- replication repair after a bare tool ----------

repl_pw() { cat "$DIR/repl-password"; }
# db2 replicates db1 from FILE:POS (what the tool recorded); db1 replicates db2 from db2's
# current position (after its import, which was not binlogged or was reset).
point_replication() { # file pos [reset-master-on-db2]
  local f2 p2
  sql 2 "STOP SLAVE" 2>/dev/null || true   # a fresh datadir has no replica configured
  sql 2 "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${DB_PORT[1]}, MASTER_USER='repl',
    MASTER_PASSWORD='$(repl_pw)', MASTER_LOG_FILE='$1', MASTER_LOG_POS=$2, MASTER_USE_GTID=no,
    MASTER_CONNECT_RETRY=1"
  [ "${3:-}" != reset ] || sql 2 "RESET MASTER"
  read -r f2 p2 _ < <(sql 2 "SHOW MASTER STATUS")
  sql 2 "START SLAVE"
  sql 1 "STOP SLAVE" 2>/dev/null || true
  sql 1 "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${DB_PORT[2]}, MASTER_USER='repl',
    MASTER_PASSWORD='$(repl_pw)', MASTER_LOG_FILE='$f2', MASTER_LOG_POS=$p2, MASTER_USE_GTID=no,
    MASTER_CONNECT_RETRY=1; START SLAVE"
  # A dump carries events ENABLED; replication would have left them DISABLE ON SLAVE.
  local e
  for e in $(sql 2 "SELECT CONCAT('\`', EVENT_SCHEMA, '\`.\`', EVENT_NAME, '\`') FROM information_schema.EVENTS
      WHERE STATUS = 'ENABLED'"); do
    sql 2 "SET sql_log_bin = 0; ALTER EVENT $e DISABLE ON SLAVE"
  done
}

drop_user_schemas() { # node binlog(on|off) schemas...
  local n=$1 bl=$2 s pre=""
  shift 2
  [ "$bl" = on ] || pre="SET sql_log_bin = 0;"
  for s in "$@"; do sql "$n" "$pre DROP DATABASE IF EXISTS \`$s\`"; done
}

# ---------- the rows ----------
# Each row runs in a subshell with errexit and writes its results to $DIR/result-NAME:
# wall, stall, rss1, rss2 (MiB) and a note; a failed row is reported as such and the
# standby restored before the next one.

result() { printf '%s=%s\n' "$2" "$3" >>"$DIR/result-$1"; }

row_manual() {
  local schemas file pos lfd lpid t0 t1 l0 l1
  read -r -a schemas <<<"$(user_schemas)"
  start_writer manual
  t0=$(now)
  sql 1 "STOP SLAVE; RESET SLAVE"   # the runbook: the master stops replicating first
  rm -f "$DIR/lock.in"
  mkfifo "$DIR/lock.in"
  "${CLIENT1[@]}" --unbuffered -N -B <"$DIR/lock.in" >"$DIR/lock.out" 2>&1 &
  lpid=$!
  track $lpid
  exec {lfd}>"$DIR/lock.in"
  echo "FLUSH TABLES WITH READ LOCK; SHOW MASTER STATUS;" >&$lfd
  wait_for "FLUSH TABLES WITH READ LOCK on db1" 120 test -s "$DIR/lock.out"
  l0=$(now)
  read -r file pos _ <"$DIR/lock.out"
  [[ "$pos" =~ ^[0-9]+$ ]] || { cat "$DIR/lock.out" >&2; return 1; }
  bounded mariadb-dump --no-defaults -S "$(sock 1)" -uroot --skip-lock-tables --routines --events \
    --triggers --hex-blob --databases "${schemas[@]}" >"$DIR/manual.sql"
  echo "UNLOCK TABLES;" >&$lfd
  exec {lfd}>&-
  wait_pid $lpid 30
  l1=$(now)
  sql 2 "STOP SLAVE"
  drop_user_schemas 2 on "${schemas[@]}"
  bounded --in "$DIR/manual.sql" "${CLIENT2[@]}"
  t1=$(now)
  stop_writer manual
  result manual stall "$STALL"
  result manual wall "$(sub "$t1" "$t0")"
  result manual note "global read lock held $(printf '%.2f' "$(sub "$l1" "$l0")") s"
  rm -f "$DIR/manual.sql" "$DIR/lock.in"
  # The runbook's replication steps: RESET SLAVE + CHANGE MASTER on the standby, RESET
  # MASTER there, the master pointed at the standby's fresh binlog.
  point_replication "$file" "$pos" reset
}

row_pipe() { # [name]
  local name=${1:-pipe} schemas file pos t0 t1 hpid
  read -r -a schemas <<<"$(user_schemas)"
  start_writer "$name"
  t0=$(now)
  sql 2 "STOP SLAVE"
  drop_user_schemas 2 off "${schemas[@]}"
  # The dump's head (with the commented CHANGE MASTER) is kept from the stream for the
  # replication repair; tee -p carries on once head has what it needs.
  rm -f "$DIR/head.fifo"
  mkfifo "$DIR/head.fifo"
  head -c 262144 <"$DIR/head.fifo" >"$DIR/pipe.head" &
  hpid=$!
  track $hpid
  # shellcheck disable=SC2016 # expanded by the inner bash
  bounded bash -c 'set -o pipefail
    mariadb-dump --no-defaults -S "$1" -uroot --single-transaction --master-data=2 --routines \
      --events --triggers --hex-blob --databases "${@:4}" | tee -p "$3" |
      mariadb --no-defaults -S "$2" -uroot --init-command="SET sql_log_bin=0"' \
    _ "$(sock 1)" "$(sock 2)" "$DIR/head.fifo" "${schemas[@]}"
  t1=$(now)
  stop_writer "$name"
  result "$name" stall "$STALL"
  result "$name" wall "$(sub "$t1" "$t0")"
  wait_pid $hpid 10 || true
  rm -f "$DIR/head.fifo"
  read -r file pos < <(sed -n "s/^-- CHANGE MASTER TO MASTER_LOG_FILE='\([^']*\)', MASTER_LOG_POS=\([0-9]*\).*/\1 \2/p" \
    "$DIR/pipe.head" | head -1)
  [ -n "${pos:-}" ] || { log "no CHANGE MASTER in the dump's head"; return 1; }
  point_replication "$file" "$pos"
}

MYDUMPER_REGEX='^(?!(mysql|sys|performance_schema|information_schema)\.)'
row_mydumper() {
  local t0 t1 file pos out=$DIR/mydumper
  start_writer mydumper
  t0=$(now)
  sql 2 "STOP SLAVE"
  rm -rf "$out"
  local dopts lopts
  read -r -a dopts <<<"${MYDUMPER_OPTS:-}"
  read -r -a lopts <<<"${MYLOADER_OPTS:-}"
  bounded mydumper -S "$(sock 1)" -u root --threads 2 --outputdir "$out" --regex "$MYDUMPER_REGEX" \
    --triggers --events --routines -v 2 -L "$DIR/mydumper.log" ${dopts[@]+"${dopts[@]}"}
  bounded myloader -S "$(sock 2)" -u root --threads 2 --directory "$out" --overwrite-tables \
    -v 2 ${lopts[@]+"${lopts[@]}"} 2>"$DIR/myloader.log"
  t1=$(now)
  stop_writer mydumper
  result mydumper stall "$STALL"
  result mydumper wall "$(sub "$t1" "$t0")"
  file=$(awk '/SHOW MASTER STATUS/ { m = 1 } m && $1 == "Log:" { print $2; exit }' "$out/metadata")
  pos=$(awk '/SHOW MASTER STATUS/ { m = 1 } m && $1 == "Pos:" { print $2; exit }' "$out/metadata")
  [[ "$pos" =~ ^[0-9]+$ ]] || { log "no binlog position in mydumper's metadata"; cat "$out/metadata" >&2; return 1; }
  result mydumper note "dump dir $(du -sm "$out" | cut -f1) MiB${MYDUMPER_OPTS:+; mydumper $MYDUMPER_OPTS}${MYLOADER_OPTS:+; myloader $MYLOADER_OPTS}"
  rm -rf "$out"
  point_replication "$file" "$pos"
}

row_mariabackup() {
  local t0 t1 new=$DIR/node2/data.new info file pos
  start_writer mariabackup
  t0=$(now)
  rm -rf "$new" "$DIR/mb-tmp"
  mkdir -p "$new" "$DIR/mb-tmp"
  local mbopts
  read -r -a mbopts <<<"${MARIABACKUP_OPTS:-}"
  # shellcheck disable=SC2016 # expanded by the inner bash
  bounded bash -c 'set -o pipefail
    mariadb-backup --defaults-file="$1/node1/my.cnf" --backup --stream=mbstream --parallel=2 \
      --user=root --socket="$1/node1/mysqld.sock" --target-dir="$1/mb-tmp" "${@:3}" 2>"$1/mb-backup.log" |
      mbstream -x ${MBSTREAM_OPTS:-} -C "$2"' _ "$DIR" "$new" ${mbopts[@]+"${mbopts[@]}"}
  bounded mariadb-backup --prepare --target-dir="$new" >"$DIR/mb-prepare.log" 2>&1
  bash "$DIR/node2/svc.sh" stop
  mv "$DIR/node2/data" "$DIR/node2/data.old"
  mv "$new" "$DIR/node2/data"
  bash "$DIR/node2/svc.sh" start
  t1=$(now)
  stop_writer mariabackup
  result mariabackup stall "$STALL"
  result mariabackup wall "$(sub "$t1" "$t0")"
  local tuned="${MARIABACKUP_OPTS:+mariadb-backup $MARIABACKUP_OPTS}"
  tuned+="${MBSTREAM_OPTS:+${tuned:+; }mbstream $MBSTREAM_OPTS}"
  [ -z "$tuned" ] || result mariabackup note "$tuned"
  rm -rf "$DIR/node2/data.old" "$DIR/mb-tmp"
  # The copy carries db1's accounts: db2's agent gets its own password back.
  sql 2 "SET sql_log_bin = 0; ALTER USER 'mmresync_agent'@'localhost' IDENTIFIED BY '$(cat "$DIR/node2/agent-password")'"
  info=$DIR/node2/data/xtrabackup_binlog_info
  [ -f "$info" ] || info=$DIR/node2/data/mariadb_backup_binlog_info
  read -r file pos _ <"$info"
  point_replication "$file" "$pos"
}

agent_pid() { cat "$DIR/node$1/agent.pid"; }
server_pid() { cat "$DIR/node$1/mysqld.pid" 2>/dev/null; }
# CPU ticks a process and its reaped children used so far ("" once it is gone), and the
# host's busy and total ticks: a row's CPU split says whether it waited or computed.
proc_ticks() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat" 2>/dev/null || true; }
host_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat; }
cpu_start() {
  CPU_PIDS=("$(server_pid 1)" "$(server_pid 2)" "$(agent_pid 1)" "$(agent_pid 2)")
  CPU_T0=()
  local p
  for p in "${CPU_PIDS[@]}"; do CPU_T0+=("$(proc_ticks "$p")"); done
  CPU_HOST0=$(host_ticks)
}
cpu_note() { # "cpu-s mariadbd 5.9 / 4.8, agents 2.0 / 2.0; host 85% busy" (- for a restarted process)
  local hz i t out=() host1
  hz=$(getconf CLK_TCK)
  host1=$(host_ticks)
  for i in 0 1 2 3; do
    t=$(proc_ticks "${CPU_PIDS[$i]}")
    if [ -n "$t" ] && [ -n "${CPU_T0[$i]}" ]; then
      out+=("$(awk -v a="$t" -v b="${CPU_T0[$i]}" -v hz="$hz" 'BEGIN { printf "%.1f", (a - b) / hz }')")
    else
      out+=("-")
    fi
  done
  # A restarted mariadbd (the physical method's swap) has a new pid: its figure is not comparable.
  [ "$(server_pid 1)" = "${CPU_PIDS[0]}" ] || out[0]="-"
  [ "$(server_pid 2)" = "${CPU_PIDS[1]}" ] || out[1]="-"
  echo "cpu-s mariadbd ${out[0]} / ${out[1]}, agents ${out[2]} / ${out[3]}; host $(awk -v a="$CPU_HOST0" -v b="$host1" \
    'BEGIN { split(a, x, " "); split(b, y, " "); printf "%.0f", 100 * (y[1] - x[1]) / (y[2] - x[2]) }')% busy"
}
reset_hwm() { local n; for n in 1 2; do echo 5 >"/proc/$(agent_pid $n)/clear_refs" 2>/dev/null || true; done; }
hwm_mb() { awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$(agent_pid "$1")/status"; }

row_mmresync() { # name [recover args...]
  local name=$1 t0 t1 rc=0
  shift
  reset_hwm
  start_writer "$name"
  cpu_start
  t0=$(now)
  bounded "${MMR[@]}" recover --source db1 --yes --force "$@" >"$DIR/$name.out" 2>&1 || rc=$?
  t1=$(now)
  result "$name" cpu "$(cpu_note)"
  stop_writer "$name"
  result "$name" stall "$STALL"
  result "$name" rss1 "$(hwm_mb 1)"
  result "$name" rss2 "$(hwm_mb 2)"
  find "$DIR/node2/state/backups" -type f -delete 2>/dev/null || true   # disk, not data
  # Parked backups (the default --backup park) keep the old tables in node2's datadir.
  for p in $(sql 2 "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'mmr\\_park\\_%'"); do
    sql 2 "SET sql_log_bin = 0; DROP DATABASE \`$p\`" || true
  done
  if [ $rc -ne 0 ]; then
    log "mmresync recover $* exited $rc:"
    tail -15 "$DIR/$name.out" >&2
    result "$name" note "$(grep -m1 -i 'error\|fail\|refus\|not expected' "$DIR/$name.out" | cut -c1-120)"
    return 1
  fi
  result "$name" wall "$(sub "$t1" "$t0")"
  # The delta method's own figures: what crossed the link and what it read.
  local moved
  moved=$(grep -o -m1 'read [0-9.]* [KMGT]*i*B on the source, [0-9.]* [KMGT]*i*B on the target; [0-9.]* [KMGT]*i*B moved' "$DIR/$name.out" || true)
  [ -z "$moved" ] || result "$name" note "$moved"
}

# The delta row's divergence beyond the duplicate key: 3 rows on db2 only.
diverge_standby() {
  sql 2 "SET sql_log_bin = 0; UPDATE bench.orders SET note = 'drift' ORDER BY id LIMIT 1;
    DELETE FROM bench.events ORDER BY id DESC LIMIT 1;
    INSERT INTO bench.customers (id, name, email, country, created, profile)
      SELECT MAX(id) + 1000000, 'extra', 'x@example.com', 'XX', NOW(), NULL FROM bench.customers"
}

# Runs a row function in a subshell with errexit, in the background so that this shell's
# INT/TERM trap runs at once (the wait builtin returns on a trapped signal; a foreground
# subshell would be waited for to its end). Call it with errexit off, not in `||`.
run_row() { # function args...
  local p rc=0
  (
    trap 'trap - ERR; exit 143' TERM
    set -e
    "$@"
  ) &
  p=$!
  track $p
  wait $p || rc=$?
  untrack $p
  return $rc
}

# After a failed row: the standby re-seeded by the plainest path, so that the next row
# starts from the same state.
restore_standby() {
  log "restoring db2 (dump | mariadb) after the failed row"
  if [ ! -d "$DIR/node2/data" ] && [ -d "$DIR/node2/data.old" ]; then
    mv "$DIR/node2/data.old" "$DIR/node2/data"
  fi
  rm -rf "$DIR/node2/data.new" "$DIR/node2/data.old"
  bash "$DIR/node2/svc.sh" start
  sql 2 "SET GLOBAL read_only = OFF"
  set +e
  run_row row_pipe restore
  local rc=$?
  set -e
  return $rc
}

# ---------- mmresync methods ----------

# Does this binary take --method? Asked with a config file that does not exist: options
# are parsed before the config is read, so an unknown flag is named and nothing runs.
method_flag() { # method: prints "yes", or why not
  local out
  if out=$("$BIN/mmresync" --config "$DIR/no-such.toml" recover --source db1 --yes --force --method "$1" 2>&1); then
    echo yes
  elif [[ "$out" == *"$DIR/no-such.toml"* ]]; then
    echo yes
  elif [[ "$out" == *"not expected"* || "$out" == *"nrecognized"* || "$out" == *"nknown option"* ]]; then
    echo "no --method flag"
  else
    echo "rejected: $(echo "$out" | head -1)"
  fi
}

# The physical method needs the agents to control their mariadbd ([mariadb.service]).
enable_service_control() {
  local n
  for n in 1 2; do
    cp "$DIR/node$n/agent.toml" "$DIR/node$n/agent.toml.orig"
    cat >>"$DIR/node$n/agent.toml" <<EOF

[mariadb.service]
control = "command"
start = "$DIR/node$n/svc.sh start"
stop = "$DIR/node$n/svc.sh stop"
status = "$DIR/node$n/svc.sh status"
EOF
  done
  restart_agents
  if ! agents_up; then
    SERVICE_WHY=$(grep -h '^mmresync-agent: ' "$DIR"/node[12]/agent.log | tail -1 | cut -c17-176)
    for n in 1 2; do mv "$DIR/node$n/agent.toml.orig" "$DIR/node$n/agent.toml"; done
    restart_agents
    agents_up
    return 1
  fi
}
agents_up() { # both agents running and answering (bounded; fails at once when one exits)
  local n
  for _ in $(seq 1 300); do
    for n in 1 2; do alive "$(agent_pid $n)" || return 1; done
    "${MMR[@]}" status >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}
restart_agents() {
  local n
  for n in 1 2; do
    stop_pidfile "$DIR/node$n/agent.pid" 30
    start_agent "$n" "$DIR/node$n/agent.toml"
  done
}

ROWS=()
for r in ${PEERS:-manual pipe mydumper mariabackup}; do
  case $r in
    manual | pipe | mydumper | mariabackup) ROWS+=("$r") ;;
    *) log "PEERS: unknown row '$r' (manual pipe mydumper mariabackup)"; exit 2 ;;
  esac
done
declare -A LABEL NOTE SKIP PHYSICAL ARGS
LABEL[manual]="seed runbook (FTWRL held through the dump, file, import)"
LABEL[pipe]="mariadb-dump --single-transaction \\| mariadb"
LABEL[mydumper]="mydumper + myloader 0.10, 2 threads"
LABEL[mariabackup]="mariadb-backup --stream \\| mbstream + prepare + restart"
ran_without=""
for m in $METHODS; do
  name="mmresync-$m"
  ROWS+=("$name")
  LABEL[$name]="mmresync recover --method $m"
  flag=$(method_flag "$m")
  if [ "$flag" = yes ]; then
    ARGS[$name]="--method $m"
    [ "$m" != physical ] || PHYSICAL[$name]=1
  elif [ "$flag" = "no --method flag" ] && [ -z "$ran_without" ]; then
    NOTE[$name]="n/a (no --method flag): ran without --method"
    ran_without=$name
  elif [ "$flag" = "no --method flag" ]; then
    NOTE[$name]="n/a (no --method flag; the run without it is the row ${LABEL[$ran_without]})"
    SKIP[$name]=1
  else
    NOTE[$name]="n/a ($flag)"
    SKIP[$name]=1
  fi
done
[ "${SKIP_BACKUP_ROW:-1}" = 0 ] || ROWS+=(mmresync-skip-backup)
LABEL[mmresync-skip-backup]="mmresync recover --skip-backup (default method)"
ARGS[mmresync-skip-backup]="--skip-backup"

if [ -n "${PHYSICAL[mmresync-physical]:-}" ]; then
  log "giving the agents [mariadb.service] for the physical method"
  if ! enable_service_control; then
    SKIP[mmresync-physical]=1
    NOTE[mmresync-physical]="n/a (the agent refused [mariadb.service]: ${SERVICE_WHY:-it did not answer})"
  fi
fi

log "checking the pair before the first row"
ensure_healthy

for r in "${ROWS[@]}"; do
  [ -z "${SKIP[$r]:-}" ] || continue
  log "row $r: breaking db2 (duplicate key), then re-seeding it"
  bash deploy/sandbox.sh break "$DIR" dup >/dev/null
  [ "$r" != mmresync-delta ] || diverge_standby
  rm -f "$DIR/result-$r"
  args=()
  case "$r" in
    mmresync-*) read -r -a args <<<"${ARGS[$r]:-}"; args=(row_mmresync "$r" ${args[@]+"${args[@]}"}) ;;
    *) args=("row_$r") ;;
  esac
  set +e   # not `run_row || rc=$?`: errexit would be ignored inside the row too
  run_row "${args[@]}"
  rc=$?
  set -e
  # A row that failed half-way may have left its writer running.
  for f in "$DIR"/pids/*; do [ -e "$f" ] && kill -TERM "${f##*/}" 2>/dev/null; untrack "${f##*/}"; done
  rm -f "$DIR/w.in" "$DIR/w.out" "$DIR/lock.in" "$DIR/head.fifo"
  if [ $rc -eq 0 ] && wait_for "db2 to catch up after $r" $WAIT_SECS in_sync; then
    od=$(objects_diff)
    if [ -n "$od" ]; then
      log "row $r: views/triggers/routines/events differ afterwards: $od"
      NOTE[$r]="${NOTE[$r]:+${NOTE[$r]}; }objects lost or changed: $od"
      restore_standby
    fi
  elif [ $rc -ne 0 ]; then
    [ $rc -lt 128 ] || exit $rc
    NOTE[$r]="FAILED (exit $rc)${NOTE[$r]:+; ${NOTE[$r]}}"
    log "row $r FAILED (exit $rc)"
    restore_standby
  fi
  ensure_healthy || { log "db2 is not a healthy replica after row $r: stopping"; exit 1; }
  [ ! -f "$DIR/result-$r" ] || log "row $r: $(tr '\n' ' ' <"$DIR/result-$r")"
done

# ---------- the table ----------

get() { # row key
  [ -f "$DIR/result-$1" ] || return 0
  sed -n "s/^$2=//p" "$DIR/result-$1" | tail -1
}
ratio() { # wall base
  if [ -z "$1" ] || [ -z "$2" ]; then echo "-"; return; fi
  awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'
}
base_my=$(get mydumper wall)
base_mb=$(get mariabackup wall)
kernel=$(uname -r)
cat <<EOF

### Re-seed benchmark ($(date +%F), \`nproc\` $(nproc), Linux $kernel)

$DATA_MB MiB of InnoDB data + indexes ($ROWS_TOTAL rows: $TABLE_ROWS; plus the sandbox's sample
schemas), a loopback pair of mariadbd $(mariadbd --version | awk '{ print $3 }' | cut -d- -f1) on one machine$([ "${PIN_NODES:-0}" != 1 ] || echo " (PIN_NODES=1: each node's mariadbd and agent on a CPU of its own)"), one run, the same data for every row,
a writer inserting into db1 every 20 ms throughout.

| method | wall | MiB/s | worst writer stall | agent peak RSS db1 / db2 | vs mydumper | vs mariabackup | notes |
| --- | --- | --- | --- | --- | --- | --- | --- |
EOF
for r in "${ROWS[@]}"; do
  wall=$(get "$r" wall) stall=$(get "$r" stall) rss1=$(get "$r" rss1) rss2=$(get "$r" rss2)
  note=$(get "$r" note) cpu=$(get "$r" cpu)
  [ -z "${NOTE[$r]:-}" ] || note="${NOTE[$r]}${note:+; $note}"
  [ -z "$cpu" ] || note="${note:+$note; }$cpu"
  if [ -n "$wall" ]; then
    mbs=$(awk -v m="$DATA_MB" -v w="$wall" 'BEGIN { printf "%.1f", m / w }')
    wall_s=$(printf '%.2f s' "$wall")
  else
    mbs="-" wall_s="-"
  fi
  rss="-"
  [ -z "$rss1" ] || rss="$rss1 / $rss2 MiB"
  vs_mb="-"
  if [ "$r" = mariabackup ] || [ -n "${PHYSICAL[$r]:-}" ]; then vs_mb=$(ratio "$wall" "$base_mb"); fi
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "${LABEL[$r]}" "$wall_s" "$mbs" "${stall:--}" "$rss" \
    "$(ratio "$wall" "$base_my")" "$vs_mb" "${note:-}"
done
cat <<EOF

Wall: from the first command to db2 holding the data (mariabackup: to the restarted
mariadbd answering); for mmresync until \`recover\` returns (fencing, standby backup unless
--skip-backup, agent-to-agent stream, both replication phases, unfencing). The bare tools
leave replication to be pointed by hand (the bench does it afterwards, untimed). Stall:
the longest a writer's INSERT on db1 waited, measured by the writer. RSS: VmHWM of each
mmresync-agent process during its row (reset before it, so never below what the agent
already held; its mariadb-dump/mariadb children not included). cpu-s: CPU seconds each
mariadbd (db1 / db2) and each agent (with its exited children) used during the row, and
how busy the host's cores were from the row's start to its end (all processes).
EOF
delta_wall=$(get mmresync-delta wall) logical_wall=$(get mmresync-logical wall)
if [ -n "$delta_wall" ] && [ -n "$logical_wall" ]; then
  echo
  printf 'delta / logical in this run: %s (%.2f / %.2f s)\n' "$(ratio "$delta_wall" "$logical_wall")" \
    "$delta_wall" "$logical_wall"
fi
