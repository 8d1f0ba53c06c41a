#!/usr/bin/env node
// The project's test command: lint, build and typecheck every package (turbo, cached), then
// run every package's vitest project in one run and print a one-line summary at the end.
import { spawnSync } from 'node:child_process';

process.env.TURBO_TELEMETRY_DISABLED = '1';

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function run(cmd, args) {
  console.log(`\n$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`\n${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
}

run('npx', ['biome', 'check', '.']);
run('npx', ['turbo', 'run', 'build', 'typecheck', '--output-logs=errors-only']);

const dir = mkdtempSync(join(tmpdir(), 'lockstep-test-'));
const out = join(dir, 'vitest.json');
const args = [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${out}`,
  ...process.argv.slice(2),
];
console.log(`\n$ npx ${args.join(' ')}`);
const r = spawnSync('npx', args, { stdio: 'inherit' });
let summary = 'no test results were written';
try {
  const j = JSON.parse(readFileSync(out, 'utf8'));
  summary = `${j.numPassedTests} passed, ${j.numFailedTests} failed, ${j.numPendingTests + j.numTodoTests} skipped`;
} catch {}
rmSync(dir, { recursive: true, force: true });
console.log(`\nTests: ${summary}`);
process.exit(r.status ?? 1);
