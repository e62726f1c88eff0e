// Runs one sightglass benchmark (a WASI preview 1 command importing bench.start / bench.end) under Node's
// node:wasi, the way the `wasmtime` mode of bench/Strand.Benchmarks runs it under Strand and Wasmtime:
//
//   node bench/node/sightglass-run.mjs BENCHMARK.wasm DIR STDOUT-FILE [ITERATIONS]
//
// DIR is preopened as "." (sightglass benchmarks read their inputs from their working directory), the guest's
// stdout goes to STDOUT-FILE (of the last iteration), its stderr is discarded. Prints one line per iteration:
// "ns <nanoseconds between bench.start and bench.end>", or "error <message>" and exits 1.
import { readFileSync, openSync, closeSync } from 'node:fs';

process.removeAllListeners('warning');
const { WASI } = await import('node:wasi');

const [file, dir, stdoutFile, iterationsText] = process.argv.slice(2);
if (!file || !dir || !stdoutFile) {
  process.stderr.write('usage: node sightglass-run.mjs BENCHMARK.wasm DIR STDOUT-FILE [ITERATIONS]\n');
  process.exit(2);
}
const iterations = Number(iterationsText ?? 1);
try {
  const module = await WebAssembly.compile(readFileSync(file));
  for (let i = 0; i < iterations; i++) {
    const out = openSync(stdoutFile, 'w');
    const err = openSync('/dev/null', 'w');
    let start = 0n, end = 0n;
    const wasi = new WASI({ version: 'preview1', args: ['benchmark.wasm'], env: {}, preopens: { '.': dir }, stdout: out, stderr: err, returnOnExit: true });
    const instance = await WebAssembly.instantiate(module, {
      ...wasi.getImportObject(),
      bench: { start: () => { start = process.hrtime.bigint(); }, end: () => { end = process.hrtime.bigint(); } },
    });
    const code = wasi.start(instance);
    closeSync(out);
    closeSync(err);
    if (code !== 0) throw new Error(`exit code ${code}`);
    if (start === 0n || end === 0n) throw new Error('bench.start / bench.end not called');
    process.stdout.write(`ns ${end - start}\n`);
  }
} catch (e) {
  process.stdout.write(`error ${String(e?.message ?? e).split('\n')[0]}\n`);
  process.exit(1);
}
