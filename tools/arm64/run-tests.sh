#!/usr/bin/env bash
# Runs Strand's tests and the SIMD spec scripts on Arm64 (linux-arm64) under qemu-user emulation, on an x64 Linux host.
# See docs/arm64.md for the setup, what it shows and the last recorded result.
#
# usage: tools/arm64/run-tests.sh [--setup] [--tests PREFIX...] [--wast DIR20 [DIRMAIN]]
#   --setup          install what it needs (Debian/Ubuntu, as root): qemu-user-static, and libc6, libstdc++6,
#                    libgcc-s1, libssl3 for arm64 (dpkg --add-architecture arm64)
#   --tests P...     run only test classes whose full name starts with one of P (default: every test), e.g. Strand.Tests.Simd.
#   --wast DIR20 [DIRMAIN]   also run `strand wast` on DIR20/simd_*.wast (the wasm 2.0 testsuite) and, given DIRMAIN
#                    (the newest testsuite), on its simd_*, relaxed SIMD scripts
# Exit code: 0 when everything run passed.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/artifacts/arm64"
tests=() wast20="" wastmain=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --setup)
      dpkg --add-architecture arm64
      apt-get update
      apt-get install -y qemu-user-static libc6:arm64 libstdc++6:arm64 libgcc-s1:arm64 libssl3:arm64
      shift ;;
    --tests) shift; while [[ $# -gt 0 && "$1" != --* ]]; do tests+=("$1"); shift; done ;;
    --wast) wast20="$2"; shift 2; if [[ $# -gt 0 && "$1" != --* ]]; then wastmain="$1"; shift; fi ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

qemu="$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)"
[[ -n "$qemu" ]] || { echo "qemu-aarch64(-static) not found: run with --setup (as root)" >&2; exit 2; }
[[ -e /lib/ld-linux-aarch64.so.1 ]] || { echo "no arm64 libc (/lib/ld-linux-aarch64.so.1): run with --setup (as root)" >&2; exit 2; }

# Self-contained: the arm64 runtime (Microsoft.NETCore.App.Runtime.linux-arm64) comes from NuGet; no arm64 SDK needed.
# Published inside the repository (artifacts/ is ignored) so tests that look for the repository root find it.
dotnet publish "$root/tools/arm64/Strand.TestRunner" -c Release -r linux-arm64 --self-contained -o "$out/tests" -nologo -v quiet
# Invariant globalization: no arm64 ICU needed. W^X off: its double mapping of JIT code is slow or fails under qemu-user.
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 DOTNET_EnableWriteXorExecute=0
status=0
"$qemu" -L / "$out/tests/Strand.TestRunner" "${tests[@]}" || status=1
if [[ -n "$wast20" ]]; then
  "$qemu" -L / "$out/tests/Strand.Cli" wast --timeout 60 "$wast20"/simd_*.wast | tail -1 || status=1
fi
if [[ -n "$wastmain" ]]; then
  "$qemu" -L / "$out/tests/Strand.Cli" wast --timeout 60 "$wastmain"/simd_*.wast "$wastmain"/relaxed_*.wast \
    "$wastmain"/i16x8_relaxed_q15mulr_s.wast "$wastmain"/i32x4_relaxed_trunc.wast "$wastmain"/i8x16_relaxed_swizzle.wast | tail -1 || status=1
fi
exit $status
