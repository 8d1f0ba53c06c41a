#!/usr/bin/env node
/**
 * lockstep-explore: a seeded random exploration of a scenario module, on N worker threads
 * (--jobs), as one shard of a CI matrix (--shard i/n --out file), or merging shard files
 * (--merge). Same seed and budget: the same verdict and reported schedule for any split.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type ExploreResult, exploreParallel, exploreShard, mergeShards } from './index.js';
import { LockstepUsageError } from './report.js';

const HELP = `usage:
  lockstep-explore <module> [options]                    explore on --jobs worker threads
  lockstep-explore <module> --shard i/n --out <file>     run shard i of n, write its JSON
  lockstep-explore --merge <file>...                     merge shard files (all n of them)

<module> is an ES module (.mjs/.js) importing @lockstep/kernel and exporting the scenario,
a function (m: Machine) => void. Only seeded random search is split (PCT, exhaustive and
DPOR runs depend on the runs before them): run index i uses seed mixSeed(--seed, i), shard
i of n runs the indices congruent to i-1 mod n, and the merge reports the find with the
lowest index, the one a single process stops at.

options:
  --export <name>        the scenario's export (default: scenario)
  --seed <n>             seed, an integer >= 0 (default: 1)
  --max-schedules <n>    run indices 0..n-1 in all (default: 1000)
  --max-steps <n>        step budget of each run (default: 1000000)
  --jobs <n>             worker threads (default: 1)
  --no-lockdep           run the machines with CONFIG_LOCKDEP=n
  --json                 print the result as JSON
  -h, --help             this text

exit status: 0 clean, 1 a report was found, 2 usage or scenario error.`;

function fail(msg: string): never {
  throw new LockstepUsageError(msg);
}

function int(name: string, v: string | undefined, min: number): number {
  const n = Number(v);
  if (v === undefined || !Number.isSafeInteger(n) || n < min)
    fail(
      `${name} needs an integer >= ${min}, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`,
    );
  return n;
}

function print(r: ExploreResult, json: boolean): number {
  if (json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  else if (r.error !== undefined)
    process.stdout.write(
      `scenario error at run ${r.error.runIndex} (${r.error.schedule}):\n${r.error.text}\n`,
    );
  else if (r.found !== undefined)
    process.stdout.write(
      `found: ${r.found.report.title}\n  run ${r.found.runIndex}, ${r.found.preemptions} preemptions\n  schedule ${r.found.schedule}\n  (${r.schedules} schedules run)\n`,
    );
  else
    process.stdout.write(
      `clean: ${r.schedules} schedules, ${r.steps} steps (budget: ${r.budget})\n`,
    );
  return r.error !== undefined ? 2 : r.found !== undefined ? 1 : 0;
}

export async function main(argv: readonly string[]): Promise<number> {
  const a = [...argv];
  if (a.length === 0 || a.includes('-h') || a.includes('--help')) {
    process.stdout.write(`${HELP}\n`);
    return a.length === 0 ? 2 : 0;
  }
  let module: string | undefined;
  let exportName = 'scenario';
  let seed = 1;
  let maxSchedules = 1000;
  let maxSteps: number | undefined;
  let jobs = 1;
  let shard: { index: number; count: number } | undefined;
  let out: string | undefined;
  let merge: string[] | undefined;
  let json = false;
  let lockdep = true;
  while (a.length > 0) {
    const arg = a.shift()!;
    if (arg === '--export') exportName = a.shift() ?? fail('--export needs a name');
    else if (arg === '--seed') seed = int('--seed', a.shift(), 0);
    else if (arg === '--max-schedules') maxSchedules = int('--max-schedules', a.shift(), 1);
    else if (arg === '--max-steps') maxSteps = int('--max-steps', a.shift(), 1);
    else if (arg === '--jobs') jobs = int('--jobs', a.shift(), 1);
    else if (arg === '--out') out = a.shift() ?? fail('--out needs a file');
    else if (arg === '--json') json = true;
    else if (arg === '--no-lockdep') lockdep = false;
    else if (arg === '--shard') {
      const v = a.shift() ?? '';
      const m = /^([0-9]+)\/([0-9]+)$/.exec(v);
      if (m === null) fail(`--shard needs i/n (e.g. 2/4), got ${JSON.stringify(v)}`);
      shard = { index: Number(m[1]), count: Number(m[2]) };
      if (shard.index < 1 || shard.index > shard.count) fail(`--shard ${v}: need 1 <= i <= n`);
    } else if (arg === '--merge') {
      merge = a.splice(0, a.length);
      if (merge.length === 0) fail('--merge needs the shard files');
    } else if (arg.startsWith('-')) fail(`unknown option ${arg} (see --help)`);
    else if (module === undefined) module = arg;
    else fail(`unexpected argument ${JSON.stringify(arg)}: one module only`);
  }
  if (merge !== undefined) {
    if (module !== undefined) fail('--merge takes shard files only, no module');
    const shards = merge.map((f) => {
      try {
        return JSON.parse(readFileSync(f, 'utf8'));
      } catch (e) {
        return fail(`cannot read shard file ${f}: ${(e as Error).message}`);
      }
    });
    return print(mergeShards(shards), json);
  }
  if (module === undefined) fail('no scenario module given (see --help)');
  const path = resolve(module);
  const opts = {
    seed,
    maxSchedules,
    ...(maxSteps !== undefined ? { maxSteps } : {}),
    ...(lockdep ? {} : { machine: { lockdep: false } }),
  };
  if (shard !== undefined) {
    if (out === undefined) fail('--shard needs --out <file> for its result');
    if (jobs !== 1) fail('--shard runs one shard in this process: no --jobs');
    const mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    const s = mod[exportName];
    if (typeof s !== 'function')
      fail(`${module} has no function export ${JSON.stringify(exportName)}`);
    const r = exploreShard(s as Parameters<typeof exploreShard>[0], { ...opts, shard });
    writeFileSync(out, `${JSON.stringify(r)}\n`);
    process.stdout.write(
      `shard ${shard.index}/${shard.count}: ${r.schedules} schedules${r.found ? `, found at run ${r.found.runIndex}: ${r.found.report.title}` : ''} -> ${out}\n`,
    );
    return 0;
  }
  if (out !== undefined) fail('--out goes with --shard');
  return print(await exploreParallel(path, { ...opts, jobs, exportName }), json);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof LockstepUsageError) {
      process.stderr.write(`lockstep-explore: ${e.message}\n`);
      process.exitCode = 2;
    } else throw e;
  },
);
