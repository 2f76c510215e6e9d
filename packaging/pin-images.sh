#!/usr/bin/env bash
# Pins the Containerfile's base images by digest, so that a build months from now starts from
# the same bytes as today's, not whatever the tag points at then:
#   packaging/pin-images.sh [CONTAINERFILE]      (needs skopeo and the registry; Debian: apt-get install skopeo)
# Each `ARG BUILDER=` and `ARG BASE=` default becomes `NAME:TAG@sha256:DIGEST`: the tag stays
# for the reader, the digest decides. The digest is the SHA-256 of the manifest the registry
# serves for the tag, an index of every architecture, so one pin serves amd64 and arm64 alike.
# Run it again to move the pins to the tags' current images (review what changed first).
# Nothing is written unless every image resolved.
set -euo pipefail
file=${1:-"$(dirname "$0")/../Containerfile"}
[ -f "$file" ] || { echo "pin-images.sh: $file: no such file; give the Containerfile's path" >&2; exit 2; }
command -v skopeo > /dev/null || { echo "pin-images.sh: skopeo is not installed (Debian: apt-get install skopeo)" >&2; exit 2; }

pinned=$(mktemp "$file.pin.XXXXXX")
manifest=$(mktemp)
trap 'rm -f "$pinned" "$manifest"' EXIT
cp -p "$file" "$pinned"
for arg in BUILDER BASE; do
    line=$(grep -E "^ARG $arg=" "$file") || { echo "pin-images.sh: $file has no 'ARG $arg=' line" >&2; exit 2; }
    ref=${line#ARG $arg=}
    ref=${ref%%@*}
    # The raw manifest's SHA-256, over its exact bytes (a file, not a shell variable, which
    # would drop a final line break), is its digest as the registry names it.
    skopeo inspect --raw "docker://$ref" > "$manifest" || { echo "pin-images.sh: cannot read $ref's manifest from its registry" >&2; exit 1; }
    digest=sha256:$(sha256sum < "$manifest" | cut -d' ' -f1)
    sed -i "s|^ARG $arg=.*|ARG $arg=$ref@$digest|" "$pinned"
    echo "$arg: $ref@$digest"
done
mv "$pinned" "$file"
