// Node (V8) side of the Strand differential fuzzer (tools/Strand.Fuzz). Runs one module following a
// "plan" (imports to provide, calls to make) and produces the same event trace the C# side produces for
// Strand, so the two can be compared line by line. See docs/fuzzing.md.
//
//   node run-node.mjs MODULE.wasm PLAN.json     one module, trace as JSON on stdout
//   node run-node.mjs --server                  one JSON request per stdin line, one JSON trace per stdout line
//
// Request/plan: { wasm: path, compileOnly: bool, timeoutMs: n,
//                 imports: [{ module, name, params: [types], results: [types] }],
//                 calls: [{ name, args: ["i32:5", "i64:-1", "f32:<hex bits>", "f64:<hex bits>"], results: [types] }],
//                 memory: export name or null, globals: [{ name, type }] }
// Each guest execution runs in a worker thread that is terminated when a call exceeds timeoutMs.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1), u64 = new BigUint64Array(f64.buffer);

function hex(v, digits) { return v.toString(16).padStart(digits, '0'); }

// Canonical text of a value, identical to the C# side's formatting. NaN payloads cannot cross the
// JS boundary, so every NaN is just "nan".
function format(type, v) {
  switch (type) {
    case 'i32': return 'i32:' + (v | 0);
    case 'i64': return 'i64:' + BigInt.asIntN(64, v).toString();
    case 'f32': if (Number.isNaN(v)) return 'f32:nan'; f32[0] = v; return 'f32:' + hex(u32[0], 8);
    case 'f64': if (Number.isNaN(v)) return 'f64:nan'; f64[0] = v; return 'f64:' + hex(u64[0], 16);
    default: return type + ':' + (v === null ? 'null' : 'ref');
  }
}

function parseArg(text) {
  const [type, body] = text.split(':');
  switch (type) {
    case 'i32': return Number(body) | 0;
    case 'i64': return BigInt(body);
    case 'f32': u32[0] = parseInt(body, 16); return f32[0];
    case 'f64': u64[0] = BigInt('0x' + body); return f64[0];
    default: return null;
  }
}

// An uncaught wasm exception (exception handling), not a trap.
function isWasmException(e) {
  return typeof WebAssembly.Exception !== 'undefined' && e instanceof WebAssembly.Exception;
}

// V8's trap wording -> the fuzzer's trap categories (the C# side maps Strand's TrapCode to the same names).
function trapCategory(e) {
  if (e instanceof RangeError && /call stack/i.test(e.message)) return 'stack-exhausted';
  if (!(e instanceof WebAssembly.RuntimeError)) return 'host-error ' + (e && e.constructor ? e.constructor.name : '?') + ': ' + (e && e.message);
  const m = e.message;
  const table = [
    [/^unreachable/, 'unreachable'],
    [/divide by zero|remainder by zero/, 'integer-divide-by-zero'],
    [/divide result unrepresentable/, 'integer-overflow'],
    [/float unrepresentable in integer range/, 'invalid-conversion'],
    [/memory access out of bounds|data segment.*out of bounds/, 'memory-out-of-bounds'],
    [/table index is out of bounds|element segment.*out of bounds|table access out of bounds/, 'table-out-of-bounds'],
    [/null function or function signature mismatch/, 'indirect-call-null-or-mismatch'],
    [/unaligned/, 'unaligned-atomic'],
    [/non-shared/, 'expected-shared-memory'],
    [/null/, 'null-reference'],
  ];
  for (const [re, name] of table) if (re.test(m)) return name;
  return 'other ' + m;
}

function fnv1a(bytes, hash) {
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i], 16777619);
  return hash >>> 0;
}

// (module (import "h" "log" (func (param i32 i32 i32 i32)))
//   (func (export "f") (param v128) (call 0 (i32x4.extract_lane 0 (local.get 0)) ... (i32x4.extract_lane 3 (local.get 0)))))
const V128_LOGGER = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x0c, 0x02, 0x60, 0x04, 0x7f, 0x7f, 0x7f, 0x7f, 0x00, 0x60, 0x01, 0x7b, 0x00,
  0x02, 0x09, 0x01, 0x01, 0x68, 0x03, 0x6c, 0x6f, 0x67, 0x00, 0x00,
  0x03, 0x02, 0x01, 0x01,
  0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x01,
  0x0a, 0x1a, 0x01, 0x18, 0x00,
  0x20, 0x00, 0xfd, 0x1b, 0x00, 0x20, 0x00, 0xfd, 0x1b, 0x01, 0x20, 0x00, 0xfd, 0x1b, 0x02, 0x20, 0x00, 0xfd, 0x1b, 0x03,
  0x10, 0x00, 0x0b,
]);

