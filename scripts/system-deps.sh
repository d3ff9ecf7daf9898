#!/usr/bin/env bash
# Make sure the given Debian packages are installed: install the missing ones when running as
# root, otherwise say which are missing and fail. Set SKIP_SYSTEM_DEPS=1 to skip (non-Debian hosts).
set -euo pipefail

if [[ "${SKIP_SYSTEM_DEPS:-}" == 1 ]]; then
  echo "system-deps: SKIP_SYSTEM_DEPS=1, not checking: $*" >&2
  exit 0
fi
if ! command -v dpkg-query >/dev/null; then
  echo "system-deps: dpkg-query not found (not Debian?). Install the equivalents of: $*" >&2
  echo "system-deps: then re-run with SKIP_SYSTEM_DEPS=1" >&2
  exit 1
fi

missing=()
for pkg in "$@"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
((${#missing[@]} == 0)) && exit 0

if ((EUID != 0)); then
  echo "system-deps: missing Debian packages: ${missing[*]}" >&2
  echo "system-deps: install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "system-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}" </dev/null
