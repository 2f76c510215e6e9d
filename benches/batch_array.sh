#!/bin/bash
# A 16-page batch of 7-digit pages on a Slurm job array of TASKS tasks against one task,
# each timed from submission to the end of its collect job (issue 19, BENCHMARKS.md).
# Starts a real single-node Slurm with examples/slurm/single-node.sh (root, Debian/Ubuntu).
#   benches/batch_array.sh [TASKS]        (default 4; ghostsum from target/release)
set -euo pipefail
tasks=${1:-4}
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=$repo/target/release/ghostsum
[ -x "$bin" ] || { echo "build it first: cargo build --release" >&2; exit 2; }
work=$(mktemp -d)
trap '"$repo/examples/slurm/single-node.sh" stop "$work/slurm" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
mkdir -m 700 "$work/slurm"
"$repo/examples/slurm/single-node.sh" start "$work/slurm" >/dev/null
export SLURM_CONF=$work/slurm/slurm.conf PATH=$(dirname "$bin"):$PATH
site=$work/site
mkdir "$site"
{
  printf 'url = "https://array.example/{prefix}"\ndigits = 7\nseed = 19\n'
  for n in $(seq 0 15); do
    printf 'page %s links to {{url:p%s}}\n' "$n" $(((n + 1) % 16)) > "$site/p$n.txt"
    printf '[[page]]\nname = "p%s"\nfile = "p%s.txt"\n' "$n" "$n"
  done
} > "$site/site.toml"
cp "$repo"/examples/slurm/ghostsum-batch-*.sbatch "$site/"
cd "$site"
run() { # ARRAY OUT COUNT: the README's two commands, the collect job waited for
  local started=$(date +%s.%N)
  local array=$(sbatch --parsable --array="$1" ghostsum-batch-array.sbatch site.toml "$2" "$3")
  sbatch --wait --dependency=afterok:"$array" ghostsum-batch-collect.sbatch site.toml "$2" >/dev/null
  echo "$(date +%s.%N) - $started" | bc
}
cpus=$(sinfo -h -o %c | head -1)
one=$(run 0 one 1)
many=$(run "0-$((tasks - 1))" many "$tasks")
cmp <(cd one && md5sum p*.txt) <(cd many && md5sum p*.txt) || { echo "different pages" >&2; exit 1; }
printf 'node CPUs %s, 1 CPU a task; 16 pages of 7 digits, collect included\n' "$cpus"
printf '1 task:  %6.1f s\n%d tasks: %6.1f s (%.2fx)\n' "$one" "$tasks" "$many" "$(echo "$one / $many" | bc -l)"
