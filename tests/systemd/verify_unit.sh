#!/usr/bin/env bash
# Runs `systemd-analyze verify` on a unit of examples/systemd with its ExecStart pointed at the built server
# (verify requires the binary to exist). Not every warning sets the exit status: systemd 252 exits 0 after
# "Special user nobody configured, this is not safe!", and after a bad directive unless given
# --recursive-errors=no. So every line of output fails the test, except one naming another unit: verify
# loads the host's units that ours refers to, and their warnings are not ours to fix.
# Usage: verify_unit.sh SYSTEMD_ANALYZE UNIT SERVER
set -euo pipefail

analyze="$1"
unit="$2"
server="$3"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
name="$(basename "$unit")"

if ! command -v "$analyze" >/dev/null; then
    echo "FAIL: $analyze not found (Debian: apt-get install systemd)" >&2
    exit 1
fi
sed "s|^ExecStart=/usr/bin/[^ ]*|ExecStart=$server|" "$unit" >"$tmp/$name"
if ! grep -q "^ExecStart=$server" "$tmp/$name"; then
    echo "FAIL: $unit has no ExecStart=/usr/bin/..." >&2
    exit 1
fi

status=0
"$analyze" verify --recursive-errors=no "$tmp/$name" >"$tmp/out" 2>&1 || status=$?
units='service|socket|target|mount|automount|swap|path|timer|slice|scope|device'
bad=0
while IFS= read -r line; do
    if [[ "$line" =~ ^(/[^:]*/)?([^/:[:space:]]+\.($units)): && "${BASH_REMATCH[2]}" != "$name" &&
        "$line" != "$tmp"/* ]]; then
        echo "(about another unit, not counted) $line"
    else
        echo "$line"
        bad=1
    fi
done <"$tmp/out"
if ((status != 0 || bad)); then
    echo "FAIL: systemd-analyze verify $name (exit status $status)" >&2
    exit 1
fi
echo "$name: systemd-analyze verify printed nothing about it"
