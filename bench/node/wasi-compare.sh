#!/usr/bin/env bash
# Runs every fixtures/wasi program under `strand run` and under node:wasi
# (bench/node/wasi-run.mjs) with the same arguments, environment, standard input
# and preopen, and compares standard output, standard error and the exit code.
# Prints one line per case and exits non-zero if any case differs.
#
# Usage: bench/node/wasi-compare.sh [path/to/Strand.Cli]
#   default: src/Strand.Cli/bin/Release/net10.0/Strand.Cli (dotnet build -c Release src/Strand.Cli)
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STRAND="${1:-$ROOT/src/Strand.Cli/bin/Release/net10.0/Strand.Cli}"
NODE_RUN="$ROOT/bench/node/wasi-run.mjs"
WASI="$ROOT/fixtures/wasi"
[ -x "$STRAND" ] || { echo "wasi-compare: no Strand CLI at $STRAND" >&2; exit 2; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
failures=0

# run_case NAME STDIN_TEXT SETUP PROGRAM [runner options and -- args...]
# SETUP: "plain" (empty preopen) or "sandbox" (outside.txt next to the preopen, link_out inside).
run_case() {
    local name="$1" stdin_text="$2" setup="$3" program="$4"
    shift 4
    local runner
    for runner in strand node; do
        local top="$WORK/$name-$runner"
        mkdir -p "$top/sandbox"
        if [ "$setup" = sandbox ]; then
            echo "outside secret" > "$top/outside.txt"
            ln -s "$top/outside.txt" "$top/sandbox/link_out"
        fi
        local command=("$STRAND" run)
        [ "$runner" = node ] && command=(node "$NODE_RUN")
        printf '%s' "$stdin_text" | "${command[@]}" "$WASI/$program.wasm" --dir "$top/sandbox::/sandbox" "$@" \
            > "$top.out" 2> "$top.err"
        echo $? > "$top.code"
        # Trap reports differ only by strand's "strand: " prefix.
        sed -i 's/^strand: wasm trap: /wasm trap: /' "$top.err"
        (cd "$top" && find . | sort) > "$top.tree"
    done
    local differences=()
    cmp -s "$WORK/$name-strand.out" "$WORK/$name-node.out" || differences+=(stdout)
    cmp -s "$WORK/$name-strand.err" "$WORK/$name-node.err" || differences+=(stderr)
    cmp -s "$WORK/$name-strand.code" "$WORK/$name-node.code" || differences+=("exit code $(cat "$WORK/$name-strand.code") vs $(cat "$WORK/$name-node.code")")
    cmp -s "$WORK/$name-strand.tree" "$WORK/$name-node.tree" || differences+=("files left")
    if [ ${#differences[@]} -eq 0 ]; then
        printf 'MATCH  %-16s exit %s\n' "$name" "$(cat "$WORK/$name-node.code")"
    else
        failures=$((failures + 1))
        printf 'DIFFER %-16s %s\n' "$name" "$(IFS=,; echo "${differences[*]}")"
        for stream in out err tree; do
            diff -u --label "strand.$stream" --label "node.$stream" "$WORK/$name-strand.$stream" "$WORK/$name-node.$stream" | sed 's/^/    /'
        done
    fi
}

run_case stdio "$(printf 'first line\nsecond line\nno newline at end')" plain stdio
run_case stdio-empty "" plain stdio
run_case args_env "" plain args_env --env "GREETING=hello, world" --env EMPTY= --env "UNICODE=héllo ✓" \
    -- one "two words" "" "ünï" "--flag=x"
run_case exit-exit "" plain exit_code -- exit
run_case exit-return "" plain exit_code -- return
run_case exit-_Exit "" plain exit_code -- _Exit
run_case exit-zero "" plain exit_code -- zero
run_case files "" plain files -- /sandbox
run_case sandbox "" sandbox sandbox -- /sandbox
run_case clocks "" plain clocks
run_case random "" plain random
run_case trap "" plain trap

echo "$failures case(s) differ"
[ "$failures" -eq 0 ]
