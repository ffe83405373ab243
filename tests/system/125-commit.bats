#!/usr/bin/env bats
# cabin commit: a container's changes (added, changed, deleted files, an
# opaque directory, owners) become a layer of a new image whose
# configuration is the container's, with --change, -m and -a; bad input.

load helpers

setup() {
  basic_setup
  require_userns
  pull_probe
}

teardown() { basic_teardown; }

@test "commit: the container's files, deletions and owners become a layer; its settings the image's" {
  run_cabin run --name c -e FROM_RUN=yes -w /srv --label team=web "$PROBE_IMAGE" sh -c \
    'echo added >/added; echo changed >>/srv/hello.txt; rm /bin/not-executable; mkdir -p /home/tester/made; chown 1000:1000 /home/tester/made 2>/dev/null; mkdir /srv/sub; echo in >/srv/sub/f'
  run_cabin commit -q -m "a message" -a "A. Author <a@example.org>" \
    -c 'CMD ["cat", "/added"]' -c 'LABEL version=2' c committed:1
  is "$output" "[0-9a-f]{64}" "-q prints the ID only"
  local id=$output
  run_cabin images --format '{{.Repository}}:{{.Tag}} {{.ID}}' localhost/committed:1
  is "$output" "localhost/committed:1 ${id:0:12}"

  run_cabin run --rm localhost/committed:1
  is "$output" "added" "--change CMD"
  local owner=1000:1000
  [[ -z $SINGLE_ID ]] || owner=0:0  # one id only: chown to 1000 fails in the container
  run_cabin run --rm localhost/committed:1 sh -c \
    'cat /srv/hello.txt /srv/sub/f; test -e /bin/not-executable || echo deleted; stat -c %u:%g /home/tester/made; pwd; echo $FROM_RUN'
  is "$output" "hello from the probe image"$'\n'"changed"$'\n'"in"$'\n'"deleted"$'\n'"$owner"$'\n'"/srv"$'\n'"yes"
  run_cabin image inspect --format '{{.Author}}|{{.Config.Labels.team}} {{.Config.Labels.version}}|{{len .RootFS.Layers}}' localhost/committed:1
  is "$output" "A. Author <a@example.org>\|web 2\|3"
  run_cabin history --format '{{.Comment}}|{{.CreatedBy}}' localhost/committed:1
  is "${lines[0]}" "a message\|sh -c .*" "the new layer's history entry"
  is "${#lines[@]}" 3

  # Committing again gives another image; --iidfile; an image with no name.
  run_cabin commit -q --iidfile "$BATS_TEST_TMPDIR/iid" c
  is "$(cat "$BATS_TEST_TMPDIR/iid")" "sha256:$output"
  run_cabin images --filter dangling=true -q
  is "$output" "${lines[0]:0:12}" "a commit without a name is dangling"
  run_cabin system check
  is "$output" "no problems found"
}

@test "commit: a directory deleted and made again hides the image's (opaque); progress as Podman prints it" {
  run_cabin run --name o "$PROBE_IMAGE" sh -c 'rm -rf /srv && mkdir /srv && echo new >/srv/only'
  run_cabin commit o opaque
  is "${stderr_lines[0]}" "Getting image source signatures"
  is "${stderr_lines[-1]}" "Writing manifest to image destination"
  is "$output" "[0-9a-f]{64}"
  run_cabin run --rm localhost/opaque ls /srv
  is "$output" "only" "the image's files in /srv stay hidden"
}

@test "commit: bad input is a one-line error and makes no image" {
  run_cabin create --name c "$PROBE_IMAGE" true
  local before
  before=$(image_ids)
  run_cabin 125 commit nosuch img
  expect_error 'no container with name or ID "nosuch" found: no such container'
  run_cabin 125 commit -c 'BOGUS x' c img
  expect_error 'invalid change "BOGUS x": "BOGUS" is not a valid change instruction \(want CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME or WORKDIR\)'
  run_cabin 125 commit --format tar c img
  expect_error 'unrecognized image type "tar": --format takes oci or docker'
  run_cabin 125 commit --squash c img
  expect_error 'commit --squash is not supported: the image gets the container.s changes as one new layer'
  run_cabin 125 commit c 'Bad:Name'
  expect_error 'parse "Bad:Name": invalid reference format: repository name must be lowercase'
  run_cabin 125 commit
  expect_error 'accepts between 1 and 2 arg\(s\), received 0'
  is "$(image_ids)" "$before" "no image was made"
}
