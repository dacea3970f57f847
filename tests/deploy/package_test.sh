#!/usr/bin/env bash
# The Debian packages (deploy/build-packages.sh) hold what an operator installs: each
# binary in /usr/bin in its own package, the hardened unit pointing at it, the examples,
# the runtime dependencies; the packaged binaries run and carry no fault points; the man
# pages (written from --help) render and describe every subcommand; the bash completion
# offers every subcommand `mmresync --help` lists.
set -euo pipefail
# With KEEP_DIR the packages are copied there (install_chroot_test.sh installs them).
root="${1:?usage: package_test.sh REPO_ROOT [KEEP_DIR]}"
keep="${2:-}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# MMRESYNC_PACKAGE_BUILD_DIR keeps the release build tree between runs (faster reruns).
bash "$root/deploy/build-packages.sh" --out "$work/out" \
  --build-dir "${MMRESYNC_PACKAGE_BUILD_DIR:-$work/build}" >"$work/build.log" 2>&1 ||
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
  ./usr/share/doc/mmresync-agent/examples/agent.toml ./usr/share/man/man1/mmresync-agent.1.gz; do
  grep -qx "$f" "$work/agent.list" || fail "mmresync-agent lacks $f"
done
for f in ./usr/bin/mmresync ./usr/share/doc/mmresync/examples/cluster.toml \
  ./usr/share/man/man1/mmresync.1.gz ./usr/share/bash-completion/completions/mmresync; do
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
# The subcommands `mmresync --help` lists (CLI11: "Subcommands:" then one per line).
subcommands=$("$work/root/usr/bin/mmresync" --help | awk '/^Subcommands:/ { on = 1; next }
  on && NF == 0 { exit } on { print $1 }')
[ "$(wc -w <<<"$subcommands")" -ge 8 ] || fail "mmresync --help lists too few subcommands: $subcommands"

# Man pages: render without groff warnings, name the version, and hold each subcommand.
for page in mmresync mmresync-agent; do
  file="$work/root/usr/share/man/man1/$page.1.gz"
  rendered=$(MANWIDTH=100 man --warnings -l "$file" 2>"$work/man.err") || fail "man -l $page failed"
  [ ! -s "$work/man.err" ] || fail "man $page: $(head -3 "$work/man.err")"
  grep -q "^NAME" <<<"$rendered" || fail "man $page has no NAME section"
  grep -q "$version" <<<"$rendered" || fail "man $page does not name version $version"
done
rendered=$(MANWIDTH=100 man -l "$work/root/usr/share/man/man1/mmresync.1.gz")
for command in $subcommands "backups restore" "certs issue"; do
  [ "$command" = help ] && continue
  # A section heading (.SS) is indented 3 columns: "   mmresync backups list".
  grep -qE "^   mmresync $command( |\$)" <<<"$rendered" || fail "man mmresync lacks a section for $command"
done
grep -q "mmresync recover --resume --yes" <<<"$rendered" || fail "man mmresync lacks recover's example"
MANWIDTH=100 man -l "$work/root/usr/share/man/man1/mmresync-agent.1.gz" | grep -q "^   mmresync-agent check$" ||
  fail "man mmresync-agent lacks the check command"

# Bash completion: the packaged script, sourced, offers every subcommand, the recover
# flags, and the node names of the cluster file given with --config.
printf '[cluster]\nname = "t"\n[[node]]\nname = "alpha"\n[[node]]\nname = "beta"\n' >"$work/cluster.toml"
complete_words() {
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _mmresync
    printf "%s\n" "${COMPREPLY[@]}"' _ "$work/root/usr/share/bash-completion/completions/mmresync" "$@"
}
offered=$(complete_words mmresync "")
for command in $subcommands; do
  grep -qx "$command" <<<"$offered" || fail "completion does not offer $command (offers: $offered)"
done
[ "$(complete_words mmresync rec)" = recover ] || fail "completion of 'rec': $(complete_words mmresync rec)"
complete_words mmresync recover --r | grep -qx -- --resume || fail "completion lacks recover --resume"
nodes=$(complete_words mmresync --config "$work/cluster.toml" recover --source "" | tr '\n' ' ')
[ "$nodes" = "alpha beta " ] || fail "completion of --source offers '$nodes', not the cluster's nodes"

if [ -n "$keep" ]; then
  mkdir -p "$keep"
  rm -f "$keep"/mmresync*.deb
  cp "$agent" "$cli" "$keep/"
fi
echo "packages ok: $(basename "$agent"), $(basename "$cli")"
