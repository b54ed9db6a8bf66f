# Start a throw-away PostgreSQL server on loopback for the tests. Sourced by scripts/test.
# PostgreSQL refuses to run as root, so as root it runs as the 'postgres' system user.
pg_start() {
  local bindir port dir owner
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -x "$bindir/initdb" ] || { echo "PostgreSQL server binaries not found" >&2; return 1; }
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  dir=$(mktemp -d /tmp/easymo-pg.XXXXXX)
  chmod 755 "$dir"
  run_pg() { "$@"; }
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/false postgres
    chown postgres "$dir"
    run_pg() { runuser -u postgres -- "$@"; }
    owner=postgres
  else
    owner=$(id -un)
  fi
  run_pg "$bindir/initdb" -D "$dir/data" -U "$owner" -A trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; return 1; }
  # The owner connects without a password (the tests' superuser); every other login must give
  # its password, so the role tests prove that a person's own login really signs in.
  printf 'local all %s trust\nhost all %s 127.0.0.1/32 trust\nlocal all all scram-sha-256\nhost all all 127.0.0.1/32 scram-sha-256\n' \
    "$owner" "$owner" | run_pg tee "$dir/data/pg_hba.conf" >/dev/null
  run_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null \
    || { cat "$dir/server.log" >&2; return 1; }
  PG_DIR=$dir PG_BINDIR=$bindir
  export EASYMO_TEST_PG_URL="postgresql://$owner@127.0.0.1:$port/postgres"
  echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $dir)"
}

pg_stop() {
  [ -n "${PG_DIR:-}" ] || return 0
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  else
    "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$PG_DIR"
}
