// Side-by-side reference timing of a wasm export in Node.js (V8).
//
// Usage:
//   node bench/node/bench.mjs <module.wasm> [export=algorithm] [options]
// Options:
//   --calls N     timed calls (default 20)
//   --warmup N    untimed warm-up calls first (default 5)
//   --args a,b    arguments for every call; integers, `123n` for i64 (BigInt)
//   --expect V    check every result equals V (`5172326400000` or `...n`); exit 1 if not
//
// If the module imports a memory it gets a fresh one of the declared limits
// (shared when the import is shared); any other import is an error.
//
// Output (one line on stdout, machine-readable), e.g.
//   node algorithm: 145.123 ms/call (20 calls after 5 warm-up)
// The figure is the mean wall time of the timed calls.
//
// Example: node bench/node/bench.mjs fixtures/seed/algorithm.wasm algorithm --expect 5172326400000
import { readFileSync } from 'node:fs';

function fail(message) {
  console.error(`bench.mjs: ${message}`);
  process.exit(2);
}

function parseArguments(argv) {
  const options = { path: null, exportName: 'algorithm', calls: 20, warmup: 5, args: [], expect: null };
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => (i + 1 < argv.length ? argv[++i] : fail(`${arg} needs a value`));
    if (arg === '--calls') options.calls = Number(value());
    else if (arg === '--warmup') options.warmup = Number(value());
    else if (arg === '--args') options.args = value().split(',').filter((s) => s !== '').map(parseNumber);
    else if (arg === '--expect') options.expect = parseNumber(value());
    else if (arg.startsWith('--')) fail(`unknown option ${arg}`);
    else positional.push(arg);
  }
  if (positional.length < 1 || positional.length > 2) fail('usage: bench.mjs <module.wasm> [export] [--calls N] [--warmup N] [--args a,b] [--expect V]');
  [options.path, options.exportName = options.exportName] = positional;
  if (!Number.isInteger(options.calls) || options.calls < 1) fail('--calls must be a positive integer');
  if (!Number.isInteger(options.warmup) || options.warmup < 0) fail('--warmup must be a non-negative integer');
  return options;
}

function parseNumber(text) {
  if (/^-?\d+n$/.test(text)) return BigInt(text.slice(0, -1));
  const number = Number(text);
  if (Number.isNaN(number)) fail(`not a number: ${text}`);
  return number;
}

// Node 20 does not reflect import types (memory limits, shared), so read them
// from the binary's import section.
function readImports(bytes) {
  let offset = 8;
  const u8 = () => {
    if (offset >= bytes.length) throw new Error('truncated module');
    return bytes[offset++];
  };
  const leb = () => {
    let result = 0, shift = 0, byte;
    do {
      byte = u8();
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return result;
  };
  const name = () => {
    const length = leb();
    const text = Buffer.from(bytes.subarray(offset, offset + length)).toString('utf8');
    offset += length;
    return text;
  };
  const limits = () => {
    const flags = u8();
    const initial = leb();
    const maximum = flags & 1 ? leb() : undefined;
    return { initial, maximum, shared: (flags & 2) !== 0 };
  };
  while (offset < bytes.length) {
    const id = u8();
    const size = leb();
    const end = offset + size;
    if (id !== 2) {
      offset = end;
      continue;
    }
    const imports = [];
    for (let count = leb(); count > 0; count--) {
      const entry = { module: name(), name: name(), kind: u8() };
      if (entry.kind === 2) entry.limits = limits();
      imports.push(entry);
      if (entry.kind !== 2) return imports; // only memories are supported; stop parsing here
    }
    return imports;
  }
  return [];
}

const options = parseArguments(process.argv.slice(2));
const bytes = new Uint8Array(readFileSync(options.path));
const module = new WebAssembly.Module(bytes);

const importObject = {};
for (const entry of readImports(bytes)) {
  if (entry.kind !== 2) fail(`unsupported import ${entry.module}.${entry.name} (only memories are provided)`);
  const { initial, maximum, shared } = entry.limits;
  (importObject[entry.module] ??= {})[entry.name] = new WebAssembly.Memory(
    maximum === undefined ? { initial } : { initial, maximum, shared },
  );
}

const instance = new WebAssembly.Instance(module, importObject);
const exported = instance.exports[options.exportName];
if (typeof exported !== 'function') fail(`no exported function "${options.exportName}"`);

const check = (result) => {
  // String() compares an i64 BigInt result with a plain-number expectation.
  if (options.expect !== null && String(result) !== String(options.expect)) {
    console.error(`bench.mjs: ${options.exportName} returned ${result}, expected ${options.expect}`);
    process.exit(1);
  }
};

for (let i = 0; i < options.warmup; i++) check(exported(...options.args));
const started = process.hrtime.bigint();
for (let i = 0; i < options.calls; i++) check(exported(...options.args));
const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;

console.log(`node ${options.exportName}: ${(elapsedMs / options.calls).toFixed(3)} ms/call ` +
  `(${options.calls} calls after ${options.warmup} warm-up)`);
