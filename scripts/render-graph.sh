#!/usr/bin/env bash
# Renders the README's architecture pictures, construct level, prod environment:
#   docs/architecture.svg and docs/architecture.dot   the migration-api
#   examples/orders/docs/architecture.svg             the orders app
# The SVGs are `stackforge graph --format svg`: laid out by stackforge at README width, the
# same bytes on every machine. The .dot is `stackforge graph` (Graphviz DOT) for those who
# render it themselves.
#
#   scripts/render-graph.sh          regenerate them
#   scripts/render-graph.sh --check  exit 1 if one is stale (CI); the .dot must also render
#
# --check needs Graphviz: apt-get install -y graphviz
set -euo pipefail
cd "$(dirname "$0")/.."

check=false
case "${1:-}" in
  --check) check=true ;;
  "") ;;
  *) echo "usage: scripts/render-graph.sh [--check]" >&2; exit 2 ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cargo run -q -- graph --env prod --format dot > "$tmp/architecture.dot"
cargo run -q -- graph --env prod --format svg > "$tmp/architecture.svg"
(cd examples/orders && cargo run -q -- graph --env prod --format svg) > "$tmp/orders.svg"

pairs=(
  "$tmp/architecture.dot:docs/architecture.dot"
  "$tmp/architecture.svg:docs/architecture.svg"
  "$tmp/orders.svg:examples/orders/docs/architecture.svg"
)

if ! $check; then
  mkdir -p docs examples/orders/docs
  for p in "${pairs[@]}"; do
    cp "${p%%:*}" "${p#*:}"
    echo "wrote ${p#*:}"
  done
  exit 0
fi

if ! command -v dot >/dev/null; then
  echo "error: Graphviz is not installed. Fix: apt-get install -y graphviz" >&2
  exit 2
fi
dot -Tsvg "$tmp/architecture.dot" > /dev/null
stale=0
for p in "${pairs[@]}"; do
  if ! cmp -s "${p%%:*}" "${p#*:}"; then
    echo "error: ${p#*:} is stale (\`stackforge graph\` draws it differently now)." >&2
    stale=1
  fi
done
if [ "$stale" -ne 0 ]; then
  echo "Fix: run scripts/render-graph.sh and commit docs/ and examples/orders/docs/." >&2
  exit 1
fi
echo "the architecture pictures are fresh"
