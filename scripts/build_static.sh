#!/usr/bin/env bash
# Refresh the vendored front-end libraries in static/vendor/ from the versions pinned in
# package.json and package-lock.json. Only needed to upgrade one: the copies are committed, so a
# fresh machine (and CI) serves the pages without npm.
#
#   bash scripts/build_static.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

command -v npm >/dev/null 2>&1 || {
    echo "npm is missing. Install Node.js 18 or newer (Debian: apt-get install -y npm)." >&2
    exit 1
}

# `npm ci` installs exactly what package-lock.json pins, into node_modules/ (ignored by git).
npm ci --no-audit --no-fund

target="static/vendor/chartjs"
mkdir -p "$target"
# The UMD build defines a global `Chart`, so a plain <script> tag loads it: no bundler needed.
# Its last line points at a source map we do not ship; collectstatic's manifest storage would
# fail looking for it, so the line is dropped.
grep -v '^//# sourceMappingURL=' node_modules/chart.js/dist/chart.umd.js >"$target/chart.umd.js"
cp node_modules/chart.js/LICENSE.md "$target/LICENSE.md"
version="$(node -p 'require("./node_modules/chart.js/package.json").version')"
echo "$version" >"$target/VERSION"
echo "Copied Chart.js $version to $target/."
