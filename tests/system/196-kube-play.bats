#!/usr/bin/env bats
# kube play and kube down: Kubernetes YAML made into pods (with their infra),
# containers named POD-CONTAINER, volumes and secrets; Deployments' replicas;
# ConfigMaps and Secrets as env and as files; PVCs as named volumes that
# outlive kube down; hostPath and emptyDir; probes as healthchecks;
# --start=false, --replace, --down, stdin; the round trip through kube
# generate; bad input changes nothing. Only loopback is contacted.

load helpers

setup() {
  basic_setup
  require_userns
  pull_probe
}

teardown() { basic_teardown; }

# wait_http URL: until it answers.
wait_http() {
  local i
  for ((i = 0; i < 100; i++)); do curl -fs "$1" >/dev/null && return; sleep 0.1; done
  die "$1 did not answer"
}

# everything: what play could make (containers, pods, volumes, secrets), for "nothing changed".
everything() {
  "$CABIN" ps -a --format '{{.ID}} {{.Names}} {{.Status}}'
  "$CABIN" pod ps --format '{{.ID}} {{.Name}} {{.Status}}'
  "$CABIN" volume ls --format '{{.Name}}'
  "$CABIN" secret ls --format '{{.Name}}'
}

# A container that stops at once on SIGTERM (PID 1 ignores signals it has no handler for).
SLEEPER='[/bin/probe, wait-signal, "600"]'

@test "kube play: a Pod of two containers on localhost, its hostPort, the output; kube down" {
  local port
  port=$(free_port)
  cat >"$BATS_TEST_TMPDIR/web.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  containers:
  - name: srv
    image: $PROBE_IMAGE
    command: [sh, -c, "trap 'exit 0' TERM; httpd -f -p 80 -h /srv & wait"]
    ports:
    - {containerPort: 80, hostPort: $port, hostIP: 127.0.0.1}
  - name: cli
    image: $PROBE_IMAGE
    command: $SLEEPER
EOF
  run_cabin kube play "$BATS_TEST_TMPDIR/web.yaml"
  is "${lines[0]}" "Pod:" "Podman's report"
  is "${lines[1]}" "$FULL_ID" "the pod's ID"
  is "${lines[2]}" "Containers:" "then its containers"
  is "${lines[3]}" "$FULL_ID" "first container"
  is "${lines[4]}" "$FULL_ID" "second container"
  is "${lines[5]}" "" "an empty line ends the pod's block"
  is "${#lines[@]}" 6 "nothing else"
  local pod=${lines[1]} srv=${lines[3]}
  run_cabin inspect --format '{{.Name}} {{.Pod}}' "$srv"
  is "$output" "web-srv $pod" "containers are named POD-CONTAINER, in the pod"
  run_cabin pod inspect --format '{{.Name}} {{.State}} {{.NumContainers}} {{.Labels}} {{.Hostname}}' web
  is "$output" "web Running 3 map\[app:web\] web" "the pod runs with its infra, labels and hostname"
  run_cabin inspect --format '{{.HostConfig.RestartPolicy.Name}}' web-cli
  is "$output" "always" "no restartPolicy: Always, as Podman's default"

  wait_http "http://127.0.0.1:$port/hello.txt"
  is "$(curl -fs "http://127.0.0.1:$port/hello.txt")" "hello from the probe image" "hostPort published on the host"
  run_cabin exec web-cli probe http http://127.0.0.1:80/hello.txt
  is "$output" "hello from the probe image" "one container reaches the other on localhost"

  run_cabin kube down "$BATS_TEST_TMPDIR/web.yaml"
  is "$output" "Pods stopped:
$pod
Pods removed:
$pod" "Podman's report of kube down"
  is "$(everything)" "" "the pod and its containers are gone"
  run curl -fs --max-time 2 "http://127.0.0.1:$port/hello.txt"
  [[ $status != 0 ]] || die "the port is released"

  run_cabin 125 kube down "$BATS_TEST_TMPDIR/web.yaml"
  expect_error "no pod with name or ID web found: no such pod"
}

