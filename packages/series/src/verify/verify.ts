import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { runProcess, tail } from '../lib/proc.js';
import {
  listReproducers,
  REPRO_RESULTS,
  type ReproducerMeta,
  type ReproOutcome,
  readReproResults,
} from '../lib/reproducers.js';
import { withScratch } from '../lib/scratch.js';
import { ensureTreeDeps } from '../lib/tree-deps.js';
import { STEP_ENV, stepTurboArgs } from '../lib/turbo.js';
import {
  clearStepTraces,
  collectStepTraces,
  REPRO_TRACES,
  type StepTrace,
} from '../review/traces.js';
import { checkoutStep, materialise } from '../series/materialise.js';
import type { PatchInfo } from '../series/patch-file.js';
import { checkSeriesSafety } from '../series/safety.js';
import { readPatchInfos } from '../series/steps.js';
import { defaultTracesDir } from '../series/tree.js';
import { computeVersions } from '../series/versions.js';
import type { Workspace } from '../series/workspace.js';
import { type Expectation, expectedMatrix } from './expect.js';
import { stepTaskIds } from './step-tasks.js';
import { type CellVerdict, verdictOf, WORDS } from './verdict.js';

export interface StepBuild {
  ok: boolean;
  ms: number;
  /** turbo's own counts: tasks run, and how many came from its cache. */
  tasks: number;
  cached: number;
  /** Tasks that failed ("@lockstep/lockd#test"), and the end of turbo's output. */
  failed: string[];
  detail: string[];
}

export interface StepResult {
  step: number;
  patch: string | null;
  subject: string | null;
  versions: Record<string, string>;
  build: StepBuild;
  outcomes: ReproOutcome[];
  /** The trace of each crash at this step (replayed traced), copied out of the tree. */
  traces?: StepTrace[];
}

/** One cell of the matrix: what the trailers imply against what the model did. */
export interface Cell {
  expected: string | null;
  /** The crash title, null for clean, 'error: ...' when the reproducer could not run. */
  observed: string | null;
  /**
   * What the cell shows (DESIGN.md "Verdicts"): a crash, clean over an exhausted space (a
   * proof within it), clean after a search (evidence, not proof), or a reproducer error.
   * Only `observed` is compared with the trailers: both clean kinds match a clean expectation.
   */
  verdict: CellVerdict;
  ok: boolean;
}

export interface ReproducerRow extends ReproducerMeta {
  links: Expectation['links'];
  cells: Cell[];
}

/** One series' part of the verify report. */
export interface VerifyReport {
  /** The series' name (patches/<name>/), and what its header says. */
  series: string;
  title?: string | null;
  base?: string;
  versionLine?: number;
  steps: StepResult[];
  reproducers: ReproducerRow[];
  /** Human-readable problems: mismatched cells, failed builds or tests. */
  problems: string[];
  ok: boolean;
  ms: number;
  /** The workspace the report is of: review warns when the series changed since. */
  baseHash?: string;
  seriesHash?: string;
}

export interface VerifyOptions {
  dir: string;
  force?: boolean;
  log?: (line: string) => void;
  /** Where each step's crash traces go, as step-N/ (default: .lockstep/traces/<series>). */
  tracesDir?: string;
}

function parseTurbo(out: string): Pick<StepBuild, 'tasks' | 'cached' | 'failed'> {
  const tasks = /Tasks:\s+(\d+) successful, (\d+) total/.exec(out);
  const cached = /Cached:\s+(\d+) cached/.exec(out);
  const failed = /Failed:\s+(.*)/.exec(out);
  return {
    tasks: tasks ? Number(tasks[2]) : 0,
    cached: cached ? Number(cached[1]) : 0,
    failed: failed ? failed[1]!.split(/,\s*/).filter(Boolean) : [],
  };
}

/** Build the step, run the packages' tests and the reproducers, through turbo's cache. */
async function runStep(dir: string, tasks: readonly string[]): Promise<StepBuild> {
  // The results file is ignored by git, so a checkout keeps the last step's: never read that.
  rmSync(join(dir, REPRO_RESULTS), { force: true });
  rmSync(join(dir, REPRO_TRACES), { recursive: true, force: true });
  // A failed test must not stop the reproducers: they run whenever the build succeeded.
  const args = [...stepTurboArgs(dir, tasks), '--continue=dependencies-successful'];
  const r = await runProcess('node', args, { cwd: dir, env: STEP_ENV });
  const out = r.stdout + r.stderr;
  const t = parseTurbo(out);
  return { ok: r.code === 0, ms: r.ms, ...t, detail: r.code === 0 ? [] : tail(out, 30) };
}

function observedOf(o: ReproOutcome | undefined): string | null {
  if (o === undefined) return 'error: no outcome';
  if (o.status === 'crash') return o.title ?? 'crash (untitled)';
  if (o.status === 'error') return `error: ${o.error ?? 'unknown'}`;
  return null;
}

