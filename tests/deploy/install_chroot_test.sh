#!/usr/bin/env bash
# The packages install and run on a clean Debian 12: a minbase bookworm root
# (debootstrap from deb.debian.org) gets both .deb files with apt, which pulls their
# dependencies from Debian; inside that root the packaged `mmresync certs` makes the
# pair's certificates, two packaged agents start (each against its own mariadbd, which
# runs outside the root: the root holds only what the packages bring), `mmresync-agent
# check` answers ok, and the packaged `mmresync status` reaches both agents over mutual
# TLS and reports the pair healthy.
#
#   tests/deploy/install_chroot_test.sh REPO_ROOT PACKAGES_DIR
#
# PACKAGES_DIR holds mmresync-agent_*.deb and mmresync_*.deb (package_test.sh leaves them
# there). The bootstrapped root is cached as a tarball in $MMRESYNC_CHROOT_CACHE (default
# ~/.cache/mmresync/bookworm-minbase.tar.gz): a fresh root is unpacked from it on each run,
# so only the first run pays for debootstrap. Needs root, chroot, and debootstrap or the
# cache; else prints "SKIPPED: ...". Everything started is stopped by PID, the mounts in
# the root are undone and the root deleted on every exit; the whole run is bounded by
# `timeout` in ctest (TIMEOUT) and by each wait below.
set -euo pipefail
export LC_ALL=C
repo=${1:?usage: install_chroot_test.sh REPO_ROOT PACKAGES_DIR}
packages=${2:?usage: install_chroot_test.sh REPO_ROOT PACKAGES_DIR}
cache=${MMRESYNC_CHROOT_CACHE:-${HOME:-/root}/.cache/mmresync/bookworm-minbase.tar.gz}
mirror=${MMRESYNC_DEBIAN_MIRROR:-http://deb.debian.org/debian}

fail() { echo "FAIL: $*"; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "SKIPPED: installing into a chroot needs root"; exit 0; }
command -v chroot >/dev/null || { echo "SKIPPED: chroot is not installed"; exit 0; }
if [ ! -s "$cache" ] && ! command -v debootstrap >/dev/null; then
  echo "SKIPPED: neither debootstrap nor a cached root ($cache)"; exit 0
fi
agent_deb=$(ls "$packages"/mmresync-agent_*.deb 2>/dev/null | head -1) || true
cli_deb=$(ls "$packages"/mmresync_*.deb 2>/dev/null | head -1) || true
[ -n "$agent_deb" ] && [ -n "$cli_deb" ] || fail "no packages in $packages (run package_test.sh first)"

work=$(mktemp -d /var/tmp/mmresync-chroot.XXXXXX)
root="$work/root"
# shellcheck source=SCRIPTDIR/../../deploy/lib/pair-hosts.sh
source "$repo/deploy/lib/pair-hosts.sh"
DIR="$root/srv/pair"   # the pair's files, seen from inside the root as /srv/pair
NS=("" "" "")
cleanup() {
  local n
  for n in 1 2; do
    stop_pidfile "$DIR/node$n/agent.pid" 10
    stop_pidfile "$DIR/node$n/mariadbd.pid" 60
  done
  for m in "$root/proc" "$root/dev" "$root/sys"; do
    if mountpoint -q "$m" 2>/dev/null; then umount -l "$m" || true; fi
  done
  # Only delete the root once nothing is mounted in it (a bind mount of /dev would
  # otherwise take the host's /dev with it).
  if ! grep -q " $work/" /proc/mounts; then rm -rf --one-file-system "$work"; else echo "left $work: still mounted"; fi
}
trap cleanup EXIT
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C "$@"; }
phase_start=$(date +%s)
phase() { echo "[$(($(date +%s) - phase_start))s] $*"; }

# ---- a clean Debian 12 root ----
mkdir -p "$root"
if [ -s "$cache" ]; then
  phase "unpacking the cached bookworm minbase root ($cache)"
  tar -xzf "$cache" -C "$root"
else
  phase "debootstrap --variant=minbase bookworm from $mirror (cached afterwards in $cache)"
  timeout 900 debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log"; fail "debootstrap failed"; }
  mkdir -p "$(dirname "$cache")"
  tar -czf "$cache.tmp" -C "$root" . && mv "$cache.tmp" "$cache"
fi
grep -q '^VERSION_ID="12"' "$root/etc/os-release" || fail "the root is not Debian 12: $(cat "$root/etc/os-release")"
! [ -e "$root/usr/bin/mmresync" ] || fail "the fresh root already has mmresync"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# Nothing the packages pull in may start a service inside the root.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"

