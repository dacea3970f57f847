#!/usr/bin/env bash
# The README's test command: installs dependencies, builds, and runs the whole suite
# (unit tests, integration tests on real mariadbd, namespace tests when root).
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
ninja -C build
cd build
ctest --output-on-failure --timeout 1500 "$@"
