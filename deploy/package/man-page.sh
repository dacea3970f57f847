#!/usr/bin/env bash
# Writes BIN's man page, gzipped, from the program itself so the two cannot drift:
# help2man reads `BIN --help` and `BIN --version`, and a COMMANDS section holds each
# subcommand's own `BIN SUBCOMMAND --help` (with its example).
#
#   man-page.sh BIN "ONE-LINE DESCRIPTION" OUT.1.gz [SUBCOMMAND ...]
# A SUBCOMMAND of two words ("certs issue") is one argument.
set -euo pipefail
bin=${1:?usage: man-page.sh BIN DESCRIPTION OUT.1.gz [SUBCOMMAND ...]}
description=${2:?description}
out=${3:?output file}
shift 3
name=$(basename "$bin")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# What help2man runs: --version prefixed with the program's name (help2man takes the
# page's name from it) and without a test build's "[...]" note (troff mangles it), --help without its example block, which help2man would reflow
# into one line; the examples go into their own EXAMPLES section, as written.
quoted_bin=$(printf '%q' "$bin")
cat >"$work/$name" <<WRAPPER
#!/bin/sh
if [ "\$1" = --version ]; then printf '%s %s\\n' $name "\$($quoted_bin --version | sed 's/ *\[.*//')"; exit; fi
$quoted_bin "\$@" | sed '/^Example:/,\$d'
WRAPPER
chmod 755 "$work/$name"
troff_text() { sed -e 's/\\/\\e/g' -e 's/^\([.'"'"']\)/\\\&\1/'; }

{
  printf '[EXAMPLES]\n.nf\n'
  "$bin" --help | sed -n '/^Example:/,$p' | sed '1d; s/^  //' | troff_text
  printf '.fi\n'
  if [ $# -gt 0 ]; then
    echo "[COMMANDS]"
    for command in "$@"; do
      printf '.SS "%s %s"\n.nf\n' "$name" "$command"
      # shellcheck disable=SC2086  # a two-word subcommand is two arguments
      "$bin" $command --help | troff_text
      printf '.fi\n'
    done
  fi
  printf '[FILES]\n'
  case "$name" in
    mmresync-agent) printf '/etc/mmresync/agent.toml (example in /usr/share/doc/mmresync-agent/examples)\n' ;;
    *) printf '/etc/mmresync/cluster.toml (example in /usr/share/doc/mmresync/examples)\n' ;;
  esac
  printf '[SEE ALSO]\n/usr/share/doc/%s/README.md\n' "$name"
} >"$work/include"

help2man --no-info --no-discard-stderr --name="$description" --include="$work/include" \
  --output="$work/$name.1" "$work/$name"
gzip -9n <"$work/$name.1" >"$out.tmp"
mv "$out.tmp" "$out"
