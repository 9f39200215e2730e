#!/usr/bin/env bash
# Builds Fieldbook and opens it (with sample data on the first run).
# Installs what is missing: Debian packages, npm packages, Rust crates.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_system_packages
ensure_rust
build_ui
cargo build -p fieldbook-app

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  cat >&2 <<'MSG'
Fieldbook is built, but there is no display to open its window on.
To run it on a virtual display (headless), use:

    xvfb-run -a -s "-screen 0 1280x800x24" scripts/run.sh

or, to take screenshots of it, start the virtual display yourself:

    Xvfb :99 -screen 0 1280x800x24 &
    DISPLAY=:99 scripts/run.sh &
    DISPLAY=:99 import -window root shot.png
MSG
  exit 1
fi
echo "Opening Fieldbook (database: ${FIELDBOOK_DB:-the app data directory})"
exec target/debug/fieldbook-app
