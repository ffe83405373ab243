# fish completion for cabin: cabin itself answers (`cabin __complete WORDS…
# CURRENT`: "candidate<TAB>description" lines, which fish reads as they are,
# then ":DIRECTIVE").

function __cabin_complete
    set -l tokens (commandline -opc)
    set -l current (commandline -ct)
    set -l out ($tokens[1] __complete $tokens[2..-1] "$current" 2>/dev/null)
    or return
    set -l directive (string replace -r '^:' '' -- $out[-1])
    set -e out[-1]
    if test (count $out) -gt 0
        printf '%s\n' $out
    else if test "$directive" = 16
        __fish_complete_directories "$current"
    else if test "$directive" = 0
        __fish_complete_path "$current"
    end
end

complete -c cabin -f -a '(__cabin_complete)'
