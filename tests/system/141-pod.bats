#!/usr/bin/env bats
# Pods: an infra container (cabin's own process, no pause image) holds the
# network, IPC and UTS namespaces that the pod's containers join; ports are
# published on the pod. The pod commands, --pod, and --ipc/--uts/--pid on
# their own; bad input. Only loopback is contacted.

load helpers

setup() {
  basic_setup
  require_userns
  pull_probe
}

# wait_http URL: until it answers (the container's server starts).
wait_http() {
  local i
  for ((i = 0; i < 100; i++)); do curl -fs "$1" >/dev/null && return; sleep 0.1; done
  die "$1 did not answer"
}

# wait_pod_status POD STATUS: until pod ps shows it.
wait_pod_status() {
  local i
  for ((i = 0; i < 100; i++)); do
    [[ $("$CABIN" pod ps --filter "name=$1" --format '{{.Status}}' 2>/dev/null) == "$2" ]] && return
    sleep 0.1
  done
  die "pod $1 is not $2"
}

@test "pod create, ps, inspect, exists; bad input changes nothing" {
  run_cabin pod create --name p1 -l team=a --hostname ph
  is "$output" "[0-9a-f]{64}" "pod create prints the pod's ID"
  local id=$output
  run_cabin pod exists p1
  run_cabin 1 pod exists nosuch
  run_cabin pod exists "${id:0:12}"

  run_cabin pod ps
  is "${lines[0]}" "POD ID +NAME +STATUS +CREATED +INFRA ID +# OF CONTAINERS" "header"
  is "${lines[1]}" "${id:0:12} +p1 +Created +.* ago +[0-9a-f]{12} +1" "the pod, its infra counted"
  run_cabin pod ps --format '{{.Name}} {{.Status}} {{.NumberOfContainers}} {{.Labels}}'
  is "$output" "p1 Created 1 map\[team:a\]" "template fields"
  run_cabin pod ps --ctr-names --ctr-status
  is "${lines[0]}" "POD ID +NAME +STATUS +CREATED +INFRA ID +NAMES +STATUS" "--ctr-names and --ctr-status columns"
  is "${lines[1]}" ".* ${id:0:12}-infra +created" "the infra container is named after the pod"
  run_cabin pod ps -q --filter label=team=a
  is "$output" "${id:0:12}" "-q and --filter label="
  run_cabin pod ps -q --filter status=running
  is "$output" "" "--filter status="

  run_cabin pod inspect --format '{{.Name}} {{.State}} {{.Hostname}} {{.CreateInfra}} {{.SharedNamespaces}} {{.NumContainers}}' p1
  is "$output" "p1 Created ph true \[ipc net uts\] 1" "pod inspect"
  run_cabin pod inspect p1
  assert_contains "$output" "\"Id\": \"$id\"" "JSON: Id"
  assert_contains "$output" '"InfraContainerId": "' "JSON: InfraContainerId"
  assert_contains "$output" '"State": "created"' "JSON: the containers' states"
  run_cabin __complete pod rm ''
  is "${lines[0]}" "p1.*" "completion offers the pod's name"
  run_cabin ps -a --filter pod=p1 --format '{{.Names}} {{.IsInfra}} {{.PodName}}'
  is "$output" "${id:0:12}-infra true p1" "ps --filter pod="

  local before
  before=$(store_state)
  run_cabin 125 pod create --name p1
  expect_error 'adding pod to state: name "p1" is in use: pod already exists'
  run_cabin 125 pod create --share ipc,foo
  expect_error 'invalid kernel namespace to share: foo. Options are: cgroup, ipc, net, pid, uts or none'
  run_cabin 125 pod create --infra=false -p 8080:80
  expect_error 'you must have an infra container to publish port bindings to the host'
  run_cabin 125 create --pod p1 -p 8080:80 "$PROBE_IMAGE" true
  expect_error 'invalid config provided: published or exposed ports must be defined when the pod is created: network cannot be configured when it is shared with a pod'
  run_cabin 125 create --pod nosuch "$PROBE_IMAGE" true
  expect_error 'no pod with name or ID nosuch found: no such pod'
  run_cabin 125 pod inspect nosuch
  expect_error 'no pod with name or ID nosuch found: no such pod'
  run_cabin 125 pod start nosuch
  expect_error 'no pod with name or ID nosuch found: no such pod'
  run_cabin 1 pod rm nosuch
  is "$stderr" "Error: no pod with name or ID nosuch found: no such pod" "pod rm of a missing pod: exit 1, as Podman"
  run_cabin 125 rm "${id:0:12}-infra"
  expect_error "container [0-9a-f]{64} is the infra container of pod $id and cannot be removed without removing the pod"
  is_exact "$(store_state)" "$before" "nothing changed"

  run_cabin pod rm p1
  is "$output" "$id" "pod rm prints the ID"
  run_cabin 1 pod exists p1
  is "$(container_ids)" "" "the infra container went with the pod"
}

