#!/usr/bin/env bats
# cabin events, and the events image commands record

load helpers

setup() {
  basic_setup
  require_registry
  EVENTS_LOG=$RUNROOT/events/events.log
}

# Go's time.Time.String(): "2024-03-01 10:20:30.123456789 +0000 UTC".
GO_TIME='[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)? [+-][0-9]{4} [^ ]+'

# events ARGS…: cabin events --stream=false ARGS…
events() { run_cabin events --stream=false "$@"; }

@test "events: no log yet, nothing to show" {
  events
  is "$output" "" "no events"
  is "$stderr" "" "no complaint"
  [[ ! -e $EVENTS_LOG ]] || die "reading created $EVENTS_LOG"
}

@test "events: pull, tag, untag and rmi -f, in order" {
  pull_image
  run_cabin tag "$IMAGE" mytag
  run_cabin untag "$IMAGE" mytag
  run_cabin tag "$IMAGE" mytag
  run_cabin rmi -f "$IMG_BUSYBOX_ID"

  events --format '{{.Type}} {{.Status}}--{{.ID}}--{{.Name}}'
  is "$output" "image pull--$IMG_BUSYBOX_ID--$IMAGE
image tag--$IMG_BUSYBOX_ID--mytag
image untag--$IMG_BUSYBOX_ID--localhost/mytag:latest
image tag--$IMG_BUSYBOX_ID--mytag
image untag--$IMG_BUSYBOX_ID--$IMAGE
image untag--$IMG_BUSYBOX_ID--localhost/mytag:latest
image remove--$IMG_BUSYBOX_ID--$IMG_BUSYBOX_ID" "Podman's sequence (test/system/090-events.bats)"

  # The human form, as Podman's ToHumanReadable; IDs in full by default.
  events
  is "${#lines[@]}" 7 "one line per event"
  is "${lines[0]}" "$GO_TIME image pull $IMG_BUSYBOX_ID $IMAGE"
  is "${lines[2]}" "$GO_TIME image untag $IMG_BUSYBOX_ID localhost/mytag:latest"
  is "${lines[6]}" "$GO_TIME image remove $IMG_BUSYBOX_ID $IMG_BUSYBOX_ID"
  events --no-trunc=false
  is "${lines[0]}" "$GO_TIME image pull ${IMG_BUSYBOX_ID:0:12} $IMAGE" "--no-trunc=false: short IDs"
  events --no-trunc=false --format '{{.ID}}'
  is "${lines[0]}" "$IMG_BUSYBOX_ID" "--no-trunc does not change --format"
}

@test "events: times print in local time as Go does" {
  pull_image
  TZ=UTC events
  is "$output" "[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)? \+0000 UTC image pull $IMG_BUSYBOX_ID $IMAGE"
  local utc=${output%% image*}
  TZ=IST-5:30 events  # a POSIX zone: no tzdata needed
  is "$output" "[0-9-]{10} [0-9:.]+ \+0530 IST image pull .*"
  events --format '{{.TimeNano}}'
  local ns=$output
  is "$(TZ=UTC date -d "@${ns:0:10}" '+%Y-%m-%d %H:%M:%S')" "${utc:0:19}" "TimeNano is the same instant"
}

