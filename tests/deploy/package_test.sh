#!/usr/bin/env bash
# The Debian packages (deploy/build-packages.sh) hold what an operator installs: each
# binary in /usr/bin in its own package, the hardened unit pointing at it, the examples,
# the runtime dependencies; the packaged binaries run and carry no fault points.
set -euo pipefail
root="${1:?usage: package_test.sh REPO_ROOT}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

bash "$root/deploy/build-packages.sh" --out "$work/out" --build-dir "$work/build" >"$work/build.log" 2>&1 ||
  { tail -30 "$work/build.log"; fail "deploy/build-packages.sh failed"; }
agent=$(ls "$work"/out/mmresync-agent_*.deb 2>/dev/null) || fail "no mmresync-agent package"
cli=$(ls "$work"/out/mmresync_*.deb 2>/dev/null) || fail "no mmresync package"

field() { dpkg-deb -f "$1" "$2"; }
[ "$(field "$agent" Package)" = mmresync-agent ] || fail "agent package name: $(field "$agent" Package)"
[ "$(field "$cli" Package)" = mmresync ] || fail "cli package name: $(field "$cli" Package)"
version=$(field "$cli" Version)
[ -n "$version" ] && [ "$(field "$agent" Version)" = "$version" ] || fail "versions differ"
grep -q 'mariadb-client' <<<"$(field "$agent" Depends)" || fail "agent Depends: $(field "$agent" Depends)"
grep -q 'libmariadb3' <<<"$(field "$agent" Depends)" || fail "agent Depends lacks libmariadb3 (shlibdeps)"
grep -q 'libgrpc' <<<"$(field "$cli" Depends)" || fail "cli Depends lacks gRPC (shlibdeps): $(field "$cli" Depends)"
grep -q 'mariadb-backup' <<<"$(field "$agent" Recommends)" || fail "agent Recommends: $(field "$agent" Recommends)"

contents() { dpkg-deb -c "$1" | awk '{print $NF}'; }
contents "$agent" >"$work/agent.list"
contents "$cli" >"$work/cli.list"
for f in ./usr/bin/mmresync-agent ./usr/lib/systemd/system/mmresync-agent.service \
  ./usr/share/doc/mmresync-agent/examples/agent.toml; do
  grep -qx "$f" "$work/agent.list" || fail "mmresync-agent lacks $f"
done
for f in ./usr/bin/mmresync ./usr/share/doc/mmresync/examples/cluster.toml; do
  grep -qx "$f" "$work/cli.list" || fail "mmresync lacks $f"
done
! grep -q 'usr/bin/mmresync$' "$work/agent.list" || fail "the CLI is in the agent package"
! grep -q 'mmresync-agent$' "$work/cli.list" || fail "the agent is in the CLI package"
! grep -q '^./etc/' "$work/agent.list" || fail "the agent package installs into /etc (the operator writes agent.toml)"

mkdir "$work/root"
dpkg-deb -x "$agent" "$work/root"
dpkg-deb -x "$cli" "$work/root"
unit="$work/root/usr/lib/systemd/system/mmresync-agent.service"
grep -qx 'ExecStart=/usr/bin/mmresync-agent --config /etc/mmresync/agent.toml' "$unit" ||
  fail "the unit does not start /usr/bin/mmresync-agent: $(grep ExecStart "$unit")"
grep -qx 'NoNewPrivileges=yes' "$unit" || fail "the packaged unit lost its hardening"
for bin in mmresync mmresync-agent; do
  v=$("$work/root/usr/bin/$bin" --version 2>&1) || fail "$bin --version: $v"
  grep -q "$version" <<<"$v" || fail "$bin --version says \"$v\", the package $version"
  ! grep -qi 'fault point' <<<"$v" || fail "$bin in the package has fault points: $v"
  ! file "$work/root/usr/bin/$bin" | grep -q 'not stripped' || fail "$bin is not stripped"
done
echo "packages ok: $(basename "$agent"), $(basename "$cli")"
