#!/usr/bin/env bash
# Runs every check of Fieldbook: formatting, lints, engine tests, the UI's type
# and i18n checks, and the end-to-end tests of the real app under Xvfb.
# Installs what is missing first. This is the README's test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_system_packages
ensure_rust

step "cargo fmt --check"
cargo fmt --all --check

step "UI: install, type check, i18n check, build"
build_ui check

# Every cargo test's output also goes to this log, for the closing count.
results=$(mktemp)
trap 'rm -f "$results"; stop_postgres' EXIT
counted() { "$@" 2>&1 | tee -a "$results"; }

step "cargo clippy -D warnings (engine, CLI, desktop shell, e2e)"
cargo clippy --workspace --all-targets -- -D warnings

# The hub's tests run on SQLite and on this PostgreSQL server.
start_postgres

step "engine and CLI tests (no webview compiled)"
# Property tests draw the same cases on every run, so a run is repeatable;
# explore new ones with PROPTEST_RNG_SEED=<any u64> (and PROPTEST_CASES=N).
export PROPTEST_RNG_SEED="${PROPTEST_RNG_SEED:-20261203}"
counted cargo test

step "end-to-end: the real app over WebDriver under Xvfb"
cargo build -p fieldbook-app
ensure_tauri_driver
cargo test -p fieldbook-e2e --no-run
# tauri-driver must be stopped cleanly; the timeout guards against a hang.
counted timeout 900 xvfb-run -a -s "-screen 0 1280x800x24" \
  cargo test -p fieldbook-e2e -- --test-threads=1 --nocapture

step "all checks passed"
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$results"
