#!/usr/bin/env bash
# Publishes every Markdown file of a folder to Folio with nothing but curl: one idempotent PUT per file, the slug
# taken from the file name (hello-world.md -> /api/v1/articles/hello-world), and the files of its `pages/` folder,
# if any, as pages (pages/about.md -> /api/v1/pages/about). Running it again with unchanged files changes nothing
# (same version, same updated_at). Stops at the first file Folio rejects and prints why.
#
# Images kept beside the Markdown are uploaded first: every relative inline image outside code blocks
# (`![Diagram](./saga.png)`; reference-style images are left as written) and a relative cover image in the
# front matter (`cover_image: ./cover.png`, or `url: ./cover.png` on the line under `cover_image:`) is
# uploaded to /api/v1/media unless a file with the same bytes is already stored (asked by its SHA-256), and the
# document is sent with those links rewritten to the served URLs. The files on disk are not changed; a second
# run uploads nothing.
#
#   FOLIO_URL=http://127.0.0.1:8080 FOLIO_TOKEN=folio_... examples/publish.sh examples/content
#
# The token needs the content:write scope (`folio token create --name ci --scope content:write`). Needs bash,
# curl, sha256sum, grep, sed and awk.
set -euo pipefail
# Failures inside $(...) stop the script too.
shopt -s inherit_errexit

dir="${1:?usage: publish.sh DIR}"
url="${FOLIO_URL:-http://127.0.0.1:8080}"
: "${FOLIO_TOKEN:?set FOLIO_TOKEN to a token with the content:write scope}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
response="$work/response"
shopt -s nullglob

# Progress lines go to fd 3 (stdout): the functions that print them run in command substitutions.
exec 3>&1
# Counted in files: the functions below run in command substitutions, whose variables do not come back.
: > "$work/uploaded"
: > "$work/stored"

# first_url FILE: the first "url" of a JSON document (a media object's own URL comes before its variants').
first_url() {
    grep -o '"url":"[^"]*"' "$1" | head -n 1 | sed 's/^"url":"//; s/"$//'
}

# served_url PATH: the served URL of the local file PATH, uploading it unless the same bytes are stored.
served_url() {
    local path="$1" hash status found
    [ -f "$path" ] || { echo "failed    $path: no such file" >&2; return 1; }
    hash="$(sha256sum "$path" | cut -d' ' -f1)"
    status="$(curl -sS -o "$response" -w '%{http_code}' -H "Authorization: Bearer $FOLIO_TOKEN" \
        "$url/api/v1/media?hash=$hash")"
    [ "$status" = 200 ] || { echo "failed    $path: HTTP $status" >&2; cat "$response" >&2; echo >&2; return 1; }
    found="$(first_url "$response")"
    if [ -n "$found" ]; then
        echo >> "$work/stored"
        echo "$found"
        return
    fi
    status="$(curl -sS -o "$response" -w '%{http_code}' -X POST \
        -H "Authorization: Bearer $FOLIO_TOKEN" \
        -H 'Content-Type: application/octet-stream' \
        --data-binary @"$path" \
        "$url/api/v1/media?filename=$(basename "$path" | sed 's/[^A-Za-z0-9._-]/_/g')")"
    case "$status" in
        200|201) found="$(first_url "$response")"
                 [ -n "$found" ] || { echo "failed    $path: no url in the answer" >&2; cat "$response" >&2; return 1; }
                 echo >> "$work/uploaded"; echo "uploaded  $path" >&3; echo "$found" ;;
        *) echo "failed    $path: HTTP $status" >&2; cat "$response" >&2; echo >&2; return 1 ;;
    esac
}