function v128Logger(log) {
  return new WebAssembly.Instance(new WebAssembly.Module(V128_LOGGER), { h: { log } }).exports.f;
}

// ------------------------------------------------------------------ worker: runs the guest
function runInWorker(plan) {
  const post = (event) => parentPort.postMessage(event);
  let module;
  try {
    module = new WebAssembly.Module(readFileSync(plan.wasm));
  } catch (e) {
    post('compile error');
    return;
  }
  post('compile ok');
  if (plan.compileOnly) return;

  const imports = {};
  for (const imp of plan.imports) {
    imports[imp.module] ??= {};
    if (imp.params.length === 1 && imp.params[0] === 'v128' && imp.results.length === 0) {
      // JS cannot receive a v128: a wasm helper takes it and passes its four i32 lanes to the logging function.
      imports[imp.module][imp.name] = v128Logger((...lanes) => post('import ' + imp.name + '(v128:' + lanes.map((l) => hex(l >>> 0, 8)).join('_') + ')'));
      continue;
    }
    imports[imp.module][imp.name] = (...args) => {
      post('import ' + imp.name + '(' + imp.params.map((t, i) => format(t, args[i])).join(',') + ')');
      if (imp.results.length === 0) return undefined;
      const zeros = imp.results.map((t) => (t === 'i64' ? 0n : t === 'funcref' || t === 'externref' ? null : 0));
      return zeros.length === 1 ? zeros[0] : zeros;
    };
  }
  let instance;
  try {
    instance = new WebAssembly.Instance(module, imports);
  } catch (e) {
    post(e instanceof WebAssembly.LinkError ? 'instantiate link-error'
      : isWasmException(e) ? 'instantiate exception' : 'instantiate trap ' + trapCategory(e));
    return;
  }
  post('instantiate ok');
  const exports = instance.exports;
  const observe = () => {
    const parts = [];
    if (plan.memory) {
      const bytes = new Uint8Array(exports[plan.memory].buffer);
      parts.push('memory ' + bytes.length + ' ' + hex(fnv1a(bytes, 0x811c9dc5), 8));
    }
    for (const g of plan.globals) parts.push('global ' + g.name + '=' + format(g.type, exports[g.name].value));
    if (parts.length) post(parts.join(' '));
  };
  for (const call of plan.calls) {
    if (call.reset) {
      try { exports[call.reset](); } catch { /* the hang-limit reset never traps */ }
    }
    post({ start: true });
    post('call ' + call.name + '(' + call.args.join(',') + ')');
    let line;
    try {
      const result = exports[call.name](...call.args.map(parseArg));
      const values = call.results.length === 1 ? [result] : call.results.length === 0 ? [] : [...result];
      line = 'result ' + call.results.map((t, i) => format(t, values[i])).join(',');
    } catch (e) {
      line = isWasmException(e) ? 'exception' : 'trap ' + trapCategory(e);
    }
    post(line);
    observe();
  }
}

// ------------------------------------------------------------------ main thread: timeouts
function runPlan(plan) {
  return new Promise((resolve) => {
    const events = [];
    const worker = new Worker(fileURLToPath(import.meta.url), { workerData: plan, resourceLimits: { stackSizeMb: 4 } });
    let timer = null;
    let finished = false;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        events.push('timeout');
        finish();
        worker.terminate();
      }, plan.timeoutMs);
    };
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      resolve(events);
    };
    arm();
    worker.on('message', (m) => {
      if (typeof m === 'string') events.push(m);
      else if (m.start) arm();
    });
    worker.on('error', (e) => { events.push('worker-error ' + e.message); finish(); });
    worker.on('exit', finish);
  });
}

if (!isMainThread) {
  runInWorker(workerData);
} else if (process.argv[2] === '--server') {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  // Requests are handled one at a time, in order.
  let queue = Promise.resolve();
  lines.on('line', (line) => {
    if (!line.trim()) return;
    queue = queue.then(async () => {
      const events = await runPlan(JSON.parse(line));
      process.stdout.write(JSON.stringify(events) + '\n');
    });
  });
} else if (process.argv.length === 4) {
  const plan = JSON.parse(readFileSync(process.argv[3], 'utf8'));
  plan.wasm = process.argv[2];
  const events = await runPlan(plan);
  console.log(events.join('\n'));
} else {
  console.error('usage: node run-node.mjs MODULE.wasm PLAN.json | node run-node.mjs --server');
  process.exit(2);
}
