# Sourced by .ci/run (bash): starts a throwaway PostgreSQL cluster for the
# durable-store tests and exports TOKENIM_TEST_POSTGRES_URL. Installs the
# Debian postgresql package when it is missing. The cluster lives in a temp
# directory owned by the postgres user, listens on a free loopback port with
# trust authentication, and is stopped and removed by tokenim_pg_stop (run
# from the caller's EXIT trap).

tokenim_pg_start() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "== installing postgresql"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  TOKENIM_PG_DIR=$(mktemp -d /tmp/tokenim-pg.XXXXXX)
  chown postgres:postgres "$TOKENIM_PG_DIR"
  chmod 700 "$TOKENIM_PG_DIR"
  # A free port: a random one nothing answers on (bash's /dev/tcp, no
  # other tool needed); pg_ctl fails clearly if it was taken meanwhile.
  local port
  for _ in $(seq 1 50); do
    port=$(shuf -i 20000-60000 -n 1)
    (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
  done
  TOKENIM_PG_BIN=$bin
  su postgres -s /bin/sh -c "'$bin/initdb' -D '$TOKENIM_PG_DIR/data' -U postgres -A trust --no-sync -E UTF8 >'$TOKENIM_PG_DIR/initdb.log' 2>&1" \
    || { cat "$TOKENIM_PG_DIR/initdb.log"; return 1; }
  su postgres -s /bin/sh -c "'$bin/pg_ctl' -D '$TOKENIM_PG_DIR/data' -l '$TOKENIM_PG_DIR/server.log' -w -t 60 \
    -o \"-c listen_addresses=127.0.0.1 -p $port -k '$TOKENIM_PG_DIR' -c fsync=off -c max_connections=200\" start" >/dev/null \
    || { cat "$TOKENIM_PG_DIR/server.log"; return 1; }
  export TOKENIM_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (TOKENIM_TEST_POSTGRES_URL set)"
}

tokenim_pg_stop() {
  if [ -n "${TOKENIM_PG_DIR:-}" ] && [ -d "$TOKENIM_PG_DIR/data" ]; then
    su postgres -s /bin/sh -c "'$TOKENIM_PG_BIN/pg_ctl' -D '$TOKENIM_PG_DIR/data' -m immediate -w stop" >/dev/null 2>&1 || true
    rm -rf "$TOKENIM_PG_DIR"
  fi
}