# relative_images FILE: each relative image path the document names, once: Markdown images, and the cover
# image's path in the front matter.
relative_images() {
    {
        # Outside the front matter and fenced code blocks.
        awk 'NR == 1 && $0 == "---" { front = 1; next } front { if ($0 == "---") front = 0; next }
             /^[[:space:]]*(```|~~~)/ { fenced = !fenced; next } !fenced' "$1" \
            | grep -oE '!\[[^]]*\]\([^)[:space:]]+' | sed 's/^.*](//' || true
        awk 'NR == 1 && $0 == "---" { front = 1; next } front && $0 == "---" { exit }
             front && match($0, /^[[:space:]]*cover_image:[[:space:]]*/) {
                 value = substr($0, RLENGTH + 1); gsub(/^["'\'']|["'\'']$/, "", value); print value; cover = 1; next }
             front && cover && match($0, /^[[:space:]]+url:[[:space:]]*/) {
                 value = substr($0, RLENGTH + 1); gsub(/^["'\'']|["'\'']$/, "", value); print value }
             front { cover = 0 }' "$1"
    } | grep -vE '^(https?:|data:|mailto:|/|#|\{|$)' | sort -u || true
}

# replace FILE FROM TO: every occurrence of the text `](FROM` (an image link) and of a front-matter value FROM
# (`cover_image: FROM`, `url: FROM`), as plain text, not patterns.
replace() {
    awk -v from="$2" -v to="$3" '
        function all(s, a, b,   out, i) {
            out = ""
            while ((i = index(s, a)) > 0) { out = out substr(s, 1, i - 1) b; s = substr(s, i + length(a)) }
            return out s
        }
        NR == 1 && $0 == "---" { front = 1; print; next }
        front && $0 == "---" { front = 0; print; next }
        front && match($0, /^[[:space:]]*cover_image:[[:space:]]*/) {
            cover = 1
            value = substr($0, RLENGTH + 1); gsub(/^["'\'']|["'\'']$/, "", value)
            if (value == from) { print substr($0, 1, RLENGTH) "{url: \"" to "\"}"; next }
            print; next
        }
        front && cover && match($0, /^[[:space:]]+url:[[:space:]]*/) {
            value = substr($0, RLENGTH + 1); gsub(/^["'\'']|["'\'']$/, "", value)
            if (value == from) { print substr($0, 1, RLENGTH) "\"" to "\""; next }
        }
        front { cover = 0; print; next }
        /^[[:space:]]*(```|~~~)/ { fenced = !fenced }
        fenced { print; next }
        # The link target ends at `)` or at the space before a title.
        { print all(all($0, "](" from ")", "](" to ")"), "](" from " ", "](" to " ") }' "$1" > "$1.next"
    mv "$1.next" "$1"
}

# prepared FILE: the document to send, with its relative images uploaded and their links rewritten.
prepared() {
    local file="$1" copy="$work/$(basename "$1")" image served
    cp "$file" "$copy"
    while IFS= read -r image; do
        served="$(served_url "$(dirname "$file")/${image#./}")" || exit 1
        replace "$copy" "$image" "$served"
    done < <(relative_images "$file")
    echo "$copy"
}

# publish COLLECTION FILE...: one PUT per file to /api/v1/COLLECTION/<slug>; prints a line per file and a summary.
publish() {
    local collection="$1"; shift
    local created=0 updated=0 unchanged=0 file slug before status after body
    for file in "$@"; do
        slug="$(basename "$file" .md)"
        body="$(prepared "$file")"
        # The version before the PUT tells an unchanged document from a replaced one.
        before="$(curl -sS -H "Authorization: Bearer $FOLIO_TOKEN" "$url/api/v1/$collection/$slug" \
            | grep -o '"version":[0-9]*' || true)"
        status="$(curl -sS -o "$response" -w '%{http_code}' -X PUT \
            -H "Authorization: Bearer $FOLIO_TOKEN" \
            -H 'Content-Type: text/markdown; charset=utf-8' \
            --data-binary @"$body" \
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
echo "media: $(wc -l < "$work/uploaded") uploaded, $(wc -l < "$work/stored") already stored"
