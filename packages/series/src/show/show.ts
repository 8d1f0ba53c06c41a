/**
 * `lockstep show <step>`: a step in a terminal, like `git show` (header, message, diffstat,
 * diff), followed by the reproducers before and after it and the reports of the crashes it
 * changes, each with the end of its interleaving.
 */
import { existsSync, readFileSync } from 'node:fs';
import { diffstat } from '../review/diff.js';
import {
  cellWord,
  outcomeAt,
  patchOutcomes,
  type ReviewModel,
  traceAt,
  tracePath,
} from '../review/model.js';
import type { LanesJson } from '../review/svg.js';
import { refutedAtPatch, refutedSummary } from '../verify/refuted.js';
import {
  type CellVerdict,
  cleanText,
  foundText,
  MEANINGS,
  replayCommand,
  WORDS,
} from '../verify/verdict.js';
import type { Cell } from '../verify/verify.js';
import { textInterleaving } from './lanes.js';

export interface ShowOptions {
  color?: boolean;
  /** Leave out the diff (the message, diffstat and reports stay). */
  diff?: boolean;
  /** Events of each crash's interleaving to print (0: none). */
  events?: number;
}

type Paint = (code: string, s: string) => string;

function painter(on: boolean): Paint {
  return on ? (code, s) => `\x1b[${code}m${s}\x1b[0m` : (_c, s) => s;
}

function colourDiff(text: string, paint: Paint): string {
  return text
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => {
      if (
        /^(diff --git |index |--- |\+\+\+ |new file mode|deleted file mode|similarity |rename )/.test(
          l,
        )
      )
        return paint('1', l);
      if (l.startsWith('@@')) return paint('36', l);
      if (l.startsWith('+')) return paint('32', l);
      if (l.startsWith('-')) return paint('31', l);
      return l;
    })
    .join('\n');
}

const COLOURS: Record<CellVerdict, string> = {
  crash: '31',
  'clean-exhausted': '32',
  'clean-searched': '36',
  error: '33',
};

/** A cell in words, padded to line up: crash, clean, exhausted, clean, searched, error. */
function word(c: Cell, paint: Paint): string {
  const v = c.verdict ?? 'error';
  return paint(COLOURS[v], WORDS[v].padEnd(16));
}

/** What the words of a cell mean, under the outcome lists. */
function legend(): string[] {
  return [
    `  (clean, exhausted: ${MEANINGS['clean-exhausted']};`,
    `   clean, searched: ${MEANINGS['clean-searched']})`,
  ];
}

/** The refuted claims this patch makes or records, each with how the run still crashes. */
function refutedBlock(m: ReviewModel, step: number, paint: Paint): string[] {
  const claims = refutedAtPatch(m.report, step);
  if (claims.length === 0) return [];
  const out = [paint('1;31', `Refuted claim${claims.length === 1 ? '' : 's'}:`)];
  for (const c of claims) {
    out.push(`  ${c.id}: ${refutedSummary(c)}`);
    if (c.outcome?.status === 'crash')
      out.push(`    replay: ${replayCommand(c.id, c.outcome.schedule)}`);
  }
  out.push('');
  return out;
}

/** One crash: title, how it was found, the report, the end of its interleaving, the trace. */
function crashReport(
  m: ReviewModel,
  step: number,
  id: string,
  label: string,
  opts: ShowOptions,
  paint: Paint,
): string[] {
  const o = outcomeAt(m, step, id);
  if (o === undefined || o.status !== 'crash') return [];
  const lines = [
    paint('1', `==> ${id}, ${label} (step ${step}): ${o.title ?? ''}`),
    `found by ${foundText(o)}; replay: ${replayCommand(id, o.schedule)}`,
    '',
    ...(o.report ?? '').replace(/\n$/, '').split('\n'),
  ];
  const t = traceAt(m, step, id);
  const events = opts.events ?? 24;
  if (t !== undefined) {
    const lanesFile = tracePath(m, t.lanes);
    if (events > 0 && existsSync(lanesFile)) {
      const lanes = JSON.parse(readFileSync(lanesFile, 'utf8')) as LanesJson;
      lines.push(
        '',
        paint('1', 'interleaving, up to the report:'),
        ...textInterleaving(lanes, o.report, events),
      );
    }
    lines.push('', `Perfetto trace: ${t.chrome} (open it in ui.perfetto.dev)`);
  }
  lines.push('');
  return lines;
}

