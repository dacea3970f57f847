#!/usr/bin/env bash
# Builds the two Debian packages (mmresync-agent, mmresync) from a release configuration:
# no test suite and so no fault points, binaries stripped, installed under /usr.
#
#   bash deploy/build-packages.sh [--out DIR] [--build-dir DIR]
#
# --out        where the .deb files go (default build-packages/)
# --build-dir  the release build tree (default build-release/; separate from build/,
#              whose test configuration must never be packaged)
# Then, on each database host:  apt install ./mmresync-agent_*.deb
#      on the operator's host:   apt install ./mmresync_*.deb
set -euo pipefail
cd "$(dirname "$0")/.."
out=build-packages
build=build-release
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=${2:?--out needs a directory}; shift ;;
    --build-dir) build=${2:?--build-dir needs a directory}; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-packages: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

bash deploy/install-deps.sh
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
  -DMMRESYNC_BUILD_TESTS=OFF -DMMRESYNC_FAULT_POINTS=OFF -DMMRESYNC_REQUIRE_MAN_PAGES=ON \
  "${launcher[@]}" >/dev/null
ninja -C "$build" mmresync mmresync-agent man-pages
mkdir -p "$out"
out=$(cd "$out" && pwd)
(cd "$build" && cpack -G DEB -B "$out" >/dev/null)
rm -rf "$out/_CPack_Packages"
ls -1 "$out"/*.deb
