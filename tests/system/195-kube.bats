#!/usr/bin/env bats
# kube generate: containers, pods and volumes as Kubernetes YAML, validated
# offline against the Kubernetes object schemas (lib/kube_validate.py, with
# Debian's python3-kubernetes); secrets as references, never their values;
# bad input. Only loopback is contacted.

load helpers

setup() {
  basic_setup
  require_userns
  pull_probe
  KUBE_PY=/usr/bin/python3
  "$KUBE_PY" -c 'import kubernetes' 2>/dev/null || die "python3-kubernetes is not installed (./dev installs it)"
}

teardown() { basic_teardown; }

# validate: the last output checked against the schemas; prints "KIND NAME" per document.
validate() {
  printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/k.yaml"
  "$KUBE_PY" "$BATS_TEST_DIRNAME/lib/kube_validate.py" <"$BATS_TEST_TMPDIR/k.yaml" ||
    die "not valid Kubernetes YAML"
}

# yq EXPR [DOC]: a value of the last output's DOC-th document (default 0), as JSON.
yq() {
  printf '%s\n' "$output" | "$KUBE_PY" -c '
import json, sys, yaml
docs = [d for d in yaml.safe_load_all(sys.stdin) if d]
print(json.dumps(eval(sys.argv[1], {"d": docs[int(sys.argv[2])]}), sort_keys=True))' "$1" "${2:-0}"
}

@test "kube generate: a container as a Pod, with env, ports, command, mounts, workdir" {
  mkdir -p "$BATS_TEST_TMPDIR/site"
  run_cabin volume create data
  run_cabin create --name Web_1 -p 8080:80 -p 5353:53/udp -e FOO=bar -w /tmp \
    -v data:/data -v "$BATS_TEST_TMPDIR/site:/site:ro" --tmpfs /scratch \
    --restart on-failure --health-cmd '/bin/probe exit 0' --health-interval 7s \
    "$PROBE_IMAGE" /bin/probe sleep 60
  # The path as a DNS-1123 label, cut to leave room for the suffix.
  local host_vol
  host_vol=$(tr A-Z a-z <<<"$BATS_TEST_TMPDIR/site" | sed 's/[^a-z0-9]\{1,\}/-/g; s/^-//' | cut -c1-56 | sed 's/-*$//')-host-0
  run_cabin kube generate Web_1
  is "${lines[0]}" "# Save the output of this file and use kubectl create -f to import" "Podman's header"
  assert_contains "$output" "# Created with cabin-" "names its creator"
  run validate
  is "$output" "Pod web-1-pod" "one valid Pod, named after the container (DNS-1123)"
  run_cabin kube generate Web_1
  assert_contains "$output" 'creationTimestamp: "' "the timestamp quoted: a string"
  is_exact "$(yq 'd["metadata"]["labels"]')" '{"app": "web-1-pod"}' "app label"
  is_exact "$(yq 'd["spec"]["restartPolicy"]')" '"OnFailure"' "restart policy"
  is_exact "$(yq '[c["name"] for c in d["spec"]["containers"]]')" '["web-1"]' "container name as a DNS-1123 label"
  is_exact "$(yq 'd["spec"]["containers"][0]["command"]')" '["/bin/probe", "sleep", "60"]' "command"
  is_exact "$(yq 'd["spec"]["containers"][0]["env"]')" '[{"name": "FOO", "value": "bar"}]' "only the env the image lacks"
  is_exact "$(yq 'd["spec"]["containers"][0]["workingDir"]')" '"/tmp"' "workingDir"
  is_exact "$(yq 'd["spec"]["containers"][0]["ports"]')" \
    '[{"containerPort": 80, "hostPort": 8080}, {"containerPort": 53, "hostPort": 5353, "protocol": "UDP"}]' "ports"
  is_exact "$(yq 'd["spec"]["containers"][0]["livenessProbe"]')" \
    '{"exec": {"command": ["/bin/sh", "-c", "/bin/probe exit 0"]}, "failureThreshold": 3, "periodSeconds": 7, "timeoutSeconds": 30}' \
    "healthcheck as a liveness probe"
  is_exact "$(yq 'd["spec"]["containers"][0]["volumeMounts"]')" \
    '[{"mountPath": "/data", "name": "data-pvc"}, {"mountPath": "/scratch", "name": "scratch-tmpfs"}, {"mountPath": "/site", "name": "'"$host_vol"'", "readOnly": true}]' \
    "mounts, by path"
  is_exact "$(yq '[v for v in d["spec"]["volumes"] if "hostPath" in v][0]["hostPath"]')" \
    '{"path": "'"$BATS_TEST_TMPDIR"'/site", "type": "Directory"}' "bind mount as hostPath"
  is_exact "$(yq '[v for v in d["spec"]["volumes"] if "persistentVolumeClaim" in v]')" \
    '[{"name": "data-pvc", "persistentVolumeClaim": {"claimName": "data"}}]' "named volume as a PVC reference"
  is_exact "$(yq '[v for v in d["spec"]["volumes"] if "emptyDir" in v]')" \
    '[{"emptyDir": {"medium": "Memory"}, "name": "scratch-tmpfs"}]' "tmpfs as emptyDir"

  # The older spelling, and -f.
  run_cabin generate kube -f "$BATS_TEST_TMPDIR/out.yaml" Web_1
  is "$output" "" "nothing on stdout with -f"
  output=$(<"$BATS_TEST_TMPDIR/out.yaml")
  run validate
  is "$output" "Pod web-1-pod" "generate kube -f wrote the same"
}

