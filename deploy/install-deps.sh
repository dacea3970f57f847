#!/usr/bin/env bash
# Installs everything mmresync needs to build, test and run its demo on Debian 12.
# Idempotent: packages already present are skipped, so re-running is cheap.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang-format
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libmariadb-dev libssl-dev libgtest-dev libgmock-dev
  libtomlplusplus-dev libcli11-dev libzstd-dev libxxhash-dev
  mariadb-server mariadb-client mariadb-backup keepalived iproute2 openssl procps
  nftables  # cuts the link between the namespace hosts (tests/netns/vip_test.sh, link-cut)
  file  # CPack's DEB generator (deploy/build-packages.sh)
  help2man  # the packages' man pages, written from --help (deploy/package/man-page.sh)
  debootstrap  # the clean Debian 12 root of tests/deploy/install_chroot_test.sh
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Debian's mariadb-server and keepalived start system services on install; we never use
# those instances (tests start their own), and policy-rc.d keeps them from starting.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  created_policy=1
fi
trap '[ $created_policy -eq 1 ] && $SUDO rm -f "$policy"' EXIT
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
