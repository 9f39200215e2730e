# Shared steps of scripts/run.sh and scripts/test.sh (sourced, not run).

step() { printf '\n==> %s\n' "$*"; }

ensure_system_packages() {
  step "system packages"
  scripts/install-system-deps.sh
}

ensure_rust() {
  export PATH="$HOME/.cargo/bin:$PATH"
  if ! command -v cargo >/dev/null 2>&1; then
    echo "Rust is missing: install it from https://rustup.rs (then re-run this command)." >&2
    exit 1
  fi
}

# Installs the UI's npm packages when the lock file changed, then builds it
# (and, with "check", type-checks it and checks the i18n catalogues first).
build_ui() {
  if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
    npm --prefix ui ci --no-audit --no-fund
  fi
  if [ "${1:-}" = check ]; then
    npm --prefix ui run check
  fi
  npm --prefix ui run build
}

ensure_tauri_driver() {
  if ! tauri-driver --help >/dev/null 2>&1; then
    step "installing tauri-driver 2.1.0"
    cargo install tauri-driver --version '=2.1.0' --locked
  fi
}

# Starts a throwaway PostgreSQL server for the hub's tests and exports
# FIELDBOOK_TEST_POSTGRES; stop_postgres stops it. initdb runs in a temp
# dir as an unprivileged user (postgres, when this runs as root, as CI
# does). pg_ctl -w waits until the server accepts connections; a port taken
# meanwhile is retried on another, a bounded number of times.
start_postgres() {
  step "PostgreSQL for the hub tests"
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  PG_DIR=$(mktemp -d /tmp/fieldbook-pg.XXXXXX)
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$PG_DIR"; fi
  as_pg "$PG_BIN/initdb -D $PG_DIR/data -A trust -U fieldbook >$PG_DIR/initdb.log"
  local port
  for _ in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 20000))
    if as_pg "$PG_BIN/pg_ctl -D $PG_DIR/data -l $PG_DIR/log -w -t 60 \
        -o '-k $PG_DIR -p $port -c listen_addresses=127.0.0.1 -c fsync=off' start >/dev/null"; then
      export FIELDBOOK_TEST_POSTGRES="postgres://fieldbook@127.0.0.1:$port/postgres"
      return 0
    fi
  done
  cat "$PG_DIR/log" >&2
  echo "PostgreSQL did not start" >&2
  return 1
}

stop_postgres() {
  if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR/data" ]; then
    as_pg "$PG_BIN/pg_ctl -D $PG_DIR/data -m fast stop >/dev/null" || true
    rm -rf "$PG_DIR"
  fi
}

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/sh -c "$1"; else sh -c "$1"; fi
}