@test "kube play: a Deployment's replicas, from stdin; --start=false; a name in use; --replace; --down" {
  cat >"$BATS_TEST_TMPDIR/api.yaml" <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: c
        image: $PROBE_IMAGE
        command: $SLEEPER
EOF
  run_cabin --stdin "$BATS_TEST_TMPDIR/api.yaml" kube play --start=false -
  is "$(grep -c '^Pod:$' <<<"$output")" 2 "two pods"
  run_cabin pod ps --format '{{.Name}} {{.Status}} {{.NumberOfContainers}}'
  is "$(sort <<<"$output")" "api-pod-0 Created 2
api-pod-1 Created 2" "replicas as pods DEPLOYMENT-pod-N, created, not started"
  run_cabin ps -a --format '{{.Names}} {{.Status}}' --filter name=api-pod
  is "$(sort <<<"$output")" "api-pod-0-c Created
api-pod-1-c Created" "their containers are created only"

  local before
  before=$(everything)
  run_cabin 125 kube play "$BATS_TEST_TMPDIR/api.yaml"
  expect_error 'adding pod to state: name "api-pod-0" is in use: pod already exists'
  is_exact "$(everything)" "$before" "nothing changed"

  local old_ids
  old_ids=$(cabin_out pod ps -q --no-trunc | sort)
  run_cabin kube play --replace "$BATS_TEST_TMPDIR/api.yaml"
  run_cabin pod ps --format '{{.Name}} {{.Status}}'
  is "$(sort <<<"$output")" "api-pod-0 Running
api-pod-1 Running" "--replace: made again, and started"
  local new_ids
  new_ids=$(cabin_out pod ps -q --no-trunc | sort)
  [[ -z $(comm -12 <(echo "$old_ids") <(echo "$new_ids")) ]] || die "--replace kept a pod: $old_ids / $new_ids"

  run_cabin kube play --down "$BATS_TEST_TMPDIR/api.yaml"
  is "${lines[0]}" "Pods stopped:" "--down reports as kube down"
  is "${#lines[@]}" 6 "two pods stopped and removed"
  is "$(everything)" "" "nothing left"
}

@test "kube play: ConfigMap and Secret as env and files; PVC, hostPath, emptyDir; command/args; probe; restartPolicy" {
  mkdir -p "$BATS_TEST_TMPDIR/host"
  echo from-host >"$BATS_TEST_TMPDIR/host/file"
  cat >"$BATS_TEST_TMPDIR/app.yaml" <<EOF
apiVersion: v1
kind: ConfigMap
metadata: {name: appcfg}
data: {MODE: fast, LEVEL: "3"}
---
apiVersion: v1
kind: Secret
metadata: {name: appsec}
data: {user: YWRtaW4=}
stringData: {token: t0k3n}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: appdata}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Service
metadata: {name: ignored}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Pod
metadata: {name: app}
spec:
  restartPolicy: OnFailure
  volumes:
  - {name: data, persistentVolumeClaim: {claimName: appdata}}
  - {name: conf, configMap: {name: appcfg}}
  - {name: creds, secret: {secretName: appsec, items: [{key: token, path: tok.txt}]}}
  - {name: host, hostPath: {path: $BATS_TEST_TMPDIR/host, type: Directory}}
  - {name: made, hostPath: {path: $BATS_TEST_TMPDIR/made, type: DirectoryOrCreate}}
  - {name: scratch, emptyDir: {}}
  containers:
  - name: c
    image: $PROBE_IMAGE
    command: [/bin/probe]
    args: [wait-signal, "600"]
    workingDir: /tmp
    env:
    - {name: PLAIN, value: plain-value}
    - name: FROM_CM
      valueFrom: {configMapKeyRef: {name: appcfg, key: MODE}}
    - name: FROM_SECRET
      valueFrom: {secretKeyRef: {name: appsec, key: user}}
    envFrom:
    - configMapRef: {name: appcfg}
      prefix: CM_
    - secretRef: {name: appsec}
    volumeMounts:
    - {name: data, mountPath: /data}
    - {name: conf, mountPath: /etc/conf, readOnly: true}
    - {name: creds, mountPath: /etc/creds}
    - {name: host, mountPath: /host}
    - {name: made, mountPath: /made}
    - {name: scratch, mountPath: /scratch}
    livenessProbe:
      exec: {command: [/bin/probe, exit, "0"]}
      initialDelaySeconds: 2
      periodSeconds: 30
      timeoutSeconds: 5
      failureThreshold: 4
    resources:
      limits: {memory: 64Mi, cpu: 500m}
