/**
 * lockstep-repro: run reproducers and print their outcomes.
 *
 *   lockstep-repro [ids...] [--json] [--jobs N] [--budget-ms N] [--out FILE] [--trace-dir DIR]
 *   lockstep-repro --list [--json]
 *   lockstep-repro <id> --replay SCHEDULE [--json] [--trace-dir DIR]
 *
 * Exit status: 0 when the reproducers ran, whatever their outcomes (a crash is data);
 * 2 for a usage error.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LockstepUsageError } from '@lockstep/kernel';
import { machineDirFrom, shadowedModelPackages } from './installed.js';
import { runReproducersInProcesses } from './parallel.js';
import { verdictText } from './portfolio.js';
import { replayReproducer, reproducers, runReproducers, selectReproducers } from './registry.js';
import { checkTraceDir, writeTraces } from './trace-out.js';
import type { Outcome } from './types.js';

/** This package's directory (dist/ or src/ is one level down), ESM or CJS build. */
function packageDir(): string {
  const here = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
  return dirname(here);
}

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

const USAGE = [
  'usage: lockstep-repro [ids...] [--json] [--jobs N] [--budget-ms N] [--out FILE] [--trace-dir DIR]',
  '       lockstep-repro --list [--json]',
  '       lockstep-repro <id> --replay SCHEDULE [--json] [--trace-dir DIR]',
  '',
  'Runs the reproducers (all of them without ids) and prints a table, or JSON with --json.',
  'Each explores a portfolio (default schedule, PCT, random, bounded exhaustive) with schedule',
  'budgets and states its verdict: crash (which phase found it, after how many schedules),',
  'clean, exhausted (every schedule of a stated space ran: proof within that space only) or',
  'clean, searched (the budgets ran out with no failure: evidence, not proof).',
  '  --jobs N           run N reproducers at a time, each in its own process (a number, or',
  '                     "auto" for one per CPU; default 1); the outcomes are the same',
  '  --budget-ms N      wall-clock budget of the whole run for explorations (default: none,',
  '                     so runs are bounded by schedule counts and deterministic)',
  '  --out FILE         also write the JSON outcomes to FILE',
  '  --trace-dir DIR    replay each crash traced and write ID.trace.json (Perfetto),',
  '                     ID.lanes.json, ID.dmesg.txt and index.json into DIR',
  '  --list             list the reproducers',
  '  --replay SCHEDULE  run one reproducer once under a schedule string it reported',
  'Exit status: 0 when the reproducers ran (crashes included), 2 on a usage error.',
].join('\n');