# ---- the packages, with apt, as an operator installs them ----
phase "apt-get install ./$(basename "$agent_deb") ./$(basename "$cli_deb") in the root"
mkdir -p "$root/tmp/debs"
cp "$agent_deb" "$cli_deb" "$root/tmp/debs/"
in_root sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
  --no-install-recommends /tmp/debs/*.deb' >"$work/apt.log" 2>&1 ||
  { tail -30 "$work/apt.log"; fail "apt-get install of the packages failed in the root"; }
for f in /usr/bin/mmresync /usr/bin/mmresync-agent /usr/lib/systemd/system/mmresync-agent.service \
  /usr/bin/mariadb-dump /usr/bin/mariadb; do
  [ -e "$root$f" ] || fail "$f is missing after the install"
done
version=$(dpkg-deb -f "$agent_deb" Version)
for bin in mmresync mmresync-agent; do
  v=$(in_root "/usr/bin/$bin" --version 2>&1) || fail "$bin --version in the root: $v"
  grep -q "$version" <<<"$v" || fail "$bin --version in the root says \"$v\", not $version"
done

# ---- the pair: two mariadbd outside, certificates and agents inside ----
phase "two mariadbd, certificates from the packaged CLI, two packaged agents"
read -r -a ports <<<"$(free_ports 4)"
IP=("" 127.0.0.1 127.0.0.1) DB_PORT=("" "${ports[0]}" "${ports[1]}")
AGENT_PORT=("" "${ports[2]}" "${ports[3]}") REPL_HOST=127.0.0.1 VIP=""
mkdir -p "$DIR"
openssl rand -hex 16 >"$DIR/repl-password"
chmod 600 "$DIR/repl-password"
start_mariadb 1
start_mariadb 2
for n in 1 2; do
  wait_for "mariadbd on db$n" 90 sql "$n" "SELECT 1" || fail "mariadbd db$n did not start"
  setup_accounts "$n"
done
setup_replication
in_root /usr/bin/mmresync certs init --dir /srv/pair/certs >/dev/null
in_root /usr/bin/mmresync certs issue --dir /srv/pair/certs --role coordinator >/dev/null
for n in 1 2; do
  in_root /usr/bin/mmresync certs issue --dir /srv/pair/certs --role agent --name "db$n" \
    --san 127.0.0.1 --san localhost >/dev/null
  write_agent_config "$n" "$DIR/node$n/agent.toml"
  chroot "$root" /usr/bin/mmresync-agent --config "/srv/pair/node$n/agent.toml" \
    >>"$DIR/node$n/agent.log" 2>&1 &
  echo $! >"$DIR/node$n/agent.pid"
done
write_cluster_config chroot

# ---- what the installed programs answer ----
phase "mmresync-agent check and mmresync status inside the root"
pair_ok() { in_root /usr/bin/mmresync --config /srv/pair/cluster.toml status; }
if ! wait_for "mmresync status to exit 0 in the root" 60 pair_ok; then
  pair_ok || true
  tail -5 "$DIR"/node*/agent.log
  fail "the packaged agents and CLI did not report a healthy pair"
fi
status=$(pair_ok)
grep -q "diagnosis: healthy" <<<"$status" || fail "status does not say healthy: $status"
grep -q "$version" <<<"$status" || fail "status does not show the agents' version $version: $status"
for n in 1 2; do
  kill -0 "$(cat "$DIR/node$n/agent.pid")" 2>/dev/null || fail "agent db$n is not running"
  check=$(in_root /usr/bin/mmresync-agent --config "/srv/pair/node$n/agent.toml" check) ||
    fail "mmresync-agent check on db$n: $check"
  grep -q "^ok: db$n may hold the VIP" <<<"$check" || fail "check on db$n says: $check"
done
# And `check` still says no when the database is gone.
stop_pidfile "$DIR/node2/mariadbd.pid" 60
if check=$(in_root /usr/bin/mmresync-agent --config /srv/pair/node2/agent.toml check); then
  fail "check on db2 passes with its mariadbd stopped: $check"
fi
grep -q "NOT OK: db2 must not hold the VIP" <<<"$check" || fail "check with db2's database down says: $check"
phase "installed and started in a clean Debian 12 root"
echo "install ok: $(basename "$agent_deb"), $(basename "$cli_deb")"
