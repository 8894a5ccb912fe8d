#!/usr/bin/env bash
# Publishes every Markdown file of a folder to Folio with nothing but curl: one idempotent PUT per file, the slug
# taken from the file name (hello-world.md -> /api/v1/articles/hello-world), and the files of its `pages/` folder,
# if any, as pages (pages/about.md -> /api/v1/pages/about). Running it again with unchanged files changes nothing
# (same version, same updated_at). Stops at the first file Folio rejects and prints why.
#
#   FOLIO_URL=http://127.0.0.1:8080 FOLIO_TOKEN=folio_... examples/publish.sh examples/content
#
# The token needs the content:write scope (`folio token create --name ci --scope content:write`).
set -euo pipefail

dir="${1:?usage: publish.sh DIR}"
url="${FOLIO_URL:-http://127.0.0.1:8080}"
: "${FOLIO_TOKEN:?set FOLIO_TOKEN to a token with the content:write scope}"

response="$(mktemp)"
trap 'rm -f "$response"' EXIT
shopt -s nullglob

# publish COLLECTION FILE...: one PUT per file to /api/v1/COLLECTION/<slug>; prints a line per file and a summary.
publish() {
    local collection="$1"; shift
    local created=0 updated=0 unchanged=0 file slug before status after
    for file in "$@"; do
        slug="$(basename "$file" .md)"
        # The version before the PUT tells an unchanged document from a replaced one.
        before="$(curl -sS -H "Authorization: Bearer $FOLIO_TOKEN" "$url/api/v1/$collection/$slug" \
            | grep -o '"version":[0-9]*' || true)"
        status="$(curl -sS -o "$response" -w '%{http_code}' -X PUT \
            -H "Authorization: Bearer $FOLIO_TOKEN" \
            -H 'Content-Type: text/markdown; charset=utf-8' \
            --data-binary @"$file" \
            "$url/api/v1/$collection/$slug")"
        after="$(grep -o '"version":[0-9]*' "$response" || true)"
        case "$status" in
            201) created=$((created + 1)); echo "created   $collection/$slug" ;;
            200) if [ "$before" = "$after" ]; then
                     unchanged=$((unchanged + 1)); echo "unchanged $collection/$slug"
                 else
                     updated=$((updated + 1)); echo "updated   $collection/$slug"
                 fi ;;
            *)   echo "failed    $collection/$slug: HTTP $status" >&2; cat "$response" >&2; echo >&2; exit 1 ;;
        esac
    done
    echo "$collection: $created created, $updated updated, $unchanged unchanged"
}

articles=("$dir"/*.md)
pages=("$dir"/pages/*.md)
[ "${#articles[@]}" -gt 0 ] || [ "${#pages[@]}" -gt 0 ] || { echo "no .md files in $dir or $dir/pages" >&2; exit 1; }
publish articles "${articles[@]}"
[ "${#pages[@]}" -eq 0 ] || publish pages "${pages[@]}"