@test "kube generate: a pod with two containers; --type deployment; --service; a volume as a PVC" {
  run_cabin pod create --name app -p 8081:80
  run_cabin create --pod app --name front "$PROBE_IMAGE" /bin/probe sleep 60
  run_cabin create --pod app --name back -e MODE=db "$PROBE_IMAGE" /bin/probe sleep 60
  run_cabin volume create --label team=a store
  run_cabin kube generate app
  run validate
  is "$output" "Pod app" "one valid Pod"
  run_cabin kube generate app
  is_exact "$(yq '[c["name"] for c in d["spec"]["containers"]]')" '["front", "back"]' "both containers, no infra"
  is_exact "$(yq 'd["spec"]["containers"][0]["ports"]')" '[{"containerPort": 80, "hostPort": 8081}]' \
    "the pod's ports on its first container"
  is_exact "$(yq 'd["spec"]["restartPolicy"]')" '"Never"' "no restart policy: Never"

  run_cabin kube generate --service --type deployment --replicas 2 app store
  run validate
  is "$(printf '%s\n' "$output" | tr '\n' ' ')" "Service app Deployment app-deployment PersistentVolumeClaim store " \
    "Service, Deployment, PVC, all valid"
  run_cabin kube generate -s -t deployment -r 2 app store
  is_exact "$(yq 'd["spec"]' 0)" \
    '{"ports": [{"name": "80", "port": 80, "targetPort": 80}], "selector": {"app": "app"}, "type": "NodePort"}' \
    "the Service selects the pod's label"
  is_exact "$(yq 'd["spec"]["replicas"]' 1)" 2 "replicas"
  is_exact "$(yq 'd["spec"]["selector"]' 1)" '{"matchLabels": {"app": "app"}}' "selector"
  is_exact "$(yq '"restartPolicy" in d["spec"]["template"]["spec"]' 1)" false "a Deployment's pods restart (Always)"
  is_exact "$(yq 'd["spec"]' 2)" '{"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}' "PVC spec"
  is_exact "$(yq 'd["metadata"]["labels"]' 2)" '{"team": "a"}' "PVC labels"
  is_exact "$(yq 'd["metadata"]["annotations"]' 2)" '{"volume.podman.io/driver": "local"}' "PVC driver annotation"
  run_cabin kube generate store
  run validate
  is "$output" "PersistentVolumeClaim store" "a volume alone"
}