EOF
  CABIN_ALLOWED_WARNINGS="container app-c: resources.limits not applied: resources.limits needs cgroup"
  run_cabin kube play "$BATS_TEST_TMPDIR/app.yaml"
  is "${lines[0]}" "Volumes:" "the PVC's volume is reported first, as Podman does"
  is "${lines[1]}" "appdata" "by name"
  is "${lines[2]}" "Pod:" "then the pod"
  is "${lines[4]}" "Container:" "one container"
  run_cabin volume ls --format '{{.Name}}'
  is "$(grep -v -E '^[0-9a-f]{64}$' <<<"$output")" "appcfg
appdata
appsec" "the PVC's volume, and the ConfigMap's and Secret's (named after them, as Podman does)"
  is "$(grep -c -E '^[0-9a-f]{64}$' <<<"$output")" 1 "emptyDir: an anonymous volume"
  run_cabin secret ls --format '{{.Name}}'
  is "$output" "appsec" "the Secret is stored under its name"

  run_cabin inspect --format '{{.Path}} {{.Args}} {{.Config.WorkingDir}}' app-c
  is "$output" "/bin/probe \[wait-signal 600\] /tmp" "command as entrypoint, args as its arguments, workingDir"
  run_cabin exec app-c probe env
  assert_contains "$output" "PLAIN=plain-value" "env value"
  assert_contains "$output" "FROM_CM=fast" "env from a ConfigMap key"
  assert_contains "$output" "FROM_SECRET=admin" "env from a Secret key"
  assert_contains "$output" "CM_LEVEL=3" "envFrom a ConfigMap, with its prefix"
  assert_contains "$output" "token=t0k3n" "envFrom a Secret"
  run_cabin exec app-c cat /etc/conf/MODE /etc/conf/LEVEL /etc/creds/tok.txt /host/file
  is "$output" "fast3t0k3nfrom-host" "ConfigMap and Secret keys as files; hostPath"
  run_cabin exec app-c probe write /etc/conf/x
  is "$output" "EROFS" "readOnly mount"
  [[ -d $BATS_TEST_TMPDIR/made ]] || die "DirectoryOrCreate made the directory"
  run_cabin exec app-c sh -c 'echo kept > /data/f && echo tmp > /scratch/f && cat /scratch/f'
  is "$output" "tmp" "emptyDir is writable"

  run_cabin inspect --format '{{json .Config.Healthcheck}} {{.Config.HealthcheckOnFailureAction}}' app-c
  is "$output" '\{"Interval":30000000000,"Retries":4,"StartPeriod":2000000000,"Test":\["CMD","/bin/probe","exit","0"\],"Timeout":5000000000\} restart' \
    "livenessProbe as the healthcheck; a failing one restarts, as the restart policy asks"
  run_cabin healthcheck run app-c
  run_cabin inspect --format '{{.State.Health.Status}} {{.HostConfig.RestartPolicy.Name}}' app-c
  is "$output" "healthy on-failure" "healthcheck run passes; OnFailure as on-failure"

  run_cabin kube down "$BATS_TEST_TMPDIR/app.yaml"
  is "$(cabin_out pod ps -q)" "" "the pod is gone"
  run_cabin volume ls --format '{{.Name}}'
  is "$output" "appcfg
appdata
appsec" "volumes stay after kube down (emptyDir's anonymous one went with the pod)"
  run_cabin run --rm -v appdata:/data "$PROBE_IMAGE" cat /data/f
  is "$output" "kept" "the PVC's data survives kube down"

  # Played again: the volume is reused, with its data.
  run_cabin kube play "$BATS_TEST_TMPDIR/app.yaml"
  run_cabin exec app-c cat /data/f
  is "$output" "kept" "the claim names the same volume again"
  run_cabin kube down "$BATS_TEST_TMPDIR/app.yaml"
}

