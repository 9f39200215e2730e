#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Fieldbook needs to build, run and test.
# Idempotent: asks apt only for what `dpkg -s` says is missing, and runs
# `apt-get update` at most once.
set -euo pipefail

packages=(
  build-essential pkg-config curl ca-certificates
  libwebkit2gtk-4.1-dev          # Tauri's webview (pulls gtk3, soup3)
  xvfb xauth webkit2gtk-driver   # headless display + WebKitWebDriver for e2e tests
  fonts-noto-core fonts-noto-cjk # UI text in English and Japanese
  imagemagick poppler-utils      # screenshots, PDF checks
  postgresql postgresql-client   # the team hub's scale store, for its tests
  nodejs npm
)

missing=()
for p in "${packages[@]}"; do
  # nodejs/npm may come from elsewhere (nvm, NodeSource): a working binary is enough.
  case "$p" in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
  esac
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
echo "Installing system packages: ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