@test "kube generate: secrets become references; their values appear nowhere" {
  local value="v$RANDOM$$kubesecret"
  printf '%s' "$value" >"$BATS_TEST_TMPDIR/pw"
  run_cabin secret create pw "$BATS_TEST_TMPDIR/pw"
  run_cabin create --name s --secret pw --secret pw,type=env,target=PASSWORD --secret pw,target=/etc/pw,mode=0400 \
    "$PROBE_IMAGE" /bin/probe sleep 60
  run_cabin kube generate s
  assert_not_contains "$output" "$value" "no secret value in the YAML"
  run validate
  is "$output" "Pod s-pod" "valid"
  run_cabin kube generate s
  is_exact "$(yq 'd["spec"]["containers"][0]["env"]')" \
    '[{"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"key": "pw", "name": "pw"}}}]' "env secret as secretKeyRef"
  is_exact "$(yq 'd["spec"]["containers"][0]["volumeMounts"]')" \
    '[{"mountPath": "/etc/pw", "name": "pw-secret", "readOnly": true, "subPath": "pw"}, {"mountPath": "/run/secrets/pw", "name": "pw-secret", "readOnly": true, "subPath": "pw"}]' \
    "mounted secrets as subPath mounts of a secret volume"
  is_exact "$(yq 'd["spec"]["volumes"]')" \
    '[{"name": "pw-secret", "secret": {"items": [{"key": "pw", "mode": 292, "path": "pw"}], "secretName": "pw"}}]' \
    "one secret volume"
  run_cabin kube generate -s -f "$BATS_TEST_TMPDIR/s.yaml" s
  run grep -rF "$value" "$BATS_TEST_TMPDIR/s.yaml"
  is "$status" 1 "not in the written file either"
}

@test "kube generate: bad input: one-line error, exit 125, nothing written" {
  run_cabin create --name c1 "$PROBE_IMAGE" /bin/probe sleep 60
  run_cabin pod create --name p1
  local before
  before=$(store_state)
  local out=$BATS_TEST_TMPDIR/never.yaml
  run_cabin 125 kube generate -f "$out" nosuch
  expect_error 'name or ID "nosuch" not found'
  run_cabin 125 kube generate -f "$out" c1 nosuch
  expect_error 'name or ID "nosuch" not found' "one bad name among good ones"
  run_cabin 125 kube generate -f "$out" --type job c1
  expect_error "invalid type given, only supported types are pod and deployment"
  run_cabin 125 kube generate -f "$out" --replicas 0 --type deployment c1
  expect_error "--replicas must be at least 1, not 0"
  run_cabin 125 kube generate -f "$out" --replicas 2 c1
  expect_error "--replicas is only used with --type deployment"
  run_cabin 125 kube generate -f "$out"
  expect_error "generate kube requires at least one container, pod or volume name"
  run_cabin 125 kube generate -f "$out" p1
  expect_error "pod p1 has no containers to generate"
  run_cabin create --pod p1 --name m1 "$PROBE_IMAGE" /bin/probe sleep 60
  before=$(store_state)
  run_cabin 125 kube generate -f "$out" m1
  expect_error "container m1 is in pod p1: name the pod instead"
  [[ ! -e $out ]] || die "a file was written"
  touch "$out"
  run_cabin 125 kube generate -f "$out" c1
  expect_error "cannot write to \"$out\"; file exists"
  is "$(stat -c %s "$out")" 0 "the existing file is left alone"
  is_exact "$(store_state)" "$before" "the store did not change"
}

@test "kube validation: the schema check itself refuses what an API server would" {
  local v=$BATS_TEST_DIRNAME/lib/kube_validate.py good='apiVersion: v1
kind: Pod
metadata: {name: p}
spec: {containers: [{name: c, image: i}]}'
  run "$KUBE_PY" "$v" <<<"$good"
  is "$status" 0 "a minimal Pod passes"
  local bad
  for bad in 's/image: i/image: i, colour: red/' 's/name: c, //' 's/name: p/name: P_1/' 's/kind: Pod/kind: Pods/' \
    's/image: i}/image: i, ports: [{containerPort: "80"}]}/' 's/image: i}/image: i, volumeMounts: [{name: v, mountPath: \/v}]}/'; do
    run "$KUBE_PY" "$v" <<<"$(sed "$bad" <<<"$good")"
    is "$status" 1 "refused: $bad"
  done
}