@test "kube play: the round trip: generate, down, play gives equivalent containers" {
  local port
  port=$(free_port)
  mkdir -p "$BATS_TEST_TMPDIR/site"
  echo site >"$BATS_TEST_TMPDIR/site/index"
  run_cabin volume create rtdata
  run_cabin pod create --name rt -p "127.0.0.1:$port:80"
  run_cabin create --pod rt --name front -e GREETING=hi -v rtdata:/data -v "$BATS_TEST_TMPDIR/site:/site:ro" \
    -w /site "$PROBE_IMAGE" sh -c "trap 'exit 0' TERM; httpd -f -p 80 -h /site & wait"
  run_cabin create --pod rt --name back -e MODE=db "$PROBE_IMAGE" /bin/probe wait-signal 600
  run_cabin pod start rt
  wait_http "http://127.0.0.1:$port/index"

  local fields='{{.ImageName}}|{{.Path}} {{.Args}}|{{.Config.WorkingDir}}|{{range .Config.Env}}{{.}} {{end}}|{{range .Mounts}}{{.Type}}:{{.Source}}:{{.Destination}}:{{.RW}} {{end}}'
  local front_before back_before
  front_before=$(cabin_out inspect --format "$fields" front)
  back_before=$(cabin_out inspect --format "$fields" back)

  run_cabin kube generate rt
  printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/rt.yaml"
  run_cabin kube down "$BATS_TEST_TMPDIR/rt.yaml"
  is "$(cabin_out pod ps -q)" "" "kube down of the generated YAML removes the pod"
  is "$(cabin_out ps -a -q)" "" "and its containers"

  run_cabin kube play "$BATS_TEST_TMPDIR/rt.yaml"
  run_cabin pod ps --format '{{.Name}} {{.Status}} {{.NumberOfContainers}}'
  is "$output" "rt Running 3" "the pod again, running"
  # Names come back as POD-CONTAINER, as Podman plays them.
  local front_after back_after
  front_after=$(cabin_out inspect --format "$fields" rt-front)
  back_after=$(cabin_out inspect --format "$fields" rt-back)
  # HOSTNAME follows the container's name.
  is_exact "$(sed 's/HOSTNAME=[^ ]* //' <<<"$front_after" | tr ' ' '\n' | sort)" \
    "$(sed 's/HOSTNAME=[^ ]* //' <<<"$front_before" | tr ' ' '\n' | sort)" \
    "front: image, command, workdir, env, mounts as before"
  is_exact "$(sed 's/HOSTNAME=[^ ]* //' <<<"$back_after" | tr ' ' '\n' | sort)" \
    "$(sed 's/HOSTNAME=[^ ]* //' <<<"$back_before" | tr ' ' '\n' | sort)" \
    "back: image, command, workdir, env, mounts as before"
  wait_http "http://127.0.0.1:$port/index"
  is "$(curl -fs "http://127.0.0.1:$port/index")" "site" "the port is published again"
  run_cabin kube down "$BATS_TEST_TMPDIR/rt.yaml"
}

