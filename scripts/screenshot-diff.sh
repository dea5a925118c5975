#!/usr/bin/env bash
# Renders the README's screenshot of the change-review page (docs/graph-diff.png): the
# migration-api's prod environment against a copy of its committed templates in which the
# database had another master user name, so the change replaces the database, and the backup
# selection also named the API keys secret, so the change removes that backup link.
#
#   scripts/screenshot-diff.sh
#
# Not checked fresh in CI: a browser's pixels depend on its version and fonts. The page
# itself is tested (tests/graph_picture.rs). Needs Chromium: apt-get install -y chromium
set -euo pipefail
cd "$(dirname "$0")/.."
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "error: Chromium is not installed. Fix: apt-get install -y chromium" >&2
  exit 2
fi
sample=target/sample-change
rm -rf "$sample"
mkdir -p "$sample/prod"
cp templates/prod/* "$sample/prod/"
sed -i 's/"MasterUsername": "app_admin"/"MasterUsername": "old_admin"/' "$sample/prod/data.template.json"
# ... and whose backup selection also named the API keys secret: a link the change removes.
sed -i 's/"Fn::ImportValue": "migration-api-prod-data:DatabaseB269D8BB-DBInstanceArn"/&}, {"Fn::ImportValue": "migration-api-prod-data:ApiKeys3BB3983D"/' "$sample/prod/audit.template.json"
grep -q 'ApiKeys3BB3983D' "$sample/prod/audit.template.json" || { echo "error: the sample's backup selection was not found" >&2; exit 1; }
cargo run -q -- graph --env prod --format html --diff --against "$sample" > "$sample/page.html"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$profile" \
  --window-size=1400,820 --screenshot="$PWD/docs/graph-diff.png" \
  "file://$PWD/$sample/page.html#node=data/Database" 2>/dev/null
echo "wrote docs/graph-diff.png"
