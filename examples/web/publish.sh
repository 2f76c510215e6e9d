#!/bin/sh
# Copies the pages of a finished `ghostsum batch` to SITE/<prefix>, each after checking with
# md5sum that its digest starts with that prefix: the layout examples/web/nginx.conf serves.
#   examples/web/publish.sh out/ghostsum-report.json site/
set -eu
report=$1 site=$2
mkdir -p "$site"
python3 -c '
import json, sys
for page in json.load(open(sys.argv[1]))["pages"]:
    print(page["prefix"], page["output"])
' "$report" | while read -r prefix page; do
  md5=$(md5sum < "$page" | cut -c1-32)
  case $md5 in
    "$prefix"*) cp "$page" "$site/$prefix" ;;
    *) echo "publish.sh: $page has MD5 $md5, which does not start with $prefix" >&2; exit 1 ;;
  esac
done
