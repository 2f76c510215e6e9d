#!/bin/sh
# Copies the pages of a finished `ghostsum batch` to SITE/<prefix>, each after checking with
# md5sum that its digest starts with that prefix: the layout examples/web/nginx.conf serves.
#   examples/web/publish.sh out/ghostsum-report.json site/
# Each page is written to a temporary file in SITE, checked there, and renamed into place, so
# a web server never serves a half-written page, and whatever stood at SITE/<prefix> (a
# symlink too) is replaced, never written through. A report that is missing or not a batch's
# fails the script before anything is published.
set -eu
if [ $# -ne 2 ]; then
  echo "usage: publish.sh REPORT SITE (REPORT: a batch's ghostsum-report.json)" >&2
  exit 2
fi
report=$1 site=$2
# The whole list first: a report that cannot be read stops the script here (set -e), before
# any page is published.
pages=$(python3 -c '
import json, sys
try:
    with open(sys.argv[1], encoding="utf-8") as f:
        pages = json.load(f)["pages"]
    for page in pages:
        print(page["prefix"], page["output"])
except (OSError, ValueError, KeyError, TypeError) as e:
    sys.exit(f"publish.sh: {sys.argv[1]} is not a ghostsum batch report ({type(e).__name__}: {e}); run ghostsum batch first")
' "$report")
mkdir -p "$site"
# mktemp makes its file 0600; a published page gets what cp would give a new file.
mode=$(printf '%o' $((0666 & ~0$(umask))))
tmp=
trap 'rm -f "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
while read -r prefix page; do
  [ -n "$prefix" ] || continue
  case $prefix in
    *[!0-9a-f]*) echo "publish.sh: $report names page $page with prefix '$prefix', which is not lower-case hex" >&2; exit 1 ;;
  esac
  tmp=$(mktemp "$site/.publish.XXXXXX")
  cp "$page" "$tmp"
  md5=$(md5sum < "$tmp" | cut -c1-32)
  case $md5 in
    "$prefix"*) chmod "$mode" "$tmp"; mv -fT "$tmp" "$site/$prefix"; tmp= ;;
    *) echo "publish.sh: $page has MD5 $md5, which does not start with $prefix" >&2; exit 1 ;;
  esac
done <<EOF
$pages
EOF