@test "kube play: bad input: one line, exit 125, nothing made" {
  run_cabin volume create keep
  local before
  before=$(everything)
  local y=$BATS_TEST_TMPDIR/bad.yaml

  run_cabin 125 kube play "$BATS_TEST_TMPDIR/nosuch.yaml"
  expect_error "$BATS_TEST_TMPDIR/nosuch.yaml: open $BATS_TEST_TMPDIR/nosuch.yaml: No such file or directory"

  printf 'kind: Pod\nmetadata: {name: [x\n' >"$y"
  run_cabin 125 kube play "$y"
  expect_error "$y: unable to read kube YAML: line [0-9]+: .*" "not YAML"

  printf 'kind: Pod\nmetadata: {name: p}\nspec: {containers: []}\n' >"$y"
  run_cabin 125 kube play "$y"
  expect_error "$y: Pod \"p\".spec.containers: pod \"p\" has no containers"

  printf 'kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c}]}\n' >"$y"
  run_cabin 125 kube play "$y"
  expect_error "$y: Pod \"p\".spec.containers\[0\].image: container \"c\" has no image"

  printf 'kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: %s\n    volumeMounts: [{name: nov, mountPath: /v}]\n' "$PROBE_IMAGE" >"$y"
  run_cabin 125 kube play "$y"
  expect_error "$y: Pod \"p\".spec.containers\[0\].volumeMounts: volume mount nov specified for container but not configured in volumes"

  printf 'kind: Service\nmetadata: {name: s}\n' >"$y"
  run_cabin 125 kube play "$y"
  expect_error "$y: YAML document does not contain any supported kube kind"

  printf 'kind: ConfigMap\nmetadata: {name: cm}\ndata: {a: b}\n---\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: %s\n    env:\n    - name: X\n      valueFrom: {configMapKeyRef: {name: cm, key: nokey}}\n' "$PROBE_IMAGE" >"$y"
  run_cabin 125 kube play "$y"
  expect_error "pod p: cannot set env X: key nokey not found in configmap cm"

  # An image neither stored nor in the registry; the PVC and the pod before it are not made.
  printf 'kind: PersistentVolumeClaim\nmetadata: {name: newvol}\n---\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: c, image: %s}\n' \
    "$REGISTRY/nosuch/image:1" >"$y"
  run_cabin 125 kube play -q --tls-verify=false "$y"
  expect_error "pulling the image of container \"c\": .*" "a missing image"

  # Fails late (a bind mount's source is missing): what was made before is removed.
  printf 'kind: PersistentVolumeClaim\nmetadata: {name: newvol}\n---\nkind: Pod\nmetadata: {name: p1}\nspec:\n  containers:\n  - {name: c, image: %s, command: [/bin/probe, wait-signal, "600"]}\n---\nkind: Pod\nmetadata: {name: p2}\nspec:\n  volumes: [{name: h, hostPath: {path: %s/nosuchdir}}]\n  containers:\n  - name: c\n    image: %s\n    volumeMounts: [{name: h, mountPath: /h}]\n' \
    "$PROBE_IMAGE" "$BATS_TEST_TMPDIR" "$PROBE_IMAGE" >"$y"
  run_cabin 125 kube play "$y"
  is "$stderr" "Error: .*nosuchdir.*" "the bind mount's source"
  is_exact "$(everything)" "$before" "nothing was made, nothing changed"

  # Keys and items' paths that would lead out of the volume.
  printf 'kind: ConfigMap\nmetadata: {name: cm}\ndata: {"../../evil": x}\n---\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: %s}]\n' "$PROBE_IMAGE" >"$y"
  run_cabin 125 kube play "$y"
  expect_error "$y: ConfigMap \"cm\".data: invalid key \"../../evil\": a key must consist of alphanumeric characters, '-', '_' or '.'"
  printf 'kind: ConfigMap\nmetadata: {name: cm}\ndata: {k: x}\n---\nkind: Pod\nmetadata: {name: p}\nspec:\n  volumes: [{name: v, configMap: {name: cm, items: [{key: k, path: ../../../evil}]}}]\n  containers: [{name: c, image: %s}]\n' "$PROBE_IMAGE" >"$y"
  run_cabin 125 kube play "$y"
  expect_error "$y: Pod \"p\".spec.volumes\[0\].configMap.items\[0\].path: invalid path \"../../../evil\": it must not contain '..'"
  is_exact "$(everything)" "$before" "nothing was made, nothing changed"

  run_cabin 125 kube play
  expect_error "accepts 1 arg\(s\), received 0"
}

@test "kube play: a ConfigMap's files stay in their volume when a container left a symlink there" {
  local outside=$BATS_TEST_TMPDIR/outside
  mkdir -m 0777 "$outside"
  run_cabin volume create cm
  run_cabin run --rm -v cm:/v "$PROBE_IMAGE" sh -c "ln -s $outside /v/sub && ln -s $outside/f /v/top"
  # Without the symlinks, the same file plays: the volume's files are written.
  printf 'kind: ConfigMap\nmetadata: {name: cm2}\ndata: {k: x}\n---\nkind: Pod\nmetadata: {name: p2}\nspec:\n  volumes: [{name: v, configMap: {name: cm2, items: [{key: k, path: sub/f}, {key: k, path: top}]}}]\n  containers: [{name: c, image: %s}]\n' "$PROBE_IMAGE" >"$BATS_TEST_TMPDIR/cm2.yaml"
  run_cabin kube play --start=false "$BATS_TEST_TMPDIR/cm2.yaml"
  run_cabin run --rm -v cm2:/v "$PROBE_IMAGE" cat /v/sub/f /v/top
  is "$output" "xx" "both files in the volume"
  run_cabin kube down "$BATS_TEST_TMPDIR/cm2.yaml"
  printf 'kind: ConfigMap\nmetadata: {name: cm}\ndata: {k: x}\n---\nkind: Pod\nmetadata: {name: p}\nspec:\n  volumes: [{name: v, configMap: {name: cm, items: [{key: k, path: sub/f}, {key: k, path: top}]}}]\n  containers: [{name: c, image: %s, command: [cat, /v/top]}]\n' "$PROBE_IMAGE" >"$BATS_TEST_TMPDIR/cm.yaml"
  run_cabin 125 kube play --start=false "$BATS_TEST_TMPDIR/cm.yaml"
  expect_error "write sub/f in volume .*/volumes/cm/_data: No such file or directory" "the symlink resolved inside the volume"
  is "$(ls -A "$outside")" "" "nothing written through the symlinks, outside the volume"
  run_cabin 1 pod exists p
}
