#!/usr/bin/env bash
# Checks a server's .env example against the server itself: the same JOT_* names as its --help, each with
# the default --help shows (or the value the unit sets), values plain enough that systemd and the server
# read them alike, and the file accepted by the server as it is and with every setting uncommented.
# Usage: check_env_example.sh SERVER ENV_EXAMPLE UNIT
set -euo pipefail

server="$1"
example="$2"
unit="$3"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
failed=0
fail() {
    echo "FAIL: $*" >&2
    failed=1
}

# No environment of ours reaches the server: a JOT_* variable would win over the file.
run() { env -i "$server" "$@"; }

# "  --port INT:INT in [0 - 65535]=4000 (Env:JOT_PORT)" -> "JOT_PORT<tab>--port INT:INT in [0 - 65535]=4000"
run --help >"$tmp/help"
sed -n 's/^  \(.*\) (Env:\(JOT_[A-Z0-9_]*\))$/\2\t\1/p' "$tmp/help" | sort >"$tmp/server"
if [[ ! -s "$tmp/server" ]]; then
    echo "FAIL: $server --help names no (Env:JOT_*) variable" >&2
    exit 1
fi

# "#JOT_PORT=4000" (commented out) or "JOT_PORT=4000" -> "JOT_PORT<tab>4000"
sed -n 's/^#\{0,1\}\(JOT_[A-Z0-9_]*\)=\(.*\)$/\1\t\2/p' "$example" | sort >"$tmp/example"
# "Environment=JOT_KEYS=%S/jot-auth-server/keys" -> "JOT_KEYS<tab>/var/lib/jot-auth-server/keys"
sed -n 's/^Environment=//p' "$unit" | tr ' ' '\n' | sed -n 's/^\(JOT_[A-Z0-9_]*\)=/\1\t/p' |
    sed 's|%S|/var/lib|g' >"$tmp/unit"

cut -f1 "$tmp/server" >"$tmp/server.names"
cut -f1 "$tmp/example" >"$tmp/example.names"
while read -r name; do fail "$example lacks $name"; done < <(comm -23 "$tmp/server.names" "$tmp/example.names")
while read -r name; do fail "$example lists $name, which $server does not know"; done < <(
    comm -13 "$tmp/server.names" "$tmp/example.names" | sort -u)
while read -r name; do fail "$example lists $name twice"; done < <(uniq -d "$tmp/example.names")

while IFS=$'\t' read -r name value; do
    case "$value" in
    *[[:space:]\"\'\\\$]*) fail "$name: the value has a space, quote, backslash or \$, which systemd and the server read differently" ;;
    esac
    set_by_unit="$(awk -F'\t' -v n="$name" '$1 == n { print $2 }' "$tmp/unit")"
    help="$(awk -F'\t' -v n="$name" '$1 == n { print $2 }' "$tmp/server")"
    if [[ -n "$set_by_unit" ]]; then
        [[ "$value" == "$set_by_unit" ]] || fail "$name=$value, but the unit sets $set_by_unit"
    elif [[ -z "$help" || "$help" != *" "* ]]; then
        continue # unknown (reported above), or a flag: --help shows no default for it
    elif [[ -z "$value" ]]; then
        [[ "$help" != *=* || "$help" == *"=[] ..." ]] || fail "$name is empty, but --help says: $help"
    else
        [[ "$help" == *"=$value" ]] || fail "$name=$value, but --help says: $help"
    fi
done <"$tmp/example"

# CLI11 checks every value taken from the environment before it answers --help, so a bad one exits 2.
sed 's/^#\(JOT_[A-Z0-9_]*=\)/\1/' "$example" >"$tmp/uncommented.env"
run --env-file "$example" --help >/dev/null || fail "$server does not accept $example"
run --env-file "$tmp/uncommented.env" --help >/dev/null ||
    fail "$server does not accept $example with every setting uncommented"
# The auth server's --hash-password returns after all its configuration checks, the ones across flags too.
if grep -q -- '--hash-password' "$tmp/help"; then
    echo check | run --env-file "$tmp/uncommented.env" --hash-password >/dev/null ||
        fail "$server --hash-password does not accept $example with every setting uncommented"
fi

if ((failed)); then exit 1; fi
echo "$example: the $(wc -l <"$tmp/server.names") settings of $server, with their defaults"