@test "pod: members reach each other on localhost, the pod's port, hostname and IPC; the lifecycle" {
  local port
  port=$(free_port)
  run_cabin pod create --name web -p "127.0.0.1:$port:80" --hostname podhost
  local pod=$output
  run_cabin run -d --pod web --name srv "$PROBE_IMAGE" httpd -f -p 80 -h /srv
  wait_http "http://127.0.0.1:$port/hello.txt"
  is "$(curl -fs "http://127.0.0.1:$port/hello.txt")" "hello from the probe image" "the pod's published port reaches a member"
  run_cabin run --rm --pod web "$PROBE_IMAGE" probe http http://127.0.0.1:80/hello.txt
  is "$output" "hello from the probe image" "another member reaches it on localhost"
  run_cabin run --rm --pod web "$PROBE_IMAGE" hostname
  is "$output" "podhost" "members share the pod's UTS namespace"
  local ns_script='for n in ipc uts net; do readlink /proc/self/ns/$n; done'
  run_cabin exec srv sh -c "$ns_script"
  local srv_ns=$output
  run_cabin run --rm --pod web "$PROBE_IMAGE" sh -c "$ns_script"
  is_exact "$output" "$srv_ns" "the same IPC, UTS and network namespaces"
  run_cabin run --rm "$PROBE_IMAGE" readlink /proc/self/ns/ipc
  [[ $output != "${srv_ns%%$'\n'*}" ]] || die "a container outside the pod has an IPC namespace of its own"
  run_cabin 125 run --rm --pod web --network none "$PROBE_IMAGE" true
  expect_error 'invalid config provided: networks must be defined when the pod is created: network cannot be configured when it is shared with a pod'

  run_cabin pod ps --format '{{.Name}} {{.Status}} {{.NumberOfContainers}}'
  is "$output" "web Running 2" "pod ps: the infra and srv run"
  run_cabin ps --pod --filter name=srv
  is "${lines[0]}" "CONTAINER ID .* NAMES +POD ID +PODNAME" "ps --pod columns"
  is "${lines[1]}" ".* srv +${pod:0:12} +web" "ps --pod"
  run_cabin inspect --format '{{.Pod}} {{.HostConfig.IpcMode}}' srv
  is "$output" "$pod container:[0-9a-f]{64}" "inspect .Pod"
  run_cabin pod top web
  assert_contains "$output" "httpd -f -p 80 -h /srv" "pod top"
  run_cabin pod stats --no-stream --format '{{.Name}}' web
  assert_contains "$output" "srv" "pod stats"
  run_cabin run --pod web --name talker "$PROBE_IMAGE" echo hello-from-talker
  run_cabin pod logs web
  assert_contains "$output" "hello-from-talker" "pod logs: its containers' output"
  run_cabin pod logs -c talker web
  is "$output" "hello-from-talker" "pod logs -c: that container's only"
  run_cabin pod ps --format '{{.Status}}'
  is "$output" "Degraded" "some running, one exited"

  local before
  before=$(store_state)
  run_cabin 125 pod rm web
  expect_error "pod $pod has containers that are not ready to be removed: cannot remove container [0-9a-f]{64} as it is running - running or paused containers cannot be removed without force: container state improper"
  is_exact "$(store_state)" "$before" "nothing changed"

  # httpd, PID 1 of its container, has no handler for SIGTERM.
  CABIN_ALLOWED_WARNINGS="StopSignal SIGTERM failed to stop container srv in (1|10) seconds, resorting to SIGKILL"
  run_cabin pod stop -t 1 web
  is "$output" "$pod" "pod stop prints the ID"
  run_cabin pod ps --format '{{.Status}}'
  is "$output" "Exited" "every container exited"
  run curl -fs --max-time 2 "http://127.0.0.1:$port/hello.txt"
  [[ $status != 0 ]] || die "the port is released with the pod"
  run_cabin pod start web
  is "$output" "$pod" "pod start prints the ID"
  wait_http "http://127.0.0.1:$port/hello.txt"
  run_cabin pod restart web
  wait_http "http://127.0.0.1:$port/hello.txt"
  run_cabin ps --filter pod=web --filter status=running --format '{{.Names}}'
  assert_contains "$output" "srv" "restarted"
  run_cabin pod kill web
  is "$output" "$pod" "pod kill prints the ID"
  wait_pod_status web Exited
  run_cabin 125 pod pause web
  run_cabin pod start web
  run_cabin pod rm -f -t 1 web
  is "$output" "$pod" "pod rm -f"
  is "$(container_ids)" "" "its containers are gone"
  wait_no_container_processes
}

