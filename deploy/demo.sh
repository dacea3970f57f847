#!/usr/bin/env bash
# The README's first command: install what is missing, build, start a local sandbox pair
# (two real mariadbd on 127.0.0.1 replicating both ways, plus two agents), load sample
# data, break replication, and repair it with `mmresync recover` and its live display.
#
#   deploy/demo.sh [--keep] [--rows N] [--break dup|missing|extra]
#
# --keep leaves the sandbox running and prints how to use and stop it.
set -euo pipefail
cd "$(dirname "$0")/.."

keep=0 rows=300000 kind=dup
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep=1 ;;
    --rows) rows=$2; shift ;;
    --break) kind=$2; shift ;;
    *) echo "usage: deploy/demo.sh [--keep] [--rows N] [--break dup|missing|extra]" >&2; exit 2 ;;
  esac
  shift
done

step() { printf '\n\033[1;36m### %s\033[0m\n' "$*"; }

step "installing dependencies (Debian packages)"
bash deploy/install-deps.sh
step "building"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build mmresync mmresync-agent

DIR=$(mktemp -d /tmp/mmresync-demo.XXXXXX)
cleanup() {
  if [ $keep -eq 1 ]; then
    printf '\nThe sandbox keeps running in %s:\n' "$DIR"
    printf '  build/bin/mmresync --config %s/cluster.toml status\n' "$DIR"
    printf '  deploy/sandbox.sh break %s dup && build/bin/mmresync --config %s/cluster.toml recover --source db1\n' "$DIR" "$DIR"
    printf 'Stop it with:  deploy/sandbox.sh down %s && rm -rf %s\n' "$DIR" "$DIR"
  else
    bash deploy/sandbox.sh down "$DIR" || true
    rm -rf "$DIR"
  fi
}
trap cleanup EXIT

step "starting the sandbox pair in $DIR"
bash deploy/sandbox.sh up "$DIR" "$rows"
mm() { build/bin/mmresync --config "$DIR/cluster.toml" "$@"; }

step "the healthy pair"
mm status

step "breaking replication ($kind) on the standby db2"
bash deploy/sandbox.sh break "$DIR" "$kind"
step "mmresync status   (exit 1: degraded)"
mm status || true

step "mmresync plan --source db1   (changes nothing)"
mm plan --source db1 --force

step "mmresync recover --source db1"
force=()
[ "$kind" = extra ] && force=(--force)
mm recover --source db1 --yes "${force[@]}"

step "mmresync verify"
mm verify
step "done: the pair replicates both ways again and every table checksums equal"
