/**
 * What `lockstep review` and `lockstep show` present: the verify report joined with the
 * series' patches (message, trailers, diff) and each step's crash traces. Both renderers, the
 * site and the terminal, read only this.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SeriesFailure, SeriesUsageError } from '../lib/errors.js';
import type { ReproOutcome } from '../lib/reproducers.js';
import { withScratch } from '../lib/scratch.js';
import type { PatchInfo } from '../series/patch-file.js';
import { readPatchInfos } from '../series/steps.js';
import type { Workspace } from '../series/workspace.js';
import type {
  Cell,
  ReproducerRow,
  StepResult,
  VerifyFile,
  VerifyReport,
} from '../verify/verify.js';
import { type ParsedPatch, parsePatchDiff } from './diff.js';
import type { StepTrace } from './traces.js';

export interface PatchView {
  /** Relative to patches/: `<series>/<entry>`. */
  name: string;
  info: PatchInfo;
  diff: ParsedPatch;
  /** The diff as the patch file has it, from the first `diff --git` line to the signature. */
  diffText: string;
}

export interface VersionBump {
  name: string;
  from: string;
  to: string;
}

export interface ReviewStep {
  step: number;
  /** null for the base. */
  patch: PatchView | null;
  result: StepResult;
  /** Packages whose version differs from the step before. */
  bumps: VersionBump[];
}

/** How a patch relates to one reproducer: its outcome before and after, and the trailer. */
export interface PatchOutcome {
  repro: ReproducerRow;
  before: Cell;
  after: Cell;
  changed: boolean;
  /** The trailer of this patch that names the reproducer, if any. */
  trailer: 'Fixes-reproducer' | 'Introduces-reproducer' | 'Not-observable' | 'Refuted' | null;
  /** This patch claims to fix the reproducer, or records that a claim is refuted, and it is. */
  refuted: boolean;
}

export interface ReviewModel {
  root: string;
  reportFile: string;
  report: VerifyReport;
  steps: ReviewStep[];
  /** Why the report may not describe the series as it is now (empty when it does). */
  warnings: string[];
}

/** The default report: what `lockstep verify` writes. */
export function defaultReportFile(root: string): string {
  return join(root, '.lockstep', 'verify.json');
}

/** The verify report file (format 3: one part per series). */
export function readVerifyFile(file: string): VerifyFile {
  if (!existsSync(file))
    throw new SeriesUsageError(`no verify report at ${file}`, [
      'run `lockstep verify` first (npm run verify), or name a report with --report FILE',
    ]);
  let data: VerifyFile;
  try {
    data = JSON.parse(readFileSync(file, 'utf8')) as VerifyFile;
  } catch (e) {
    throw new SeriesFailure(`${file} is not JSON`, [(e as Error).message]);
  }
  const wellFormed =
    data?.format === 3 &&
    Array.isArray(data.series) &&
    data.series.every((r) => Array.isArray(r?.steps) && Array.isArray(r?.reproducers));
  if (!wellFormed)
    throw new SeriesFailure(`${file} is not a lockstep verify report (format 3)`, [
      'an older lockstep wrote it, or it is another file: run `lockstep verify` again',
    ]);
  return data;
}

/** The part of the report about series `name`. */
export function seriesReport(file: string, name: string): VerifyReport {
  const data = readVerifyFile(file);
  const report = data.series.find((r) => r.series === name);
  if (report === undefined)
    throw new SeriesUsageError(`${file} has no report of series ${name}`, [
      `it has: ${data.series.map((r) => r.series).join(', ') || 'none'}`,
      `run \`lockstep verify --series ${name}\` (or verify every series)`,
    ]);
  return report;
}

function bumpsOf(prev: StepResult | undefined, cur: StepResult): VersionBump[] {
  if (prev === undefined) return [];
  return Object.entries(cur.versions)
    .filter(([name, v]) => prev.versions[name] !== undefined && prev.versions[name] !== v)
    .map(([name, to]) => ({ name, from: prev.versions[name]!, to }));
}

/** The diff part of a format-patch file: from the first `diff --git` to the `-- ` signature. */
export function rawDiff(text: string): string {
  const at = text.search(/^diff --git /m);
  if (at < 0) return '';
  const rest = text.slice(at);
  const sig = rest.search(/^-- $/m);
  return sig < 0 ? rest : rest.slice(0, sig);
}

