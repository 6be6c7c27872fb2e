#!/usr/bin/env bash
# Runs `systemd-analyze verify` on a unit of examples/systemd with its ExecStart pointed at the built server
# (verify requires the binary to exist). A bad directive is only a warning, with exit status 0, so the test
# fails on every line of output except those about another unit, which verify loads from the host (the
# targets ours is ordered after) and which --recursive-errors=no keeps out of the status too.
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
