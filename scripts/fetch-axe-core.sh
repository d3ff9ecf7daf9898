#!/usr/bin/env bash
# Put axe-core's axe.min.js (used by the browser tests) in DEST_DIR.
# Skips when DEST_DIR/.axe-core-version already names VERSION. Usage: fetch-axe-core.sh VERSION DEST_DIR
set -euo pipefail

version=${1:?usage: $0 VERSION DEST_DIR}
dest=${2:?usage: $0 VERSION DEST_DIR}
dest=${dest%/}
stamp="$dest/.axe-core-version"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$version" && -f "$dest/axe.min.js" ]]; then
  exit 0
fi
command -v npm >/dev/null || { echo "fetch-axe-core: npm not found; install Node.js and npm" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "fetch-axe-core: fetching axe-core@$version" >&2
(cd "$tmp" && npm pack --loglevel=error "axe-core@$version" >/dev/null)
tar -xzf "$tmp/axe-core-$version.tgz" -C "$tmp" package/axe.min.js

mkdir -p "$dest"
rm -f "$stamp"
mv "$tmp/package/axe.min.js" "$dest/axe.min.js"
echo "$version" >"$stamp"
echo "fetch-axe-core: axe-core $version in $dest/axe.min.js" >&2
