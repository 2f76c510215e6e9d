#!/usr/bin/env bash
# Gathers what benches/device-check.sh needs on a bare GPU machine without network or Rust,
# into .devicecheck/ (git-ignored; about 45 MB): the release binary without debug info, the
# Debian packages of the Vulkan loader and of hashcat with its libraries, git unpacked (for
# git-commit where the machine has none), and lucky_commit 2.2.5 built with OpenCL (its GPU
# path; building it needs ocl-icd-opencl-dev).
# Run here, on a Debian/Ubuntu machine with network; then carry .devicecheck to the GPU machine.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .devicecheck/debs
cargo build --release
# Line tables only would do too; stripped keeps it small (the debug build is ~50 MB).
strip -o .devicecheck/ghostsum target/release/ghostsum
(cd .devicecheck/debs && apt-get download libvulkan1 hashcat hashcat-data libminizip1 libxxhash0 ocl-icd-libopencl1 2>/dev/null)
mkdir -p .devicecheck/git-debs
(cd .devicecheck/git-debs && apt-get download git 2>/dev/null)
for deb in .devicecheck/git-debs/git_*.deb; do dpkg -x "$deb" .devicecheck/git; done
# git's builtins (init, commit, cat-file, hash-object, update-ref) are all in usr/bin/git;
# git-core's copies of it would triple the carry.
rm -rf .devicecheck/git-debs .devicecheck/git/usr/share .devicecheck/git/usr/lib
find .devicecheck/git/usr/bin -type f ! -name git -delete
if [ ! -x .devicecheck/lucky_commit ]; then
    CARGO_TARGET_DIR=target/lucky cargo install lucky_commit --version 2.2.5 --root target/lucky-root
    strip -o .devicecheck/lucky_commit target/lucky-root/bin/lucky_commit
fi
du -sh .devicecheck
