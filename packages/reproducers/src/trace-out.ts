/**
 * Traces of crashing outcomes, for people: each crash's schedule is replayed once more on a
 * traced machine and written as Chrome trace-event JSON (Perfetto), as per-task lanes (the
 * input of an interleaving picture) and as dmesg text. The explorer runs untraced for speed;
 * a schedule string replays the same run, so the trace is of exactly the run that crashed.
 * Same schedule, same bytes: nothing here reads the clock.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  LockstepUsageError,
  type Machine,
  replay,
  to_chrome_trace,
  to_dmesg,
  trace_lanes,
} from '@lockstep/kernel';
import { getReproducer } from './registry.js';
import type { Outcome } from './types.js';

/** The files of one crash's trace, named relative to the trace directory. */
export interface TraceFiles {
  id: string;
  /** The crash title the traced replay reported (the outcome's title). */
  title: string;
  schedule: string;
  /** Chrome trace-event JSON: open it in ui.perfetto.dev. */
  chrome: string;
  /** trace_lanes() as JSON: one lane per task, intervals and points in virtual ns. */
  lanes: string;
  /** The kernel log and the report, as dmesg prints them. */
  dmesg: string;
  /** Set when the run recorded more than MAX_TRACE_EVENTS events; see traceWindow. */
  elided?: Elided;
}

/** Trace events left out of the middle of a long run. */
export interface Elided {
  /** How many events were left out, and the jiffies of the first and last of them. */
  events: number;
  fromJiffies: number;
  toJiffies: number;
}

/**
 * Most trace events written per crash. A run that polls for 20 virtual seconds (the freezer)
 * records hundreds of thousands; its trace keeps the first quarter and the last three
 * quarters of this many and says what it left out, as a bounded trace buffer would.
 */
export const MAX_TRACE_EVENTS = 10_000;

/** What a trace directory holds: index.json lists the traces written by the last run. */
export interface TraceIndex {
  format: 1;
  traces: TraceFiles[];
}

export const TRACE_INDEX = 'index.json';

/** The file names of a reproducer's trace. */
export function traceFileNames(id: string): Pick<TraceFiles, 'chrome' | 'lanes' | 'dmesg'> {
  return { chrome: `${id}.trace.json`, lanes: `${id}.lanes.json`, dmesg: `${id}.dmesg.txt` };
}

/**
 * The machine as the exporters should see it: itself, or (over `max` events) a view whose
 * trace is the first quarter and the last three quarters of `max`. Events keep their own
 * steps and jiffies, so times stay true; a lock taken in the left-out middle and released
 * after it shows as a release without its hold.
 */
export function traceWindow(
  m: Machine,
  max = MAX_TRACE_EVENTS,
): { view: Machine; elided: Elided | null } {
  const evs = m.trace;
  if (evs === null || evs.length <= max) return { view: m, elided: null };
  const head = Math.floor(max / 4);
  const tail = max - head;
  const cut = evs.length - tail;
  const view = Object.create(m, {
    trace: { value: [...evs.slice(0, head), ...evs.slice(cut)] },
  }) as Machine;
  const elided = {
    events: cut - head,
    fromJiffies: evs[head]!.jiffies,
    toJiffies: evs[cut - 1]!.jiffies,
  };
  return { view, elided };
}

/** The texts of one crash's trace: replay `schedule` with tracing on. */
export function traceOutcome(
  id: string,
  schedule: string,
): {
  title: string | null;
  chrome: string;
  lanes: string;
  dmesg: string;
  elided: Elided | null;
} {
  const r = getReproducer(id);
  const run = replay(r.scenario, schedule, { machine: { ...r.machine, trace: true } });
  const { view, elided } = traceWindow(run.machine);
  let chrome = to_chrome_trace(view, { name: id });
  const lanes: Record<string, unknown> = { ...trace_lanes(view) };
  if (elided !== null) {
    lanes.elided = elided;
    chrome = chrome.replace('"otherData":{', `"otherData":{"elided":${JSON.stringify(elided)},`);
  }
  return {
    title: run.report?.title ?? null,
    chrome,
    lanes: `${JSON.stringify(lanes)}\n`,
    dmesg: to_dmesg(run.machine),
    elided,
  };
}

/**
 * Check that `dir` may be written: missing, empty, or a trace directory (it has index.json).
 * Returns the files the last run listed, which the next run replaces.
 */
export function checkTraceDir(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const entries = readdirSync(dir);
  if (entries.length === 0) return [];
  const file = join(dir, TRACE_INDEX);
  let old: TraceIndex | null = null;
  try {
    old = JSON.parse(readFileSync(file, 'utf8')) as TraceIndex;
  } catch {}
  if (old === null || old.format !== 1 || !Array.isArray(old.traces))
    throw new LockstepUsageError(
      `--trace-dir ${dir} is not empty and holds no ${TRACE_INDEX} of an earlier run; choose an empty or new directory`,
    );
  // Only plain names: an index never sends a removal outside its directory.
  const names = old.traces.flatMap((t) => [t.chrome, t.lanes, t.dmesg]);
  return names.filter((n) => typeof n === 'string' && n === basename(n) && entries.includes(n));
}

/**
 * Write the trace of every crashing outcome into `dir` (created if missing) with an
 * index.json listing them. The files the previous run listed are removed first, so the
 * directory never mixes runs; a non-empty directory without an index is refused. A traced
 * replay that does not end in the outcome's crash is a bug of the replay, not data: it throws.
 */
export function writeTraces(dir: string, outcomes: readonly Outcome[]): TraceIndex {
  const stale = checkTraceDir(dir);
  const index: TraceIndex = { format: 1, traces: [] };
  const files = new Map<string, string>();
  for (const o of outcomes) {
    if (o.status !== 'crash' || o.schedule === undefined) continue;
    const t = traceOutcome(o.id, o.schedule);
    if (t.title === null || t.title !== o.title)
      throw new Error(
        `${o.id}: the traced replay of schedule ${o.schedule} reported ${t.title ?? 'nothing'}, not ${o.title}`,
      );
    const names = traceFileNames(o.id);
    files.set(names.chrome, t.chrome).set(names.lanes, t.lanes).set(names.dmesg, t.dmesg);
    const entry: TraceFiles = { id: o.id, title: t.title, schedule: o.schedule, ...names };
    if (t.elided !== null) entry.elided = t.elided;
    index.traces.push(entry);
  }
  mkdirSync(dir, { recursive: true });
  for (const name of stale) rmSync(join(dir, name), { force: true });
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
  writeFileSync(join(dir, TRACE_INDEX), `${JSON.stringify(index, null, 2)}\n`);
  return index;
}
