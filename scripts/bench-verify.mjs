#!/usr/bin/env node
// The verify-cost benchmark (issue 15): clone this repository's HEAD into a temporary
// directory, `npm install`, `npm run verify` cold, then again warm, and print each time with
// the load average, so a figure in the README says how it was taken. Minutes; not a test.
//
//   node scripts/bench-verify.mjs [--keep] [--series NAME]   (default: every series)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const keep = process.argv.includes('--keep');
const at = process.argv.indexOf('--series');
const series = at > 0 ? ['--', '--series', process.argv[at + 1]] : [];
if (at > 0 && process.argv[at + 1] === undefined) {
  console.error('--series needs a series name');
  process.exit(2);
}
const dir = join(mkdtempSync(join(tmpdir(), 'lockstep-bench-verify-')), 'clone');
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

function timed(label, cmd, args, cwd) {
  const started = performance.now();
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`${label.padEnd(12)} ${secs.padStart(7)} s  exit ${r.status}  load ${load()}`);
  if (r.status !== 0) process.exitCode = 1;
  return r.status === 0;
}

const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
console.log(
  `verify benchmark of ${head}${series.length ? ` (series ${series[2]})` : ''} in ${dir} (load ${load()})`,
);
const ok =
  timed('clone', 'git', ['clone', '--quiet', process.cwd(), dir], process.cwd()) &&
  timed('npm install', 'npm', ['install', '--no-audit', '--no-fund'], dir) &&
  timed('verify cold', 'npm', ['run', 'verify', ...series], dir) &&
  timed('verify warm', 'npm', ['run', 'verify', ...series], dir);
if (!keep) rmSync(join(dir, '..'), { recursive: true, force: true });
else console.log(`kept ${dir}`);
if (!ok) console.log('a step failed: run it by hand in a clone to see why');
