#!/usr/bin/env bash
# Re-seed benchmark, side by side in one run on one sandbox pair (deploy/sandbox.sh):
#
#   manual   the seed runbook done right: a global read lock held for the whole dump to
#            a file, then drop + import on the standby (file copy is free on one host)
#   pipe     mariadb-dump --single-transaction | mariadb  (no fencing, no checks)
#   mmresync mmresync recover --force: fence, backup, agent-to-agent stream, both phases
#   nobackup the same with --skip-backup
#
# For each: wall time to a re-seeded standby and how long the source refused writes.
# A writer inserts into the source every 20 ms throughout; its worst stall is reported
# too (it shows any lock the source really held). Reported as ratios to `pipe`.
#
#   tests/bench/recover_bench.sh [ROWS]     (default 400000 orders, about 90 MB dumped)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${1:-400000}
BIN=${MMRESYNC_BIN:-build/bin}
DIR=$(mktemp -d /tmp/mmresync-bench.XXXXXX)
trap 'bash deploy/sandbox.sh down "$DIR" >/dev/null 2>&1 || true; rm -rf "$DIR"' EXIT

MMRESYNC_BIN=$(realpath "$BIN") bash deploy/sandbox.sh up "$DIR" "$ROWS" >/dev/null
sock() { echo "$DIR/node$1/mysqld.sock"; }
sql() { local n=$1; shift; mariadb --no-defaults -S "$(sock "$n")" -uroot -N -B -e "$*"; }
now() { echo "$EPOCHREALTIME"; }
schemas=$(sql 1 "SELECT GROUP_CONCAT(SCHEMA_NAME SEPARATOR ' ') FROM information_schema.SCHEMATA
  WHERE SCHEMA_NAME NOT IN ('mysql','information_schema','performance_schema','sys')")
sql 1 "CREATE TABLE IF NOT EXISTS crm.heartbeat (id BIGINT AUTO_INCREMENT PRIMARY KEY,
  method VARCHAR(16), sent DECIMAL(20,6), ran DECIMAL(20,6))"

# Writer: one client session inserting every 20 ms for at most 600 s, each row carrying
# the time it was sent; the server stamps when it ran it. A lock on the source shows up
# as rows whose (ran - sent) is large.
start_writer() { # method; sets WRITER (a direct child, so `wait` can reap it)
  local method=$1
  (
    end=$((SECONDS + 600))
    while [ $SECONDS -lt $end ] && [ ! -f "$DIR/stop-writer" ]; do
      echo "INSERT INTO crm.heartbeat (method, sent, ran) VALUES ('$method', $EPOCHREALTIME, UNIX_TIMESTAMP(NOW(6)));"
      sleep 0.02
    done
  ) | mariadb --no-defaults -S "$(sock 1)" -uroot >/dev/null 2>&1 &
  WRITER=$!
}
stop_writer() { touch "$DIR/stop-writer"; wait "$WRITER" 2>/dev/null || true; rm -f "$DIR/stop-writer"; }
worst_stall() { sql 1 "SELECT ROUND(COALESCE(MAX(ran - sent), 0), 3) FROM crm.heartbeat WHERE method = '$1'"; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }

reset_standby_breakage() { # the same breakage before each method
  sql 2 "SET sql_log_bin=0; INSERT IGNORE INTO crm.contacts (name) VALUES ('stray');"
}

declare -A wall lock stall

# --- manual: FTWRL held by a live session for the whole dump, dump to a file, import ---
reset_standby_breakage
start_writer manual
t0=$(now)
lockstart=$(now)
mariadb-dump --no-defaults -S "$(sock 1)" -uroot --lock-all-tables --master-data=2 --routines \
  --events --triggers --hex-blob --databases $schemas >"$DIR/manual.sql"
lockend=$(now)
sql 2 "STOP SLAVE"
for s in $schemas; do sql 2 "SET sql_log_bin=0; DROP DATABASE \`$s\`"; done
mariadb --no-defaults -S "$(sock 2)" -uroot --init-command="SET sql_log_bin=0" <"$DIR/manual.sql"
t1=$(now)
stop_writer
wall[manual]=$(sub "$t1" "$t0")
lock[manual]=$(sub "$lockend" "$lockstart")
stall[manual]=$(worst_stall manual)
sql 2 "START SLAVE" >/dev/null 2>&1 || true

# --- pipe: mariadb-dump --single-transaction | mariadb ---
reset_standby_breakage
start_writer pipe
t0=$(now)
sql 2 "STOP SLAVE"
for s in $schemas; do sql 2 "SET sql_log_bin=0; DROP DATABASE \`$s\`"; done
mariadb-dump --no-defaults -S "$(sock 1)" -uroot --single-transaction --master-data=2 --routines \
  --events --triggers --hex-blob --databases $schemas |
  mariadb --no-defaults -S "$(sock 2)" -uroot --init-command="SET sql_log_bin=0"
t1=$(now)
stop_writer
wall[pipe]=$(sub "$t1" "$t0")
lock[pipe]=0
stall[pipe]=$(worst_stall pipe)

# The pipe left db2 without a correct replication position: mmresync repairs that too.
# --- mmresync ---
reset_standby_breakage
start_writer mmresync
t0=$(now)
"$BIN/mmresync" --config "$DIR/cluster.toml" recover --source db1 --yes --force >"$DIR/mmresync.out" 2>&1
t1=$(now)
stop_writer
wall[mmresync]=$(sub "$t1" "$t0")
lock[mmresync]=$(grep -o 'source global lock [0-9]* ms' "$DIR/mmresync.out" | awk '{ printf "%.3f", $4 / 1000 }')
stall[mmresync]=$(worst_stall mmresync)
"$BIN/mmresync" --config "$DIR/cluster.toml" verify >/dev/null

# --- mmresync without the standby backup: the same work as `pipe`, plus fencing, checks
# and both replication phases ---
reset_standby_breakage
start_writer nobackup
t0=$(now)
"$BIN/mmresync" --config "$DIR/cluster.toml" recover --source db1 --yes --force --skip-backup \
  >"$DIR/nobackup.out" 2>&1
t1=$(now)
stop_writer
wall[nobackup]=$(sub "$t1" "$t0")
lock[nobackup]=$(grep -o 'source global lock [0-9]* ms' "$DIR/nobackup.out" | awk '{ printf "%.3f", $4 / 1000 }')
stall[nobackup]=$(worst_stall nobackup)

bytes=$(grep -o 'streamed [0-9.]* [KMG]iB' "$DIR/mmresync.out" | head -1)
echo "re-seed benchmark: $ROWS orders ($bytes), 2 local mariadbd, $(nproc) cores"
printf '%-9s %9s %9s %13s %14s\n' method wall_s lock_s worst_stall_s "wall/pipe"
for m in manual pipe mmresync nobackup; do
  printf '%-9s %9.2f %9.3f %13.3f %14.2f\n' "$m" "${wall[$m]}" "${lock[$m]}" "${stall[$m]}" \
    "$(awk -v a="${wall[$m]}" -v b="${wall[pipe]}" 'BEGIN { printf "%.2f", a / b }')"
done
echo "(mmresync includes fencing, a full backup of the standby, both replication phases and"
echo " the checked stream; nobackup = mmresync --skip-backup; pipe and manual leave"
echo " replication unrepaired)"
