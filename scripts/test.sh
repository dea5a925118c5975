#!/usr/bin/env bash
# The one test command: installs what the tests need (a pinned Python venv with cfn-lint,
# moto[server] and the AWS CLI) and runs every check CI runs. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

step() { printf '\n==> %s\n' "$*"; }

step "Python tools (.venv, pinned by scripts/requirements-test.lock)"
scripts/ensure-venv
export PATH="$root/.venv/bin:$PATH"
cfn-lint --version

step "Graphviz and the Mermaid parser (graph output is checked with both)"
if ! command -v dot >/dev/null; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq graphviz >/dev/null
fi
dot -V
[ -d scripts/mermaid-check/node_modules/mermaid ] || npm ci --prefix scripts/mermaid-check --no-audit --no-fund --loglevel=error
export STACKFORGE_REQUIRE_GRAPHVIZ=1 STACKFORGE_REQUIRE_MERMAID=1

step "Headless Chromium (the graph HTML page is checked in a real browser)"
if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq chromium >/dev/null
fi
export STACKFORGE_REQUIRE_CHROMIUM=1

# Snapshots never update themselves here: a changed template fails until reviewed.
export INSTA_UPDATE=no CI=true

step "Formatting"
cargo fmt --all -- --check

step "Lints"
cargo clippy --workspace --all-targets -- -D warnings

# The timed helper prints how long a step took (the catalog with every service is the
# slowest thing to compile here; README "Build times" quotes these figures).
timed() { local t0=$SECONDS; "$@"; echo "($(( SECONDS - t0 )) s: $*)"; }

step "The whole catalog (every service): cargo check and clippy with --all-features"
timed cargo check --quiet -p stackforge-catalog --all-features
timed cargo clippy --quiet -p stackforge-catalog --all-features -- -D warnings

step "API docs"
RUSTDOCFLAGS=-Dwarnings cargo doc --workspace --no-deps --quiet

step "Generated code is up to date (catalog, its features, the schema index)"
cargo xtask codegen --check

step "Corpus: the list of templates cfn-lint accepts is what the pinned cfn-lint says"
python scripts/corpus-accepted.py --check

step "Tests"
lint_dir="$root/target/lint-templates"
rm -rf "$lint_dir"
STACKFORGE_LINT_DIR="$lint_dir" cargo test --workspace
# A typed resource of a service outside the default features (its template is linted below).
STACKFORGE_LINT_DIR="$lint_dir" cargo test -p stackforge-catalog --features dynamodb --test non_default_service

step "Deploy end to end: the real AWS CLI against moto_server on 127.0.0.1 (docs/deploy-testing.md)"
# Ignored in plain `cargo test`; needs .venv/bin (moto_server, aws) on PATH, as exported above.
# Runs the deploy_e2e of every default member: the migration-api's and the orders app's.
cargo test --test deploy_e2e -- --ignored
# Reviewed deploys on a small app: --concurrency, --plan/--apply (refused after a parameter
# change), destroy with a retained resource.
cargo test --test deploy_review_e2e -- --ignored
# A template over the inline limit: --plan uploads it to --s3-bucket, --apply creates it.
cargo test --test deploy_s3_e2e -- --ignored

step "An app of its own from \`new\`: built offline, synthesized, tested and linted"
# A fixed place inside target/: the app's builds of stackforge's crates are reused next time.
scaffold_started=$SECONDS
app="$root/target/scaffold-e2e/shop"
rm -rf "$app"
cargo run --quiet -- new "$app"
(
  cd "$app"
  export CARGO_TARGET_DIR="$root/target" CARGO_NET_OFFLINE=true
  fingerprint() { find . -type f -print0 | sort -z | xargs -0 sha256sum; }
  created=$(fingerprint)
  cargo fmt --check
  if cargo tree --locked -e normal --prefix none | grep -q '^stackforge-stacks '; then
    echo "the new app depends on the migration-api"; exit 1
  fi
  cargo run --locked --quiet -- synth --check   # the templates `new` wrote are fresh
  cargo run --locked --quiet -- synth           # and synth rewrites them byte for byte
  cargo test --locked --quiet                   # snapshots included
  cfn-lint --non-zero-exit-code warning -- templates/*/*.template.json
  if [ "$(fingerprint)" != "$created" ]; then
    echo "synth or the tests changed files \`new\` created:"; diff <(echo "$created") <(fingerprint); exit 1
  fi
)
echo "new app: created, built, synthesized, tested and linted in $((SECONDS - scaffold_started)) s"

step "Committed templates are fresh"
cargo run --quiet -- synth --check
# The orders example app writes its own templates/ (examples/orders/templates).
(cd examples/orders && cargo run --quiet -p orders -- synth --check)

step "cfn-lint: committed templates (no errors, no warnings)"
mapfile -t committed < <(find templates examples/orders/templates -name '*.template.json' -o -name '*.template.yaml' | sort)
echo "${#committed[@]} templates"
cfn-lint --non-zero-exit-code warning -- "${committed[@]}"

step "cfn-lint: templates the tests wrote (no errors, no warnings)"
mapfile -t written < <(find "$lint_dir" -name '*.template.json' | sort)
echo "${#written[@]} templates"
[ "${#written[@]}" -gt 0 ] || { echo "the tests wrote no templates to lint"; exit 1; }
# W3010 flags availability zones an Environment names on purpose (tests of that feature);
# the committed app picks its zones with Fn::GetAZs and is linted without exceptions above.
cfn-lint --non-zero-exit-code warning --ignore-checks W3010 -- "${written[@]}"

step "Every default catalog type appears in a linted template"
# The default features are what every build compiles: each must be a type the constructs (or
# their tests) put in a template that cfn-lint checked.
mapfile -t features < <(sed -n '/^default = \[/,/^\]/p' catalog/Cargo.toml | grep -o '"[a-z0-9-]*"' | tr -d '"')
echo "${#features[@]} default types"
missing=0
for feature in "${features[@]}"; do
  # `ec2-vpc-endpoint` is the type of catalog/src/ec2/vpc_endpoint.rs.
  file="catalog/src/${feature%%-*}/$(echo "${feature#*-}" | tr - _).rs"
  type=$(grep -o 'const TYPE_NAME: &.static str = "[^"]*"' "$file" 2>/dev/null | grep -o '"[^"]*"' | tr -d '"' || true)
  if [ -z "$type" ]; then
    echo "default feature $feature is not a catalog type (no $file)"; missing=1
  elif ! grep -rqsF "\"Type\": \"$type\"" templates examples/orders/templates "$lint_dir"; then
    echo "no linted template uses the default type $type"; missing=1
  fi
done
[ "${#features[@]}" -gt 0 ] && [ "$missing" -eq 0 ]

step "The README's architecture picture is fresh"
scripts/render-graph.sh --check

echo
echo "All checks passed."
