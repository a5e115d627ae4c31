#!/usr/bin/env bash
# Copies the pinned front-end assets from node_modules into static/vendor/.
# Run after changing package.json; commit the result. Python-only users never need this.
set -euo pipefail
cd "$(dirname "$0")/.."
npm install --no-audit --no-fund --ignore-scripts
dst=static/vendor
rm -rf "$dst"
mkdir -p "$dst"/{bootstrap,bootstrap-icons/fonts,echarts,htmx}
cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/css/bootstrap.min.css.map "$dst/bootstrap/"
cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js node_modules/bootstrap/dist/js/bootstrap.bundle.min.js.map "$dst/bootstrap/"
cp node_modules/bootstrap-icons/font/bootstrap-icons.min.css "$dst/bootstrap-icons/"
cp node_modules/bootstrap-icons/font/fonts/bootstrap-icons.woff2 node_modules/bootstrap-icons/font/fonts/bootstrap-icons.woff "$dst/bootstrap-icons/fonts/"
cp node_modules/echarts/dist/echarts.min.js "$dst/echarts/"
cp node_modules/htmx.org/dist/htmx.min.js "$dst/htmx/"
for p in bootstrap bootstrap-icons echarts htmx.org; do
  printf '%s %s\n' "$p" "$(node -p "require('./node_modules/$p/package.json').version")"
done > "$dst/VERSIONS"
cat "$dst/VERSIONS"
