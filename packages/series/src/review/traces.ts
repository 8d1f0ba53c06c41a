/**
 * The traces of each step's crashes, kept for review. The reproducers' `repro` task writes
 * them into the tree (lockstep-repro --trace-dir, cached by turbo with its results); the tree
 * holds only the checked-out step's, so verify copies each step's into `traces/step-N/`.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { REPRO_PACKAGE } from '../lib/reproducers.js';

/** Where the `repro` task writes the traces in a tree (see its package.json script). */
export const REPRO_TRACES = join(REPRO_PACKAGE, 'repro-traces');

/** One crash's trace files, as the verify report records them. */
export interface StepTrace {
  id: string;
  title: string;
  schedule: string;
  /** Paths relative to the workspace root (absolute when outside it). */
  chrome: string;
  lanes: string;
  dmesg: string;
  /** Trace events left out of the middle of a long run (lockstep-repro keeps a window). */
  elided?: { events: number; fromJiffies: number; toJiffies: number };
}

/** An entry of the index.json that lockstep-repro --trace-dir writes: the same fields. */
type IndexEntry = StepTrace;

/** The directory of one step's traces. */
export function stepTraceDir(tracesDir: string, step: number): string {
  return join(tracesDir, `step-${step}`);
}

/** Remove the step-N directories of an earlier run (and nothing else there). */
export function clearStepTraces(tracesDir: string): void {
  if (!existsSync(tracesDir)) return;
  for (const name of readdirSync(tracesDir))
    if (/^step-\d+$/.test(name)) rmSync(join(tracesDir, name), { recursive: true, force: true });
}

/**
 * Copy the traces the `repro` task wrote in the tree into `traces/step-N/` and describe them.
 * A tree whose reproducers write no traces gives none; a malformed index is an error.
 */
export function collectStepTraces(
  treeDir: string,
  tracesDir: string,
  step: number,
  root: string,
): StepTrace[] {
  const from = join(treeDir, REPRO_TRACES);
  const indexFile = join(from, 'index.json');
  if (!existsSync(indexFile)) return [];
  const index = JSON.parse(readFileSync(indexFile, 'utf8')) as { traces?: IndexEntry[] };
  if (!Array.isArray(index.traces)) throw new Error(`${indexFile} lists no traces`);
  const to = stepTraceDir(tracesDir, step);
  rmSync(to, { recursive: true, force: true });
  mkdirSync(to, { recursive: true });
  const shown = (p: string) => {
    const rel = relative(root, p);
    return rel.startsWith('..') || isAbsolute(rel) ? resolve(p) : rel.split('\\').join('/');
  };
  return index.traces.map((t) => {
    const files = { chrome: t.chrome, lanes: t.lanes, dmesg: t.dmesg };
    const out: StepTrace = { id: t.id, title: t.title, schedule: t.schedule, ...files };
    for (const key of ['chrome', 'lanes', 'dmesg'] as const) {
      const name = files[key];
      if (name !== basename(name)) throw new Error(`${indexFile}: ${name} is not a plain name`);
      copyFileSync(join(from, name), join(to, name));
      out[key] = shown(join(to, name));
    }
    if (t.elided !== undefined) out.elided = t.elided;
    return out;
  });
}
