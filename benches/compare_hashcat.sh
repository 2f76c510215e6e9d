#!/usr/bin/env bash
# Side by side on this machine, one run: ghostsum's CPU search loop and hashcat's MD5
# benchmark (-b -m 0, its optimized brute-force kernel) on the CPU through PoCL.
# Needs: apt-get install hashcat pocl-opencl-icd; cargo build --release.
# Usage: benches/compare_hashcat.sh [seconds-per-ghostsum-run]
# An AVX2-only CPU, emulated on an AVX-512 one: PoCL's AVX2 kernel library for hashcat and
# ghostsum's AVX2 kernel,
#   POCL_KERNELLIB_NAME=avx2 GHOSTSUM_CPU_KERNEL=avx2 benches/compare_hashcat.sh
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
bin=target/release/ghostsum
command -v hashcat >/dev/null || { echo "hashcat is not installed (apt-get install hashcat pocl-opencl-icd)"; exit 1; }
rate() { python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["candidates_per_second"])'; }
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $(date -u +%F)"
# The second Name is the device; PoCL names it after the CPU it compiles for
# (pthread-haswell: AVX2 code, pthread-skylake-avx512: AVX-512).
echo "hashcat's device: $(hashcat -I 2>/dev/null | grep -E '^ +Name\.+:' | sed -n 2p | cut -d: -f2- | xargs)"
echo "ghostsum's kernel: ${GHOSTSUM_CPU_KERNEL:-chosen at run time}"
shortest=$($bin bench -b cpu -s "$seconds" --json | rate)
fast=$($bin bench -b cpu -s "$seconds" --json --fast-layout | rate)
one=$($bin bench -b cpu -s "$seconds" --json -j 1 --fast-layout | rate)
hashcat_line=$(hashcat -b -m 0 --force --machine-readable --quiet 2>/dev/null | grep -E '^[0-9]+:0:' | tail -1)
hashcat=$(echo "$hashcat_line" | awk -F: '{print $6}')
python3 - "$shortest" "$fast" "$one" "$hashcat" <<'PY'
import sys
shortest, fast, one, hashcat = map(float, sys.argv[1:])
print(f"hashcat -b -m 0 (CPU, PoCL):                 {hashcat/1e6:8.1f} MH/s")
print(f"ghostsum cpu, all threads, shortest suffix:  {shortest/1e6:8.1f} M/s  = {shortest/hashcat:.2f}x hashcat")
print(f"ghostsum cpu, all threads, --fast-layout:    {fast/1e6:8.1f} M/s  = {fast/hashcat:.2f}x hashcat")
print(f"ghostsum cpu, 1 thread, --fast-layout:       {one/1e6:8.1f} M/s")
PY