/** The text of `lockstep show <step>`. */
export function formatShow(m: ReviewModel, step: number, opts: ShowOptions = {}): string {
  const paint = painter(opts.color === true);
  const s = m.steps[step]!;
  const n = m.steps.length - 1;
  const out: string[] = [];
  for (const w of m.warnings) out.push(paint('33', `warning: ${w}`));
  if (s.patch === null) {
    out.push(paint('33', `step 0 of ${n}: the base`), '');
    const versions = Object.entries(s.result.versions).map(([k, v]) => `  ${k} ${v}`);
    out.push('Versions:', ...versions, '', 'Reproducers at the base:');
    for (const r of m.report.reproducers) {
      const c = r.cells[0]!;
      out.push(`  ${r.id.padEnd(38)} ${word(c, paint)}  ${c.observed ?? ''}`);
    }
    out.push(...legend(), '');
    for (const r of m.report.reproducers)
      out.push(...crashReport(m, 0, r.id, 'at the base', opts, paint));
    return `${out.join('\n').replace(/\n+$/, '')}\n`;
  }
  const info = s.patch.info;
  out.push(
    paint('33', `patch ${step} of ${n}  ${s.patch.name}`),
    `Author: ${info.author} <${info.email}>`,
    `Date:   ${info.date}`,
    '',
    `    ${info.subject}`,
    '',
    ...info.body
      .replace(/\n+$/, '')
      .split('\n')
      .map((l) => (l === '' ? '' : `    ${l}`)),
    '',
  );
  out.push(...refutedBlock(m, step, paint));
  if (s.bumps.length > 0)
    out.push(`Versions: ${s.bumps.map((b) => `${b.name} ${b.from} -> ${b.to}`).join(', ')}`, '');
  out.push(...diffstat(s.patch.diff), '');
  if (opts.diff !== false) out.push(colourDiff(s.patch.diffText, paint), '');
  const outcomes = patchOutcomes(m, step);
  out.push(paint('1', `Reproducers, step ${step - 1} -> step ${step}:`));
  for (const po of outcomes) {
    const flag = po.after.ok
      ? ''
      : paint('31', `  differs: the trailers imply ${po.after.expected ?? 'clean'}`);
    const note =
      (po.trailer ?? (po.changed ? 'changed without a trailer' : '')) +
      (po.refuted ? paint('1;31', ' (claim refuted)') : '');
    out.push(
      `  ${po.repro.id.padEnd(38)} ${word(po.before, paint)} -> ${word(po.after, paint)}  ${note}${flag}`,
    );
  }
  out.push(...legend(), '');
  const focus = outcomes.filter((po) => po.changed || po.trailer !== null || !po.after.ok);
  for (const po of focus) {
    out.push(...crashReport(m, step - 1, po.repro.id, 'before', opts, paint));
    out.push(...crashReport(m, step, po.repro.id, 'after', opts, paint));
    const o = outcomeAt(m, step, po.repro.id);
    if (o?.status === 'clean') out.push(`${po.repro.id} after the patch: ${cleanText(o)}`, '');
  }
  const still = outcomes.filter((po) => !focus.includes(po) && cellWord(po.after) === 'crash');
  if (still.length > 0) {
    out.push('Still crashing, unchanged by this patch:');
    for (const po of still) out.push(`  ${po.repro.id}: ${po.after.observed}`);
  }
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}
