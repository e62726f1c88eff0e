#!/usr/bin/env node
// Runs the prebuilt wasm32-wasip1 programs of WebAssembly/wasi-testsuite under `strand run` and
// checks each one the way the suite's own runner does for its "legacy" JSON specs:
//   - <name>.json beside <name>.wasm (optional) may give "args" (list), "env" (object), "root"
//     (a directory next to the test, preopened as the guest's "/"), "exit_code" (default 0),
//     "stdout" and "stderr" (compared exactly when given).
//   - Tests mutate their root, so every run gets a fresh copy of it in a temporary directory.
//   - Standard input is an empty pipe for the wasm32-wasip1 programs. The wasi-threads programs
//     (tests/proposals/wasi-threads, on the suite's prod/testsuite-all branch) get a pipe that stays
//     open, because the ones that read stdin assume the read blocks until another thread exits.
// The suite is NOT part of this repository; extract it elsewhere first, e.g.
//   git -C <wasi-testsuite clone> archive prod/testsuite-base tests | tar -x -C /work/ext/wasi-testsuite
//   git -C <wasi-testsuite clone> archive prod/testsuite-all tests/proposals/wasi-threads | tar -x -C /work/ext/wasi-testsuite
// Usage:
//   dotnet build -c Release
//   node tools/wasi-testsuite/run.mjs /work/ext/wasi-testsuite/tests [--cli PATH/Strand.Cli.dll] [--filter SUBSTRING] [-v]
// It searches the folder for */testsuite/wasm32-wasip1 directories (c, rust, assemblyscript) and
// proposals/wasi-threads, prints one
// line per failing test (every test with -v) and ends with "N passed, M failed"; exit code 1 on any failure.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const argv = process.argv.slice(2);
let suite = null, cli = path.join(repo, 'src/Strand.Cli/bin/Release/net10.0/Strand.Cli.dll'), filter = '', verbose = false;
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--cli') cli = argv[++i];
  else if (argv[i] === '--filter') filter = argv[++i];
  else if (argv[i] === '-v') verbose = true;
  else if (!suite) suite = argv[i];
  else { console.error(`unexpected argument ${argv[i]}`); process.exit(2); }
}
if (!suite) { console.error('usage: node tools/wasi-testsuite/run.mjs TESTS-FOLDER [--cli Strand.Cli.dll] [--filter S] [-v]'); process.exit(2); }
if (!fs.existsSync(cli)) { console.error(`no CLI at ${cli}: run 'dotnet build -c Release' first or pass --cli`); process.exit(2); }

function findTestDirs(dir, found = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.endsWith('.dir')) continue;
    const full = path.join(dir, entry.name);
    if (entry.name === 'wasm32-wasip1' && path.basename(dir) === 'testsuite') found.push(full);
    else if (entry.name === 'wasi-threads' && path.basename(dir) === 'proposals') found.push(full);
    else findTestDirs(full, found);
  }
  return found;
}

const dirs = findTestDirs(path.resolve(suite)).sort();
let passed = 0, failed = 0;
for (const dir of dirs) {
  const tests = fs.readdirSync(dir).filter(f => f.endsWith('.wasm')).sort();
  const keepStdinOpen = path.basename(dir) === 'wasi-threads';
  for (const wasm of tests) {
    const name = `${path.relative(path.resolve(suite), dir)}/${wasm.replace(/\.wasm$/, '')}`;
    if (filter && !name.includes(filter)) continue;
    const specPath = path.join(dir, wasm.replace(/\.wasm$/, '.json'));
    const spec = fs.existsSync(specPath) ? JSON.parse(fs.readFileSync(specPath, 'utf8')) : {};
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'strand-wasi-testsuite-'));
    const args = ['exec', cli, 'run', path.join(dir, wasm)];
    if (spec.root) {
      const copy = path.join(scratch, path.basename(spec.root));
      fs.cpSync(path.join(dir, spec.root), copy, { recursive: true, verbatimSymlinks: true });
      args.push('--dir', `${copy}::/`);
    }
    for (const [k, v] of Object.entries(spec.env ?? {})) args.push('--env', `${k}=${v}`);
    args.push('--', ...(spec.args ?? []));
    const run = await runProcess('dotnet', args, scratch, keepStdinOpen);
    const problems = [];
    const expectedCode = spec.exit_code ?? 0;
    if (run.error) problems.push(`could not run: ${run.error.message}`);
    else if (run.status !== expectedCode) problems.push(`exit code ${run.status ?? run.signal}, expected ${expectedCode}`);
    if (spec.stdout !== undefined && run.stdout !== spec.stdout) problems.push(`stdout ${JSON.stringify(run.stdout)}, expected ${JSON.stringify(spec.stdout)}`);
    if (spec.stderr !== undefined && run.stderr !== spec.stderr) problems.push(`stderr ${JSON.stringify(run.stderr)}, expected ${JSON.stringify(spec.stderr)}`);
    fs.rmSync(scratch, { recursive: true, force: true });
    if (problems.length === 0) {
      passed++;
      if (verbose) console.log(`PASS ${name}`);
    } else {
      failed++;
      console.log(`FAIL ${name}: ${problems.join('; ')}`);
      if (run.stderr && spec.stderr === undefined) console.log(run.stderr.trimEnd().split('\n').slice(-6).map(l => `    ${l}`).join('\n'));
    }
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);

// Runs a process to its end (at most 120 s) and collects its output. With keepStdinOpen its standard
// input is a pipe that is never written nor closed; otherwise an empty pipe (closed at once).
function runProcess(command, args, cwd, keepStdinOpen) {
  return new Promise(resolve => {
    const child = spawn(command, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '', stderr = '', error = null;
    child.stdout.setEncoding('utf8').on('data', d => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', d => { stderr += d; });
    child.stdin.on('error', () => {});
    if (!keepStdinOpen) child.stdin.end();
    const timer = setTimeout(() => { error = new Error('timed out after 120 s'); child.kill('SIGKILL'); }, 120_000);
    child.on('error', e => { error = e; });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({ status, signal, stdout, stderr, error });
    });
  });
}
