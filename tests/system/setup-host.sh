#!/bin/bash
# Prepares this host for cabin's system tests. Run as root; idempotent.
#
#   - users: cabintest (with /etc/subuid and /etc/subgid ranges) and
#     cabinsolo (with none: the single-id fallback many HPC hosts force);
#   - /dev/net/tun and /dev/fuse mode 0666, as distributions ship them;
#   - a small tmpfs for each of them (full-disk tests);
#   - three registries (Debian's docker-registry, Distribution 2.8) on
#     127.0.0.1: plain HTTP, TLS with a self-signed CA, and TLS + htpasswd
#     basic auth; configs, certificates and storage under the state dir;
#   - $STATE/env, which helpers.bash sources.
#
# Nothing here listens on anything but 127.0.0.1.
#
# Environment (all optional):
#   CABIN_TEST_STATE   state dir (default /var/tmp/cabin-tests)
#   CABIN_TEST_PORT_PLAIN, CABIN_TEST_PORT_TLS, CABIN_TEST_PORT_AUTH
#                      ports (default 5000, 5001, 5002)
# The braces make bash read the whole script before running it, so that
# editing it while it runs cannot change what a running copy does.
{
set -euo pipefail

STATE=${CABIN_TEST_STATE:-/var/tmp/cabin-tests}
PORT_PLAIN=${CABIN_TEST_PORT_PLAIN:-5000}
PORT_TLS=${CABIN_TEST_PORT_TLS:-5001}
PORT_AUTH=${CABIN_TEST_PORT_AUTH:-5002}
AUTH_USER=testuser
AUTH_PASS=testpassword
TEST_USER=cabintest
SOLO_USER=cabinsolo
SUBID_START=200000
SUBID_COUNT=65536

die() { echo "setup-host: $*" >&2; exit 1; }
note() { echo "setup-host: $*" >&2; }

[[ $(id -u) == 0 ]] || die "must run as root"
mkdir -p "$STATE"
# One setup at a time (run.sh and a benchmark may start together).
exec 9>"$STATE/.setup.lock"
flock 9
for tool in docker-registry openssl htpasswd curl useradd; do
  command -v "$tool" >/dev/null || die "$tool not found (see tests/system/README.md for the packages)"
done

# ---------------------------------------------------------------- users
ensure_user() {
  local user=$1
  if ! getent passwd "$user" >/dev/null; then
    useradd --create-home --shell /bin/bash --comment "cabin system tests" "$user"
    note "created user $user"
  fi
}

# Keep exactly one line for $user in FILE: the given range, or none. The
# file is replaced in one step, and only when that changes it, so that a
# setup run beside tests (another state dir) never takes a range from them.
set_subid() {
  local file=$1 user=$2 range=$3
  touch "$file"
  local tmp
  tmp=$(mktemp "$file.XXXXXX")
  grep -v "^${user}:" "$file" >"$tmp" || true
  [[ -z $range ]] || echo "${user}:${range}" >>"$tmp"
  if cmp -s "$tmp" "$file"; then
    rm -f "$tmp"
    return
  fi
  chmod 0644 "$tmp"
  mv "$tmp" "$file"
}

ensure_user "$TEST_USER"
ensure_user "$SOLO_USER"
for f in /etc/subuid /etc/subgid; do
  # useradd may have given both users ranges of its own: replace them
  # (the test user's below, in the same write that sets its range).
  set_subid "$f" "$SOLO_USER" ""
  # Another user holding an overlapping range would make newuidmap refuse.
  if awk -F: -v u="$TEST_USER" -v s="$SUBID_START" -v c="$SUBID_COUNT" \
      '$1 != u && $2 < s + c && $2 + $3 > s { bad = 1 } END { exit !bad }' "$f" 2>/dev/null; then
    die "$f: another entry overlaps ${SUBID_START}:${SUBID_COUNT}"
  fi
  set_subid "$f" "$TEST_USER" "${SUBID_START}:${SUBID_COUNT}"
done

# newuidmap/newgidmap must be setuid root (or carry file capabilities).
for tool in newuidmap newgidmap; do
  path=$(command -v "$tool") || die "$tool not found: install uidmap"
  if [[ ! -u $path ]] && ! getcap "$path" 2>/dev/null | grep -q cap_set; then
    chmod u+s "$path"
    note "made $path setuid"
  fi
done

# ---------------------------------------------------------------- devices
# Sandboxes ship these 0600; distributions ship them 0666.
for dev in /dev/net/tun /dev/fuse; do
  if [[ -e $dev ]]; then chmod 0666 "$dev"; fi
done

# ---------------------------------------------------------------- small filesystems
# A 24 MB tmpfs for each test user, for tests of a full disk (--root there);
# mounted afresh on each setup.
SMALLFS=$STATE/smallfs
for user in "$TEST_USER" "$SOLO_USER"; do
  dir=$SMALLFS/$user
  mkdir -p "$dir"
  if mountpoint -q "$dir"; then umount -l "$dir"; fi
  mount -t tmpfs -o "size=24m,mode=0700,uid=$(id -u "$user"),gid=$(id -g "$user")" "cabin-test-$user" "$dir" ||
    die "cannot mount a tmpfs on $dir"
done
chmod 0755 "$STATE" "$SMALLFS"

# ---------------------------------------------------------------- registries
mkdir -p "$STATE"
chmod 0755 "$STATE"
CERTS=$STATE/certs
mkdir -p "$CERTS"

# A small CA and a server certificate for localhost and 127.0.0.1, signed by
# it; made once and kept (clients may have cached the CA path).
if [[ ! -s $CERTS/server.crt || ! -s $CERTS/ca.crt ]]; then
  (
    cd "$CERTS"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -keyout ca.key -out ca.crt -days 3650 -subj "/CN=cabin test CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
    printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" \
      "basicConstraints=critical,CA:FALSE" "extendedKeyUsage=serverAuth" >server.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
      -out server.crt -days 3650 -extfile server.ext 2>/dev/null
    rm -f server.csr server.ext ca.srl
  )
  note "made a CA and a server certificate in $CERTS"
fi
# A directory usable as --cert-dir: the CA only.
mkdir -p "$CERTS/client"
cp "$CERTS/ca.crt" "$CERTS/client/ca.crt"
chmod 0644 "$CERTS"/*.crt "$CERTS/client/ca.crt"
chmod 0600 "$CERTS"/*.key
chmod 0755 "$CERTS" "$CERTS/client"

HTPASSWD=$STATE/htpasswd
if [[ ! -s $HTPASSWD ]] || ! htpasswd -vbB "$HTPASSWD" "$AUTH_USER" "$AUTH_PASS" >/dev/null 2>&1; then
  htpasswd -cbB "$HTPASSWD" "$AUTH_USER" "$AUTH_PASS" 2>/dev/null
fi
chmod 0644 "$HTPASSWD"

# write_config NAME PORT [tls] [auth]
write_config() {
  local name=$1 port=$2 tls=${3:-} auth=${4:-}
  local dir=$STATE/registry/$name
  mkdir -p "$dir/storage"
  {
    cat <<EOF
version: 0.1
log:
  level: info
  accesslog:
    disabled: false
  fields:
    service: cabin-test-$name
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$port
  secret: cabin-test-$name
  headers:
    X-Content-Type-Options: [nosniff]
EOF
    if [[ -n $tls ]]; then
      cat <<EOF
  tls:
    certificate: $CERTS/server.crt
    key: $CERTS/server.key
EOF
    fi
    if [[ -n $auth ]]; then
      cat <<EOF
auth:
  htpasswd:
    realm: cabin-test
    path: $HTPASSWD
EOF
    fi
  } >"$dir/config.yml.new"
  # No blob descriptor cache: make-images.sh edits stored blobs on purpose.
  mv "$dir/config.yml.new" "$dir/config.yml"
}

registry_pid() {
  local pidfile=$STATE/registry/$1/pid
  [[ -s $pidfile ]] || return 1
  local pid
  pid=$(<"$pidfile")
  [[ -d /proc/$pid ]] && grep -qa docker-registry "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

# answers URL: true when the registry's /v2/ answers 200 or 401.
answers() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$CERTS/ca.crt" "$1/v2/" || true)
  [[ $code == 200 || $code == 401 ]]
}

port_busy() {
  # Anything already bound to 127.0.0.1:PORT or *:PORT?
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# start_registry NAME PORT SCHEME
start_registry() {
  local name=$1 port=$2 scheme=$3
  local dir=$STATE/registry/$name url="$scheme://127.0.0.1:$port"
  local pid
  if pid=$(registry_pid "$name"); then
    if cmp -s "$dir/config.yml" "$dir/config.yml.running" && answers "$url"; then
      note "registry $name already up on $url (pid $pid)"
      return
    fi
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do [[ -d /proc/$pid ]] || break; sleep 0.1; done
  fi
  if port_busy "$port"; then
    # Debian's package starts its own daemon on :5000 where an init system runs it.
    if [[ -s /var/run/docker-registry.pid ]] && [[ -x /etc/init.d/docker-registry ]]; then
      /etc/init.d/docker-registry stop >/dev/null 2>&1 || true
      sleep 0.5
    fi
    port_busy "$port" && die "port 127.0.0.1:$port is taken by another process"
  fi
  cp "$dir/config.yml" "$dir/config.yml.running"
  # 9>&-: the registry must not hold the setup lock.
  setsid docker-registry serve "$dir/config.yml" </dev/null >>"$dir/log" 2>&1 9>&- &
  echo $! >"$dir/pid"
  for _ in $(seq 100); do
    if answers "$url"; then
      note "registry $name up on $url (pid $!)"
      return
    fi
    [[ -d /proc/$! ]] || break
    sleep 0.1
  done
  tail -n 20 "$dir/log" >&2 || true
  die "registry $name did not answer on $url/v2/"
}

write_config plain "$PORT_PLAIN"
write_config tls "$PORT_TLS" tls
write_config auth "$PORT_AUTH" tls auth
start_registry plain "$PORT_PLAIN" http
start_registry tls "$PORT_TLS" https
start_registry auth "$PORT_AUTH" https

# Check that the auth registry refuses anonymous and accepts the test user.
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CERTS/ca.crt" "https://127.0.0.1:$PORT_AUTH/v2/")
[[ $code == 401 ]] || die "auth registry answered $code without credentials, expected 401"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CERTS/ca.crt" -u "$AUTH_USER:$AUTH_PASS" \
  "https://127.0.0.1:$PORT_AUTH/v2/")
[[ $code == 200 ]] || die "auth registry answered $code with credentials, expected 200"

# ---------------------------------------------------------------- env file
cat >"$STATE/env.new" <<EOF
# Written by tests/system/setup-host.sh; sourced by helpers.bash.
CABIN_TEST_STATE=$STATE
CABIN_TEST_USER=$TEST_USER
CABIN_TEST_SOLO_USER=$SOLO_USER
CABIN_TEST_SUBID_START=$SUBID_START
CABIN_TEST_SUBID_COUNT=$SUBID_COUNT
CABIN_TEST_REGISTRY=127.0.0.1:$PORT_PLAIN
CABIN_TEST_REGISTRY_TLS=127.0.0.1:$PORT_TLS
CABIN_TEST_REGISTRY_AUTH=127.0.0.1:$PORT_AUTH
CABIN_TEST_PORT_PLAIN=$PORT_PLAIN
CABIN_TEST_PORT_TLS=$PORT_TLS
CABIN_TEST_PORT_AUTH=$PORT_AUTH
CABIN_TEST_CA=$CERTS/ca.crt
CABIN_TEST_CERT_DIR=$CERTS/client
CABIN_TEST_AUTH_USER=$AUTH_USER
CABIN_TEST_AUTH_PASSWORD=$AUTH_PASS
CABIN_TEST_REGISTRY_STORAGE_PLAIN=$STATE/registry/plain/storage
CABIN_TEST_IMAGES_ENV=$STATE/images.env
CABIN_TEST_SMALLFS=$SMALLFS
EOF
mv "$STATE/env.new" "$STATE/env"
chmod 0644 "$STATE/env"
note "wrote $STATE/env"
exit
}
