#!/usr/bin/env bash
# git's addresses, side by side on this machine in one run: ghostsum's SHA-1 and SHA-256 CPU
# search loops with the shortest suffix and with --fast-layout (and MD5's, for scale), hashcat's benchmarks (-b -m 100 SHA-1, -m 1400
# SHA-256, -m 0 MD5; its optimized kernels on the CPU through PoCL), lucky_commit's own
# benchmark (2^28 single-block SHA-1 candidates), and both tools giving the same commits a
# 7-digit id, ROUNDS times, each on its own copy of the repository (ghostsum git-commit with
# --shortest and with its default, the fast layout).
# Needs: apt-get install hashcat pocl-opencl-icd ocl-icd-libopencl1 git;
#        cargo install lucky_commit --no-default-features (its CPU path); cargo build --release.
# Usage: benches/git-bench.sh [seconds-per-ghostsum-run]   (ROUNDS=5, PREFIX=c0ffee1, LUCKY=lucky_commit)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
rounds=${ROUNDS:-5}
prefix=${PREFIX:-c0ffee1}
bin=$PWD/target/release/ghostsum
lucky=${LUCKY:-lucky_commit}
command -v hashcat >/dev/null || { echo "hashcat is not installed (apt-get install hashcat pocl-opencl-icd ocl-icd-libopencl1)"; exit 1; }
command -v "$lucky" >/dev/null || { echo "$lucky is not installed (cargo install lucky_commit --no-default-features)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rate() { python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["candidates_per_second"])'; }
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, $(grep -qw sha_ni /proc/cpuinfo && echo SHA-NI || echo no SHA-NI); $(date -u +%F)"
echo "ghostsum's kernel: $($bin bench -b cpu -s 0.1 2>/dev/null | grep -o 'cpu ([a-z0-9]*' | head -1 | cut -d'(' -f2)"

echo "== candidates per second (2 threads where the tool takes them all)"
sha1=$($bin bench -b cpu -s "$seconds" --hash sha1 --json | rate)
sha256=$($bin bench -b cpu -s "$seconds" --hash sha256 --json | rate)
sha1_fast=$($bin bench -b cpu -s "$seconds" --hash sha1 --fast-layout --json | rate)
sha256_fast=$($bin bench -b cpu -s "$seconds" --hash sha256 --fast-layout --json | rate)
md5=$($bin bench -b cpu -s "$seconds" --hash md5 --json | rate)
hc() { hashcat -b -m "$1" --force --machine-readable --quiet 2>/dev/null | grep -E '^[0-9]+:[0-9]+:' | tail -1 | awk -F: '{print $6}'; }
hc100=$(hc 100); hc1400=$(hc 1400); hc0=$(hc 0)
start=$(date +%s.%N)
(cd "$work" && "$lucky" --benchmark > /dev/null)
lucky_seconds=$(python3 -c "import sys; print($(date +%s.%N) - $start)")
python3 - "$sha1" "$sha256" "$md5" "$hc100" "$hc1400" "$hc0" "$lucky_seconds" "$sha1_fast" "$sha256_fast" <<'PY'
import sys
sha1, sha256, md5, hc100, hc1400, hc0, lucky_s, sha1_fast, sha256_fast = map(float, sys.argv[1:])
lucky = 2**28 / lucky_s
print(f"SHA-1:   ghostsum {sha1/1e6:7.1f} M/s   hashcat -m 100  {hc100/1e6:7.1f} MH/s  = {sha1/hc100:.2f}x   lucky_commit --benchmark {lucky/1e6:6.1f} M/s = {sha1/lucky:.2f}x")
print(f"         --fast-layout {sha1_fast/1e6:7.1f} M/s  = {sha1_fast/hc100:.2f}x hashcat, {sha1_fast/lucky:.2f}x lucky_commit")
print(f"SHA-256: ghostsum {sha256/1e6:7.1f} M/s   hashcat -m 1400 {hc1400/1e6:7.1f} MH/s  = {sha256/hc1400:.2f}x")
print(f"         --fast-layout {sha256_fast/1e6:7.1f} M/s  = {sha256_fast/hc1400:.2f}x hashcat")
print(f"MD5:     ghostsum {md5/1e6:7.1f} M/s   hashcat -m 0    {hc0/1e6:7.1f} MH/s  = {md5/hc0:.2f}x")
PY

echo "== a ${#prefix}-digit commit id ($prefix), $rounds commits, each tool on its own copy"
times=$work/times   # one line a round: ghostsum --shortest, lucky_commit, ghostsum (fast layout) seconds
for i in $(seq 1 "$rounds"); do
    repo=$work/r$i
    git init -q "$repo"
    git -C "$repo" -c user.name=Bench -c user.email=bench@example.com commit -q --allow-empty -m "round $i of the git benchmark"
    cp -r "$repo" "$repo-lucky"
    cp -r "$repo" "$repo-fast"
    g_start=$(date +%s.%N)
    "$bin" git-commit -q -b cpu --shortest -p "$prefix" -C "$repo" > /dev/null
    g_end=$(date +%s.%N)
    (cd "$repo-lucky" && "$lucky" "$prefix" > /dev/null)
    l_end=$(date +%s.%N)
    "$bin" git-commit -q -b cpu -p "$prefix" -C "$repo-fast" > /dev/null
    f_end=$(date +%s.%N)
    python3 -c "print(f'round $i: ghostsum --shortest {$g_end - $g_start:6.2f} s ($(git -C "$repo" rev-parse --short=12 HEAD))   lucky_commit {$l_end - $g_end:6.2f} s ($(git -C "$repo-lucky" rev-parse --short=12 HEAD))   ghostsum (fast layout) {$f_end - $l_end:6.2f} s ($(git -C "$repo-fast" rev-parse --short=12 HEAD))')"
    python3 -c "print($g_end - $g_start, $l_end - $g_end, $f_end - $l_end)" >> "$times"
done
# The mean, and what the measured rate leads one to expect: a search for d fixed hex digits
# tests 16^d candidates on average (each round's own time is luck: one in seven takes twice that).
python3 - "$times" "$sha1" "$sha1_fast" "${#prefix}" <<'PY'
import sys
rows = [list(map(float, line.split())) for line in open(sys.argv[1])]
rate, rate_fast, digits = float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
mean = [sum(column) / len(rows) for column in zip(*rows)]
print(f"mean:    ghostsum --shortest {mean[0]:6.2f} s (expected {16**digits / rate:.2f} s)   lucky_commit {mean[1]:6.2f} s"
      f"   ghostsum (fast layout) {mean[2]:6.2f} s (expected {16**digits / rate_fast:.2f} s)")
PY
