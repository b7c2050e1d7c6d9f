#!/usr/bin/env bash
# Installs what a fresh Debian/Ubuntu machine lacks for the tests: venv support, Chromium, CJK fonts, nginx.
# Skips what is already there; uses sudo when not root.
set -euo pipefail
need=()
python3.11 -c 'import ensurepip, venv' 2>/dev/null || need+=(python3.11-venv)
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
[ -x /usr/sbin/nginx ] || need+=(nginx)
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "Installing Debian packages: ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
