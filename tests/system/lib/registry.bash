# Talking to a Distribution v2 registry directly with curl, for what skopeo
# refuses to push (truncated layers, malformed configs), and writing into the
# registry's filesystem storage for what the registry itself refuses to take
# (a blob that does not match its digest, a manifest it would not validate).
# Sourced by make-images.sh.

# CURL_OPTS: extra options (CA, credentials) for the registry at hand.
CURL_OPTS=()

# reg_blob_exists BASE REPO DIGEST
reg_blob_exists() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' "${CURL_OPTS[@]}" -I "$1/v2/$2/blobs/$3")
  [[ $code == 200 ]]
}

# reg_put_blob BASE REPO FILE: uploads FILE (monolithic) unless present; prints its digest.
reg_put_blob() {
  local base=$1 repo=$2 file=$3 digest location
  digest=sha256:$(sha256sum "$file" | cut -d' ' -f1)
  if ! reg_blob_exists "$base" "$repo" "$digest"; then
    location=$(curl -sf -D - -o /dev/null "${CURL_OPTS[@]}" -X POST "$base/v2/$repo/blobs/uploads/" |
      tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
    [[ -n $location ]] || { echo "reg_put_blob: no upload location from $base/v2/$repo" >&2; return 1; }
    [[ $location == http* ]] || location=$base$location
    local sep='?'
    [[ $location == *\?* ]] && sep='&'
    curl -sf -o /dev/null "${CURL_OPTS[@]}" -X PUT -H 'Content-Type: application/octet-stream' \
      --data-binary "@$file" "$location${sep}digest=$digest" ||
      { echo "reg_put_blob: upload of $file to $base/v2/$repo failed" >&2; return 1; }
  fi
  echo "$digest"
}

# reg_put_manifest BASE REPO REF MEDIATYPE FILE: prints the digest the registry reports.
reg_put_manifest() {
  local base=$1 repo=$2 ref=$3 mt=$4 file=$5 out
  out=$(curl -s -D - -o /dev/null -w '%{http_code}' "${CURL_OPTS[@]}" -X PUT \
    -H "Content-Type: $mt" --data-binary "@$file" "$base/v2/$repo/manifests/$ref" | tr -d '\r')
  [[ ${out##*$'\n'} == 201 ]] || { echo "reg_put_manifest: $base/v2/$repo/manifests/$ref: $out" >&2; return 1; }
  sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p' <<<"$out"
}

# reg_manifest_digest BASE REPO REF: the digest the registry serves for REF, or nothing.
reg_manifest_digest() {
  curl -s -I "${CURL_OPTS[@]}" \
    -H "Accept: $MT_OCI_MANIFEST, $MT_OCI_INDEX, $MT_DOCKER_MANIFEST, $MT_DOCKER_LIST" \
    "$1/v2/$2/manifests/$3" | tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'
}

# Filesystem storage of Distribution: STORAGE/docker/registry/v2/…
_reg_v2() { echo "$1/docker/registry/v2"; }

# reg_store_blob STORAGE REPO FILE [DIGEST]: writes FILE as the blob DIGEST
# (default: its real digest) and links it into REPO. With a DIGEST that is not
# FILE's, the registry then serves content that does not match its name.
reg_store_blob() {
  local storage=$1 repo=$2 file=$3 digest=${4:-}
  [[ -n $digest ]] || digest=sha256:$(sha256sum "$file" | cut -d' ' -f1)
  local hex=${digest#sha256:} v2
  v2=$(_reg_v2 "$storage")
  mkdir -p "$v2/blobs/sha256/${hex:0:2}/$hex" "$v2/repositories/$repo/_layers/sha256/$hex"
  cp "$file" "$v2/blobs/sha256/${hex:0:2}/$hex/data"
  printf '%s' "$digest" >"$v2/repositories/$repo/_layers/sha256/$hex/link"
  echo "$digest"
}

# reg_store_manifest STORAGE REPO TAG FILE: makes FILE the manifest REPO:TAG,
# bypassing the registry's validation on upload.
reg_store_manifest() {
  local storage=$1 repo=$2 tag=$3 file=$4 digest hex v2
  digest=sha256:$(sha256sum "$file" | cut -d' ' -f1)
  hex=${digest#sha256:}
  v2=$(_reg_v2 "$storage")
  mkdir -p "$v2/blobs/sha256/${hex:0:2}/$hex" \
    "$v2/repositories/$repo/_manifests/revisions/sha256/$hex" \
    "$v2/repositories/$repo/_manifests/tags/$tag/current" \
    "$v2/repositories/$repo/_manifests/tags/$tag/index/sha256/$hex"
  cp "$file" "$v2/blobs/sha256/${hex:0:2}/$hex/data"
  printf '%s' "$digest" >"$v2/repositories/$repo/_manifests/revisions/sha256/$hex/link"
  printf '%s' "$digest" >"$v2/repositories/$repo/_manifests/tags/$tag/current/link"
  printf '%s' "$digest" >"$v2/repositories/$repo/_manifests/tags/$tag/index/sha256/$hex/link"
  echo "$digest"
}
