#!/usr/bin/env bash
# Networking, cabin vs Podman (rootless, runc; Podman's default: slirp4netns
# with rootlessport for published ports) as the same user, interleaved, with
# the host's own loopback as the floor:
#   - TCP throughput host -> container through a published port (MB/s)
#   - TCP throughput container -> host's loopback (allow_host_loopback) (MB/s)
#   - connection setup: HTTP/1.0 requests per second to a published port
#     (ab, one connection per request)
# BENCH_RUNS rounds (default 3); medians. BENCH_MB: megabytes per transfer.
# BENCH_ONLY: some of "h2c c2h rps" (default all).
source "$(dirname "$0")/lib.sh"
bench_setup
command -v ab >/dev/null || { echo "bench: ab not found (apache2-utils)" >&2; exit 2; }
REG=$CABIN_TEST_REGISTRY
IMG=$REG/busybox:latest
PIMG=$REG/probe:latest
RUNS=${BENCH_RUNS:-3}
MB=${BENCH_MB:-512}
ONLY=${BENCH_ONLY:-h2c c2h rps}
want() { [[ " $ONLY " == *" $1 "* ]]; }
bench_stores net
for i in "$IMG" "$PIMG"; do
  quietly "$c pull -q --tls-verify=false $i"
  quietly "$p pull -q --tls-verify=false $i"
done

port() { echo $((30000 + RANDOM % 20000)); }
# wait_port PORT: until something accepts on 127.0.0.1:PORT.
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.05; done; }

# host -> container: the probe's sink in the container, fed through a
# published port by the probe on the host, which reports MB/s.
h2c() {  # TOOL | host
  local pt out
  pt=$(port)
  if [[ $1 == host ]]; then
    as_user bash -c "$CABIN_TEST_PROBE sink $pt >/dev/null 2>&1 & echo \$! >$work/u/sink.pid"
  else
    quietly "$1 run -d --name sink -p 127.0.0.1:$pt:5001 $PIMG probe sink 5001"
  fi
  wait_port "$pt"
  # A published port listens before the container's server does (with
  # Podman's rootlessport as with cabin's forwarder): a refused connection
  # ends at once, so try again until the sink takes one.
  for _ in $(seq 50); do
    out=$(as_user "$CABIN_TEST_PROBE" source 127.0.0.1 "$pt" "$MB" 2>/dev/null) || true
    [[ $out =~ ^[0-9.]+$ ]] && break
    sleep 0.1
  done
  if [[ $1 == host ]]; then kill "$(cat "$work/u/sink.pid")"; else quietly "$1 rm -f -t 0 sink"; fi
  echo "$out"
}

# container -> host's loopback (allow_host_loopback): the sink on the host,
# the source in the container (timed there, so the start is not counted).
c2h() {  # TOOL
  local pt out
  pt=$(port)
  as_user bash -c "$CABIN_TEST_PROBE sink $pt >/dev/null 2>&1 & echo \$! >$work/u/sink.pid"
  wait_port "$pt"
  out=$(as_user bash -c "$1 run --rm --network slirp4netns:allow_host_loopback=true $PIMG probe source 10.0.2.2 $pt $MB")
  kill "$(cat "$work/u/sink.pid")"
  echo "$out"
}

# Requests per second, one connection each.
rps() {  # TOOL | host
  local pt out
  pt=$(port)
  if [[ $1 == host ]]; then
    as_user bash -c "busybox httpd -f -p 127.0.0.1:$pt -h /etc & echo \$! >$work/u/httpd.pid"
  else
    quietly "$1 run -d --name web -p 127.0.0.1:$pt:80 $IMG httpd -f -p 80 -h /etc"
  fi
  wait_port "$pt"
  out=$(as_user ab -q -n 2000 -c 4 "http://127.0.0.1:$pt/hostname" 2>/dev/null | awk '/Requests per second/ {print $4}')
  if [[ $1 == host ]]; then kill "$(cat "$work/u/httpd.pid")"; else quietly "$1 rm -f -t 0 web"; fi
  echo "${out:-0}"
}

declare -A r
for round in $(seq "$RUNS"); do
  for t in cabin podman host; do
    tool=$t
    [[ $t == cabin ]] && tool=$c
    [[ $t == podman ]] && tool=$p
    want h2c && r[$t.h2c]+=" $(h2c "$tool")"
    want c2h && [[ $t != host ]] && r[$t.c2h]+=" $(c2h "$tool")"
    want rps && r[$t.rps]+=" $(rps "$tool")"
  done
  echo "round $round done" >&2
done

# shellcheck disable=SC2086
{
  echo "network (median of $RUNS, $MB MB per transfer; higher is better)"
  printf '%-34s %10s %10s %10s %12s\n' "" cabin podman host "cabin/podman"
  for k in $ONLY; do
    cv=$(median ${r[cabin.$k]}) pv=$(median ${r[podman.$k]}) hv=$( [[ -n ${r[host.$k]:-} ]] && median ${r[host.$k]} || echo -)
    case $k in
      h2c) label="TCP host->container, MB/s" ;;
      c2h) label="TCP container->host, MB/s" ;;
      rps) label="connections (HTTP/1.0 req/s)" ;;
    esac
    printf '%-34s %10s %10s %10s %12s\n' "$label" "$cv" "$pv" "$hv" "$(ratio "$cv" "$pv")"
  done
  echo "samples:"
  for k in $ONLY; do echo "  $k cabin:${r[cabin.$k]}  podman:${r[podman.$k]}"; done
}
