// Reproduces the seed's "stack collision" in Node.js with the C fixtures.
//
// Usage: node bench/node/run-seed.mjs [threads=2] [unsafe-rounds=3]
//
// Unsafe run: `threads` worker_threads each instantiate
// fixtures/seed/algorithm_threads.wasm over ONE shared WebAssembly.Memory and
// call algorithm() at the same moment. Nobody touches __stack_pointer (the
// module does not even export it), so every instance starts with the linker's
// constant and all `work` arrays occupy the same bytes: the sums are wrong.
//
// Safe run: the same with fixtures/seed/algorithm_threads_export.wasm, which
// exports __stack_pointer; worker i sets it to the top of its own 64 KiB slice
// before calling algorithm(): every sum is 5172326400000.
//
// Exit code 0 when the safe run is correct (the unsafe run is expected to be
// wrong but, being a race, is only reported).
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const EXPECTED = 5172326400000n;
const PAGE = 65536;
// wasm-ld's default shadow stack: 64 KiB ending at the initial __stack_pointer.
const STACK_SLICE = 65536;

if (!isMainThread) {
  const { module, memory, startGate, workerCount, stackPointer } = workerData;
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  if (stackPointer !== null) instance.exports.__stack_pointer.value = stackPointer;
  const initialStackPointer = instance.exports.__stack_pointer?.value ?? null;

  // Start barrier: every worker begins algorithm() at (nearly) the same time.
  const gate = new Int32Array(startGate);
  Atomics.add(gate, 0, 1);
  Atomics.notify(gate, 0);
  while (Atomics.load(gate, 0) < workerCount) Atomics.wait(gate, 0, Atomics.load(gate, 0), 1000);

  const started = performance.now();
  const result = instance.exports.algorithm();
  parentPort.postMessage({ result, ms: performance.now() - started, initialStackPointer });
} else {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const load = (name) => new WebAssembly.Module(readFileSync(path.join(root, 'fixtures/seed', name)));
  const threadCount = Number(process.argv[2] ?? 2);
  const unsafeRounds = Number(process.argv[3] ?? 3);

  const unsafeModule = load('algorithm_threads.wasm');
  const exportModule = load('algorithm_threads_export.wasm');
  const memoryImport = WebAssembly.Module.imports(unsafeModule).find((i) => i.kind === 'memory');
  console.log(`imports: ${JSON.stringify(WebAssembly.Module.imports(unsafeModule))}`);
  console.log(`exports (unsafe module): ${WebAssembly.Module.exports(unsafeModule).map((e) => e.name).join(', ')}`);
  console.log(`exports (export module): ${WebAssembly.Module.exports(exportModule).map((e) => e.name).join(', ')}`);

  // Enough pages for one extra 64 KiB stack slice per additional thread.
  const newMemory = () =>
    new WebAssembly.Memory({ initial: 2 + threadCount, maximum: 256, shared: true });

  // Sanity: one instance alone is correct (main thread).
  {
    const single = new WebAssembly.Instance(unsafeModule, { env: { memory: newMemory() } });
    const t = performance.now();
    const r = single.exports.algorithm();
    console.log(`single instance (main thread): ${r} ${r === EXPECTED ? 'correct' : 'WRONG'} in ${(performance.now() - t).toFixed(1)} ms`);
  }
  {
    const stripped = load('algorithm_threads_stripped.wasm');
    const r = new WebAssembly.Instance(stripped, { env: { memory: newMemory() } }).exports.algorithm();
    console.log(`single instance of the stripped variant: ${r} ${r === EXPECTED ? 'correct' : 'WRONG'}`);
  }

  const runConcurrently = (module, stackPointers) => {
    const memory = newMemory();
    const startGate = new SharedArrayBuffer(4);
    return Promise.all(
      stackPointers.map(
        (stackPointer) =>
          new Promise((resolve, reject) => {
            const worker = new Worker(fileURLToPath(import.meta.url), {
              workerData: { module, memory, startGate, workerCount: stackPointers.length, stackPointer },
            });
            worker.once('message', resolve);
            worker.once('error', reject);
          }),
      ),
    );
  };

  const report = (label, results) => {
    for (const [i, { result, ms, initialStackPointer }] of results.entries()) {
      const sp = initialStackPointer === null ? 'not exported (linker constant)' : initialStackPointer;
      console.log(`  ${label} thread ${i}: ${result} ${result === EXPECTED ? 'correct' : 'WRONG'}` +
        ` (${ms.toFixed(1)} ms, __stack_pointer ${sp})`);
    }
    return results.every((r) => r.result === EXPECTED);
  };

  const sameStack = Array(threadCount).fill(null);
  let unsafeWrong = 0;
  console.log(`Attempting unsafe run (${threadCount} threads, ${unsafeRounds} rounds)`);
  for (let round = 0; round < unsafeRounds; round++)
    if (!report(`round ${round}`, await runConcurrently(unsafeModule, sameStack))) unsafeWrong++;
  console.log(`unsafe: ${unsafeWrong}/${unsafeRounds} rounds gave wrong sums`);

  // Thread i's stack is [top - 64 KiB, top): the linker's stack for thread 0,
  // then one fresh 64 KiB slice above __heap_base per further thread.
  const linkerTop = new WebAssembly.Instance(exportModule, { env: { memory: newMemory() } })
    .exports.__stack_pointer.value;
  const distinct = Array.from({ length: threadCount }, (_, i) => linkerTop + i * STACK_SLICE);
  console.log(`Attempting safe run (stack tops ${distinct.join(', ')}; memory ${(2 + threadCount) * PAGE} bytes)`);
  const safeOk = report('safe', await runConcurrently(exportModule, distinct));
  console.log(`safe: ${safeOk ? 'all correct' : 'WRONG'}`);
  process.exitCode = safeOk ? 0 : 1;
}