interface Args {
  ids: string[];
  json: boolean;
  list: boolean;
  help: boolean;
  budgetMs?: number;
  jobs: number;
  out?: string;
  replay?: string;
  traceDir?: string;
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { ids: [], json: false, list: false, help: false, jobs: 1 };
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--'))
      throw new LockstepUsageError(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const [flag, inline] =
      arg.startsWith('--') && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
    const take = (): string => {
      if (inline !== undefined) return inline;
      const v = value(i, flag);
      i++;
      return v;
    };
    switch (flag) {
      case '--json':
        a.json = true;
        break;
      case '--list':
        a.list = true;
        break;
      case '-h':
      case '--help':
        a.help = true;
        break;
      case '--budget-ms': {
        const v = take();
        const n = Number(v);
        if (!/^[0-9]+$/.test(v) || !Number.isSafeInteger(n) || n <= 0)
          throw new LockstepUsageError(`--budget-ms must be a positive integer, got '${v}'`);
        a.budgetMs = n;
        break;
      }
      case '--jobs': {
        const v = take();
        const n = v === 'auto' ? availableParallelism() : Number(v);
        if (v !== 'auto' && (!/^[0-9]+$/.test(v) || !Number.isSafeInteger(n) || n <= 0))
          throw new LockstepUsageError(`--jobs must be a positive integer or 'auto', got '${v}'`);
        a.jobs = n;
        break;
      }
      case '--out':
        a.out = take();
        break;
      case '--replay':
        a.replay = take();
        break;
      case '--trace-dir':
        a.traceDir = take();
        break;
      default:
        if (arg.startsWith('-')) throw new LockstepUsageError(`unknown option '${arg}'`);
        a.ids.push(arg);
    }
  }
  if (a.replay !== undefined && a.ids.length !== 1)
    throw new LockstepUsageError('--replay needs exactly one reproducer id');
  if (a.list && (a.ids.length > 0 || a.replay !== undefined))
    throw new LockstepUsageError('--list takes no ids');
  if (a.jobs > 1 && a.budgetMs !== undefined)
    throw new LockstepUsageError('--jobs takes no --budget-ms (a budget is for one process)');
  if (a.list && a.traceDir !== undefined)
    throw new LockstepUsageError('--list takes no --trace-dir');
  return a;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** What the outcome shows, in words (the verdict), or the exploration an error cut short. */
function exploredText(o: Outcome): string {
  if (o.verdict !== undefined) return verdictText(o);
  const e = o.explored;
  if (e === undefined) return 'single run';
  const stop = e.budget === 'time' ? ', stopped by --budget-ms' : '';
  return `${e.strategy}: ${e.schedules} schedules${stop}`;
}

/** The outcomes as a table, then each crash's schedule. */
export function formatTable(outs: readonly Outcome[]): string {
  const w = Math.max(2, ...outs.map((o) => o.id.length));
  const lines = [`${pad('id', w)}  ${pad('status', 6)}  ${pad('ms', 7)}  result`];
  for (const o of outs) {
    const what =
      o.status === 'crash'
        ? o.title!
        : o.status === 'error'
          ? (o.error ?? '').split('\n')[0]!
          : '-';
    lines.push(`${pad(o.id, w)}  ${pad(o.status, 6)}  ${pad(String(o.ms ?? ''), 7)}  ${what}`);
    const notes = [exploredText(o)];
    if (o.warnings) notes.push(`warnings: ${o.warnings.join('; ')}`);
    if (o.otherReports)
      notes.push(
        `other reports: ${o.otherReports.map((x) => `${x.title} (${x.runs} runs)`).join('; ')}`,
      );
    lines.push(`${pad('', w)}  ${pad('', 6)}  ${pad('', 7)}  (${notes.join('; ')})`);
  }
  const raced = outs.filter(
    (o) => o.status === 'crash' && o.schedule !== undefined && o.schedule !== 'v1:',
  );
  if (raced.length > 0) {
    lines.push('', 'schedules (replay with: lockstep-repro <id> --replay <schedule>):');
    for (const o of raced) lines.push(`  ${o.id}: ${o.schedule}`);
  }
  return `${lines.join('\n')}\n`;
}

function formatReplay(o: Outcome): string {
  const parts = [`${o.id}: ${o.status}${o.title ? `: ${o.title}` : ''} (schedule ${o.schedule})`];
  if (o.error) parts.push('', o.error);
  if (o.dmesg) parts.push('', 'dmesg:', o.dmesg.trimEnd());
  if (o.report) parts.push('', o.report);
  return `${parts.join('\n')}\n`;
}

/** Print the outcomes of a run, write them where asked; the exit status. */
function report(args: Args, outs: Outcome[], io: Io): number {
  const json = `${JSON.stringify({ outcomes: outs }, null, 2)}\n`;
  if (args.out !== undefined) writeFileSync(args.out, json);
  if (args.traceDir !== undefined) writeTraces(args.traceDir, outs);
  io.out(args.json ? json : formatTable(outs));
  return 0;
}

/** The CLI: parse, run, print; the exit status (a promise with --jobs above 1). */
export function main(argv: readonly string[], io: Io): number | Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
    if (args.help) {
      io.out(`${USAGE}\n`);
      return 0;
    }
    if (args.list) {
      const meta = reproducers.map(({ id, title, expects, kind, doc }) => ({
        id,
        title,
        expects,
        kind,
        doc,
      }));
      if (args.json) io.out(`${JSON.stringify({ reproducers: meta }, null, 2)}\n`);
      else {
        const w = Math.max(...meta.map((r) => r.id.length));
        for (const r of meta) io.out(`${pad(r.id, w)}  ${pad(r.kind, 6)}  ${r.title}\n`);
      }
      return 0;
    }
    // Refuse a directory that may not be written before anything runs.
    if (args.traceDir !== undefined) checkTraceDir(args.traceDir);
    // Refuse to test a lockd other than the project's (see installed.ts).
    const machineDir = machineDirFrom(packageDir());
    const shadowed = machineDir === null ? [] : shadowedModelPackages(machineDir, process.cwd());
    if (shadowed.length > 0)
      throw new LockstepUsageError(
        [
          'the reproducers would not run on the packages this project installed:',
          ...shadowed.map((p) => `  ${p}`),
          '  install the package under test and the reproducers only (npm install',
          '  @lockstep/lockd@VERSION @lockstep/reproducers): npm adds @lockstep/machine and the',
          '  model packages of that step as peers and dependencies, one copy of each',
        ].join('\n'),
      );
    if (args.replay !== undefined) {
      const o = replayReproducer(args.ids[0]!, args.replay);
      if (args.traceDir !== undefined) writeTraces(args.traceDir, [o]);
      io.out(args.json ? `${JSON.stringify({ outcomes: [o] }, null, 2)}\n` : formatReplay(o));
      return 0;
    }
    const list = selectReproducers(args.ids);
    if (args.jobs > 1) {
      const cli = join(packageDir(), 'dist', 'cli.js');
      const ids = list.map((r) => r.id);
      return runReproducersInProcesses(cli, ids, args.jobs).then((outs) => report(args, outs, io));
    }
    const runOpts: { budgetMs?: number } = {};
    if (args.budgetMs !== undefined) runOpts.budgetMs = args.budgetMs;
    return report(args, runReproducers(list, runOpts), io);
  } catch (e) {
    if (e instanceof LockstepUsageError) {
      io.err(`lockstep-repro: ${e.message}\n${USAGE.split('\n')[0]}\n`);
      return 2;
    }
    throw e;
  }
}
