#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests: `pg-server.sh start DIR` creates a
# cluster in DIR (trust auth, Unix socket in DIR only, no TCP) and starts it;
# `pg-server.sh stop DIR` stops it and removes DIR; `pg-server.sh conninfo DIR`
# prints the libpq connection string of its `postgres` database.
# PostgreSQL refuses to run as root. As root, the server runs as the `postgres` user
# (runuser). Some sandboxes (a chroot made by mktemp) have a 0700 /, which no other
# user can cross: there / gets o+x (search only), else a user namespace mapping root
# to the postgres uid is tried.
set -euo pipefail
action=$1
dir=$2
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "pg-server: PostgreSQL is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
as_owner=()
chown_dir=false
if [ "$(id -u)" -eq 0 ]; then
  if ! runuser -u postgres -- test -x / 2>/dev/null && [ "$(stat -c %a /)" = 700 ]; then
    echo "pg-server: / is mode 700, so the postgres user cannot reach its own binaries; adding o+x (search) to /" >&2
    chmod o+x /
  fi
  if runuser -u postgres -- test -x "$bin/initdb" 2>/dev/null && runuser -u postgres -- test -w /tmp 2>/dev/null; then
    as_owner=(runuser -u postgres --); chown_dir=true
  elif unshare --user --map-user="$(id -u postgres)" --map-group="$(id -g postgres)" true 2>/dev/null; then
    as_owner=(unshare --user --map-user="$(id -u postgres)" --map-group="$(id -g postgres)")
  else
    echo "pg-server: running as root, and neither runuser -u postgres nor a user namespace can run PostgreSQL" >&2
    exit 1
  fi
fi

case "$action" in
  conninfo)
    echo "host=$dir port=5432 dbname=postgres user=postgres"
    ;;
  start)
    if [ -f "$dir/data/postmaster.pid" ] && "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      exit 0
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    if $chown_dir; then chown postgres: "$dir"; fi
    "${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-instructions >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
      -o "-c listen_addresses='' -k $dir -p 5432 -c max_connections=200 -c fsync=on" >/dev/null ||
      { cat "$dir/server.log" >&2; exit 1; }
    ;;
  stop)
    if [ -d "$dir/data" ]; then
      "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: pg-server.sh start|stop|conninfo DIR" >&2
    exit 2
    ;;
esac
