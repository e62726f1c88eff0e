#!/usr/bin/env bash
# Runs every fixtures/wasi program under `strand run` and under node:wasi
# (bench/node/wasi-run.mjs) with the same arguments, environment, standard input
# and preopen, and compares standard output, standard error, the exit code and the
# files left in the preopen. The fixtures/wasi-threads programs are compared the
# same way against bench/node/wasi-threads-run.mjs (no preopen, no arguments).
# Prints one line per case and exits non-zero if any case differs.
#
# Usage: bench/node/wasi-compare.sh [path/to/Strand.Cli]
#   default: src/Strand.Cli/bin/Release/net10.0/Strand.Cli (dotnet build -c Release src/Strand.Cli)
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STRAND="${1:-$ROOT/src/Strand.Cli/bin/Release/net10.0/Strand.Cli}"
FIXTURES="$ROOT/fixtures"
[ -x "$STRAND" ] || { echo "wasi-compare: no Strand CLI at $STRAND" >&2; exit 2; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
failures=0

# run_case NAME STDIN_TEXT SETUP PROGRAM [runner options and -- args...]
# PROGRAM: wasi/NAME (node:wasi) or wasi-threads/NAME (the worker_threads host).
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
        local command=("$STRAND" run "$FIXTURES/$program.wasm" --dir "$top/sandbox::/sandbox" "$@")
        if [ "$runner" = node ]; then
            case "$program" in
                wasi-threads/*) command=(node "$ROOT/bench/node/wasi-threads-run.mjs" "$FIXTURES/$program.wasm") ;;
                *) command=(node "$ROOT/bench/node/wasi-run.mjs" "$FIXTURES/$program.wasm" --dir "$top/sandbox::/sandbox" "$@") ;;
            esac
        fi
        printf '%s' "$stdin_text" | timeout 120 "${command[@]}" > "$top.out" 2> "$top.err"
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
        printf 'MATCH  %-20s exit %s\n' "$name" "$(cat "$WORK/$name-node.code")"
    else
        failures=$((failures + 1))
        printf 'DIFFER %-20s %s\n' "$name" "$(IFS=,; echo "${differences[*]}")"
        for stream in out err tree; do
            diff -u --label "strand.$stream" --label "node.$stream" "$WORK/$name-strand.$stream" "$WORK/$name-node.$stream" | sed 's/^/    /'
        done
    fi
}

run_case stdio "$(printf 'first line\nsecond line\nno newline at end')" plain wasi/stdio
run_case stdio-empty "" plain wasi/stdio
run_case args_env "" plain wasi/args_env --env "GREETING=hello, world" --env EMPTY= --env "UNICODE=héllo ✓" \
    -- one "two words" "" "ünï" "--flag=x"
run_case exit-exit "" plain wasi/exit_code -- exit
run_case exit-return "" plain wasi/exit_code -- return
run_case exit-_Exit "" plain wasi/exit_code -- _Exit
run_case exit-zero "" plain wasi/exit_code -- zero
run_case files "" plain wasi/files -- /sandbox
run_case sandbox "" sandbox wasi/sandbox -- /sandbox
run_case clocks "" plain wasi/clocks
run_case random "" plain wasi/random
run_case trap "" plain wasi/trap

run_case threads-counter "" plain wasi-threads/counter
run_case threads-exit "" plain wasi-threads/exit_thread
run_case threads-trap "" plain wasi-threads/trap_thread
run_case threads-main-returns "" plain wasi-threads/main_returns

echo "$failures case(s) differ"
[ "$failures" -eq 0 ]