@test "pod: --pod new:NAME, --infra=false, pod prune" {
  run_cabin run --rm --pod new:gone "$PROBE_IMAGE" hostname
  is "$output" "gone" "--pod new:NAME makes the pod; its hostname is its name"
  run_cabin 1 pod exists gone
  is "$(container_ids)" "" "--rm removes the pod it made too"
  run_cabin run -d --pod new:np --name npc "$PROBE_IMAGE" sleep 100
  run_cabin pod ps --format '{{.Name}} {{.Status}} {{.NumberOfContainers}}'
  is "$output" "np Running 2" "a pod made by run -d"

  run_cabin pod create --infra=false --name ni
  run_cabin pod inspect --format '{{.CreateInfra}} {{.InfraContainerID}} {{.SharedNamespaces}} {{.NumContainers}}' ni
  is "$output" "false  \[\] 0" "no infra, nothing shared"
  run_cabin run --pod ni --name lone "$PROBE_IMAGE" hostname
  is "$output" "[0-9a-f]{12}" "a member of an infra-less pod has its own UTS namespace"
  run_cabin pod ps --filter name=ni --format '{{.Name}} {{.Status}} {{.ContainerNames}}'
  is "$output" "ni Exited lone" "an exited member"

  local ni_id
  ni_id=$(cabin_out pod inspect --format '{{.ID}}' ni)
  run_cabin pod prune -f
  is "$output" "$ni_id" "prune removes the stopped pod only"
  run_cabin 1 pod exists ni
  run_cabin pod exists np
  run_cabin pod stop -t 0 np
  run_cabin pod prune -f
  run_cabin 1 pod exists np
  is "$(container_ids)" "" "their containers are gone"
}

@test "run --ipc, --uts, --pid: host, container:NAME; bad values" {
  run_cabin run -d --name a "$PROBE_IMAGE" sleep 100
  run_cabin run --rm --pid container:a "$PROBE_IMAGE" probe ps
  assert_contains "$output" "sleep" "--pid container:X sees X's processes"
  run_cabin exec a readlink /proc/self/ns/ipc
  local a_ipc=$output
  run_cabin run --rm --ipc container:a "$PROBE_IMAGE" readlink /proc/self/ns/ipc
  is_exact "$output" "$a_ipc" "--ipc container:X"
  run_cabin run --rm --ipc shareable "$PROBE_IMAGE" readlink /proc/self/ns/ipc
  [[ $output != "$a_ipc" ]] || die "--ipc shareable is a namespace of its own"
  run_cabin run --rm --uts container:a "$PROBE_IMAGE" hostname
  is "$output" "$(cabin_out inspect --format '{{.Id}}' a | cut -c1-12)" "--uts container:X: X's hostname"
  run_cabin inspect --format '{{.HostConfig.IpcMode}} {{.HostConfig.UTSMode}} {{.HostConfig.PidMode}}' a
  is "$output" "shareable private private" "inspect: the defaults"

  run_cabin run --rm --uts host "$PROBE_IMAGE" hostname
  is "$output" "$(hostname)" "--uts host"
  run_cabin run --rm --ipc host "$PROBE_IMAGE" readlink /proc/self/ns/ipc
  is_exact "$output" "$(readlink /proc/self/ns/ipc)" "--ipc host"
  run_cabin run --rm --pid host "$PROBE_IMAGE" readlink /proc/self/ns/pid
  is_exact "$output" "$(readlink /proc/self/ns/pid)" "--pid host"

  local before
  before=$(store_state)
  run_cabin 125 run --rm --ipc foo "$PROBE_IMAGE" true
  expect_error 'unrecognized namespace mode foo passed'
  run_cabin 125 run --rm --pid container:nosuch "$PROBE_IMAGE" true
  expect_error 'no container with name or ID "nosuch" found: no such container'
  run_cabin 125 create --uts ns:relative "$PROBE_IMAGE" true
  expect_error 'unrecognized namespace mode ns:relative passed'
  is_exact "$(store_state)" "$before" "nothing changed"
  run_cabin rm -f -t 0 a
}
