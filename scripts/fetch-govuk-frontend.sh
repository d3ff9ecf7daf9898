#!/usr/bin/env bash
# Put GOV.UK Frontend's compiled assets (dist/govuk/ of the npm package) in DEST_DIR.
# Skips when DEST_DIR/../.govuk-version already names VERSION. Usage: fetch-govuk-frontend.sh VERSION DEST_DIR
set -euo pipefail

version=${1:?usage: $0 VERSION DEST_DIR}
dest=${2:?usage: $0 VERSION DEST_DIR}
dest=${dest%/}
stamp="$(dirname "$dest")/.govuk-version"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$version" && -f "$dest/govuk-frontend.min.css" ]]; then
  exit 0
fi
command -v npm >/dev/null || { echo "fetch-govuk-frontend: npm not found; install Node.js and npm" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "fetch-govuk-frontend: fetching govuk-frontend@$version" >&2
(cd "$tmp" && npm pack --loglevel=error "govuk-frontend@$version" >/dev/null)
tar -xzf "$tmp/govuk-frontend-$version.tgz" -C "$tmp" package/dist/govuk

src="$tmp/package/dist/govuk"
for f in govuk-frontend.min.css govuk-frontend.min.js assets/manifest.json assets/fonts assets/images; do
  [[ -e "$src/$f" ]] || { echo "fetch-govuk-frontend: $f missing from the package; layout changed?" >&2; exit 1; }
done

# Replace the old copy only once the new one is complete; the version file is written last so that
# an interrupted run is retried.
mkdir -p "$(dirname "$dest")"
rm -f "$stamp"
rm -rf "$dest"
mv "$src" "$dest"
echo "$version" >"$stamp"
echo "fetch-govuk-frontend: govuk-frontend $version in $dest" >&2
