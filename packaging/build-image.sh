#!/usr/bin/env bash
# Builds the Containerfile's image and runs a real search in it, with no container registry:
# the Debian base is made here by debootstrap from Debian's packages, and the build stage
# runs on it with this machine's Rust toolchain and crates mounted read-only.
#   packaging/build-image.sh            (root; Debian: apt-get install podman runc debootstrap)
# WORK (default target/image) keeps the base's root file system between runs. Prints each
# step's time, the image's size, and the search's result checked with md5sum.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=$(mkdir -p "${WORK:-target/image}" && cd "${WORK:-target/image}" && pwd)
# Debian's mirror as this machine's apt uses it (an offline site has its own), else Debian's.
machine_mirror() {
    grep -rhoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
        | grep -v security | head -1 | tr -d ' ' || true
}
MIRROR=${MIRROR:-$(machine_mirror)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
# What marks the base image as this script's, made from a finished debootstrap.
BASE_LABEL=org.ghostsum.base=debootstrap-bookworm-minbase
TOOLCHAIN=$(rustc --print sysroot)
CARGO_HOME=${CARGO_HOME:-$HOME/.cargo}
# In sandboxes that forbid raising limits or run hybrid cgroups, crun fails; runc with
# explicit limits (no higher than this shell's) works in both.
RUN_OPTS=(--runtime runc --ulimit "nofile=$(ulimit -n):$(ulimit -n)" --ulimit nproc=4096:4096)
timed() { local start=$SECONDS; "$@"; echo "   ($((SECONDS - start)) s)" >&2; }
say() { echo "== $*" >&2; }

say "Debian bookworm base, by debootstrap (minbase)"
# A base image is reused only if this script made it (its label); anything else by that name
# (an image someone tagged, one from an older script) is replaced.
label=$(podman image inspect --format "{{index .Labels \"${BASE_LABEL%%=*}\"}}" localhost/ghostsum-base:bookworm 2>/dev/null || true)
if [ "$label" != "${BASE_LABEL#*=}" ]; then
    # A root file system is reused only once debootstrap finished it (the marker); one left by
    # an interrupted run is made again.
    if [ ! -e "$WORK/rootfs.done" ]; then
        rm -rf "$WORK/rootfs"
        timed debootstrap --variant=minbase bookworm "$WORK/rootfs" "$MIRROR" > "$WORK/debootstrap.log"
        touch "$WORK/rootfs.done"
    fi
    # Slimmed as Debian's -slim images are: no package lists or caches, documentation,
    # manual pages or translations.
    tar -C "$WORK/rootfs" --exclude='./var/cache/apt/*' --exclude='./var/lib/apt/lists/*' \
        --exclude='./usr/share/doc/*' --exclude='./usr/share/man/*' --exclude='./usr/share/locale/*' -c . \
        | timed podman import --change 'CMD ["/bin/bash"]' --change "LABEL $BASE_LABEL" - localhost/ghostsum-base:bookworm > /dev/null
    # A builder made on another base is stale.
    podman image rm -f localhost/ghostsum-builder:bookworm > /dev/null 2>&1 || true
fi

say "builder: the base with a C toolchain (cargo and rustc come from this machine, mounted)"
if ! podman image exists localhost/ghostsum-builder:bookworm; then
    printf '%s\n' 'FROM localhost/ghostsum-base:bookworm' \
        'RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev ca-certificates && rm -rf /var/lib/apt/lists/*' \
        'ENV PATH=/opt/rust/bin:$PATH CARGO_HOME=/usr/local/cargo' > "$WORK/Builderfile"
    timed podman build "${RUN_OPTS[@]}" --network host -f "$WORK/Builderfile" -t localhost/ghostsum-builder:bookworm "$WORK" > "$WORK/builder.log"
fi

say "the image (Containerfile): release build, then the runtime stage"
timed podman build "${RUN_OPTS[@]}" --network host \
    --build-arg BUILDER=localhost/ghostsum-builder:bookworm \
    --build-arg BASE=localhost/ghostsum-base:bookworm \
    --build-arg CARGO_NET_OFFLINE=true \
    -v "$TOOLCHAIN:/opt/rust:ro" -v "$CARGO_HOME/registry:/usr/local/cargo/registry:ro" \
    -t localhost/ghostsum:latest . > "$WORK/build.log"
podman image ls localhost/ghostsum:latest --format '{{.Repository}}:{{.Tag}} {{.Size}}'

say "a real search in the container, checked with md5sum outside it"
mkdir -p "$WORK/run"
cp examples/notes.txt "$WORK/run/notes.txt"
rm -f "$WORK/run/notes.out.txt"
# The image runs as uid 10001, not root: run it as the folder's owner, as README says.
podman run "${RUN_OPTS[@]}" --rm --user "$(stat -c %u:%g "$WORK/run")" -v "$WORK/run:/work" \
    localhost/ghostsum:latest search notes.txt -p c0ffee -o notes.out.txt
md5sum "$WORK/run/notes.out.txt"
md5sum "$WORK/run/notes.out.txt" | grep -q '^c0ffee' || { echo "the result's MD5 does not start with c0ffee" >&2; exit 1; }
echo "ok: the image searched, and md5sum agrees"
