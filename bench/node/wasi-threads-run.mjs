// A small wasi-threads host for Node.js, to check the fixtures/wasi-threads programs
// in V8 (node:wasi has no thread-spawn):
//
//   node bench/node/wasi-threads-run.mjs prog.wasm
//
// Every wasm thread, the main one included, runs in a worker_threads Worker with its
// own instance over one shared memory (the module's imported env.memory). The Node
// main thread only creates workers and waits for the program to end:
//   wasi.thread-spawn(arg)  allocates the next thread id (1, 2, ...), asks the main
//                           thread to start a worker calling wasi_thread_start(tid, arg),
//                           and returns the id at once (-1 when ids run out);
//   proc_exit(code)         on any thread ends the process with that code;
//   a trap on any thread    prints "wasm trap: <message>" and exits with 134
//                           (as bench/node/wasi-run.mjs and `strand run`);
//   _start returning        ends the process with 0.
// Only fd_write and proc_exit of wasi_snapshot_preview1 are provided (enough for the
// fixtures); other imports fail to link.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { readFileSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const MAX_TID = (1 << 29) - 1;
// Control words: [0] state (0 running, 1 finished), [1] exit code, [2] last thread id,
// [3] "someone is finishing" claim, so the first exit or trap wins.
const STATE = 0, CODE = 1, LAST_TID = 2, CLAIM = 3;

/** Reads the limits of the module's imported memory from its import section. */
function importedMemoryLimits(bytes) {
  let offset = 8;
  const u32 = () => {
    let result = 0, shift = 0, byte;
    do { byte = bytes[offset++]; result |= (byte & 0x7f) << shift; shift += 7; } while (byte & 0x80);
    return result >>> 0;
  };
  while (offset < bytes.length) {
    const id = bytes[offset++];
    const size = u32();
    const end = offset + size;
    if (id === 2) {
      for (let count = u32(); count > 0; count--) {
        for (let name = 0; name < 2; name++) { const length = u32(); offset += length; } // module, field
        const kind = bytes[offset++];
        if (kind === 0) u32();
        else if (kind === 1) { offset++; const flags = bytes[offset++]; u32(); if (flags & 1) u32(); }
        else if (kind === 2) {
          const flags = bytes[offset++];
          const initial = u32();
          const maximum = flags & 1 ? u32() : undefined;
          return { initial, maximum, shared: (flags & 2) !== 0 };
        } else if (kind === 3) offset += 2;
        else throw new Error(`unknown import kind ${kind}`);
      }
    }
    offset = end;
  }
  throw new Error('the module imports no memory (wasi-threads modules import a shared env.memory)');
}

function finish(control, code) {
  if (Atomics.compareExchange(control, CLAIM, 0, 1) !== 0) return;
  Atomics.store(control, CODE, code);
  Atomics.store(control, STATE, 1);
  Atomics.notify(control, STATE);
}

if (isMainThread) {
  const file = process.argv[2];
  if (!file) { process.stderr.write('usage: node wasi-threads-run.mjs prog.wasm\n'); process.exit(2); }
  const bytes = readFileSync(file);
  const module = new WebAssembly.Module(bytes);
  const memory = new WebAssembly.Memory(importedMemoryLimits(bytes));
  const control = new Int32Array(new SharedArrayBuffer(16));
  const self = fileURLToPath(import.meta.url);
  const start = (tid, arg) => {
    const worker = new Worker(self, { workerData: { module, memory, control, tid, arg } });
    worker.on('message', (message) => start(message.tid, message.arg));
    worker.on('error', (error) => {
      process.stderr.write(`host error: ${error?.stack ?? error}\n`);
      finish(control, 1);
    });
  };
  start(0, 0);
  await Atomics.waitAsync(control, STATE, 0).value;
  process.exit(Atomics.load(control, CODE));
} else {
  const { module, memory, control, tid, arg } = workerData;
  class ProcExit extends Error {}
  const view = () => new DataView(memory.buffer);
  const imports = {
    env: { memory },
    wasi: {
      'thread-spawn': (startArg) => {
        const newTid = Atomics.add(control, LAST_TID, 1) + 1;
        if (newTid > MAX_TID) return -1;
        parentPort.postMessage({ tid: newTid, arg: startArg });
        return newTid;
      },
    },
    wasi_snapshot_preview1: {
      fd_write: (fd, iovs, count, writtenPtr) => {
        if (fd !== 1 && fd !== 2) return 8; // EBADF
        let total = 0;
        for (let i = 0; i < count; i++) {
          const base = view().getUint32(iovs + 8 * i, true);
          const length = view().getUint32(iovs + 8 * i + 4, true);
          // Copy out of the shared buffer: fs does not write from shared memory.
          total += writeSync(fd, new Uint8Array(memory.buffer, base, length).slice());
        }
        view().setUint32(writtenPtr, total, true);
        return 0;
      },
      proc_exit: (code) => {
        finish(control, code);
        throw new ProcExit();
      },
    },
  };
  try {
    const instance = new WebAssembly.Instance(module, imports);
    if (tid === 0) {
      instance.exports._start();
      finish(control, 0);
    } else {
      instance.exports.wasi_thread_start(tid, arg);
    }
  } catch (error) {
    if (error instanceof ProcExit) {
      // the process is ending; nothing more to do on this thread
    } else if (error instanceof WebAssembly.RuntimeError) {
      if (Atomics.load(control, CLAIM) === 0) writeSync(2, `wasm trap: ${error.message}\n`);
      finish(control, 134);
    } else {
      throw error;
    }
  }
}
