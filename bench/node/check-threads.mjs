// Exercises fixtures/threads/*.wasm in Node.js worker_threads and prints what
// each fixture does, as reference behaviour for Strand's tests.
//
// Usage: node bench/node/check-threads.mjs
// Exit code 0 when every check passed; each line says PASS or FAIL.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

// Worker: instantiate, optionally give the instance its own stack / TLS block,
// wait at the start gate, then run the requested calls in order.
if (!isMainThread) {
  const { module, memory, gate, threadCount, stackPointer, tlsBlock, calls } = workerData;
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const exports = instance.exports;
  if (stackPointer !== undefined) exports.__stack_pointer.value = stackPointer;
  if (tlsBlock !== undefined) exports.__wasm_init_tls(tlsBlock);
  const gateView = new Int32Array(gate);
  Atomics.add(gateView, 0, 1);
  Atomics.notify(gateView, 0);
  while (Atomics.load(gateView, 0) < threadCount) Atomics.wait(gateView, 0, Atomics.load(gateView, 0), 1000);
  const results = [];
  for (const [name, ...args] of calls) {
    try {
      results.push(exports[name](...args));
    } catch (error) {
      results.push(`trap: ${error.message}`);
    }
  }
  parentPort.postMessage(results);
} else {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const load = (name) => new WebAssembly.Module(readFileSync(path.join(root, 'fixtures/threads', name)));
  const newMemory = (pages = 8) => new WebAssembly.Memory({ initial: pages, maximum: 256, shared: true });
  let failures = 0;
  const check = (label, ok, detail) => {
    if (!ok) failures++;
    console.log(`${ok ? 'PASS' : 'FAIL'} ${label}: ${detail}`);
  };

  // threads: [{ stackPointer?, tlsBlock?, calls: [[name, ...args], ...] }]; resolves to each thread's results.
  const runThreads = (module, memory, threads) => {
    const gate = new SharedArrayBuffer(4);
    return Promise.all(threads.map((thread) => new Promise((resolve, reject) => {
      const worker = new Worker(fileURLToPath(import.meta.url), {
        workerData: { module, memory, gate, threadCount: threads.length, ...thread },
      });
      worker.once('message', resolve);
      worker.once('error', reject);
    })));
  };
  // A word above every stack used here, for counters/barriers owned by the host.
  const HOST_WORD = 7 * 65536;

  // --- frame_check ---------------------------------------------------------
  {
    const threadCount = 4;
    const shared = load('frame_check.wasm');
    const memory = newMemory();
    const probe = new WebAssembly.Instance(shared, { env: { memory } }).exports;
    const frameWords = probe.frame_words();
    const results = await runThreads(shared, memory, Array.from({ length: threadCount }, (_, i) => ({
      calls: [['fill_and_check', i + 1, HOST_WORD, threadCount]],
    })));
    const corrupted = results.map((r) => r[0]);
    const total = corrupted.reduce((a, b) => a + b, 0);
    check('frame_check shared stack', total === (threadCount - 1) * frameWords,
      `corrupted words per thread ${corrupted.join(', ')} (sum ${total}, expected (T-1)*${frameWords})`);

    const exported = load('frame_check_export.wasm');
    const memory2 = newMemory();
    const top = new WebAssembly.Instance(exported, { env: { memory: memory2 } }).exports.__stack_pointer.value;
    const tops = Array.from({ length: threadCount }, (_, i) => top + i * 65536);
    const results2 = await runThreads(exported, memory2, tops.map((stackPointer, i) => ({
      stackPointer, calls: [['fill_and_check', i + 1, HOST_WORD, threadCount]],
    })));
    check('frame_check distinct stacks', results2.every((r) => r[0] === 0),
      `corrupted words per thread ${results2.map((r) => r[0]).join(', ')} (stack tops ${tops.join(', ')})`);
    console.log(`     frame_address() on a fresh instance: ${probe.frame_address()}`);
  }

  // --- tls -------------------------------------------------------------------
  {
    const module = load('tls.wasm');
    const memory = newMemory();
    const main = new WebAssembly.Instance(module, { env: { memory } }).exports;
    check('tls without __wasm_init_tls', main.__tls_base.value === 0 && main.tls_value_address() === 0,
      `__tls_base=${main.__tls_base.value}, &tls_value=${main.tls_value_address()}, tls_get()=${main.tls_get()} ` +
      `(__tls_size=${main.__tls_size.value}, __tls_align=${main.__tls_align.value})`);
    const threadCount = 3;
    const blockBase = 6 * 65536;
    const results = await runThreads(module, memory, Array.from({ length: threadCount }, (_, i) => ({
      tlsBlock: blockBase + 16 * i,
      calls: [['tls_get'], ['tls_set', 100 + i], ['tls_bump'], ['tls_bump'], ['tls_get'], ['tls_value_address']],
    })));
    const ok = results.every((r, i) => r[0] === 42 && r[2] === 1 && r[3] === 2 && r[4] === 100 + i && r[5] === blockBase + 16 * i);
    check('tls per-thread blocks', ok && main.process_counter_get() === 2 * threadCount,
      results.map((r, i) => `thread ${i}: initial ${r[0]}, after set ${r[4]}, bumps ${r[2]},${r[3]}, &tls_value ${r[5]}`).join('; ') +
      `; process_counter ${main.process_counter_get()}`);
  }

  // --- recursion ---------------------------------------------------------------
  {
    const module = load('recursion.wasm');
    const fresh = () => new WebAssembly.Instance(module, { env: { memory: newMemory() } }).exports;
    const a = fresh();
    const levelBytes = a.level_bytes();
    const stackTop = a.__heap_base.value; // the stack ends where the heap begins
    const fits = Math.floor((stackTop - a.__data_end.value) / levelBytes) - 1; // deepest depth whose frames stay above __data_end
    const r1 = a.recurse(fits);
    check('recursion within the stack', r1 === 0 && a.data_guard_intact() === 1,
      `recurse(${fits}) = ${r1}, data_guard_intact = ${a.data_guard_intact()} ` +
      `(__data_end ${a.__data_end.value}, __heap_base ${stackTop}, guard at ${a.data_guard_address()})`);
    const b = fresh();
    const r2 = b.recurse(fits + 1);
    check('recursion overflowing into data', r2 === 0 && b.data_guard_intact() === 0,
      `recurse(${fits + 1}) = ${r2}, data_guard_intact = ${b.data_guard_intact()} (silent corruption, no trap)`);
    const c = fresh();
    let trap = 'no trap';
    try { c.recurse(fits + 2); } catch (error) { trap = error.message; }
    check('recursion wrapping below address 0', /out of bounds/.test(trap), `recurse(${fits + 2}): ${trap}`);
  }

  // --- spin --------------------------------------------------------------------
  {
    const module = load('spin.wasm');
    const memory = newMemory();
    const main = new WebAssembly.Instance(module, { env: { memory } }).exports;
    let trap = 'no trap';
    try { main.trap_now(); } catch (error) { trap = `${error.constructor.name}: ${error.message}`; }
    check('spin trap_now', /unreachable/.test(trap), trap);
    const t = performance.now();
    const timedOut = main.wait_timeout(HOST_WORD, 0, 20_000_000n);
    check('spin wait_timeout (main thread)', timedOut === 2,
      `result ${timedOut} after ${(performance.now() - t).toFixed(1)} ms (20 ms timeout)`);
    check('spin wait_timeout not-equal', main.wait_timeout(HOST_WORD, 1, -1n) === 1, 'value differs -> 1');

    // wait_forever in a worker, woken by notify from here.
    const view = new Int32Array(memory.buffer);
    const waiter = runThreads(module, memory, [{ calls: [['wait_forever', HOST_WORD]] }]);
    let woken = 0;
    for (let tries = 0; tries < 200 && woken === 0; tries++) {
      await new Promise((r) => setTimeout(r, 10));
      woken = main.notify(HOST_WORD, 1);
    }
    check('spin wait_forever woken by notify', woken === 1 && (await waiter)[0][0] === 0, `notify woke ${woken}`);

    // spin_forever never returns: node can only stop it by terminating the worker.
    const gate = new SharedArrayBuffer(4);
    const spinner = new Worker(fileURLToPath(import.meta.url), {
      workerData: { module, memory, gate, threadCount: 1, calls: [['spin_forever']] },
    });
    let finished = false;
    spinner.once('message', () => { finished = true; });
    await new Promise((r) => setTimeout(r, 200));
    const exitCode = await spinner.terminate();
    check('spin spin_forever', !finished, `still running after 200 ms; worker.terminate() -> exit code ${exitCode}`);
    view[HOST_WORD / 4] = 0;
  }

  // --- counter -------------------------------------------------------------------
  {
    const module = load('counter.wasm');
    const memory = newMemory();
    const main = new WebAssembly.Instance(module, { env: { memory } }).exports;
    const view = new Int32Array(memory.buffer);
    const threadCount = 4, times = 200_000;
    view[HOST_WORD / 4] = 0;
    await runThreads(module, memory, Array.from({ length: threadCount }, () => ({ calls: [['add_n', HOST_WORD, times]] })));
    check('counter add_n', view[HOST_WORD / 4] === threadCount * times, `${view[HOST_WORD / 4]} (expected ${threadCount * times})`);
    view[HOST_WORD / 4] = 0;
    await runThreads(module, memory, Array.from({ length: threadCount }, () => ({ calls: [['add_n_racy', HOST_WORD, times]] })));
    console.log(`     add_n_racy: ${view[HOST_WORD / 4]} of ${threadCount * times} (lost updates expected, not checked)`);
    main.reset();
    await runThreads(module, memory, Array.from({ length: threadCount }, () => ({ calls: [['add_global_n', times]] })));
    check('counter add_global_n', main.global_counter_get() === threadCount * times,
      `${main.global_counter_get()} at ${main.global_counter_address()}`);
    main.reset();
    const rounds = 1000;
    const t = performance.now();
    const pong = await runThreads(module, memory, [{ calls: [['ping_pong', 0, rounds]] }, { calls: [['ping_pong', 1, rounds]] }]);
    check('counter ping_pong', pong[0][0] === rounds && pong[1][0] === rounds && main.ping_turn_get() === 0,
      `${pong[0][0]} / ${pong[1][0]} rounds, turn ${main.ping_turn_get()}, ${(performance.now() - t).toFixed(0)} ms`);
  }

  console.log(failures === 0 ? 'all checks passed' : `${failures} check(s) failed`);
  process.exitCode = failures === 0 ? 0 : 1;
}
