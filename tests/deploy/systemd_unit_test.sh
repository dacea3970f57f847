#!/usr/bin/env bash
# The shipped agent unit stays locked down: `systemd-analyze security --offline=yes`
# must rate its exposure below 5 (issue 11, item 6). Prints "SKIPPED: ..." and exits 0
# only where the tool (or its --offline mode, systemd >= 250) is absent.
set -euo pipefail
unit="${1:?usage: systemd_unit_test.sh UNIT_FILE}"
limit="${2:-5.0}"

if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "SKIPPED: systemd-analyze is not installed"
  exit 0
fi
if ! systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
  echo "SKIPPED: systemd-analyze $(systemd-analyze --version | head -1) has no --offline mode"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$unit" "$work/"
out="$(cd "$work" && systemd-analyze security --offline=yes --no-pager "$(basename "$unit")" 2>&1)" || true
exposure="$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$out")"
if [[ -z "$exposure" ]]; then
  echo "FAIL: no exposure level in systemd-analyze's output:"
  echo "$out"
  exit 1
fi
echo "exposure of $(basename "$unit"): $exposure (limit $limit)"
if awk -v e="$exposure" -v l="$limit" 'BEGIN { exit !(e < l) }'; then
  exit 0
fi
echo "FAIL: exposure $exposure is not below $limit"
grep '✗' <<<"$out" || true
exit 1