@test "events: rmi of one name of several; image prune; import" {
  pull_image
  run_cabin tag "$IMAGE" two
  run_cabin rmi two
  run_cabin image prune -a -f
  run_cabin import -q "$CABIN_TEST_ROOTFS_TAR" imported:v1
  local imported=${output#sha256:}
  events --format '{{.Status}}--{{.ID}}--{{.Name}}'
  is "$output" "pull--$IMG_BUSYBOX_ID--$IMAGE
tag--$IMG_BUSYBOX_ID--two
untag--$IMG_BUSYBOX_ID--localhost/two:latest
remove--$IMG_BUSYBOX_ID--localhost/two:latest
untag--$IMG_BUSYBOX_ID--$IMAGE
remove--$IMG_BUSYBOX_ID--
import--$imported--localhost/imported:v1"
}

@test "events --format json: Podman's JSON, one object a line" {
  require_tool jq
  pull_image
  run_cabin tag "$IMAGE" mytag
  events --format json
  is "${#lines[@]}" 2 "two events"
  is "$(jq -c 'keys_unsorted' <<<"${lines[0]}")" '\["ID","Name","Status","Time","Type","Attributes"\]' "fields in Podman's order"
  is "$(jq -r '[.Type, .Status, .ID, .Name, (.Attributes|tostring)] | join(" ")' <<<"${lines[1]}")" \
    "image tag $IMG_BUSYBOX_ID mytag null"
  is "$(jq -r .Time <<<"${lines[1]}")" '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})' "RFC 3339"
  local json=$output
  events --format '{{json .}}'
  is_exact "$output" "$json" "{{json .}} is the same"
  # The log itself holds the same lines.
  is_exact "$(<"$EVENTS_LOG")" "$json" "the log file"
  is "$(stat -c %a "$EVENTS_LOG")" 600 "log mode"
  is "$(stat -c %a "${EVENTS_LOG%/*}")" 700 "log directory mode"
}

@test "events --filter: type, event, image; same key OR, different keys AND" {
  pull_image
  run_cabin tag "$IMAGE" a
  run_cabin untag "$IMAGE" a
  events --format '{{.Status}} {{.Name}}' --filter type=image
  is "$output" "pull $IMAGE"$'\n'"tag a"$'\n'"untag localhost/a:latest"
  events --format '{{.Status}}' --filter event=pull
  is "$output" "pull"
  events --format '{{.Status}}' -f status=tag -f event=untag
  is "$output" "" "status= and event= are different keys: both must match"
  events --format '{{.Status}}' -f status=tag -f event=tag
  is "$output" "tag"
  events --format '{{.Status}}' --filter event=tag --filter event=untag
  is "$output" "tag"$'\n'"untag" "one key twice: either"
  events --format '{{.Status}}' --filter type=image --filter event=untag
  is "$output" "untag"
  events --format '{{.Status}}' --filter image=a
  is "$output" "tag" "image= matches the name exactly"
  events --format '{{.Status}}' --filter "image=${IMG_BUSYBOX_ID:0:8}"
  is "$output" "pull"$'\n'"tag"$'\n'"untag" "or an ID prefix"
  events --filter type=container
  is "$output" "" "no container events"
}

@test "events --since and --until" {
  pull_image
  run_cabin tag "$IMAGE" a
  local t1 t2
  t1=$(date +%s.%N)
  run_cabin tag "$IMAGE" b
  t2=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
  run_cabin tag "$IMAGE" c
  events --format '{{.Name}}' --since "$t1"
  is "$output" "b"$'\n'"c" "--since a Unix time"
  events --format '{{.Name}}' --until "$t2"
  is "$output" "$IMAGE"$'\n'"a"$'\n'"b" "--until an RFC 3339 time"
  events --format '{{.Name}}' --since "$t1" --until "$t2"
  is "$output" "b"
  events --format '{{.Name}}' --since 10m --filter event=tag
  is "$output" "a"$'\n'"b"$'\n'"c" "--since a duration"
  events --format '{{.Name}}' --since 2000-01-01
  is "${#lines[@]}" 4 "--since a date"
  # Streaming with --until in the past: what there is, then the end.
  run_cabin events --format '{{.Name}}' --until "$t2"
  is "$output" "$IMAGE"$'\n'"a"$'\n'"b" "--until ends the stream"
  # With --until in the future, the stream ends then.
  SECONDS=0
  run_cabin events --format '{{.Name}}' --since "$t1" --until 2s
  is "$output" "b"$'\n'"c"
  ((SECONDS >= 1 && SECONDS < 10)) || die "--until 2s took ${SECONDS}s"
}

@test "events --stream: follows new events until killed" {
  pull_image
  run_cabin tag "$IMAGE" before
  local out=$BATS_TEST_TMPDIR/events.out
  start_cabin "$out" events --filter event=tag --format '{{.Status}} {{.Name}}'
  # The follower starts at the end of the log: tag until it shows one.
  local i
  for i in $(seq 50); do
    run_cabin tag "$IMAGE" "ready$i"
    grep -q '^tag ready' "$out" && break
    sleep 0.2
  done
  run_cabin tag "$IMAGE" following
  run_cabin untag "$IMAGE" following
  wait_for_line "$out" '^tag following$' 10
  kill -0 "$CABIN_PID" || die "the follower ended"
  kill -TERM "$CABIN_PID"
  wait_cabin
  local text
  text=$(<"$out")
  assert_not_contains "$text" "before" "events from before it started"
  assert_not_contains "$text" "untag" "the filter"
  is "$(grep -c . <<<"$text")" "$(grep -c '^tag ' <<<"$text")" "only tag events: $text"
}

@test "events: concurrent commands leave whole lines" {
  require_tool jq
  pull_image
  local i pids=()
  for i in $(seq 12); do
    "$CABIN" tag "$IMAGE" "c$i" 2>>"$BATS_TEST_TMPDIR/tag.err" &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || die "a tag failed: $(<"$BATS_TEST_TMPDIR/tag.err")"; done
  jq -e . "$EVENTS_LOG" >/dev/null || die "the log is not one JSON object a line"
  events --format '{{.Name}}' --filter event=tag
  is "$(sort -V <<<"$output" | tr '\n' ' ')" "$(printf 'c%s ' $(seq 12))" "every tag, once"
}

@test "events: bad input" {
  pull_image
  events --format '{{.Status}}'
  local before=$output
  run_cabin 125 events --filter foo=bar
  expect_error "failed to parse event filters: foo is an invalid filter"
  run_cabin 125 events --stream=false --filter type
  expect_error "failed to parse event filters: type is an invalid filter"
  run_cabin 125 events --since nope
  expect_error "failed to parse event filters: unable to convert since time of nope: unable to interpret time value"
  run_cabin 125 events --stream=false --until 2024-02-30
  expect_error "failed to parse event filters: unable to convert until time of 2024-02-30: unable to interpret time value"
  run_cabin 125 events --stream=maybe
  expect_error 'invalid argument "maybe" for "--stream" flag: strconv.ParseBool: parsing "maybe": invalid syntax'
  run_cabin 125 events --stream=false --format '{{.Status'
  expect_error "template: events:1: .*"
  run_cabin 125 events --stream=false --format '{{.Nosuch}}'
  expect_error "template: events:1:2: executing \"events\" at <.Nosuch>: .*"
  run_cabin 125 events extra
  expect_error '`cabin events` takes no arguments'
  is "$output" "" "nothing printed"
  events --format '{{.Status}}'
  is "$output" "$before" "the log is unchanged"
}
