#!/usr/bin/env bash
# Refresh the Mini App's vendored scripts (bot/webapp/static/vendor/) from their npm packages
# at the pinned versions below, with their licences. Run by a maintainer when a version
# changes; the files it writes are committed, so nothing is downloaded or built at install and
# the page loads nothing from a CDN (issue 25). Needs npm (and network access to its registry).
#
#   ECharts (Apache-2.0): the "common" build, line + scatter with the grid, tooltip and
#     dataZoom components: 240 kB gzipped, where the full build is 368 kB. Chosen over uPlot
#     (22 kB) and lightweight-charts (62 kB) because the relative rotation graph's tails are
#     paths in the RS-Ratio/RS-Momentum plane that double back on themselves: a line whose
#     x values are not in order, which both of those (time-series libraries) cannot draw.
#   Telegram's Mini App script, as @twa-dev/sdk ships it (dist/telegram-web-apps.js, the
#     package is MIT; Telegram publishes the script itself on telegram.org, not on npm).
set -euo pipefail
ECHARTS=6.1.0
TWA_SDK=8.0.2
here=$(cd "$(dirname "$0")" && pwd)
out="$here/static/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "echarts@$ECHARTS" "@twa-dev/sdk@$TWA_SDK" >/dev/null
mkdir echarts sdk
tar xzf "echarts-$ECHARTS.tgz" -C echarts
tar xzf "twa-dev-sdk-$TWA_SDK.tgz" -C sdk
mkdir -p "$out"
cp echarts/package/dist/echarts.common.min.js "$out/echarts.common.min.js"
cp echarts/package/LICENSE "$out/LICENSE.echarts.txt"
cp echarts/package/NOTICE "$out/NOTICE.echarts.txt" 2>/dev/null || true
cp sdk/package/dist/telegram-web-apps.js "$out/telegram-web-app.js"
cp sdk/package/LICENSE "$out/LICENSE.twa-dev-sdk.txt"
cat >"$out/VERSIONS.txt" <<VERSIONS
echarts $ECHARTS (npm, dist/echarts.common.min.js, Apache-2.0)
@twa-dev/sdk $TWA_SDK (npm, dist/telegram-web-apps.js, MIT; the script is Telegram's)
VERSIONS
(cd "$out" && sha256sum echarts.common.min.js telegram-web-app.js >SHA256SUMS)
echo "vendored into $out:"
ls -l "$out"
