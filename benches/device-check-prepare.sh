#!/usr/bin/env bash
# Gathers what benches/device-check.sh needs on a bare GPU machine without network or Rust,
# into .devicecheck/ (git-ignored; about 30 MB): the release binary without debug info, and
# the Debian packages of the Vulkan loader and of hashcat with its libraries.
# Run here, on a Debian/Ubuntu machine with network; then carry .devicecheck to the GPU machine.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .devicecheck/debs
cargo build --release
# Line tables only would do too; stripped keeps it small (the debug build is ~50 MB).
strip -o .devicecheck/ghostsum target/release/ghostsum
(cd .devicecheck/debs && apt-get download libvulkan1 hashcat hashcat-data libminizip1 libxxhash0 ocl-icd-libopencl1 2>/dev/null)
du -sh .devicecheck
