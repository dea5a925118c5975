#!/usr/bin/env bash
# The edit loop, measured: touch a source file, then time `cargo run -- synth` (debug build,
# policy gate on) as a user waits for it. Prints every run and the median, for three kinds of
# edit, and how much of each run is the incremental build and how much the synth itself:
#   app        a stack file (stacks/): recompiles the stacks, relinks the binary;
#   construct  an AWS construct (constructs/src/aws/): recompiles the construct library too;
#   model      the programming model (construct-model/): recompiles everything above it,
#              the CLI library included.
#
#   scripts/bench-edit-loop.sh [RUNS]        # default 5 runs per kind
#   APP_FILE=... CONSTRUCT_FILE=... MODEL_FILE=... scripts/bench-edit-loop.sh   # other files
#
# Run it on an idle machine with warm caches (the script builds once first); the load
# average is printed with the figures. `touch` is an edit as far as cargo is concerned; the
# templates written are the committed ones, byte for byte.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-5}
app_file=${APP_FILE:-stacks/src/data.rs}
construct_file=${CONSTRUCT_FILE:-constructs/src/aws/ec2/vpc.rs}
model_file=${MODEL_FILE:-construct-model/src/scope.rs}
for f in "$app_file" "$construct_file" "$model_file"; do
  [ -f "$f" ] || { echo "error: $f does not exist; set APP_FILE / CONSTRUCT_FILE / MODEL_FILE" >&2; exit 2; }
done
# The binary `cargo run` builds, wherever the target folder is.
binary=${CARGO_TARGET_DIR:-target}/debug/stackforge

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "warming up: cargo build, one synth (templates and the policy result cache)"
cargo build --quiet
cargo run --quiet -- synth >/dev/null 2>&1

measure() {
  local kind=$1 file=$2 totals="" runs_only=""
  for i in $(seq "$runs"); do
    touch "$file"
    local t0 t1 t2
    t0=$(now)
    cargo run --quiet -- synth >/dev/null 2>&1
    t1=$(now)
    "$binary" synth >/dev/null 2>&1
    t2=$(now)
    local total run
    total=$(elapsed "$t0" "$t1")
    run=$(elapsed "$t1" "$t2")
    printf '  %-14s run %d: cargo run -- synth %ss (of which synth alone %ss)\n' "$kind" "$i" "$total" "$run"
    totals+="$total"$'\n'
    runs_only+="$run"$'\n'
  done
  local mt mr
  mt=$(printf '%s' "$totals" | median)
  mr=$(printf '%s' "$runs_only" | median)
  printf '%s edit (%s): median %ss for `cargo run -- synth`: build %ss + synth %ss\n' \
    "$kind" "$file" "$mt" "$(awk -v a="$mr" -v b="$mt" 'BEGIN { printf "%.3f", b - a }')" "$mr"
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores; $runs runs per kind"
measure app "$app_file"
measure construct "$construct_file"
measure model "$model_file"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
