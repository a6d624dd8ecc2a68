#!/usr/bin/env bash
# The PostgreSQL store's tests need a server: start Debian's stopped cluster, or install one on a fresh
# machine (needs root or sudo) and trust loopback connections to it, as the tests connect without a password.
set -euo pipefail

host="${PGHOST:-127.0.0.1}"
port="${PGPORT:-5432}"
url="${TEST_DATABASE_URL:-}"

# The tests connect to TEST_DATABASE_URL when it is set, so that is the server that must answer.
if [ -n "$url" ]; then
  rest="${url#*://}"
  rest="${rest%%[/?]*}"
  rest="${rest##*@}"
  rest="${rest%%,*}"
  if [[ "$rest" == \[* ]]; then
    url_host="${rest#\[}"
    url_host="${url_host%%\]*}"
    url_port="${rest##*\]}"
    url_port="${url_port#:}"
  else
    url_host="${rest%%:*}"
    url_port=""
    if [[ "$rest" == *:* ]]; then url_port="${rest#*:}"; fi
  fi
  url_host="${url_host//%2[Ff]//}"
  host="${url_host:-$host}"
  port="${url_port:-$port}"
fi

# Debian's pg_isready is a wrapper that fails when no client version is installed: only trust a working one.
pg_isready_works() { command -v pg_isready >/dev/null 2>&1 && pg_isready --version >/dev/null 2>&1; }

answers() {
  if pg_isready_works; then
    if [ -n "$url" ]; then pg_isready -q -t 2 -d "$url"; else pg_isready -q -t 2 -h "$host" -p "$port"; fi
  elif [[ "$host" == /* ]]; then
    [ -S "$host/.s.PGSQL.$port" ]
  else
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$host" "$port" >/dev/null 2>&1
  fi
}

if answers; then exit 0; fi

fail() {
  echo "ensure-postgres: $*" >&2
  exit 1
}

case "$host" in
  127.* | localhost | ::1 | /*) ;;
  *) fail "PostgreSQL at $host:$port does not answer, and a server elsewhere cannot be started from here." ;;
esac

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# "ver cluster port status ..." of the cluster to use: the one named main listening on our port, else any main.
find_cluster() {
  command -v pg_lsclusters >/dev/null 2>&1 || return 0
  pg_lsclusters -h 2>/dev/null | awk -v port="$port" '
    $2 == "main" && $3 == port { print; found = 1; exit }
    $2 == "main" && !any { any = $0 }
    END { if (!found && any) print any }'
}

installed=""
cluster="$(find_cluster)"
if [ -z "$cluster" ]; then
  if ! command -v pg_createcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    command -v apt-get >/dev/null 2>&1 || fail "no PostgreSQL here and no apt-get to install one."
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  cluster="$(find_cluster)"
  # The package creates the main cluster unless createcluster.conf says otherwise; then create it here.
  if [ -z "$cluster" ]; then
    newest="$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1 || true)"
    [ -n "$newest" ] || fail "apt-get installed no PostgreSQL server."
    $SUDO pg_createcluster --port "$port" "$newest" main >/dev/null
    cluster="$(find_cluster)"
    [ -n "$cluster" ] || fail "could not create a PostgreSQL $newest cluster."
  fi
  installed=yes
fi

read -r ver name cluster_port status _ <<<"$cluster"
cluster_ctl() { $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" "$1"; }

if [ -n "$installed" ]; then
  # Only a cluster this script installed is ours to loosen: prepend, as the first matching line wins.
  hba="/etc/postgresql/$ver/$name/pg_hba.conf"
  [ -f "$hba" ] || fail "no $hba to open loopback connections in."
  if ! $SUDO grep -Eq '^host[[:space:]]+all[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$hba"; then
    tmp="$(mktemp)"
    trap 'rm -f "$tmp"' EXIT
    {
      echo "# Added by scripts/ensure-postgres.sh: the tests connect over loopback without a password."
      echo "host all all 127.0.0.1/32 trust"
      echo "host all all ::1/128 trust"
      $SUDO cat "$hba"
    } >"$tmp"
    # tee into the existing file keeps its owner and mode.
    $SUDO tee "$hba" <"$tmp" >/dev/null
  fi
fi

if [[ "$status" == online* ]]; then
  if [ -n "$installed" ]; then
    # The package's own start (under systemd) read pg_hba.conf before it was edited.
    cluster_ctl reload >/dev/null
    did="installed PostgreSQL $ver with loopback trust, reloaded cluster $ver/$name"
  else
    did="found cluster $ver/$name already running"
  fi
else
  cluster_ctl start >/dev/null
  did="started cluster $ver/$name"
  if [ -n "$installed" ]; then did="installed PostgreSQL $ver with loopback trust, $did"; fi
fi

deadline=$((SECONDS + 30))
while :; do
  if answers; then
    echo "ensure-postgres: $did (port $cluster_port); $host:$port answers."
    exit 0
  fi
  [ "$SECONDS" -lt "$deadline" ] || break
  sleep 1
done
fail "$did (port $cluster_port), but $host:$port still does not answer after 30 s."
