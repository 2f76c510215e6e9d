#!/usr/bin/env bash
# One call on a bare Linux machine with an NVIDIA GPU (no network, no Rust toolchain): the
# real-GPU figures BENCHMARKS.md owes. Needs .devicecheck/ from benches/device-check-prepare.sh
# next to the repository. Checks the GPU's bytes against the CPU's, measures every device alone
# and together, sweeps the workgroup size, times a 40-page batch, runs hashcat's MD5
# benchmark on the same card, and measures git's ids (SHA-1, SHA-256) beside lucky-commit's
# OpenCL path and hashcat -m 100 / -m 1400. Everything it prints also goes to $OUT/device-check.txt (or
# /tmp). Finishes in about 5 minutes; no step may take more than its own timeout.
#   device run: benches/device-check.sh        (carry: .devicecheck)
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-/tmp}/device-check.txt
exec > >(tee "$out") 2>&1
dc=$PWD/.devicecheck
bin=$dc/ghostsum
step() { echo; echo "== $* ($(date -u +%T))"; }
run() { local limit=$1; shift; echo "\$ $*"; timeout "$limit" "$@"; local rc=$?; [ $rc -eq 0 ] || echo "(exit $rc)"; }

step "machine"
echo "date: $(date -u +%F)"; uname -r; nproc
grep -m1 'model name' /proc/cpuinfo
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1 | head -3
[ -x "$bin" ] || { echo "missing $bin: run benches/device-check-prepare.sh and carry .devicecheck"; exit 1; }

step "what the instruction-count model predicts here (BENCHMARKS.md, Real GPUs: a model)"
# SMs x 64 INT32 results a clock x the max SM clock / ALU instructions a candidate (ptxas for
# sm_90, benches/gpu-isa.sh): ghostsum 3.30 a step times the steps the bench prints below,
# hashcat -b -m 0 (its single-hash kernel) 145.
gpu_name=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
mhz=$(nvidia-smi --query-gpu=clocks.max.sm --format=csv,noheader,nounits 2>/dev/null | head -1)
case $gpu_name in *H100*PCIe*) sms=114 ;; *H100*|*H200*) sms=132 ;; *) sms= ;; esac
steps=$("$bin" bench -b cpu -s 0.1 2>/dev/null | grep -o '[0-9]* MD5 steps' | cut -d' ' -f1)
if [ -n "$sms" ] && [ -n "$mhz" ] && [ -n "$steps" ]; then
  awk -v s="$sms" -v m="$mhz" -v n="$steps" 'BEGIN {
    printf "%s SMs at %s MHz: ghostsum bench (%s steps) %.1f G/s, hashcat -b -m 0 %.1f GH/s\n",
      s, m, n, s * 64 * m * 1e6 / (3.30 * n) / 1e9, s * 64 * m * 1e6 / 145 / 1e9 }'
else
  echo "no model for '${gpu_name:-no NVIDIA GPU}' (SM count unknown to this script)"
fi

