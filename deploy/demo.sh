#!/usr/bin/env bash
# The README's first command: install what is missing, build, start a sandbox pair (two
# real mariadbd replicating both ways, plus two agents), load sample data, break
# replication, and repair it with `mmresync recover` and its live display.
#
#   deploy/demo.sh [--keep] [--rows N] [--break dup|missing|extra] [--netns | --loopback]
#
# As root, where network namespaces can be created, the two DB hosts are network
# namespaces, each with a real keepalived, and the VIP starts on db1 (deploy/sandbox.sh
# up --netns); `recover` takes the VIP holder as its source. Otherwise the two mariadbd
# listen on 127.0.0.1 without keepalived and `recover` is told `--source db1`. --netns
# insists on namespaces (and says why it cannot have them); --loopback never uses them.
#
# --keep leaves the sandbox running and prints how to use and stop it; without it the
# sandbox is stopped and removed on every exit, Ctrl-C and failures included.
# MMRESYNC_BIN=DIR uses the mmresync binaries already in DIR: nothing is installed or built.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=SCRIPTDIR/lib/pair-hosts.sh
source deploy/lib/pair-hosts.sh   # netns_usable

usage() {
  echo "usage: deploy/demo.sh [--keep] [--rows N] [--break dup|missing|extra] [--netns | --loopback]" >&2
  exit 2
}
keep=0 rows=300000 kind=dup mode=auto
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep=1 ;;
    --rows) [ $# -ge 2 ] || usage; rows=$2; shift ;;
    --break) [ $# -ge 2 ] || usage; kind=$2; shift ;;
    --netns) mode=netns ;;
    --loopback) mode=loopback ;;
    *) usage ;;
  esac
  shift
done
case "$rows" in '' | *[!0-9]*) usage ;; esac
case "$kind" in dup | missing | extra) ;; *) usage ;; esac
if [ "$mode" = netns ] && [ "$(id -u)" -ne 0 ]; then   # before a long build, not after
  echo "demo.sh --netns: network namespace hosts need root" >&2
  exit 2
fi

step() { printf '\n\033[1;36m### %s\033[0m\n' "$*"; }

if [ -n "${MMRESYNC_BIN:-}" ]; then
  MMRESYNC_BIN=$(cd "$MMRESYNC_BIN" && pwd)
  step "using the binaries in $MMRESYNC_BIN (MMRESYNC_BIN: nothing installed or built)"
else
  step "installing dependencies (Debian packages)"
  bash deploy/install-deps.sh
  step "building"
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  ninja -C build mmresync mmresync-agent
  MMRESYNC_BIN=$PWD/build/bin
fi
export MMRESYNC_BIN   # deploy/sandbox.sh runs these binaries

if [ "$mode" != loopback ]; then
  if why=$(netns_usable); then
    mode=netns
  elif [ "$mode" = netns ]; then
    echo "demo.sh --netns: $why" >&2
    exit 2
  else
    mode=loopback
    echo "Loopback sandbox without keepalived: $why (namespace hosts with a VIP need root and ip netns)."
  fi
fi

DIR=$(mktemp -d /tmp/mmresync-demo.XXXXXX)
cleanup() {
  local rc=$?
  trap - EXIT
  # A second Ctrl-C must not cut the teardown short (it is bounded); `down` and its
  # children inherit the ignored signals.
  trap '' INT TERM
  if [ $keep -eq 1 ]; then
    printf '\nThe sandbox keeps running in %s:\n' "$DIR"
    printf '  %s/mmresync status\n' "$DIR"
    if [ "$mode" = netns ]; then
      printf '  deploy/sandbox.sh break %s dup && %s/mmresync recover\n' "$DIR" "$DIR"
    else
      printf '  deploy/sandbox.sh break %s dup && %s/mmresync recover --source db1\n' "$DIR" "$DIR"
    fi
    printf 'Stop it with:  deploy/sandbox.sh down %s && rm -rf %s\n' "$DIR" "$DIR"
  else
    bash deploy/sandbox.sh down "$DIR" || true
    rm -rf "$DIR"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$mode" = netns ]; then
  step "starting the sandbox pair in $DIR: namespace hosts db1 and db2, keepalived, a VIP"
  bash deploy/sandbox.sh up "$DIR" "$rows" --netns
else
  step "starting the sandbox pair in $DIR: two mariadbd on 127.0.0.1"
  bash deploy/sandbox.sh up "$DIR" "$rows"
fi
mm() { "$DIR/mmresync" "$@"; }   # --config (and the namespace) added by the wrapper

step "the healthy pair"
mm status

step "breaking replication ($kind) on the standby db2"
bash deploy/sandbox.sh break "$DIR" "$kind"
step "mmresync status   (exit 1: degraded)"
mm status || true

force=()
[ "$kind" = extra ] && force=(--force)
if [ "$mode" = netns ]; then
  step "mmresync plan   (the source is the VIP holder; changes nothing)"
  mm plan --force
  step "mmresync recover   (no --source: the coordinator takes db1, the VIP holder, as the source)"
  mm recover --yes "${force[@]}"
else
  step "mmresync plan --source db1   (changes nothing)"
  mm plan --source db1 --force
  step "mmresync recover --source db1"
  mm recover --source db1 --yes "${force[@]}"
fi

step "mmresync verify"
mm verify
step "done: the pair replicates both ways again and every table checksums equal"
