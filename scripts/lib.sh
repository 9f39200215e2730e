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
