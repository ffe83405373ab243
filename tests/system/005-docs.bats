#!/usr/bin/env bats
# Man pages (cabin __man, what meson builds and installs), --help, and shell
# completion (completions/bash/cabin driving cabin __complete).

load helpers

COMPLETION_SCRIPT=$CABIN_TEST_DIR/../completions/bash/cabin
COMPLETIONS=$CABIN_TEST_DIR/../completions

# help_tree [PATH…]: PATH (if given) and every command path under it
# ("image ls"), each with a tab and the flags its --help lists. The paths
# come from the Subcommands list of --help (it ends at a blank line:
# Examples follow). One --help per command.
help_tree() {
  local sub help
  (($# < 4)) || die "help_tree: commands nested too deep at '$*': is --help's Subcommands list parsed right?"
  help=$("$CABIN" "$@" --help)
  if (($# > 0)); then
    printf '%s\t%s\n' "$*" "$(awk '/^Subcommands:/{exit} /^  -/{f = $1; sub(/\{[^}]*\}$/, "", f)
      n = split(f, a, ","); for (i = 1; i <= n; i++) if (a[i] ~ /^-/) printf "%s ", a[i]}' <<<"$help")"
  fi
  for sub in $(awk '/^Subcommands:/{f=1; next} f && /^$/{exit} f && /^  [a-z]/{sub(/,$/, "", $1); print $1}' <<<"$help"); do
    help_tree "$@" "$sub"
  done
}

@test "man: every command has a page listing every flag --help shows, and each renders cleanly" {
  require_tool groff
  local dir=$BATS_TEST_TMPDIR/man
  run_cabin __man "$dir"
  local commands
  commands=$(help_tree)
  [[ $(wc -l <<<"$commands") -gt 100 ]] || die "too few commands found in --help: $commands"
  local path flags page text flag missing=() checked=0
  while IFS=$'\t' read -r path flags; do
    page=$dir/cabin-${path// /-}.1
    [[ -f $page ]] || { missing+=("no page for 'cabin $path'"); continue; }
    text=$(<"$page")
    for flag in $flags; do
      [[ $text == *"\\fB${flag//-/\\-}\\fR"* ]] || missing+=("cabin-${path// /-}.1 lacks $flag")
      checked=$((checked + 1))
    done
  done <<<"$commands"
  is "${missing[*]}" "" "pages and flags missing"
  [[ $checked -gt 500 ]] || die "only $checked flags checked"
  # One page per command and cabin(1): no page for a command that is not there.
  is "$(ls "$dir" | wc -l)" "$(($(wc -l <<<"$commands") + 1))" "number of pages"
  # Every option entry has a description, and groff has nothing to warn about.
  local bad
  bad=$(awk 'prev2 == ".TP" && ($0 == "" || /^\./) {print FILENAME": "prev1} {prev2 = prev1; prev1 = $0}' "$dir"/*.1)
  is "$bad" "" "entries without a description"
  local warnings
  warnings=$(groff -man -ww -z "$dir"/*.1 2>&1)  # each warning names its page
  is "$warnings" "" "groff warnings"
}

@test "man: pages read as man(1) shows them" {
  require_tool man
  local dir=$BATS_TEST_TMPDIR/man
  run_cabin __man "$dir"
  run env MANWIDTH=100 man -l "$dir/cabin-rm.1"
  is "${lines[1]}" "NAME" "NAME section"
  assert_contains "$output" "cabin-rm - Remove one or more containers" "name line"
  assert_contains "$output" "cabin rm [options] [container ...]" "synopsis"
  assert_contains "$output" "-f, --force" "a flag"
  assert_contains "$output" "-t, --time=INT" "a flag with a value"
  assert_contains "$output" "cabin(1), podman-rm(1)" "see also"
  run env MANWIDTH=100 man -l "$dir/cabin-run.1"
  assert_contains "$output" "cabin run [options] IMAGE [COMMAND [ARG...]]" "a prefix command's synopsis, as --help's Usage"
  run_cabin run --help
  is "${lines[1]}" "Usage: cabin run \[OPTIONS\] IMAGE \[COMMAND \[ARG\.\.\.\]\]" "--help's Usage"
  run env MANWIDTH=100 man -l "$dir/cabin-image.1"
  assert_contains "$output" "See cabin-image-ls(1)" "a group lists its commands"
  run env MANWIDTH=100 man -l "$dir/cabin.1"
  assert_contains "$output" "CONTAINERS_CONF" "cabin(1) documents the environment"
  assert_contains "$output" "--root=TEXT" "and the global options"
}

@test "man: a bad directory is a one-line error" {
  run_cabin 125 __man /proc/version/man
  expect_error "writing the man pages to /proc/version/man: mkdir /proc/version/man: Not a directory"
}

# ---------------------------------------------------------------- completion
# complete LINE: what bash completes the last word of LINE to, one per line:
# the completion function runs as bash runs it (COMP_WORDS split at spaces
# and at COMP_WORDBREAKS' = and :), and each reply is put in place of the
# word it replaces.
complete() {
  local bindir=$BATS_TEST_TMPDIR/bin
  mkdir -p "$bindir"
  ln -sf "$CABIN" "$bindir/cabin"
  PATH=$bindir:$PATH bash -c '
    source "$1"
    line=$2
    words=() w=""
    for ((i = 0; i < ${#line}; i++)); do
      c=${line:i:1}
      if [[ $c == " " ]]; then
        [[ -n $w ]] && words+=("$w"); w=""
      elif [[ $c == [=:] ]]; then
        [[ -n $w ]] && words+=("$w"); w=""
        words+=("$c")
      else
        w+=$c
      fi
    done
    if [[ $line == *" " || -n $w ]]; then words+=("$w"); fi
    COMP_WORDS=("${words[@]}") COMP_CWORD=$((${#words[@]} - 1)) COMP_LINE=$line COMP_POINT=${#line}
    _cabin
    cur=${COMP_WORDS[COMP_CWORD]}
    for r in "${COMPREPLY[@]}"; do
      done_line=${line%"$cur"}$r
      echo "${done_line##* }"
    done | sort' _ "$COMPLETION_SCRIPT" "$1"
}

# completes LINE EXPECTED: the completions, space-separated and sorted, are EXPECTED.
completes() {
  local got
  got=$(complete "$1" | tr '\n' ' ' | sed 's/ $//')
  echo "# complete '$1' → $got" >&2
  [[ $got == "$2" ]] || die "completing '$1': expected '$2', got '$got'"
}

@test "completion: commands, subcommands, flags and their values" {
  [[ -f $COMPLETION_SCRIPT ]] || die "no $COMPLETION_SCRIPT"
  completes "cabin ima" "image images"
  completes "cabin volume " "create exists export import inspect ls prune rm"
  completes "cabin image l" "load ls"
  completes "cabin rm --fo" "--force"
  completes "cabin rm -" "$(printf '%s\n' -a -f -h -i -t -v --all --depend --force --help --ignore --log-level --root --runroot \
    --storage-driver --time --version --volumes | sort | tr '\n' ' ' | sed 's/ $//')"
  completes "cabin run --pull=" "--pull=always --pull=missing --pull=never --pull=newer"
  completes "cabin run --pull n" "never newer"
  completes "cabin --log-level=de" "--log-level=debug"
  completes "cabin compose " "$(help_tree compose | tail -n +2 | cut -f1 | sed 's/^compose //' | sort | tr '\n' ' ' | sed 's/ $//')"
  # Hidden commands are not offered.
  completes "cabin __" ""
}

@test "completion: live names of containers, images, volumes and networks" {
  pull_image
  run_cabin create --name made "$IMAGE" true
  run_cabin run -d --name going "$IMAGE" sleep 300
  run_cabin volume create data
  run_cabin network create backend
  completes "cabin rm " "going made"
  completes "cabin stop " "going"
  completes "cabin exec " "going"
  completes "cabin rmi " "$IMAGE"
  completes "cabin rmi ${IMAGE:0:12}" "$IMAGE"
  completes "cabin run --rm " "$IMAGE"
  completes "cabin volume rm " "data"
  completes "cabin network inspect " "backend podman"
  completes "cabin run --network " "backend bridge host none podman private slirp4netns"
  completes "cabin run --network=b" "--network=backend --network=bridge"
  completes "cabin run --volumes-from=m" "--volumes-from=made"
  completes "cabin network connect backend " "going made"
  completes "cabin inspect " "$(printf '%s\n' "$IMAGE" backend data going made podman | sort | tr '\n' ' ' | sed 's/ $//')"
  # An ID prefix completes to the short ID.
  local id
  id=$(cabin_out inspect --format '{{.Id}}' made)
  completes "cabin rm ${id:0:6}" "${id:0:12}"
  # After the image, words are the container command's, not cabin's.
  completes "cabin run $IMAGE ls --fo" ""
  run_cabin rm -f -t 0 going made
}

@test "completion: compose services, from the project's files and -f" {
  cd "$BATS_TEST_TMPDIR"
  printf 'services:\n  web:\n    image: a\n  db:\n    image: b\n' >compose.yaml
  printf 'services:\n  cache:\n    image: c\n' >other.yml
  completes "cabin compose logs " "db web"
  completes "cabin compose -f other.yml up " "cache"
  completes "cabin compose exec w" "web"
}

@test "completion: another --root is read, and completing creates no store" {
  completes "cabin volume rm " ""
  [[ ! -e $GRAPHROOT ]] || die "completion created the store $GRAPHROOT"
  local other=$BATS_TEST_TMPDIR/other
  "$CABIN" --root "$other/g" --runroot "$other/r" volume create elsewhere >/dev/null
  completes "cabin --root $other/g --runroot $other/r volume rm " "elsewhere"
}

@test "completion: files where cabin has no names to offer" {
  cd "$BATS_TEST_TMPDIR"
  mkdir -p ctx && touch Containerfile.web
  completes "cabin build -f Container" "Containerfile.web"
  completes "cabin build c" "ctx"
}

@test "completion: TAB in an interactive bash completes the word" {
  require_tool script
  local bindir=$BATS_TEST_TMPDIR/bin
  mkdir -p "$bindir"
  ln -sf "$CABIN" "$bindir/cabin"
  pty_start "env PATH=$bindir:\$PATH PS1='$ ' INPUTRC=/dev/null bash --norc --noprofile -i"
  pty_send "source $COMPLETION_SCRIPT\n"
  pty_send "cabin volume insp\t"
  pty_wait "cabin volume inspect " 10
  pty_send "\nexit\n"
  pty_finish
}

@test "completion: fish asks cabin the same way; the zsh script parses" {
  require_tool fish zsh
  local bindir=$BATS_TEST_TMPDIR/bin
  mkdir -p "$bindir"
  ln -sf "$CABIN" "$bindir/cabin"
  run_cabin volume create data
  run fish --no-config -c "set PATH $bindir \$PATH; source $COMPLETIONS/fish/cabin.fish
    complete -C 'cabin volume i'; echo ---; complete -C 'cabin volume rm '; echo ---; complete -C 'cabin run --pull=ne'"
  is "$output" "import	Import a tarball contents into a podman volume
inspect	Display detailed information on one or more volumes
---
data	volume
---
--pull=never
--pull=newer" "fish's completions"
  zsh -n "$COMPLETIONS/zsh/_cabin" || die "the zsh script does not parse"
}
