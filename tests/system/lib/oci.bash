# Building OCI image layouts by hand, deterministically: GNU tar + gzip/zstd
# + JSON (jq) + sha256sum. Sourced by make-images.sh and make-bench-image.sh.
#
# A layout is DIR/{oci-layout,index.json,blobs/sha256/*}. Layers are built
# from staging trees with fixed mtimes, sorted names and numeric owners so the
# same inputs always give the same digests.

# Every entry's mtime: 2024-01-01T00:00:00Z.
OCI_MTIME=${OCI_MTIME:-1704067200}

MT_OCI_MANIFEST=application/vnd.oci.image.manifest.v1+json
MT_OCI_INDEX=application/vnd.oci.image.index.v1+json
MT_OCI_CONFIG=application/vnd.oci.image.config.v1+json
MT_OCI_LAYER=application/vnd.oci.image.layer.v1.tar
MT_OCI_LAYER_GZIP=application/vnd.oci.image.layer.v1.tar+gzip
MT_OCI_LAYER_ZSTD=application/vnd.oci.image.layer.v1.tar+zstd
MT_DOCKER_MANIFEST=application/vnd.docker.distribution.manifest.v2+json
MT_DOCKER_LIST=application/vnd.docker.distribution.manifest.list.v2+json
MT_DOCKER_CONFIG=application/vnd.docker.container.image.v1+json
MT_DOCKER_LAYER_GZIP=application/vnd.docker.image.rootfs.diff.tar.gzip

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }
size_of() { stat -c %s "$1"; }

# oci_init DIR: an empty layout.
oci_init() {
  local dir=$1
  rm -rf "$dir"
  mkdir -p "$dir/blobs/sha256"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
  printf '{"schemaVersion":2,"manifests":[]}' >"$dir/index.json"
}

# oci_put_blob DIR FILE: moves FILE into the layout; prints its digest (sha256:…).
oci_put_blob() {
  local dir=$1 file=$2 hex
  hex=$(sha256_of "$file")
  mv -f "$file" "$dir/blobs/sha256/$hex"
  echo "sha256:$hex"
}

# oci_put_json DIR JSON: stores compact JSON text as a blob; prints "DIGEST SIZE".
oci_put_json() {
  local dir=$1 json=$2 tmp
  tmp=$(mktemp "$dir/blobs/.json.XXXXXX")
  printf '%s' "$json" >"$tmp"
  local size
  size=$(size_of "$tmp")
  echo "$(oci_put_blob "$dir" "$tmp") $size"
}

# tar_add TAR DIR [TAR-OPTIONS…] -- PATH…: appends PATHs (relative to DIR,
# recursively, sorted) to TAR, creating it when missing. TAR-OPTIONS may set
# --owner=N --group=N --mode=… --transform=… for just these entries.
tar_add() {
  local tarfile=$1 dir=$2
  shift 2
  local opts=()
  while [[ $# -gt 0 && $1 != -- ]]; do opts+=("$1"); shift; done
  [[ ${1:-} == -- ]] && shift
  local op=--create
  [[ -e $tarfile ]] && op=--append
  tar "$op" --file="$tarfile" --directory="$dir" --format=gnu --sort=name \
    --mtime="@$OCI_MTIME" --numeric-owner --owner=0 --group=0 "${opts[@]}" "$@"
}

# oci_add_layer DIR TAR COMPRESSION: compresses TAR (gzip|zstd|none) into a
# blob and prints "MEDIATYPE DIGEST SIZE DIFFID". TAR is removed.
oci_add_layer() {
  local dir=$1 tarfile=$2 compression=$3
  local diffid mt out
  diffid=sha256:$(sha256_of "$tarfile")
  out=$(mktemp "$dir/blobs/.layer.XXXXXX")
  case $compression in
    gzip) mt=$MT_OCI_LAYER_GZIP; gzip -n -6 -c "$tarfile" >"$out" ;;
    zstd) mt=$MT_OCI_LAYER_ZSTD; zstd -q -3 --no-progress -c "$tarfile" >"$out" ;;
    none) mt=$MT_OCI_LAYER; cp "$tarfile" "$out" ;;
    *) echo "oci_add_layer: unknown compression $compression" >&2; return 1 ;;
  esac
  rm -f "$tarfile"
  local size digest
  size=$(size_of "$out")
  digest=$(oci_put_blob "$dir" "$out")
  echo "$mt $digest $size $diffid"
}