step "packages: the Vulkan loader into /, hashcat into /tmp/hashcat"
for deb in "$dc"/debs/libvulkan1_*.deb; do dpkg -x "$deb" /; done
mkdir -p /tmp/hashcat
for deb in "$dc"/debs/*.deb; do case $deb in *libvulkan1*) ;; *) dpkg -x "$deb" /tmp/hashcat ;; esac; done
ldconfig
# The driver's Vulkan and OpenCL files, where a container keeps them.
for icd in /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json; do
  if [ -f "$icd" ]; then export VK_DRIVER_FILES=$icd; break; fi
done
echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-none found: the loader searches its defaults}"
opencl=$(ldconfig -p | awk '/libnvidia-opencl.so.1/ {print $NF; exit}')
[ -z "$opencl" ] && opencl=$(find / -name 'libnvidia-opencl.so.1' -not -path '/proc/*' 2>/dev/null | head -1)
mkdir -p /tmp/hashcat/icd
if [ -n "$opencl" ]; then echo "$opencl" > /tmp/hashcat/icd/nvidia.icd; export OCL_ICD_VENDORS=/tmp/hashcat/icd; fi
echo "NVIDIA OpenCL library: ${opencl:-not found}"
nvrtc=$(timeout 30 find / -name 'libnvrtc.so*' -not -path '/proc/*' 2>/dev/null | head -1)
echo "nvrtc for hashcat's CUDA backend: ${nvrtc:-not found}"
# hashcat 6.2 asks for libnvrtc.so by that name; the CUDA image has it versioned only.
mkdir -p /tmp/hashcat/nvrtc
[ -n "$nvrtc" ] && ln -sf "$nvrtc" /tmp/hashcat/nvrtc/libnvrtc.so
export LD_LIBRARY_PATH=/tmp/hashcat/usr/lib/x86_64-linux-gnu:/tmp/hashcat/nvrtc${nvrtc:+:$(dirname "$nvrtc")}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

step "ghostsum devices"
run 60 "$bin" devices
# DEVICE_CHECK_GPU=gpu:N names the adapter (a dry run on a software one, say).
gpu=${DEVICE_CHECK_GPU:-}
[ -n "$gpu" ] || gpu=$("$bin" devices --json | python3 -c 'import json,sys
for l in sys.stdin:
    d=json.loads(l)
    if d["real_gpu"]: print(d["backend"]); break')
echo "the GPU: ${gpu:-none}"
[ -n "$gpu" ] || { echo "no real GPU adapter: stopping here"; exit 1; }

step "correctness: the GPU's output bytes against the CPU's, and md5sum"
work=$(mktemp -d)
ok=0; bad=0
for len in 0 1 55 63 64 100 1000 4097; do
  head -c "$len" /dev/urandom > "$work/in"
  for prefix in c0ffee 5eed5 abcdef1; do
    timeout 120 "$bin" search "$work/in" -p "$prefix" -q -b cpu -o "$work/cpu" &&
    timeout 120 "$bin" search "$work/in" -p "$prefix" -q -b "$gpu" -o "$work/gpu" &&
    timeout 120 "$bin" search "$work/in" -p "$prefix" -q -b all -o "$work/all" &&
    cmp -s "$work/cpu" "$work/gpu" && cmp -s "$work/cpu" "$work/all" &&
    md5sum "$work/gpu" | grep -q "^$prefix" && ok=$((ok+1)) || { bad=$((bad+1)); echo "MISMATCH: length $len prefix $prefix"; }
  done
done
echo "correctness: $ok same bytes on cpu, $gpu and all; $bad mismatches"

step "bench: each device alone and all together (shortest suffix, then --fast-layout)"
run 90 "$bin" bench -b all -s 5
run 90 "$bin" bench -b all -s 5 --fast-layout
run 60 "$bin" bench -b "$gpu" -s 5 --json
# The clocks it ran at, read while the GPU is busy with a second measurement.
"$bin" bench -b "$gpu" -s 3 > /dev/null 2>&1 & sleep 2
nvidia-smi --query-gpu=clocks.sm,clocks.max.sm,power.draw,temperature.gpu,utilization.gpu --format=csv 2>&1 | head -2; wait

step "workgroup size sweep (GHOSTSUM_GPU_WORKGROUP_SIZE), --fast-layout"
for wg in 32 64 128 256 512 1024; do
  echo -n "workgroup $wg: "
  GHOSTSUM_GPU_WORKGROUP_SIZE=$wg timeout 60 "$bin" bench -b "$gpu" -s 5 --fast-layout --json |
    python3 -c 'import json,sys; r=json.loads(sys.stdin.readline()); print("%.2f G/s" % (r["candidates_per_second"] / 1e9))'
done
echo -n "runtime checks kept (GHOSTSUM_GPU_RUNTIME_CHECKS=1): "
GHOSTSUM_GPU_RUNTIME_CHECKS=1 timeout 60 "$bin" bench -b "$gpu" -s 5 --fast-layout --json |
  python3 -c 'import json,sys; r=json.loads(sys.stdin.readline()); print("%.2f G/s" % (r["candidates_per_second"] / 1e9))'

step "a 40-page batch of 6-digit pages: cpu, gpu, all"
python3 - "$work/batch" <<'PY'
import os, sys
d = sys.argv[1]; os.makedirs(d, exist_ok=True)
pages = []
for i in range(40):
    open(f"{d}/p{i}.txt", "w").write(f"Page {i} of forty. Next: {{{{url:p{(i + 1) % 40}}}}}\n" + "lorem ipsum " * (i * 3))
    pages.append(f'[[page]]\nname = "p{i}"\nfile = "p{i}.txt"\n')
open(f"{d}/m.toml", "w").write('url = "https://x/{prefix}"\ndigits = 6\nseed = 1\n' + "".join(pages))
PY
for b in cpu "$gpu" all; do
  rm -rf "$work/batch/out"
  start=$(date +%s.%N)
  timeout 180 "$bin" batch "$work/batch/m.toml" --out-dir "$work/batch/out" -q -b "$b" > /dev/null
  echo "batch -b $b: exit $?, $(python3 -c "import time; print(f'{time.time() - $start:.2f} s')")"
done

old_bin=$dc/ghostsum-before-19
[ -x "$old_bin" ] || old_bin=
step "batch pages per second, one core each (issue 19): this binary${old_bin:+ and the one before issue 19}"
# benches/batch_pages.py: 200 pages of 4 digits and 40 of 6, medians of 5 rounds; the CPU
# device with -j 1. A real GPU's dispatches cost little CPU, so cpu,$gpu should be no slower
# than cpu alone on short pages and faster on long ones.
run 240 python3 benches/batch_pages.py --rounds 5 --backends "cpu,$gpu,cpu+$gpu" "$bin" ${old_bin:+"$old_bin"}
# And as a user who gives no -j runs it: the CPU on every core while the GPU sits a page
# out, one less while it takes part.
run 90 python3 benches/batch_pages.py --rounds 3 --cpu-threads default --backends "cpu,cpu+$gpu" "$bin"

step "a 9-digit search on the GPU and on everything: wall time, whole process"
head -c 3000 /dev/urandom | base64 > "$work/long"
for b in "$gpu" all; do
  start=$(date +%s.%N)
  timeout 120 "$bin" search "$work/long" -p c0ffee123 -b "$b" -o "$work/long.$b" --json > "$work/long.$b.json"
  rc=$?
  echo "search -p c0ffee123 -b $b: exit $rc, $(python3 -c "import time; print(f'{time.time() - $start:.2f} s')"), md5 $(md5sum < "$work/long.$b" | cut -c1-12)"
  cat "$work/long.$b.json"
done

step "git's ids on the GPU: the same bytes as the CPU's, then speed (issue 31)"
ok=0; bad=0
for format in sha1 sha256; do
  for len in 0 55 100 1000; do
    head -c "$len" /dev/urandom > "$work/in"
    for prefix in c0ffe 5e_d5 ________7; do
      timeout 120 "$bin" search "$work/in" --git-object blob --object-format $format -p "$prefix" -q -b cpu -o "$work/cpu" &&
      timeout 120 "$bin" search "$work/in" --git-object blob --object-format $format -p "$prefix" -q -b "$gpu" -o "$work/gpu" &&
      cmp -s "$work/cpu" "$work/gpu" && ok=$((ok+1)) || { bad=$((bad+1)); echo "MISMATCH: $format blob, length $len, prefix $prefix"; }
    done
  done
done
echo "git blob ids: $ok same bytes on cpu and $gpu; $bad mismatches"
# The model (BENCHMARKS.md): ALU a step from ptxas for sm_90 (benches/gpu-isa.sh), SHA-1 6.14,
# SHA-256 19.82 (git-commit's alphabet), times the steps the bench prints (the CPU's, which
# start at a multiple of 4: within 3 steps of the GPU's).
for hash in sha1 sha256; do
  steps=$("$bin" bench -b cpu -s 0.1 --hash $hash 2>/dev/null | grep -o '[0-9]* SHA-[0-9]* steps' | cut -d' ' -f1)
  per=$([ $hash = sha1 ] && echo 6.14 || echo 19.82)
  [ -n "$sms" ] && [ -n "$mhz" ] && [ -n "$steps" ] && awk -v s="$sms" -v m="$mhz" -v n="$steps" -v p="$per" -v h="$hash" \
    'BEGIN { printf "model: ghostsum bench --hash %s (%s steps) %.1f G/s\n", h, n, s * 64 * m * 1e6 / (p * n) / 1e9 }'
  run 90 "$bin" bench -b "$gpu" -s 5 --hash $hash
  run 90 "$bin" bench -b "$gpu" -s 5 --hash $hash --fast-layout
done
run 90 "$bin" bench -b all -s 5 --hash sha1

# lucky-commit 2.2.5 built with OpenCL (benches/device-check-prepare.sh), on the card's own
# OpenCL, and ghostsum git-commit, on the same commit and 9-digit prefixes: wall time each,
# whole process. git comes from .devicecheck where the machine has none.
if ! command -v git > /dev/null && [ -d "$dc/git" ]; then
  mkdir -p /tmp/git-core
  export PATH=$dc/git/usr/bin:$PATH GIT_EXEC_PATH=/tmp/git-core
fi
lucky=$dc/lucky_commit
if command -v git > /dev/null && [ -x "$lucky" ]; then
  for round in 1 2 3; do
    for tool in ghostsum-shortest ghostsum lucky; do
      repo=$(mktemp -d); git -C "$repo" init -q
      git -C "$repo" -c user.name=A -c user.email=a@example.com commit -q --allow-empty -m "round $round"
      prefix=$(printf 'c0ffee%03d' "$round")
      start=$(date +%s.%N)
      if [ $tool = ghostsum-shortest ]; then
        timeout 120 "$bin" git-commit -q --shortest -b "$gpu" -p "$prefix" -C "$repo"; rc=$?
      elif [ $tool = ghostsum ]; then
        # git-commit's default, the fast layout: a split layout, whose kernel runs no schedule
        # (BENCHMARKS.md).
        timeout 120 "$bin" git-commit -q -b "$gpu" -p "$prefix" -C "$repo"; rc=$?
      else
        (cd "$repo" && timeout 120 "$lucky" "$prefix" > /dev/null); rc=$?
      fi
      took=$(python3 -c "import time; print(f'{time.time() - $start:.2f}')")
      echo "$tool 9-digit commit id, round $round: exit $rc, $took s, HEAD $(git -C "$repo" rev-parse HEAD | cut -c1-12)"
      rm -rf "$repo"
    done
  done
else
  echo "no git or no lucky_commit in .devicecheck: lucky-commit not compared"
fi

step "clean exits: 20 short GPU searches and 10 GPU checks, exit codes tallied"
head -c 100 /dev/urandom > "$work/short"
for i in $(seq 20); do
  timeout 60 "$bin" search "$work/short" -p "$(printf %05x $((i * 977)))" -q -b "$gpu" -o "$work/short.out"; echo $?
done | sort | uniq -c | sed 's/^/search exit codes (count code): /'
for i in $(seq 10); do timeout 60 "$bin" devices --check "$gpu" > /dev/null; echo $?; done | sort | uniq -c | sed 's/^/devices --check exit codes (count code): /'

step "hashcat -b -m 0, -m 100 and -m 1400 on the same card"
hc=/tmp/hashcat/usr/bin/hashcat
export HOME=/tmp/hashcat/home; mkdir -p "$HOME"
# Installed anywhere but /usr/bin, hashcat looks for its kernels and modules next to itself.
ln -sf /tmp/hashcat/usr/share/hashcat/* /tmp/hashcat/usr/bin/ 2>/dev/null
cd /tmp/hashcat/usr/bin
run 60 "$hc" -I --quiet
# --force: go on past driver warnings (the speed is the same).
for mode in 0 100 1400; do
  run 240 "$hc" -b -m $mode --machine-readable --quiet --force
done
echo; echo "done; report in $out"
