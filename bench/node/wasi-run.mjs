// Runs a WASI preview 1 command under Node's node:wasi, with the same command line
// shape as `strand run`, so the two can be compared output for output:
//
//   node bench/node/wasi-run.mjs prog.wasm [--dir HOST[::GUEST]]... [--env K=V]... [--inherit-env] [-- ARGS...]
//
// argv[0] of the program is the .wasm file's name (as `strand run` passes it).
// Standard streams are the process's own. The process exits with the program's exit
// code (proc_exit's argument, 0 when _start returns). A trap prints
// "wasm trap: <message>" to stderr and exits with 134, the code `strand run` uses.
import { readFileSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';

// node:wasi prints an ExperimentalWarning to stderr; the program's stderr is compared, so drop it.
process.removeAllListeners('warning');
const { WASI } = await import('node:wasi');

function usage(message) {
  process.stderr.write(`wasi-run: ${message}\nusage: node wasi-run.mjs prog.wasm [--dir HOST[::GUEST]] [--env K=V] [--inherit-env] [-- ARGS...]\n`);
  process.exit(2);
}

const argv = process.argv.slice(2);
let file = null;
const preopens = {};
const env = {};
let inheritEnv = false;
let programArgs = [];
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i];
  if (arg === '--') { programArgs = argv.slice(i + 1); break; }
  if (arg === '--dir' || arg === '--env') {
    const value = argv[++i];
    if (value === undefined) usage(`${arg} needs a value`);
    if (arg === '--dir') {
      const separator = value.indexOf('::');
      const host = separator < 0 ? value : value.slice(0, separator);
      const guest = separator < 0 ? value : value.slice(separator + 2);
      if (!existsSync(host) || !statSync(host).isDirectory()) usage(`--dir: no such directory '${host}'`);
      preopens[guest] = host;
    } else {
      const eq = value.indexOf('=');
      if (eq <= 0) usage(`--env expects K=V, got '${value}'`);
      env[value.slice(0, eq)] = value.slice(eq + 1);
    }
  } else if (arg === '--inherit-env') {
    inheritEnv = true;
  } else if (arg.startsWith('--')) {
    usage(`unknown option ${arg}`);
  } else if (file === null) {
    file = arg;
  } else {
    usage(`unexpected argument '${arg}' (program arguments go after --)`);
  }
}
if (file === null) usage('no .wasm file');

const wasi = new WASI({
  version: 'preview1',
  args: [path.basename(file), ...programArgs],
  // Explicit variables take precedence over inherited ones, as in strand run.
  env: inheritEnv ? { ...process.env, ...env } : env,
  preopens,
  returnOnExit: true,
});

const module = new WebAssembly.Module(readFileSync(file));
let exitCode;
try {
  const instance = new WebAssembly.Instance(module, wasi.getImportObject());
  exitCode = wasi.start(instance);
} catch (error) {
  if (error instanceof WebAssembly.RuntimeError) {
    process.stderr.write(`wasm trap: ${error.message}\n`);
    exitCode = 134;
  } else if (error instanceof WebAssembly.LinkError) {
    process.stderr.write(`cannot link ${file}: ${error.message}\n`);
    exitCode = 1;
  } else {
    throw error;
  }
}
process.exitCode = exitCode;