# join_json ITEM…: ITEM,ITEM,… (for JSON arrays of pre-formatted items).
join_json() { local IFS=,; echo "$*"; }

# oci_config ARCH OS CREATED CONFIG-JSON HISTORY-JSON DIFFID…: prints the image
# config JSON. CONFIG-JSON is the "config" object; HISTORY-JSON an array.
# OCI_VARIANT adds a variant, OCI_AUTHOR an author. (printf, not jq: jq takes
# a tenth of a second to start, and make-images builds dozens of these.)
oci_config() {
  local arch=$1 os=$2 created=$3 config=$4 history=$5
  shift 5
  local ids=() d
  for d in "$@"; do ids+=("\"$d\""); done
  local extra=
  [[ -z ${OCI_VARIANT:-} ]] || extra+=",\"variant\":\"$OCI_VARIANT\""
  [[ -z ${OCI_AUTHOR:-} ]] || extra+=",\"author\":\"$OCI_AUTHOR\""
  printf '{"created":"%s","architecture":"%s"%s,"os":"%s","config":%s,"rootfs":{"type":"layers","diff_ids":[%s]},"history":%s}' \
    "$created" "$arch" "$extra" "$os" "$config" "$(join_json "${ids[@]}")" "$history"
}

# oci_manifest CONFIG-DIGEST CONFIG-SIZE LAYER-LINE…: prints an OCI image
# manifest; each LAYER-LINE is oci_add_layer's output.
oci_manifest() {
  local cdigest=$1 csize=$2
  shift 2
  local layers=() line mt digest size diffid
  for line in "$@"; do
    read -r mt digest size diffid <<<"$line"
    layers+=("{\"mediaType\":\"$mt\",\"digest\":\"$digest\",\"size\":$size}")
  done
  printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"%s","digest":"%s","size":%s},"layers":[%s]}' \
    "$MT_OCI_MANIFEST" "$MT_OCI_CONFIG" "$cdigest" "$csize" "$(join_json "${layers[@]}")"
}

# oci_image DIR CONFIG-JSON LAYER-LINE…: stores config and manifest; prints
# "MANIFEST-DIGEST MANIFEST-SIZE CONFIG-DIGEST".
oci_image() {
  local dir=$1 config=$2
  shift 2
  local cdigest csize mdigest msize
  read -r cdigest csize <<<"$(oci_put_json "$dir" "$config")"
  read -r mdigest msize <<<"$(oci_put_json "$dir" "$(oci_manifest "$cdigest" "$csize" "$@")")"
  echo "$mdigest $msize $cdigest"
}

# oci_index DIR ENTRY…: stores an image index; each ENTRY is
# "MANIFEST-DIGEST MANIFEST-SIZE OS ARCH [VARIANT]". Prints "DIGEST SIZE".
oci_index() {
  local dir=$1
  shift
  local manifests=() entry d s os arch variant v
  for entry in "$@"; do
    read -r d s os arch variant <<<"$entry"
    v=
    [[ -z $variant ]] || v=",\"variant\":\"$variant\""
    manifests+=("{\"mediaType\":\"$MT_OCI_MANIFEST\",\"digest\":\"$d\",\"size\":$s,\"platform\":{\"architecture\":\"$arch\",\"os\":\"$os\"$v}}")
  done
  oci_put_json "$dir" "$(printf '{"schemaVersion":2,"mediaType":"%s","manifests":[%s]}' \
    "$MT_OCI_INDEX" "$(join_json "${manifests[@]}")")"
}

# oci_tag DIR DIGEST SIZE TAG [MEDIATYPE]: names a manifest (or index) TAG in
# the layout's index.json. Tags must be unique.
oci_tag() {
  local dir=$1 digest=$2 size=$3 tag=$4 mt=${5:-$MT_OCI_MANIFEST}
  local entries=
  entries=$(sed -n 's/^{"schemaVersion":2,"manifests":\[\(.*\)\]}$/\1/p' "$dir/index.json")
  [[ -z $entries ]] || entries+=,
  entries+="{\"mediaType\":\"$mt\",\"digest\":\"$digest\",\"size\":$size,\"annotations\":{\"org.opencontainers.image.ref.name\":\"$tag\"}}"
  printf '{"schemaVersion":2,"manifests":[%s]}' "$entries" >"$dir/index.json"
}