/**
 * Compare the observed outcomes with the matrix the trailers imply (the claims minus the
 * recorded refutations): any cell that matches neither is a problem.
 */
export function compare(
  metas: readonly ReproducerMeta[],
  expectations: readonly Expectation[],
  steps: readonly StepResult[],
): { rows: ReproducerRow[]; problems: string[] } {
  const problems: string[] = [];
  for (const s of steps)
    if (!s.build.ok)
      problems.push(
        `step ${s.step}: build or tests failed (${s.build.failed.join(', ') || 'see detail'})`,
      );
  const rows = metas.map((meta, i) => {
    const exp = expectations[i]!;
    const cells = steps.map((s) => {
      const expected = exp.expected[s.step] ?? null;
      const outcome = s.outcomes.find((o) => o.id === meta.id);
      const observed = observedOf(outcome);
      const verdict = verdictOf(outcome);
      const ok = expected === observed;
      if (!ok)
        problems.push(
          `${meta.id} at step ${s.step}: expected ${expected ?? 'clean'}, observed ${observed ?? WORDS[verdict]}`,
        );
      return { expected, observed, verdict, ok };
    });
    return { ...meta, links: exp.links, cells };
  });
  return { rows, problems };
}

/**
 * lockstep verify: for every step of the series, check it out in the materialised tree,
 * build it, run its tests and every reproducer, then compare the observed matrix with the
 * one the patch trailers imply.
 */
export async function verify(ws: Workspace, opts: VerifyOptions): Promise<VerifyReport> {
  const started = performance.now();
  const log = opts.log ?? (() => {});
  const { infos, versions } = await withScratch(async (scratch) => {
    await checkSeriesSafety(ws, scratch);
    return {
      infos: await readPatchInfos(ws, scratch),
      versions: await computeVersions(ws, scratch),
    };
  });
  await materialise(ws, { dir: opts.dir, force: opts.force, log });
  await ensureTreeDeps(opts.dir, log, ws.root);
  const last = infos.length;
  const steps: StepResult[] = [];
  let metas: ReproducerMeta[] | null = null;
  const tracesDir = opts.tracesDir ?? defaultTracesDir(ws.root, ws.name);
  clearStepTraces(tracesDir);
  const tasks = await stepTaskIds(opts.dir, last, ws.header.packages);
  log(`every step runs ${tasks.join(', ')} (and the builds they need)`);
  for (let step = 0; step <= last; step++) {
    const info: PatchInfo | undefined = infos[step - 1];
    await checkoutStep(opts.dir, step, last, true);
    log(`step ${step}/${last}: ${info ? info.subject : 'base'}: build, test, reproducers`);
    const build = await runStep(opts.dir, tasks);
    let outcomes: ReproOutcome[] = [];
    let traces: StepTrace[] = [];
    try {
      outcomes = readReproResults(opts.dir);
      traces = collectStepTraces(opts.dir, tracesDir, step, ws.root);
      metas ??= await listReproducers(opts.dir);
    } catch (e) {
      build.ok = false;
      build.detail.push((e as Error).message);
    }
    const crashes = outcomes.filter((o) => o.status === 'crash').length;
    log(
      `step ${step}/${last}: ${build.ok ? 'ok' : 'FAILED'} in ${(build.ms / 1000).toFixed(1)} s ` +
        `(${build.cached}/${build.tasks} tasks cached); ${crashes} of ${outcomes.length} reproducers crash`,
    );
    steps.push({
      step,
      patch: info?.name ?? null,
      subject: info?.subject ?? null,
      versions: versions[step]?.versions ?? {},
      build,
      outcomes,
      traces,
    });
  }
  await checkoutStep(opts.dir, last, last, true);
  const expectations = expectedMatrix(infos, metas ?? []);
  const { rows, problems } = compare(metas ?? [], expectations, steps);
  if (metas === null) problems.push('no step built the reproducers: nothing was compared');
  return {
    series: ws.name,
    title: ws.header.title,
    base: ws.header.base,
    versionLine: ws.versionLine,
    steps,
    reproducers: rows,
    problems,
    ok: problems.length === 0,
    ms: Math.round(performance.now() - started),
    baseHash: ws.baseHash,
    seriesHash: ws.seriesHash,
  };
}

/**
 * The verify report file: one report per series verified, in name order. Format 3 (format 2
 * held one series); cells carry their verdict, links their refuted claims.
 */
export interface VerifyFile {
  format: 3;
  series: VerifyReport[];
  /** Every series' problems, each prefixed with its series' name. */
  problems: string[];
  ok: boolean;
  ms: number;
}

/** Put the reports of the series verified into one file's shape. */
export function verifyFile(reports: readonly VerifyReport[], ms: number): VerifyFile {
  const problems = reports.flatMap((r) => r.problems.map((p) => `${r.series}: ${p}`));
  return { format: 3, series: [...reports], problems, ok: problems.length === 0, ms };
}
