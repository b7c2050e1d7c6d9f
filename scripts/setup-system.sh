#!/usr/bin/env bash
# Installs what a fresh Debian/Ubuntu machine lacks: venv support, Chromium (browser tests and the PDF brief's
# charts via kaleido), CJK fonts, nginx (two-process serving), poppler-utils (tests read the PDF brief).
# Skips what is already there; uses sudo when not root.
set -euo pipefail
need=()
python3.11 -c 'import ensurepip, venv' 2>/dev/null || need+=(python3.11-venv)
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
[ -x /usr/sbin/nginx ] || need+=(nginx)
command -v pdftoppm >/dev/null || need+=(poppler-utils)
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "Installing Debian packages: ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