/** Join the report at `reportFile` with the workspace's series. */
export async function loadReview(ws: Workspace, reportFile: string): Promise<ReviewModel> {
  const report = seriesReport(reportFile, ws.name);
  const infos = await withScratch((scratch) => readPatchInfos(ws, scratch));
  const warnings: string[] = [];
  const names = report.steps.slice(1).map((s) => s.patch);
  const current = ws.patches.map((p) => p.name);
  if (names.length !== current.length || names.some((n, i) => n !== current[i]))
    throw new SeriesFailure(`${reportFile} is the report of another series`, [
      `report: ${names.join(', ') || '(no patches)'}`,
      `${ws.seriesRel}: ${current.join(', ') || '(no patches)'}`,
      'run `lockstep verify` again',
    ]);
  if (report.seriesHash !== undefined && report.seriesHash !== ws.seriesHash)
    warnings.push('the patches changed since this report was written: run `lockstep verify`');
  if (report.baseHash !== undefined && report.baseHash !== ws.baseHash)
    warnings.push('the base (packages/) changed since this report was written');
  if (!report.ok)
    warnings.push(
      `verify found ${report.problems.length} problem(s): the outcomes differ from the trailers`,
    );
  const steps = report.steps.map((result, i): ReviewStep => {
    const p = i === 0 ? undefined : ws.patches[i - 1];
    const patch =
      p === undefined
        ? null
        : {
            name: p.name,
            info: infos[i - 1]!,
            diff: parsePatchDiff(p.text),
            diffText: rawDiff(p.text),
          };
    return { step: result.step, patch, result, bumps: bumpsOf(report.steps[i - 1], result) };
  });
  return { root: ws.root, reportFile: resolve(reportFile), report, steps, warnings };
}

/** An outcome as the report recorded it (dmesg and other reports included). */
export type ShownOutcome = ReproOutcome;

/** The outcome of a reproducer at a step, as the report recorded it. */
export function outcomeAt(m: ReviewModel, step: number, id: string): ShownOutcome | undefined {
  return m.report.steps[step]?.outcomes.find((o) => o.id === id);
}

/** The trace of a reproducer's crash at a step, if verify kept one. */
export function traceAt(m: ReviewModel, step: number, id: string): StepTrace | undefined {
  return m.report.steps[step]?.traces?.find((t) => t.id === id);
}

/** A trace file's path on disk (report paths are relative to the workspace root). */
export function tracePath(m: ReviewModel, p: string): string {
  return resolve(m.root, p);
}

/** Every reproducer's outcome before and after patch `step` (step >= 1). */
export function patchOutcomes(m: ReviewModel, step: number): PatchOutcome[] {
  const info = m.steps[step]?.patch?.info;
  return m.report.reproducers.map((repro) => {
    const before = repro.cells[step - 1]!;
    const after = repro.cells[step]!;
    let trailer: PatchOutcome['trailer'] = null;
    if (info?.fixesReproducers.includes(repro.id)) trailer = 'Fixes-reproducer';
    else if (info?.introducesReproducers.includes(repro.id)) trailer = 'Introduces-reproducer';
    else if (info?.notObservable.includes(repro.id)) trailer = 'Not-observable';
    else if (info?.refuted.includes(repro.id)) trailer = 'Refuted';
    const refuted = (repro.links.refuted ?? []).some(
      (x) => x.claimedAt === step || x.refutedAt === step,
    );
    return { repro, before, after, changed: before.observed !== after.observed, trailer, refuted };
  });
}

/** What a cell shows in a word: crash, clean or error (the clean kinds together). */
export function cellWord(c: Cell): 'crash' | 'clean' | 'error' {
  if (c.observed === null) return 'clean';
  return c.observed.startsWith('error:') ? 'error' : 'crash';
}

/** A cell's kind for display: crash, exhausted (clean), searched (clean) or error. */
export function cellKind(c: Cell): 'crash' | 'exhausted' | 'searched' | 'error' {
  const w = cellWord(c);
  if (w !== 'clean') return w;
  return c.verdict === 'clean-exhausted' ? 'exhausted' : 'searched';
}
